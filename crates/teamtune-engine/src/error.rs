//! Errors found while preparing a workflow for execution (bad expressions, bad templates, a
//! workflow that is not in the file). Failures during a run are not errors: they are recorded
//! in the run's record.

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{file}:{line}: node `{node}`: {message}")]
    Prepare {
        file: String,
        line: usize,
        node: String,
        message: String,
    },
    /// `--workflow` names no workflow of the file, or the file holds several and none was
    /// named.
    #[error("{0}")]
    Workflow(String),
}
