//! Team runs from a trace's spans. A team run is a span named with `--team-span` or, without
//! one, an agent span with agent spans below it and no agent span above it. Its members are
//! the agent spans nearest below it (each call of the same agent is one turn of one member);
//! each member's tool calls are the `execute_tool` spans below it that belong to no nested
//! agent, and its tokens are its own `gen_ai.usage.*` or, when it carries none, the sum of
//! its model calls'.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use teamtune_model::{
    Formation, MemberMetrics, StopCause, TeamRunRecord, TurnKind, TurnRecord, WorkflowRunRecord,
};

use crate::span::{Operation, Span};

/// How spans become team runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// The span (by span name or `gen_ai.agent.name`) that is a team run.
    pub team_span: Option<String>,
    /// The formation to record instead of the one read from the span structure.
    pub formation: Option<Formation>,
}

/// The spans of one trace, indexed by id and parent.
struct Trace<'a> {
    by_id: HashMap<&'a str, &'a Span>,
    children: HashMap<&'a str, Vec<&'a Span>>,
}

impl<'a> Trace<'a> {
    fn new(spans: &[&'a Span]) -> Self {
        let mut by_id = HashMap::new();
        let mut children: HashMap<&str, Vec<&Span>> = HashMap::new();
        for s in spans {
            // The first copy of a span wins: the same file given twice adds nothing.
            if by_id.insert(s.span_id.as_str(), *s).is_some() {
                continue;
            }
        }
        for s in by_id.values() {
            if let Some(p) = &s.parent_span_id
                && by_id.contains_key(p.as_str())
                && p != &s.span_id
            {
                children.entry(p.as_str()).or_default().push(*s);
            }
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| (a.start_ns, &a.span_id).cmp(&(b.start_ns, &b.span_id)));
        }
        Trace { by_id, children }
    }

    fn children(&self, id: &str) -> &[&'a Span] {
        self.children.get(id).map_or(&[], Vec::as_slice)
    }

    /// The spans below `id` of `op`, not descending into spans of `stop` (nor past them).
    /// Iterative, so a deep trace cannot overflow the stack.
    fn below(&self, id: &str, op: Operation, stop: Operation) -> Vec<&'a Span> {
        let mut out = Vec::new();
        let mut todo: Vec<&Span> = self.children(id).iter().rev().copied().collect();
        while let Some(s) = todo.pop() {
            if s.operation == op {
                out.push(s);
            }
            if s.operation != stop {
                todo.extend(self.children(&s.span_id).iter().rev().copied());
            }
        }
        out.sort_by(|a, b| (a.start_ns, &a.span_id).cmp(&(b.start_ns, &b.span_id)));
        out
    }

    /// Whether an agent span is an ancestor of `span`. Bounded by the span count, so a
    /// parent cycle in a malformed trace ends.
    fn has_agent_above(&self, span: &Span) -> bool {
        let mut parent = span.parent_span_id.as_deref();
        for _ in 0..self.by_id.len() {
            let Some(p) = parent.and_then(|p| self.by_id.get(p)) else {
                return false;
            };
            if p.operation == Operation::Agent {
                return true;
            }
            parent = p.parent_span_id.as_deref();
        }
        false
    }

    fn team_spans(&self, opts: &ImportOptions) -> Vec<&'a Span> {
        let mut teams: Vec<&Span> = self
            .by_id
            .values()
            .copied()
            .filter(|s| match &opts.team_span {
                Some(name) => {
                    s.name == *name
                        || (s.operation == Operation::Agent
                            && s.agent_name.as_deref() == Some(name))
                }
                None => {
                    s.operation == Operation::Agent
                        && !self.has_agent_above(s)
                        && !self
                            .below(&s.span_id, Operation::Agent, Operation::Agent)
                            .is_empty()
                }
            })
            .collect();
        teams.sort_by(|a, b| (a.start_ns, &a.span_id).cmp(&(b.start_ns, &b.span_id)));
        teams
    }
}

/// The team runs of every trace in `spans`, one workflow run per trace that has any, in the
/// order of their first span. Run ids come from the trace and span ids, so importing the same
/// trace again gives the same ids.
pub fn team_runs(spans: &[Span], opts: &ImportOptions) -> Vec<WorkflowRunRecord> {
    let mut traces: BTreeMap<(u64, &str), Vec<&Span>> = BTreeMap::new();
    let mut first: HashMap<&str, u64> = HashMap::new();
    for s in spans {
        let t = first.entry(s.trace_id.as_str()).or_insert(s.start_ns);
        *t = (*t).min(s.start_ns);
    }
    for s in spans {
        traces
            .entry((first[s.trace_id.as_str()], s.trace_id.as_str()))
            .or_default()
            .push(s);
    }
    let mut out = Vec::new();
    for ((_, trace_id), spans) in traces {
        let trace = Trace::new(&spans);
        let teams: Vec<TeamRunRecord> = trace
            .team_spans(opts)
            .into_iter()
            .filter_map(|t| team_run(&trace, t, opts))
            .collect();
        let Some(run) = workflow_run(trace_id, &spans, teams) else {
            continue;
        };
        out.push(run);
    }
    out
}

