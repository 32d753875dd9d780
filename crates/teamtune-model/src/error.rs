//! Load and validation errors. Every problem names the file and, where it is known, the line
//! and column, so the CLI can print `path:line:col: message` and exit 2.

use std::fmt;
use std::path::PathBuf;

use crate::limits::MAX_QUOTED_IN_MESSAGE;
use crate::workflow::WorkflowFile;

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
    /// A problem at the start of `line`.
    pub fn at(line: Option<usize>, message: impl Into<String>) -> Self {
        Problem::at_column(line, line.map(|_| 1), message)
    }

    /// A problem at `line`, `column`. Long quoted values in the message are cut short, so a
    /// 5 MB value does not come back in full.
    pub fn at_column(
        line: Option<usize>,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            line,
            column,
            message: shorten_quoted(&message.into()),
        }
    }

    /// `path:line:col: message`, as errors and warnings are printed.
    pub fn located(&self, path: &std::path::Path) -> String {
        ProblemDisplay {
            path,
            problem: self,
        }
        .to_string()
    }
}

/// `message` with every quoted value (between backticks or double quotes) longer than
/// `MAX_QUOTED_IN_MESSAGE` bytes cut to a prefix and `… (N bytes)`.
pub fn shorten_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest.as_bytes()[open];
        out.push_str(&rest[..=open]);
        let body = &rest[open + 1..];
        // The closing quote; a double-quoted value may hold escaped quotes (`\"`).
        let mut close = None;
        let mut escaped = false;
        for (i, b) in body.bytes().enumerate() {
            if escaped {
                escaped = false;
            } else if b == b'\\' && quote == b'"' {
                escaped = true;
            } else if b == quote {
                close = Some(i);
                break;
            }
        }
        let end = close.unwrap_or(body.len());
        let value = &body[..end];
        if value.len() > MAX_QUOTED_IN_MESSAGE {
            let mut cut = MAX_QUOTED_IN_MESSAGE;
            while !value.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&value[..cut]);
            out.push_str(&format!("… ({} bytes)", value.len()));
        } else {
            out.push_str(value);
        }
        match close {
            Some(_) => {
                out.push(quote as char);
                rest = &body[end + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
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

/// A team node id that a workflow file does not have, or has in more than one workflow (the
/// store keys runs by team id, so those runs would mix). Its message is the one place that
/// says so: `<file> has no team node `x` (teams: a, b)`, or `(teams: none)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamNotFound {
    /// The file, as it was loaded.
    pub path: PathBuf,
    /// The team id asked for.
    pub team_id: String,
    /// The file's team node ids, in file order.
    pub teams: Vec<String>,
    /// The workflows that hold a team node with this id, when there are several.
    pub workflows: Vec<String>,
}

impl TeamNotFound {
    /// `team_id` missing from `file`.
    pub(crate) fn in_file(file: &WorkflowFile, team_id: &str) -> TeamNotFound {
        TeamNotFound {
            path: file.path.clone(),
            team_id: team_id.to_string(),
            teams: file.team_ids(),
            workflows: Vec::new(),
        }
    }

    /// `team_id` in each of `workflows` of `file`.
    pub(crate) fn in_several(
        file: &WorkflowFile,
        team_id: &str,
        workflows: Vec<String>,
    ) -> TeamNotFound {
        TeamNotFound {
            workflows,
            ..TeamNotFound::in_file(file, team_id)
        }
    }

    /// The file's team node ids as `a, b`, or `none`.
    pub fn teams_text(&self) -> String {
        if self.teams.is_empty() {
            "none".to_string()
        } else {
            self.teams.join(", ")
        }
    }
}

impl fmt::Display for TeamNotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.workflows.len() > 1 {
            return write!(
                f,
                "{}: team `{}` is in several workflows ({}); runs are recorded by team id, so \
                 give each workflow's team its own id",
                self.path.display(),
                self.team_id,
                self.workflows.join(", ")
            );
        }
        write!(
            f,
            "{} has no team node `{}` (teams: {})",
            self.path.display(),
            self.team_id,
            self.teams_text()
        )
    }
}

impl std::error::Error for TeamNotFound {}

#[cfg(test)]
mod tests {
    use super::shorten_quoted;

    #[test]
    fn long_quoted_values_are_cut_to_a_prefix_with_their_size() {
        let long = "x".repeat(5_000_000);
        let m = shorten_quoted(&format!("invalid type: string \"{long}\", expected u32"));
        assert!(m.len() < 200, "{m}");
        assert!(m.contains("… (5000000 bytes)\", expected u32"), "{m}");
        let m = shorten_quoted(&format!("node `{long}` has no `id`"));
        assert!(m.ends_with("… (5000000 bytes)` has no `id`"), "{m}");
        assert_eq!(shorten_quoted("short `a` and \"b\""), "short `a` and \"b\"");
        // Multi-byte characters are not split; an unclosed quote is cut too.
        let m = shorten_quoted(&format!("bad `{}", "é".repeat(100)));
        assert!(m.ends_with("… (200 bytes)"), "{m}");
    }
}
