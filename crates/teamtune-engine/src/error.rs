//! Errors found while preparing a workflow for execution (bad expressions, bad templates).
//! Failures during a run are not errors: they are recorded in the run's record.

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{file}:{line}: node `{node}`: {message}")]
    Prepare {
        file: String,
        line: usize,
        node: String,
        message: String,
    },
}
