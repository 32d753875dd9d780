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
mod keys;
mod nodes;
mod prescan;
mod root;
mod team;
mod templates;

use std::path::Path;

use indexmap::IndexMap;

use self::build::Builder;
use self::root::{ROOT_KEYS, RawRoot, RootEntry};
use crate::error::{LoadError, Problem};
use crate::locate::LineIndex;
use crate::workflow::WorkflowFile;

pub use self::prescan::check_nesting;
pub use self::team::DEFAULT_TEAM_MAX_ITERATIONS;

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
    let scan = prescan::scan(source).map_err(|p| invalid(vec![p]))?;
    let root: RawRoot = yaml_serde::from_str(source)
        .map_err(|e| invalid(vec![yaml_problem(source, &e, scan.first_tab_indent)]))?;
    let index = LineIndex::new(source);
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut raw_workflows = root.workflows;
    for (key, entry) in root.other {
        let line = index.key_line(&key, 1, None);
        let mut unknown = |extra: &str| {
            let mut message = keys::unknown_key_message(&key, &ROOT_KEYS);
            message.push_str(extra);
            problems.push(Problem::at(line, message));
        };
        match entry {
            RootEntry::Workflow(w) if !root.has_workflows_key => {
                raw_workflows.insert(key, *w);
            }
            RootEntry::Workflow(_) | RootEntry::Scalar => unknown(""),
            RootEntry::Map { .. } if root.has_workflows_key => unknown(""),
            RootEntry::Map { first_key } => {
                let hint = match keys::did_you_mean(&first_key, ["nodes"]) {
                    Some(k) => format!("; as a workflow, its key `{first_key}` would be `{k}`"),
                    None => format!(
                        "; as a workflow, its first key `{first_key}` is not a workflow key"
                    ),
                };
                unknown(&hint);
            }
        }
    }
    for key in &root.victor_keys {
        warnings.push(victor_only(&index, key, 1, None, "at the root"));
    }
    if raw_workflows.is_empty() && problems.is_empty() {
        return Err(invalid(vec![Problem::at(
            Some(1),
            "no workflows found: expected a `workflows:` map of name -> definition with `nodes:`",
        )]));
    }
    let mut workflows = IndexMap::new();
    let mut search_from = 1;
    for (name, raw) in raw_workflows {
        let wf_line = index.key_line(&name, 1, None).unwrap_or(search_from);
        search_from = wf_line;
        let mut b = Builder::new(&index, &mut problems, &mut warnings, wf_line);
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
        warnings.sort_by_key(|p| p.line.unwrap_or(0));
        Ok(WorkflowFile {
            path: path.to_path_buf(),
            source: source.to_string(),
            workflows,
            warnings,
        })
    } else {
        // Every problem is located: one the checks could not place points at the file's top.
        for p in &mut problems {
            if p.line.is_none() {
                p.line = Some(1);
                p.column = Some(1);
            }
        }
        problems.sort_by_key(|p| p.line.unwrap_or(0));
        Err(invalid(problems))
    }
}

/// The warning for Victor-only key `key` found in the lines `from..until` of `whose`.
pub(super) fn victor_only(
    index: &LineIndex,
    key: &str,
    from: usize,
    until: Option<usize>,
    whose: &str,
) -> Problem {
    let (line, column) = index.key_position(key, from, until).unzip();
    Problem::at_column(
        line,
        column,
        format!("`{key}` ({whose}) is a Victor key teamtune does not use; it is ignored"),
    )
}

fn yaml_problem(source: &str, e: &yaml_serde::Error, first_tab: Option<(usize, usize)>) -> Problem {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    // The parser gives no location for a second document; it starts at its `---`.
    let location = e.location().map(|l| (l.line(), l.column())).or_else(|| {
        let second_document = source
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("---"))
            .map(|(i, _)| i + 1)
            .find(|&l| l > 1 || message.contains("more than one document"));
        Some((second_document.unwrap_or(1), 1))
    });
    // A tab in indentation makes the parser fail at or after it, with a message about
    // tokens; say what is wrong where it is.
    if let Some((tab_line, tab_col)) = first_tab
        && location.is_none_or(|(line, _)| tab_line <= line)
    {
        return Problem::at_column(
            Some(tab_line),
            Some(tab_col),
            "tabs are not allowed for indentation; indent with spaces",
        );
    }
    let message = keys::reword_unknown_field(&message).unwrap_or(message);
    let (line, column) = location.unzip();
    Problem::at_column(line, column, message)
}
