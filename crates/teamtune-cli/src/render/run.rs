//! `teamtune run`: one line per run, the batch summary table, and `--verbose` events.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indexmap::IndexMap;
use teamtune::{TeamRunRecord, WorkflowRunRecord};

use super::{DIM, RESET};

/// One run: its status, every team, and (`with_outputs`) what its nodes wrote.
pub fn print_run(r: &WorkflowRunRecord, with_outputs: bool) {
    let status = if r.success { "ok" } else { "FAILED" };
    outln!(
        "run {} {status} in {:.2}s (seed {})",
        r.run_id,
        r.duration_seconds,
        r.seed
    );
    if let Some(e) = &r.error {
        outln!("  error: {e}");
    }
    for t in &r.team_runs {
        let st = if t.success { "ok" } else { "failed" };
        let err = t
            .error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        outln!(
            "  team {} [{}, {}]: {st}{err} in {:.2}s, {}",
            t.team_id,
            t.formation,
            super::count(u64::from(t.member_count), "member", "members"),
            t.duration_seconds,
            super::count(t.total_tool_calls, "tool call", "tool calls")
        );
        for (id, m) in failed_members(t) {
            outln!("    member {id} failed: {m}");
        }
    }
    if with_outputs && !r.outputs.is_empty() {
        outln!("  outputs:");
        for (key, value) in &r.outputs {
            outln!("    {key}: {}", shown_value(value));
        }
    }
}

/// A value on one line: strings as they are, anything else as compact JSON, cut after
/// [`SHOWN_CHARS`] characters (`--json` has it whole).
fn shown_value(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let one_line = text.replace('\n', " ");
    match one_line.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!(
            "{}... ({} bytes; --json has it whole)",
            &one_line[..cut],
            text.len()
        ),
        None => one_line,
    }
}

const SHOWN_CHARS: usize = 200;

/// Each failed member of a team run with its cause.
fn failed_members(t: &TeamRunRecord) -> impl Iterator<Item = (&str, &str)> {
    t.member_metrics
        .iter()
        .filter(|(_, m)| !m.success)
        .map(|(id, m)| {
            (
                id.as_str(),
                m.error_message.as_deref().unwrap_or("no cause recorded"),
            )
        })
}

/// Member failures of a batch shown with their cause; more distinct causes are counted.
const FAILURE_LINES: usize = 10;

#[derive(Default)]
struct TeamAgg {
    formation: String,
    members: u32,
    succeeded: u64,
    durations: Vec<f64>,
    tool_calls: u64,
}

#[derive(Default)]
pub struct RunSummary {
    runs: u64,
    succeeded: u64,
    durations: Vec<f64>,
    teams: IndexMap<String, TeamAgg>,
    first_error: Option<String>,
    /// (team, member, cause) -> the runs it failed in.
    member_failures: IndexMap<(String, String, String), u64>,
}

