//! The typed, validated workflow: what the engine executes. Built from the raw YAML shapes by
//! `load`, which resolves Victor's alternative spellings and templates once.

use std::collections::HashMap;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::TeamNotFound;
use crate::formation::Formation;
use crate::seconds::Seconds;
use crate::sim::SimParams;

/// A loaded workflow file: one or more named workflows.
#[derive(Debug, Clone)]
pub struct WorkflowFile {
    pub path: PathBuf,
    pub source: String,
    pub workflows: IndexMap<String, Workflow>,
    /// What loads but deserves a word: keys Victor's format defines and teamtune ignores.
    pub warnings: Vec<crate::error::Problem>,
}

impl WorkflowFile {
    /// The workflow named `name`, or the only one when `name` is `None`.
    pub fn workflow(&self, name: Option<&str>) -> Result<&Workflow, String> {
        match name {
            Some(n) => self.workflows.get(n).ok_or_else(|| {
                format!(
                    "no workflow named `{n}` in {}; it has: {}",
                    self.path.display(),
                    self.workflows
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
            None if self.workflows.len() == 1 => Ok(&self.workflows[0]),
            None => Err(format!(
                "{} holds several workflows ({}); pick one with --workflow",
                self.path.display(),
                self.workflows
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Find the team node `team_id` in any workflow.
    pub fn find_team(&self, team_id: &str) -> Option<(&Workflow, &TeamNode)> {
        self.workflows
            .values()
            .find_map(|w| w.team(team_id).map(|t| (w, t)))
    }

    /// The team node `team_id` with its workflow, or a [`TeamNotFound`] naming the file and
    /// the teams it has (also when several workflows have a team with that id).
    pub fn resolve_team(&self, team_id: &str) -> Result<(&Workflow, &TeamNode), TeamNotFound> {
        let holders: Vec<&Workflow> = self
            .workflows
            .values()
            .filter(|w| w.team(team_id).is_some())
            .collect();
        if holders.len() > 1 {
            let names = holders.iter().map(|w| w.name.clone()).collect();
            return Err(TeamNotFound::in_several(self, team_id, names));
        }
        self.find_team(team_id)
            .ok_or_else(|| TeamNotFound::in_file(self, team_id))
    }

    /// The ids of every team node in the file, in file order.
    pub fn team_ids(&self) -> Vec<String> {
        self.workflows
            .values()
            .flat_map(|w| w.teams().map(|t| t.id.clone()))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Workflow {
    pub name: String,
    pub description: Option<String>,
    pub start_node: String,
    pub nodes: Vec<Node>,
    /// Node id -> position in `nodes`.
    pub index: HashMap<String, usize>,
    /// Cap on node executions in one run (cycles are allowed).
    pub max_iterations: u32,
    pub providers: IndexMap<String, Provider>,
    pub tools: IndexMap<String, ToolDef>,
}

impl Workflow {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    pub fn team(&self, team_id: &str) -> Option<&TeamNode> {
        self.nodes.iter().find_map(|n| match &n.kind {
            NodeKind::Team(t) if t.id == team_id => Some(t),
            _ => None,
        })
    }

    pub fn teams(&self) -> impl Iterator<Item = &TeamNode> {
        self.nodes.iter().filter_map(|n| match &n.kind {
            NodeKind::Team(t) => Some(t),
            _ => None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    /// 1-based line of the node in its file.
    pub line: Option<usize>,
    pub next: Option<String>,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Agent(AgentNode),
    Compute(ComputeNode),
    Condition(ConditionNode),
    Parallel(ParallelNode),
    Transform(TransformNode),
    Hitl(HitlNode),
    Team(TeamNode),
}

impl NodeKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Agent(_) => "agent",
            NodeKind::Compute(_) => "compute",
            NodeKind::Condition(_) => "condition",
            NodeKind::Parallel(_) => "parallel",
            NodeKind::Transform(_) => "transform",
            NodeKind::Hitl(_) => "hitl",
            NodeKind::Team(_) => "team",
        }
    }
}

/// A single agent: runs like a one-member team and is recorded as one.
#[derive(Debug, Clone)]
pub struct AgentNode {
    pub member: MemberSpec,
    pub output_key: String,
}

/// A compute node: a command (argv) run with the state on stdin, or, without a command, the
/// evaluation of its `inputs` templates.
#[derive(Debug, Clone)]
pub struct ComputeNode {
    pub command: Option<Vec<String>>,
    pub handler: Option<String>,
    pub inputs: IndexMap<String, String>,
    pub output_key: String,
    pub timeout_seconds: Option<Seconds>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `key` (truthy), Victor's bare form.
    Truthy(String),
    /// `key OP value` with a literal (bare or quoted) value.
    Compare {
        key: String,
        op: CmpOp,
        value: serde_json::Value,
    },
    /// `key in [a, b]`.
    In {
        key: String,
        values: Vec<serde_json::Value>,
    },
    /// Anything else: a minijinja expression.
    Expr(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

#[derive(Debug, Clone)]
pub struct ConditionNode {
    pub condition: Condition,
    /// Branch key (`"true"`, `"false"`, or any value the condition yields) -> node id.
    pub branches: IndexMap<String, String>,
    pub default: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinStrategy {
    /// Every branch must succeed; outputs keyed by branch.
    All,
    /// Succeeds when at least one branch succeeds.
    Any,
    /// Branch state changes merged into the run state.
    Merge,
}

#[derive(Debug, Clone)]
pub struct ParallelNode {
    pub branches: Vec<String>,
    pub join: JoinStrategy,
}

/// `key: template` assignments evaluated in order against the state.
#[derive(Debug, Clone)]
pub struct TransformNode {
    /// `(key, expression)`: each a minijinja expression whose value is stored under `key`.
    pub assignments: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HitlType {
    Approval,
    Review,
    Choice,
    Input,
    Confirmation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fallback {
    /// Stop the run (it fails).
    Abort,
    /// Go on with the node's default value.
    Continue,
    /// Skip the node: nothing is written to the state.
    Skip,
    /// Ask once more, then abort (Victor's `retry`).
    Retry,
}

#[derive(Debug, Clone)]
pub struct HitlNode {
    pub hitl_type: HitlType,
    pub prompt: String,
    /// State keys shown to the human with the prompt.
    pub context_keys: Vec<String>,
    pub choices: Vec<String>,
    pub default_value: Option<String>,
    pub timeout_seconds: Seconds,
    pub fallback: Fallback,
    pub output_key: String,
}

#[derive(Debug, Clone)]
pub struct TeamNode {
    pub id: String,
    pub name: Option<String>,
    pub goal: String,
    pub formation: Formation,
    pub members: Vec<MemberSpec>,
    pub timeout_seconds: Option<Seconds>,
    /// Consensus rounds cap.
    pub max_iterations: u32,
    pub total_tool_budget: Option<u32>,
    pub output_key: String,
    pub continue_on_error: bool,
    pub merge_strategy: Option<String>,
    /// What `apply --auto` may change (the `tuning:` block).
    pub tuning: Option<crate::tuning::TuningBlock>,
}

impl TeamNode {
    /// True when every member runs on the simulator (the run may use virtual time).
    pub fn all_simulated(&self) -> bool {
        self.members
            .iter()
            .all(|m| matches!(m.runner, MemberRunner::Sim(_)))
    }
}

#[derive(Debug, Clone)]
pub struct MemberSpec {
    pub id: String,
    pub role: String,
    pub goal: String,
    pub tool_budget: Option<u32>,
    pub timeout_seconds: Option<Seconds>,
    pub tools: Vec<String>,
    pub backstory: Option<String>,
    pub expertise: Vec<String>,
    pub is_manager: bool,
    pub runner: MemberRunner,
    /// The member names no `provider`, `command` or `default_provider` (a Victor file as
    /// written) and runs on the built-in simulator; the CLI says so.
    pub implicit_sim: bool,
}

/// What executes a member's turn.
#[derive(Debug, Clone)]
pub enum MemberRunner {
    /// argv, run without a shell.
    Command(Vec<String>),
    /// An OpenAI-compatible provider (the name is a key of `providers:`).
    OpenAi {
        provider: String,
        config: OpenAiProvider,
    },
    /// The seeded simulator with fully resolved parameters.
    Sim(SimParams),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenAiProvider {
    pub base_url: String,
    pub model: String,
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Seconds to open a connection (TCP and TLS).
    #[serde(default)]
    pub connect_timeout_s: Option<f64>,
    /// Seconds per HTTP request, from connecting to the last byte of the reply.
    /// Checked at load (> 0, at most 30 days); the member converts it defensively too.
    #[serde(default)]
    pub request_timeout_s: Option<f64>,
    /// Retries on 429 / 5xx / connection errors.
    #[serde(default)]
    pub max_retries: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Provider {
    OpenAi(OpenAiProvider),
    Sim,
}

/// A tool an LLM member may call: a command run without a shell, its arguments rendered
/// from the call's JSON arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDef {
    pub command: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
    /// Checked at load (> 0, at most 30 days); the member converts it defensively too.
    #[serde(default)]
    pub timeout_seconds: Option<f64>,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::load::load_str;

    #[test]
    fn a_missing_team_names_the_file_and_its_teams() {
        let team = |id: &str| {
            format!(
                "      - id: {id}\n        type: team\n        members:\n          - {{id: m}}\n"
            )
        };
        let yaml = format!("workflows:\n  w:\n    nodes:\n{}{}", team("a"), team("b"));
        let file = load_str(Path::new("f.yaml"), &yaml).unwrap();
        assert_eq!(file.resolve_team("b").unwrap().1.id, "b");
        let e = file.resolve_team("x").unwrap_err();
        assert_eq!(e.to_string(), "f.yaml has no team node `x` (teams: a, b)");
        let none = load_str(
            Path::new("g.yaml"),
            "workflows:\n  w:\n    nodes:\n      - id: t\n        type: transform\n        transform: {x: 1}\n",
        )
        .unwrap();
        assert_eq!(
            none.resolve_team("x").unwrap_err().to_string(),
            "g.yaml has no team node `x` (teams: none)"
        );
    }
}
