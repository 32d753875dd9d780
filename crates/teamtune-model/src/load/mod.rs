//! Loading a workflow file: YAML syntax and schema errors come from the deserializer with
//! their line and column; semantic problems (unknown targets, unreachable nodes, missing
//! members, bad formations, ...) are collected all at once and located by node id.
//!
//! One job per file: [`root`] parses the file root, [`build`] turns each raw workflow into
//! a [`Workflow`](crate::Workflow) (its nodes in [`nodes`], teams and members in [`team`],
//! field text into templates and expressions in [`templates`]), [`graph_checks`] checks
//! node targets and reachability, and [`condition`] parses Victor's condition forms.

mod build;
mod condition;
mod graph_checks;
mod nodes;
mod root;
mod team;
mod templates;

use std::path::Path;

use indexmap::IndexMap;

use self::build::Builder;
use self::root::RawRoot;
use crate::error::{LoadError, Problem};
use crate::locate::LineIndex;
use crate::workflow::WorkflowFile;

pub fn load_file(path: &Path) -> Result<WorkflowFile, LoadError> {
    let source = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(path, &source)
}

pub fn load_str(path: &Path, source: &str) -> Result<WorkflowFile, LoadError> {
    let invalid = |problems| LoadError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let root: RawRoot =
        yaml_serde::from_str(source).map_err(|e| invalid(vec![yaml_problem(&e)]))?;
    if root.workflows.is_empty() {
        return Err(invalid(vec![Problem::at(
            Some(1),
            "no workflows found: expected a `workflows:` map of name -> definition with `nodes:`",
        )]));
    }
    let index = LineIndex::new(source);
    let mut problems = Vec::new();
    let mut workflows = IndexMap::new();
    let mut search_from = 1;
    for (name, raw) in root.workflows {
        let wf_line = index.key_line(&name, 1, None).unwrap_or(search_from);
        search_from = wf_line;
        let mut b = Builder::new(&index, &mut problems, wf_line);
        if let Some(wf) = b.workflow(
            &name,
            raw,
            &root.providers,
            &root.tools,
            root.default_provider.as_deref(),
        ) {
            workflows.insert(name, wf);
        }
    }
    if problems.is_empty() {
        Ok(WorkflowFile {
            path: path.to_path_buf(),
            source: source.to_string(),
            workflows,
        })
    } else {
        problems.sort_by_key(|p| p.line.unwrap_or(0));
        Err(invalid(problems))
    }
}

fn yaml_problem(e: &yaml_serde::Error) -> Problem {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    match e.location() {
        Some(loc) => Problem {
            line: Some(loc.line()),
            column: Some(loc.column()),
            message,
        },
        None => Problem {
            line: None,
            column: None,
            message,
        },
    }
}
