//! The bench's two kinds of failure: bad input (exit 2, one line naming the cause) and work
//! that could not be done (exit 1).

use std::fmt;

#[derive(Debug)]
pub enum BenchError {
    /// The user's input is at fault: a missing file, no team, several teams, non-sim members.
    Input(String),
    /// The measurement itself failed (store, runtime, library error).
    Work(String),
}

impl BenchError {
    pub fn exit_code(&self) -> i32 {
        match self {
            BenchError::Input(_) => 2,
            BenchError::Work(_) => 1,
        }
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Input(m) | BenchError::Work(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BenchError {}

impl From<teamtune::Error> for BenchError {
    fn from(e: teamtune::Error) -> Self {
        if e.is_user_error() {
            BenchError::Input(e.to_string())
        } else {
            BenchError::Work(e.to_string())
        }
    }
}

impl From<std::io::Error> for BenchError {
    fn from(e: std::io::Error) -> Self {
        BenchError::Work(e.to_string())
    }
}
