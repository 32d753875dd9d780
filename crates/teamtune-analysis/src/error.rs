//! The errors of this crate: a bad baselines file, a suggestion that does not fit a team
//! config. Each names what caused it (key, suggestion id). A bad metrics file is
//! `teamtune_metrics::MetricsError`.

use std::path::PathBuf;

/// A baselines file (`--baselines FILE`) that is not a JSON object of known, positive numbers.
#[derive(Debug, thiserror::Error)]
pub enum BaselinesError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("baselines: {0}")]
    Json(#[from] serde_json::Error),
    #[error("baselines: key \"{key}\" must be a finite number above 0, got {value}")]
    NotPositive { key: &'static str, value: f64 },
}

/// A suggestion whose `suggested_config` cannot be merged into a team config.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("suggestion {id}: suggested_config must be a JSON object")]
    NotAnObject { id: String },
    #[error("suggestion {id}: the merged config is not a valid team config: {source}")]
    Invalid {
        id: String,
        #[source]
        source: serde_json::Error,
    },
}
