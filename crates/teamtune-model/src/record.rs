//! Team run records in the Victor shape plus teamtune's own fields.
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

/// Why a member's turn (or a member, or a team run) stopped. The engine sets it; the analysis
/// reads it instead of recovering the cause from error texts.
///
/// The engine cannot tell a hung member from a slow one: both end as [`StopCause::Timeout`]
/// when a timeout cuts them off. `hang_killed` is kept for importers whose source knows the
/// difference (a trace that marks a stall); the twin tells them apart from turn durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopCause {
    /// The work was finished.
    Done,
    /// The member needed more tool calls than its (or the team's) budget allowed.
    BudgetExhausted,
    /// A timeout cut the work off: a member's or team's `timeout_seconds`, or an endpoint's
    /// connect or request timeout.
    Timeout,
    /// The member reported a failure (an error reply, a non-zero exit, a failed turn).
    Error,
    /// Killed while making no progress (only from importers that can tell).
    HangKilled,
}

impl StopCause {
    pub fn as_str(self) -> &'static str {
        match self {
            StopCause::Done => "done",
            StopCause::BudgetExhausted => "budget_exhausted",
            StopCause::Timeout => "timeout",
            StopCause::Error => "error",
            StopCause::HangKilled => "hang_killed",
        }
    }

    /// The cause of a Victor-shaped record, which carries it only as free text
    /// (`error_message`, `error`): the one place text is read as a cause, when a record is
    /// read in. Case-insensitive; Victor users and our engine word causes slightly
    /// differently ("budget exhausted" / "budget exceeded", "timeout" / "timed out").
    pub fn from_victor_text(text: &str) -> StopCause {
        let lower = text.to_ascii_lowercase();
        if lower.contains("budget exhausted") || lower.contains("budget exceeded") {
            StopCause::BudgetExhausted
        } else if lower.contains("timeout") || lower.contains("timed out") {
            StopCause::Timeout
        } else {
            StopCause::Error
        }
    }

    /// The cause as the error text Victor-shaped records carry (`error_message`).
    pub fn message(self) -> &'static str {
        match self {
            StopCause::Done => "done",
            StopCause::BudgetExhausted => "tool budget exhausted",
            StopCause::Timeout => "timeout",
            StopCause::Error => "error",
            StopCause::HangKilled => "killed while hanging",
        }
    }
}

/// Which turn of a member: hierarchical managers plan and synthesise (the formation's
/// coordination); every other turn, including each consensus round, is work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TurnKind {
    #[default]
    Work,
    Plan,
    Synthesis,
}

/// One turn of a member, as measured from outside the member: what the twin is fitted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    #[serde(default)]
    pub kind: TurnKind,
    /// The whole turn, seconds.
    pub seconds: f64,
    /// Time not spent in tool calls: model time, thinking, coordination.
    pub think_seconds: f64,
    /// Each tool call's latency, when the member reports it (sim and openai members do; a
    /// command member may, with `tool_call_seconds` in its output).
    #[serde(default)]
    pub tool_call_seconds: Vec<f64>,
    /// Tool calls made in the turn.
    pub tool_calls: u64,
    #[serde(default)]
    pub tokens_in: Option<u64>,
    #[serde(default)]
    pub tokens_out: Option<u64>,
    pub stop_cause: StopCause,
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
    /// Why the member stopped (its last turn's cause); absent in Victor's records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_cause: Option<StopCause>,
    /// Every turn the member took, in order; empty in Victor's records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub turns: Vec<TurnRecord>,
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
    /// The live experiment the run took part in (its variant says which side), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<i64>,
    /// The largest member tool budget (Victor's team-level figure), if any member has one.
    pub tool_budget: Option<u32>,
    pub timeout_seconds: Option<f64>,
    /// Why the team failed: "timeout", "tool budget exhausted", or a member's error.
    pub error: Option<String>,
    /// Why the team failed, typed (`None` for a successful run and in Victor's records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_cause: Option<StopCause>,
}

impl TeamRunRecord {
    /// Tokens in and out over every turn of every member; `None` when no turn reports any
    /// (command members, Victor's records).
    pub fn tokens(&self) -> Option<u64> {
        self.member_metrics
            .values()
            .flat_map(|m| &m.turns)
            .flat_map(|t| [t.tokens_in, t.tokens_out])
            .flatten()
            .fold(None, |sum, n| Some(sum.unwrap_or(0u64).saturating_add(n)))
    }
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
    /// The inputs the run started with.
    #[serde(default)]
    pub inputs: IndexMap<String, serde_json::Value>,
    /// What the run's nodes wrote: the state keys that are new or changed at the end.
    #[serde(default)]
    pub outputs: IndexMap<String, serde_json::Value>,
    pub team_runs: Vec<TeamRunRecord>,
}
