//! teamtune's OpenTelemetry import: team runs from OTLP JSON traces whose spans follow the
//! GenAI semantic conventions (`gen_ai.operation.name` = `invoke_agent`, `execute_tool`,
//! `chat`; `gen_ai.agent.*`, `gen_ai.tool.name`, `gen_ai.usage.*`, `error.type`).
//!
//! [`read_files`] reads every file and checks every span before it returns anything, so a
//! caller that records the result records all of it or, on an [`OtelError`], nothing.
//! `span.rs` checks spans, `team.rs` turns a trace's spans into [`TeamRunRecord`]s (see its
//! comment for which spans are teams, members and tool calls).
//!
//! [`TeamRunRecord`]: teamtune_model::TeamRunRecord

mod error;
mod otlp;
mod span;
mod team;

use std::path::{Path, PathBuf};

pub use error::OtelError;
pub use span::{Operation, Span, parse_text};
pub use team::{ImportOptions, team_runs};
use teamtune_model::WorkflowRunRecord;

/// The team runs of the traces in `paths`, one workflow run per trace that holds a team
/// run. A trace may be spread over several files; a span given twice counts once.
pub fn read_files(
    paths: &[PathBuf],
    opts: &ImportOptions,
) -> Result<Vec<WorkflowRunRecord>, OtelError> {
    let mut spans = Vec::new();
    for path in paths {
        spans.extend(read_file(path)?);
    }
    Ok(team_runs(&spans, opts))
}

fn read_file(path: &Path) -> Result<Vec<Span>, OtelError> {
    let text = std::fs::read_to_string(path).map_err(|source| OtelError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_text(path, &text)
}
