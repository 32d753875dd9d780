//! Team nodes: members run in the node's formation, each turn bounded by the member's
//! timeout and budget, the whole formation bounded by the team's `timeout_seconds` and
//! `total_tool_budget`. Every turn is tallied as it finishes, so a team cut off by its timeout
//! still records what each member did (in-flight members fail with "timeout").

mod formation;

use std::collections::BTreeSet;
use std::sync::Mutex;

use indexmap::IndexMap;
use serde_json::Value as Json;
use teamtune_model::{
    MemberMetrics, Seconds, StopCause, TeamNode, TeamRunRecord, TurnRecord, Workflow,
};
use tokio::time::Instant;

use crate::event::{Event, EventSink};
use crate::expr;
use crate::member::{self, TeamPool, TurnInput, TurnKind, TurnOutcome};
use crate::run::{Clock, HttpClient};
use crate::seed::{derive, hash_str};
use crate::state::State;

/// How a team run ended, for the workflow state and the record.
pub(crate) struct TeamResult {
    pub record: TeamRunRecord,
    pub output: Json,
}

pub(crate) struct FormationOutcome {
    pub success: bool,
    pub output: Json,
    pub error: Option<Failure>,
    pub consensus: Option<(bool, u32)>,
}

/// Why a team failed: the typed cause and the text for the record's `error`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub cause: StopCause,
    pub message: String,
}

#[derive(Default)]
struct MemberTally {
    in_flight_since: Option<(Instant, TurnKind)>,
    first_start: Option<Instant>,
    last_end: Option<Instant>,
    busy: f64,
    calls: u64,
    tools: BTreeSet<String>,
    turn_count: u64,
    turns: Vec<TurnRecord>,
    ran: bool,
    failed: bool,
    error: Option<String>,
    cause: Option<StopCause>,
}

/// Everything a formation needs to run turns.
pub(crate) struct TeamRun<'a> {
    pub workflow: &'a Workflow,
    pub team: &'a TeamNode,
    pub state: &'a State,
    pub run_seed: u64,
    pub http: &'a HttpClient,
    pub events: Option<&'a EventSink>,
    pool: TeamPool,
    tallies: Mutex<Vec<MemberTally>>,
    team_hash: u64,
}

impl<'a> TeamRun<'a> {
    pub fn new(
        workflow: &'a Workflow,
        team: &'a TeamNode,
        state: &'a State,
        run_seed: u64,
        http: &'a HttpClient,
        events: Option<&'a EventSink>,
    ) -> Self {
        TeamRun {
            workflow,
            team,
            state,
            run_seed,
            http,
            events,
            pool: TeamPool::new(team.total_tool_budget),
            tallies: Mutex::new(
                (0..team.members.len())
                    .map(|_| MemberTally::default())
                    .collect(),
            ),
            team_hash: hash_str(&team.id),
        }
    }

