//! What a workflow needs from the machine it runs on, checked before it runs: the programs of
//! command members, compute nodes and tools (on PATH, or at their path, taken from the
//! current directory as a run takes it), and the API key variables of the LLM providers its
//! members use. A miss is a [`Readiness`] problem, not a load error: the file is fine, this
//! machine is not ready for it (`teamtune validate` warns, `--strict` refuses).

use std::path::Path;

use serde::Serialize;
use teamtune_model::{MemberRunner, MemberSpec, NodeKind, Workflow};

/// One thing missing for a workflow to run here.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Readiness {
    /// A program that is neither on PATH nor an executable file at its path.
    ProgramNotFound {
        file: String,
        line: Option<usize>,
        workflow: String,
        /// `team/member`, `agent`, `compute node` or `tool` and its name.
        used_by: String,
        program: String,
    },
    /// An LLM provider's API key variable that is not set.
    KeyNotSet {
        file: String,
        workflow: String,
        provider: String,
        variable: String,
        /// The members that use the provider.
        members: Vec<String>,
    },
}

impl std::fmt::Display for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Readiness::ProgramNotFound {
                file,
                line,
                used_by,
                program,
                ..
            } => {
                let at = line.map(|l| format!(":{l}")).unwrap_or_default();
                let where_ = if program.contains('/') {
                    "no executable file there (a relative path is taken from the current directory)"
                } else {
                    "not found on PATH"
                };
                write!(f, "{file}{at}: {used_by}: program `{program}`: {where_}")
            }
            Readiness::KeyNotSet {
                file,
                provider,
                variable,
                members,
                ..
            } => write!(
                f,
                "{file}: provider `{provider}`: environment variable {variable} (its API key) is not set; used by {}",
                members.join(", ")
            ),
        }
    }
}

/// Everything `workflow` (from `file`) misses on this machine.
pub(crate) fn check(file: &str, workflow: &Workflow) -> Vec<Readiness> {
    let mut problems = Vec::new();
    let mut program = |line: Option<usize>, used_by: String, argv: &[String]| {
        let Some(p) = argv.first() else { return };
        if !is_templated(p) && !program_exists(p) {
            problems.push(Readiness::ProgramNotFound {
                file: file.to_string(),
                line,
                workflow: workflow.name.clone(),
                used_by,
                program: p.clone(),
            });
        }
    };
    // (provider, variable) -> members using it
    let mut keys: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut member = |line: Option<usize>, who: String, m: &MemberSpec| match &m.runner {
        MemberRunner::Command(argv) => program(line, format!("member `{who}`"), argv),
        MemberRunner::OpenAi { provider, config } => {
            if let Some(var) = &config.api_key_env {
                match keys.iter_mut().find(|(p, v, _)| p == provider && v == var) {
                    Some((_, _, members)) => members.push(who),
                    None => keys.push((provider.clone(), var.clone(), vec![who])),
                }
            }
        }
        MemberRunner::Sim(_) => {}
    };
    for node in &workflow.nodes {
        match &node.kind {
            NodeKind::Team(t) => {
                for m in &t.members {
                    member(node.line, format!("{}/{}", t.id, m.id), m);
                }
            }
            NodeKind::Agent(a) => member(node.line, node.id.clone(), &a.member),
            _ => {}
        }
    }
    for node in &workflow.nodes {
        if let NodeKind::Compute(c) = &node.kind
            && let Some(argv) = &c.command
        {
            program(node.line, format!("compute node `{}`", node.id), argv);
        }
    }
    for (name, tool) in &workflow.tools {
        program(None, format!("tool `{name}`"), &tool.command);
    }
    for (provider, variable, members) in keys {
        if std::env::var_os(&variable).is_none_or(|v| v.is_empty()) {
            problems.push(Readiness::KeyNotSet {
                file: file.to_string(),
                workflow: workflow.name.clone(),
                provider,
                variable,
                members,
            });
        }
    }
    problems
}

/// A program given by a template is only known at run time.
fn is_templated(program: &str) -> bool {
    program.contains("{{") || program.contains("${")
}

/// Whether `program` would start: a path (it holds a `/`) to an executable file, or a name
/// found executable in a PATH directory.
fn program_exists(program: &str) -> bool {
    if program.contains('/') {
        return is_executable(Path::new(program));
    }
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program)))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_on_path_or_at_their_path() {
        assert!(program_exists("sh"));
        assert!(program_exists("/bin/sh"));
        assert!(!program_exists("/nonexistent/bin"));
        assert!(!program_exists("teamtune-no-such-program-anywhere"));
        // A directory is not a program.
        assert!(!program_exists("/"));
        assert!(is_templated("{{ tool }}"));
    }
}
