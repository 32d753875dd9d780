//! `validate`: load and check a workflow file, prepare every workflow in it for running, and
//! describe what it holds (the `teamtune validate --json` shape).

use std::path::Path;

use serde::Serialize;
use teamtune_engine::Engine;
use teamtune_model::{MemberRunner, NodeKind, load_file};

use crate::autotuner::Autotuner;
use crate::error::Error;
use crate::preflight::{self, Readiness};

/// `teamtune validate --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    pub file: String,
    pub valid: bool,
    pub workflows: Vec<WorkflowSummary>,
    /// What this machine misses to run the file (programs, API keys): the file itself is
    /// valid.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Readiness>,
    /// Keys Victor's format defines and teamtune ignores, as `path:line:col: message`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkflowSummary {
    pub name: String,
    pub start_node: String,
    pub nodes: Vec<NodeSummary>,
    pub teams: Vec<TeamSummary>,
    /// Every member is simulated: runs take virtual time.
    pub simulated: bool,
    /// Members on the simulator only because they name no provider or command.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub implicitly_simulated: Vec<String>,
    /// State keys the workflow reads that no node sets: inputs a run must be given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeSummary {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamSummary {
    pub id: String,
    pub formation: String,
    pub members: Vec<MemberSummary>,
    pub timeout_seconds: Option<f64>,
    pub total_tool_budget: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberSummary {
    pub id: String,
    pub role: String,
    /// `sim`, `command ARGV0` or `openai PROVIDER/MODEL`.
    pub runner: String,
}

impl Autotuner {
    /// Checks `path` as `teamtune run` would before running it.
    pub fn validate(&self, path: &Path) -> Result<ValidationReport, Error> {
        let file = load_file(path)?;
        let mut workflows = Vec::new();
        let mut warnings = Vec::new();
        for name in file.workflows.keys() {
            let engine = Engine::new(&file, Some(name))?;
            let wf = engine.workflow();
            warnings.extend(preflight::check(&path.display().to_string(), wf));
            workflows.push(WorkflowSummary {
                name: name.clone(),
                start_node: wf.start_node.clone(),
                nodes: wf
                    .nodes
                    .iter()
                    .map(|n| NodeSummary {
                        id: n.id.clone(),
                        kind: n.kind.type_name().to_string(),
                        next: n.next.clone(),
                    })
                    .collect(),
                teams: wf
                    .nodes
                    .iter()
                    .filter_map(|n| match &n.kind {
                        NodeKind::Team(t) => Some(TeamSummary {
                            id: t.id.clone(),
                            formation: t.formation.as_str().to_string(),
                            members: t
                                .members
                                .iter()
                                .map(|m| MemberSummary {
                                    id: m.id.clone(),
                                    role: m.role.clone(),
                                    runner: runner_name(&m.runner),
                                })
                                .collect(),
                            timeout_seconds: t.timeout_seconds.map(|s| s.as_secs_f64()),
                            total_tool_budget: t.total_tool_budget,
                        }),
                        _ => None,
                    })
                    .collect(),
                simulated: engine.is_simulated(),
                implicitly_simulated: engine.implicitly_simulated(),
                inputs: engine.inputs_read(),
            });
        }
        Ok(ValidationReport {
            file: path.display().to_string(),
            valid: true,
            workflows,
            warnings,
            ignored_keys: crate::record::located_warnings(&file),
        })
    }
}

fn runner_name(r: &MemberRunner) -> String {
    match r {
        MemberRunner::Command(argv) => {
            format!("command {}", argv.first().map_or("", String::as_str))
        }
        MemberRunner::OpenAi { provider, config } => format!("openai {provider}/{}", config.model),
        MemberRunner::Sim(_) => "sim".to_string(),
    }
}