impl RunSummary {
    pub fn add(&mut self, r: &WorkflowRunRecord) {
        self.runs += 1;
        self.succeeded += u64::from(r.success);
        self.durations.push(r.duration_seconds);
        if self.first_error.is_none() {
            self.first_error.clone_from(&r.error);
        }
        for t in &r.team_runs {
            let a = self.teams.entry(t.team_id.clone()).or_default();
            a.formation.clone_from(&t.formation);
            a.members = t.member_count;
            a.succeeded += u64::from(t.success);
            a.durations.push(t.duration_seconds);
            a.tool_calls += t.total_tool_calls;
            for (id, cause) in failed_members(t) {
                *self
                    .member_failures
                    .entry((t.team_id.clone(), id.to_string(), cause.to_string()))
                    .or_default() += 1;
            }
        }
    }

    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// The batch's figures; `member_failures` adds why members failed (left out when each
    /// run was already shown with its failures).
    pub fn print(&self, virtual_time: bool, store: Option<&str>, member_failures: bool) {
        let clock = if virtual_time { " (virtual time)" } else { "" };
        outln!(
            "{}, {} succeeded ({:.1}%), mean {:.2}s, p95 {:.2}s{clock}",
            super::count(self.runs, "run", "runs"),
            super::thousands(self.succeeded),
            100.0 * self.succeeded as f64 / self.runs.max(1) as f64,
            mean(&self.durations),
            teamtune::p95(&self.durations).unwrap_or(0.0)
        );
        if let Some(e) = &self.first_error {
            outln!("first failure: {e}");
        }
        if member_failures {
            self.print_member_failures();
        }
        if !self.teams.is_empty() {
            let mut table = Table::new();
            table.load_style(UTF8_FULL_CONDENSED);
            table.set_header([
                "team",
                "formation",
                "members",
                "runs",
                "success",
                "mean s",
                "p95 s",
                "tool calls/run",
            ]);
            for (id, a) in &self.teams {
                let n = a.durations.len() as f64;
                table.add_row([
                    id.clone(),
                    a.formation.clone(),
                    a.members.to_string(),
                    a.durations.len().to_string(),
                    format!("{:.1}%", 100.0 * a.succeeded as f64 / n),
                    format!("{:.2}", mean(&a.durations)),
                    format!("{:.2}", teamtune::p95(&a.durations).unwrap_or(0.0)),
                    format!("{:.1}", a.tool_calls as f64 / n),
                ]);
            }
            outln!("{table}");
        }
        if let Some(p) = store {
            outln!("recorded in {}", p);
        }
    }
}

impl RunSummary {
    fn print_member_failures(&self) {
        if self.member_failures.is_empty() {
            return;
        }
        let mut causes: Vec<_> = self.member_failures.iter().collect();
        // Most frequent first; ties in the order they were first seen (a stable sort).
        causes.sort_by(|a, b| b.1.cmp(a.1));
        outln!("member failures:");
        for ((team, member, cause), n) in causes.iter().take(FAILURE_LINES) {
            let runs = self.teams.get(team).map_or(0, |a| a.durations.len());
            outln!("  {team}/{member} failed in {n} of {runs} runs: {cause}");
        }
        if causes.len() > FAILURE_LINES {
            outln!(
                "  and {} more causes (`teamtune run --json` shows each run)",
                causes.len() - FAILURE_LINES
            );
        }
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The engine's events on stderr, one line each: retries always (a run that waits on a
/// struggling endpoint says so), everything else with `--verbose`.
pub fn event_logger(verbose: bool) -> teamtune::EventSink {
    use teamtune::Event;
    std::sync::Arc::new(move |e: &Event| {
        let ok = |s: bool| if s { "ok" } else { "FAILED" };
        if let Event::MemberRetrying {
            team_id,
            member_id,
            reason,
            retry,
            max_retries,
            wait_seconds,
        } = e
        {
            anstream::eprintln!(
                "openai member {team_id}/{member_id}: {reason}, retry {retry}/{max_retries} in {wait_seconds:.1}s"
            );
            return;
        }
        if !verbose {
            return;
        }
        match e {
            Event::MemberRetrying { .. } => {}
            Event::NodeStarted { node_id, node_type } => {
                anstream::eprintln!("{DIM}> {node_type} {node_id}{RESET}")
            }
            Event::NodeFinished {
                node_id,
                success,
                duration_seconds,
            } => {
                anstream::eprintln!("< {node_id} {} in {duration_seconds:.2}s", ok(*success))
            }
            Event::MemberFinished {
                team_id,
                member_id,
                success,
                duration_seconds,
            } => {
                anstream::eprintln!(
                    "  {team_id}/{member_id} {} in {duration_seconds:.2}s",
                    ok(*success)
                )
            }
            Event::TeamFinished {
                team_id,
                success,
                duration_seconds,
            } => {
                anstream::eprintln!(
                    "  team {team_id} {} in {duration_seconds:.2}s",
                    ok(*success)
                )
            }
            Event::HitlWaiting { node_id } => {
                anstream::eprintln!("  gate {node_id}: waiting for an answer")
            }
            Event::HitlResolved { node_id, outcome } => {
                anstream::eprintln!("  gate {node_id}: {outcome}")
            }
        }
    })
}
