//! Members: what runs one turn of a team member. A turn gets the member's goal, the state,
//! the previous output and its remaining tool budget; it returns an output, the tool calls
//! it made, and success or a failure reason. The member's own `timeout_seconds` bounds each
//! turn; a timed-out turn is cancelled (its processes killed) and fails with "timeout".

pub(crate) mod command;
pub(crate) mod descendants;
pub(crate) mod openai;
pub(crate) mod process;
mod redact;
pub(crate) mod sim;

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value as Json;
use teamtune_model::{MemberRunner, MemberSpec, StopCause, Workflow};

use crate::state::State;

pub(crate) use teamtune_model::TurnKind;

pub(crate) struct TurnInput<'a> {
    pub workflow: &'a Workflow,
    pub team_id: &'a str,
    pub member: &'a MemberSpec,
    pub goal: String,
    pub previous_output: Json,
    pub state: &'a State,
    pub team_size: usize,
    pub kind: TurnKind,
    /// Seed of this turn's random stream.
    pub seed: u64,
    /// Calls the member may still make (its own `tool_budget` minus calls already made).
    pub member_left: Option<u64>,
    pub pool: &'a TeamPool,
    pub http: &'a crate::run::HttpClient,
    /// Where a member reports what it is doing (an OpenAI member's retries).
    pub events: Option<&'a crate::event::EventSink>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct TurnOutcome {
    pub success: bool,
    pub output: Json,
    pub tool_calls: u64,
    pub tools_used: Vec<String>,
    pub error: Option<String>,
    /// Why the turn stopped; `Done` exactly when `success`.
    pub cause: Option<StopCause>,
    /// Each tool call's latency in seconds, when the member knows it.
    pub tool_call_seconds: Vec<f64>,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
}

impl TurnOutcome {
    /// A finished turn.
    pub fn done(output: Json, tool_calls: u64, tools_used: Vec<String>) -> Self {
        TurnOutcome {
            success: true,
            output,
            tool_calls,
            tools_used,
            cause: Some(StopCause::Done),
            ..TurnOutcome::default()
        }
    }

    /// A failed turn: `reason` is the text for the record's `error_message`.
    pub fn failed(cause: StopCause, reason: impl Into<String>, tool_calls: u64) -> Self {
        TurnOutcome {
            success: false,
            output: Json::Null,
            tool_calls,
            error: Some(reason.into()),
            cause: Some(cause),
            ..TurnOutcome::default()
        }
    }

    /// A turn stopped for `cause`, with the cause's own text as the reason.
    pub fn stopped(cause: StopCause, tool_calls: u64) -> Self {
        TurnOutcome::failed(cause, cause.message(), tool_calls)
    }

    pub fn cause(&self) -> StopCause {
        self.cause.unwrap_or(if self.success {
            StopCause::Done
        } else {
            StopCause::Error
        })
    }
}

/// The team's shared tool budget (`total_tool_budget`); unlimited when `None`.
#[derive(Debug)]
pub(crate) struct TeamPool {
    left: Option<AtomicU64>,
}

impl TeamPool {
    pub fn new(total: Option<u32>) -> Self {
        TeamPool {
            left: total.map(|t| AtomicU64::new(u64::from(t))),
        }
    }

    pub fn left(&self) -> Option<u64> {
        self.left.as_ref().map(|l| l.load(Ordering::Relaxed))
    }

    /// Takes up to `n` calls from the pool; returns how many were granted.
    pub fn take(&self, n: u64) -> u64 {
        let Some(left) = &self.left else { return n };
        let mut granted = 0;
        let _ = left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
            granted = cur.min(n);
            Some(cur - granted)
        });
        granted
    }
}

/// The calls a turn may make: the smaller of the member's and the team's remaining budget.
pub(crate) fn allowed_calls(member_left: Option<u64>, pool: &TeamPool) -> Option<u64> {
    match (member_left, pool.left()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Runs one turn with the member's timeout.
pub(crate) async fn run_turn(input: TurnInput<'_>) -> TurnOutcome {
    let timeout = input.member.timeout_seconds;
    let fut = async {
        match &input.member.runner {
            MemberRunner::Sim(p) => sim::turn(p, &input).await,
            MemberRunner::Command(argv) => command::turn(argv, &input).await,
            MemberRunner::OpenAi { config, .. } => openai::turn(config, &input).await,
        }
    };
    match timeout {
        Some(t) => tokio::time::timeout(t.as_duration(), fut)
            .await
            .unwrap_or_else(|_| TurnOutcome::stopped(StopCause::Timeout, 0)),
        None => fut.await,
    }
}
