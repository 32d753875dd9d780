//! Load and validation errors. Every problem names the file and, where it is known, the line
//! and column, so the CLI can print `path:line:col: message` and exit 2.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with a workflow file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn at(line: Option<usize>, message: impl Into<String>) -> Self {
        Problem {
            line,
            column: line.map(|_| 1),
            message: message.into(),
        }
    }
}

/// Why a workflow file could not be loaded. `Invalid` carries every semantic problem found,
/// not just the first.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

impl LoadError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            LoadError::Io { .. } => &[],
            LoadError::Invalid { problems, .. } => problems,
        }
    }
}

fn render(path: &std::path::Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&ProblemDisplay { path, problem: p }.to_string());
    }
    out
}

struct ProblemDisplay<'a> {
    path: &'a std::path::Path,
    problem: &'a Problem,
}

impl fmt::Display for ProblemDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.problem;
        match (p.line, p.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.path.display(), p.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.path.display(), p.message),
            _ => write!(f, "{}: {}", self.path.display(), p.message),
        }
    }
}
