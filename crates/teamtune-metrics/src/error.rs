//! A metrics file that cannot be read as team run records: the error names the 0-based record
//! index, the field and the line/column where it can.

use std::fmt;
use std::path::PathBuf;

/// Where in a metrics file something went wrong: 1-based line and column (bytes), as
/// serde_json counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)
    }
}

/// A metrics file that cannot be read as team run records.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read metrics: {0}")]
    Read(#[source] std::io::Error),
    #[error("the metrics input is empty: expected a JSON array, a JSON object or JSON lines")]
    Empty,
    /// One record is wrong: its 0-based index, the field (a dotted path such as
    /// `member_metrics.alice.success`) when known, and the position when known.
    #[error("record {index}: {}{message}{}", field_prefix(.field), position_suffix(.position))]
    Record {
        index: usize,
        field: Option<String>,
        message: String,
        position: Option<Position>,
    },
    /// The text around the records is wrong (a missing `,` or `]`, trailing text).
    #[error("{message} at {position}")]
    Syntax { message: String, position: Position },
}

fn field_prefix(field: &Option<String>) -> String {
    field
        .as_ref()
        .map(|f| format!("field \"{f}\": "))
        .unwrap_or_default()
}

fn position_suffix(position: &Option<Position>) -> String {
    position.map(|p| format!(" (at {p})")).unwrap_or_default()
}

impl MetricsError {
    /// The position of the error in the file, when known (for `path:line:col` messages).
    pub fn position(&self) -> Option<Position> {
        match self {
            MetricsError::Record { position, .. } => *position,
            MetricsError::Syntax { position, .. } => Some(*position),
            _ => None,
        }
    }

    /// The 0-based index of the faulty record, when the error is about one record.
    pub fn record_index(&self) -> Option<usize> {
        match self {
            MetricsError::Record { index, .. } => Some(*index),
            _ => None,
        }
    }
}
