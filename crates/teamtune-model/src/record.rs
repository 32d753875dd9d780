//! Team run records in the Victor shape (ARCHITECTURE section 5) plus teamtune's own fields.
//! The engine produces them, the store keeps them, the analysis reads them.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Which side of an A/B test a run belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Baseline,
    Candidate,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::Candidate => "candidate",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberMetrics {
    pub member_id: String,
    pub role: String,
    pub success: bool,
    pub duration_seconds: f64,
    pub tool_calls_used: u64,
    pub tools_used: Vec<String>,
    pub error_message: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamRunRecord {
    pub team_id: String,
    pub formation: String,
    pub member_count: u32,
    pub success: bool,
    pub duration_seconds: f64,
    pub total_tool_calls: u64,
    pub unique_tools_used: Vec<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub consensus_achieved: Option<bool>,
    pub consensus_rounds: Option<u32>,
    pub member_metrics: IndexMap<String, MemberMetrics>,
    pub run_id: Option<String>,
    pub workflow: Option<String>,
    pub config_hash: Option<String>,
    pub variant: Option<Variant>,
    /// The largest member tool budget (Victor's team-level figure), if any member has one.
    pub tool_budget: Option<u32>,
    pub timeout_seconds: Option<f64>,
    /// Why the team failed: "timeout", "tool budget exhausted", or a member's error.
    pub error: Option<String>,
}

/// One walk of a workflow graph: what `teamtune run --json` prints per run and what the store
/// keeps beside the team records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRunRecord {
    pub run_id: String,
    pub workflow: String,
    /// The workflow file as given on the command line.
    pub file: String,
    pub seed: u64,
    pub success: bool,
    pub duration_seconds: f64,
    pub start_time: String,
    pub end_time: String,
    pub error: Option<String>,
    pub variant: Option<Variant>,
    /// Whether the run used virtual (simulated) time.
    pub virtual_time: bool,
    pub team_runs: Vec<TeamRunRecord>,
}
