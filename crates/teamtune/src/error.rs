//! The library's error type: each variant says whether the user's input was at fault (the CLI
//! exits 2) or the work itself failed.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] teamtune_model::LoadError),
    #[error(transparent)]
    Engine(#[from] teamtune_engine::EngineError),
    #[error(transparent)]
    Store(#[from] teamtune_store::StoreError),
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    #[error("{path}:{line}:{column}: {message}")]
    Located {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Ctrl-C: the runs in flight were cancelled and their processes killed.
    #[error("interrupted: the runs in flight were cancelled and their processes killed")]
    Interrupted,
}

impl Error {
    /// True when the cause is bad input or usage (exit code 2).
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::Load(_)
            | Error::Engine(_)
            | Error::Input { .. }
            | Error::Located { .. }
            | Error::Usage(_) => true,
            Error::Store(e) => matches!(
                e,
                teamtune_store::StoreError::CreateDir { .. }
                    | teamtune_store::StoreError::Open { .. }
                    | teamtune_store::StoreError::SchemaTooNew { .. }
                    | teamtune_store::StoreError::JournalMode { .. }
            ),
            Error::Io(_) | Error::Interrupted => false,
        }
    }
}