    fn with_tally<R>(&self, i: usize, f: impl FnOnce(&mut MemberTally) -> R) -> R {
        let mut guard = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard[i])
    }

    /// Runs one turn of member `i` and tallies it.
    pub async fn turn(&self, i: usize, kind: TurnKind, previous_output: Json) -> TurnOutcome {
        let m = &self.team.members[i];
        let start = Instant::now();
        let (turn_no, member_left) = self.with_tally(i, |t| {
            t.in_flight_since = Some((start, kind));
            t.first_start.get_or_insert(start);
            t.ran = true;
            t.turn_count += 1;
            (
                t.turn_count,
                m.tool_budget.map(|b| u64::from(b).saturating_sub(t.calls)),
            )
        });
        let goal_src = if m.goal.trim().is_empty() {
            &self.team.goal
        } else {
            &m.goal
        };
        let outcome = match expr::render(goal_src, self.state) {
            Err(e) => TurnOutcome::failed(StopCause::Error, format!("goal template: {e}"), 0),
            Ok(goal) => {
                let input = TurnInput {
                    workflow: self.workflow,
                    team_id: &self.team.id,
                    member: m,
                    goal,
                    previous_output,
                    state: self.state,
                    team_size: self.team.members.len(),
                    kind,
                    seed: derive(&[self.run_seed, self.team_hash, hash_str(&m.id), turn_no]),
                    member_left,
                    pool: &self.pool,
                    http: self.http,
                    events: self.events,
                };
                member::run_turn(input).await
            }
        };
        let end = Instant::now();
        let busy = (end - start).as_secs_f64();
        let tool_seconds: f64 = outcome.tool_call_seconds.iter().sum();
        let record = TurnRecord {
            kind,
            seconds: busy,
            think_seconds: (busy - tool_seconds).max(0.0),
            tool_call_seconds: outcome.tool_call_seconds.clone(),
            tool_calls: outcome.tool_calls,
            tokens_in: outcome.tokens_in,
            tokens_out: outcome.tokens_out,
            stop_cause: outcome.cause(),
        };
        self.with_tally(i, |t| {
            t.in_flight_since = None;
            t.last_end = Some(end);
            t.busy += busy;
            t.calls += outcome.tool_calls;
            t.tools.extend(outcome.tools_used.iter().cloned());
            t.cause = Some(record.stop_cause);
            t.turns.push(record);
            if outcome.success {
                // A consensus member that failed a round and succeeded on retry succeeded.
                t.failed = false;
                t.error = None;
            } else {
                t.failed = true;
                t.error.clone_from(&outcome.error);
            }
        });
        if let Some(sink) = self.events {
            sink(&Event::MemberFinished {
                team_id: self.team.id.clone(),
                member_id: m.id.clone(),
                success: outcome.success,
                duration_seconds: busy,
            });
        }
        outcome
    }

    pub fn member_ids(&self) -> impl Iterator<Item = &str> {
        self.team.members.iter().map(|m| m.id.as_str())
    }

    /// Runs the formation under the team timeout and builds the record.
    pub async fn run(self, clock: &Clock) -> TeamResult {
        let start = Instant::now();
        let formation = formation::run(&self);
        let outcome = match self.team.timeout_seconds {
            Some(t) => match tokio::time::timeout(t.as_duration(), formation).await {
                Ok(o) => o,
                Err(_) => FormationOutcome {
                    success: false,
                    output: Json::Null,
                    error: Some(Failure {
                        cause: StopCause::Timeout,
                        message: StopCause::Timeout.message().to_string(),
                    }),
                    consensus: None,
                },
            },
            None => formation.await,
        };
        let end = Instant::now();
        let team = self.team;
        let tallies = self.tallies.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut member_metrics = IndexMap::new();
        let mut total_calls = 0;
        let mut unique = BTreeSet::new();
        for (m, mut t) in team.members.iter().zip(tallies) {
            if !t.ran {
                continue;
            }
            if let Some((since, kind)) = t.in_flight_since.take() {
                // Cut off by the team timeout: nothing of the turn's own telemetry came back.
                let seconds = (end - since).as_secs_f64();
                t.busy += seconds;
                t.last_end = Some(end);
                t.failed = true;
                t.error = Some(StopCause::Timeout.message().to_string());
                t.cause = Some(StopCause::Timeout);
                t.turns.push(TurnRecord {
                    kind,
                    seconds,
                    think_seconds: seconds,
                    tool_call_seconds: Vec::new(),
                    tool_calls: 0,
                    tokens_in: None,
                    tokens_out: None,
                    stop_cause: StopCause::Timeout,
                });
            }
            total_calls += t.calls;
            unique.extend(t.tools.iter().cloned());
            member_metrics.insert(
                m.id.clone(),
                MemberMetrics {
                    member_id: m.id.clone(),
                    role: m.role.clone(),
                    success: !t.failed,
                    duration_seconds: t.busy,
                    tool_calls_used: t.calls,
                    tools_used: t.tools.into_iter().collect(),
                    error_message: t.error,
                    start_time: t.first_start.map(|s| clock.timestamp(s)),
                    end_time: t.last_end.map(|e| clock.timestamp(e)),
                    stop_cause: t.cause,
                    turns: t.turns,
                },
            );
        }
        let duration = (end - start).as_secs_f64();
        if let Some(sink) = self.events {
            sink(&Event::TeamFinished {
                team_id: team.id.clone(),
                success: outcome.success,
                duration_seconds: duration,
            });
        }
        let record = TeamRunRecord {
            team_id: team.id.clone(),
            formation: team.formation.as_str().to_string(),
            member_count: u32::try_from(team.members.len()).unwrap_or(u32::MAX),
            success: outcome.success,
            duration_seconds: duration,
            total_tool_calls: total_calls,
            unique_tools_used: unique.into_iter().collect(),
            start_time: Some(clock.timestamp(start)),
            end_time: Some(clock.timestamp(end)),
            consensus_achieved: outcome.consensus.map(|c| c.0),
            consensus_rounds: outcome.consensus.map(|c| c.1),
            member_metrics,
            run_id: None,
            workflow: Some(self.workflow.name.clone()),
            config_hash: Some(team.config_hash()),
            variant: None,
            experiment_id: None,
            tool_budget: team.members.iter().filter_map(|m| m.tool_budget).max(),
            timeout_seconds: team.timeout_seconds.map(Seconds::as_secs_f64),
            stop_cause: (!outcome.success)
                .then(|| outcome.error.as_ref().map_or(StopCause::Error, |f| f.cause)),
            error: if outcome.success {
                None
            } else {
                outcome.error.map(|f| f.message)
            },
        };
        TeamResult {
            record,
            output: outcome.output,
        }
    }
}