fn workflow_run(
    trace_id: &str,
    spans: &[&Span],
    team_runs: Vec<TeamRunRecord>,
) -> Option<WorkflowRunRecord> {
    if team_runs.is_empty() {
        return None;
    }
    let start = spans.iter().map(|s| s.start_ns).min()?;
    let end = spans.iter().map(|s| s.end_ns).max()?;
    let error = team_runs.iter().find_map(|t| t.error.clone());
    Some(WorkflowRunRecord {
        run_id: format!("otel-{trace_id}"),
        workflow: spans
            .iter()
            .find_map(|s| s.service.clone())
            .unwrap_or_else(|| "otel".to_string()),
        // The file of the trace's first span.
        file: spans
            .iter()
            .min_by_key(|s| s.start_ns)
            .map(|s| s.file.display().to_string())
            .unwrap_or_default(),
        seed: 0,
        success: team_runs.iter().all(|t| t.success),
        duration_seconds: (end - start) as f64 / 1e9,
        start_time: timestamp(start),
        end_time: timestamp(end),
        error,
        variant: None,
        virtual_time: false,
        inputs: IndexMap::new(),
        outputs: IndexMap::new(),
        team_runs,
    })
}

fn team_run(trace: &Trace<'_>, team: &Span, opts: &ImportOptions) -> Option<TeamRunRecord> {
    let calls = trace.below(&team.span_id, Operation::Agent, Operation::Agent);
    if calls.is_empty() {
        return None;
    }
    let mut members: IndexMap<String, MemberMetrics> = IndexMap::new();
    let mut tools_seen: Vec<String> = Vec::new();
    for call in &calls {
        let tools = trace.below(&call.span_id, Operation::Tool, Operation::Agent);
        let models = trace.below(&call.span_id, Operation::Model, Operation::Agent);
        let tool_call_seconds: Vec<f64> = tools.iter().map(|t| t.seconds()).collect();
        let seconds = call.seconds();
        let sum_of = |f: fn(&Span) -> Option<u64>| -> Option<u64> {
            f(call).or_else(|| {
                models
                    .iter()
                    .filter_map(|m| f(m))
                    .fold(None, |acc, n| Some(acc.unwrap_or(0) + n))
            })
        };
        let stop_cause = match &call.error {
            None => StopCause::Done,
            Some(text) => StopCause::from_victor_text(text),
        };
        let turn = TurnRecord {
            kind: TurnKind::Work,
            seconds,
            think_seconds: (seconds - tool_call_seconds.iter().sum::<f64>()).max(0.0),
            tool_calls: tools.len() as u64,
            tool_call_seconds,
            tokens_in: sum_of(|s| s.input_tokens),
            tokens_out: sum_of(|s| s.output_tokens),
            stop_cause,
        };
        let id = call.agent_id.clone().unwrap_or_else(|| call.name.clone());
        let m = members.entry(id.clone()).or_insert_with(|| MemberMetrics {
            member_id: id,
            role: call.agent_name.clone().unwrap_or_else(|| call.name.clone()),
            success: true,
            duration_seconds: 0.0,
            tool_calls_used: 0,
            tools_used: Vec::new(),
            error_message: None,
            start_time: Some(timestamp(call.start_ns)),
            end_time: None,
            stop_cause: None,
            turns: Vec::new(),
        });
        m.duration_seconds += seconds;
        m.tool_calls_used += tools.len() as u64;
        for name in tools.iter().filter_map(|t| t.tool_name.clone()) {
            if !m.tools_used.contains(&name) {
                m.tools_used.push(name.clone());
            }
            if !tools_seen.contains(&name) {
                tools_seen.push(name);
            }
        }
        if let Some(e) = &call.error {
            m.success = false;
            m.error_message = Some(e.clone());
        }
        m.end_time = Some(timestamp(call.end_ns));
        m.stop_cause = Some(stop_cause);
        m.turns.push(turn);
    }
    let failed = members.values().find(|m| !m.success);
    let (success, stop_cause, error) = match (&team.error, failed) {
        (None, None) => (true, None, None),
        (Some(e), _) => (false, Some(StopCause::from_victor_text(e)), Some(e.clone())),
        (None, Some(m)) => (
            false,
            m.stop_cause,
            Some(format!(
                "member {}: {}",
                m.member_id,
                m.error_message.as_deref().unwrap_or("error")
            )),
        ),
    };
    Some(TeamRunRecord {
        team_id: team
            .agent_name
            .clone()
            .or_else(|| opts.team_span.clone())
            .unwrap_or_else(|| team.name.clone()),
        formation: opts
            .formation
            .unwrap_or_else(|| formation_of(&calls))
            .as_str()
            .to_string(),
        member_count: members.len() as u32,
        success,
        duration_seconds: team.seconds(),
        total_tool_calls: members.values().map(|m| m.tool_calls_used).sum(),
        unique_tools_used: tools_seen,
        start_time: Some(timestamp(team.start_ns)),
        end_time: Some(timestamp(team.end_ns)),
        consensus_achieved: None,
        consensus_rounds: None,
        member_metrics: members,
        run_id: Some(format!("otel-{}-{}", team.trace_id, team.span_id)),
        workflow: None,
        config_hash: None,
        variant: None,
        experiment_id: None,
        tool_budget: None,
        timeout_seconds: None,
        error,
        stop_cause,
    })
}

/// Parallel when any member call starts before an earlier one has ended, else sequential.
fn formation_of(calls: &[&Span]) -> Formation {
    let mut latest_end = 0;
    for (i, c) in calls.iter().enumerate() {
        if i > 0 && c.start_ns < latest_end {
            return Formation::Parallel;
        }
        latest_end = latest_end.max(c.end_ns);
    }
    Formation::Sequential
}

/// RFC 3339 UTC of nanoseconds since the epoch.
fn timestamp(ns: u64) -> String {
    // Every u64 of nanoseconds (up to the year 2554) is inside jiff's range.
    jiff::Timestamp::from_nanosecond(i128::from(ns))
        .map_or_else(|_| ns.to_string(), |t| t.to_string())
}
