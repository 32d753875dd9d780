//! What "normal" looks like for a team: the reference values the Victor detectors compare
//! against (`--baselines FILE`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::BaselinesError;

/// Reference values. A baselines file is a JSON object with any of these keys (missing keys
/// keep the Victor defaults); an unknown key is an error naming it. Victor's
/// `throughput_teams_per_minute` is accepted (and unused) so a Victor baselines dict loads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Baselines {
    /// Mean run duration (Victor default 30 s).
    pub avg_duration_seconds: f64,
    /// Share of successful runs (default 0.95).
    pub success_rate: f64,
    /// Mean tool calls per run (default 15).
    pub avg_tool_calls: f64,
    /// p95 run duration (default 60 s).
    pub p95_duration_seconds: f64,
    /// Victor's throughput baseline (default 2.0); no detector reads it.
    pub throughput_teams_per_minute: f64,
}

impl Default for Baselines {
    fn default() -> Self {
        Baselines {
            avg_duration_seconds: 30.0,
            success_rate: 0.95,
            avg_tool_calls: 15.0,
            p95_duration_seconds: 60.0,
            throughput_teams_per_minute: 2.0,
        }
    }
}

impl Baselines {
    /// Parses and validates a baselines JSON object.
    pub fn from_json(text: &str) -> Result<Baselines, BaselinesError> {
        let baselines: Baselines = serde_json::from_str(text)?;
        baselines.validate()?;
        Ok(baselines)
    }

    /// Reads a baselines file.
    pub fn from_file(path: &Path) -> Result<Baselines, BaselinesError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselinesError::Io {
            path: path.to_owned(),
            source,
        })?;
        Baselines::from_json(&text)
    }

    /// Every value must be a finite number above zero (they are divisors).
    pub fn validate(&self) -> Result<(), BaselinesError> {
        for (key, value) in [
            ("avg_duration_seconds", self.avg_duration_seconds),
            ("success_rate", self.success_rate),
            ("avg_tool_calls", self.avg_tool_calls),
            ("p95_duration_seconds", self.p95_duration_seconds),
            (
                "throughput_teams_per_minute",
                self.throughput_teams_per_minute,
            ),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(BaselinesError::NotPositive { key, value });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_file_keeps_defaults() {
        let b = Baselines::from_json(r#"{"avg_duration_seconds": 10}"#).unwrap();
        assert_eq!(b.avg_duration_seconds, 10.0);
        assert_eq!(b.success_rate, 0.95);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Baselines::from_json(r#"{"avg_duration": 10}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `avg_duration`"), "{e}");
    }

    #[test]
    fn rejects_non_positive() {
        let e = Baselines::from_json(r#"{"success_rate": 0}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("success_rate"), "{e}");
    }
}
