//! [`OtelError`]: every error names the file, the line the request starts on and, for a
//! malformed span, the span id.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OtelError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The text is not JSON, or not an OTLP `ExportTraceServiceRequest`.
    #[error("{}:{line}:{column}: not an OTLP JSON trace request: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A span that cannot be read as a span.
    #[error("{}:{line}: span {span_id}: {problem}", path.display())]
    Span {
        path: PathBuf,
        line: usize,
        /// The span id as written (may itself be the malformed part).
        span_id: String,
        problem: String,
    },
    /// `--formation` named no formation.
    #[error("{0}")]
    Formation(String),
}
