//! Human rendering of runs: one line per run, and the summary table of a batch.

use std::path::PathBuf;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indexmap::IndexMap;
use teamtune::model::WorkflowRunRecord;

pub fn print_run(r: &WorkflowRunRecord) {
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
            "  team {} [{}, {} members]: {st}{err} in {:.2}s, {} tool calls",
            t.team_id,
            t.formation,
            t.member_count,
            t.duration_seconds,
            t.total_tool_calls
        );
    }
}

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
        }
    }

    pub fn team_ids(&self) -> Vec<String> {
        self.teams.keys().cloned().collect()
    }

    pub fn print(&self, virtual_time: bool, store: Option<PathBuf>) {
        let clock = if virtual_time { " (virtual time)" } else { "" };
        outln!(
            "{} runs, {} succeeded ({:.1}%), mean {:.2}s, p95 {:.2}s{clock}",
            self.runs,
            self.succeeded,
            100.0 * self.succeeded as f64 / self.runs.max(1) as f64,
            mean(&self.durations),
            p95(&self.durations)
        );
        if let Some(e) = &self.first_error {
            outln!("first failure: {e}");
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
                    format!("{:.2}", p95(&a.durations)),
                    format!("{:.1}", a.tool_calls as f64 / n),
                ]);
            }
            outln!("{table}");
        }
        if let Some(p) = store {
            outln!("recorded in {}", p.display());
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

/// Nearest-rank 95th percentile, for display.
fn p95(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((0.95 * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// `[████████░░]` for a value in 0..=1.
pub fn bar(v: f64) -> String {
    let filled = (v.clamp(0.0, 1.0) * 10.0).round() as usize;
    format!("[{}{}]", "█".repeat(filled), "░".repeat(10 - filled))
}

fn severity_colour(v: f64) -> &'static str {
    if v >= 0.7 {
        RED
    } else if v >= 0.3 {
        YELLOW
    } else {
        GREEN
    }
}

fn banner(title: &str) {
    outln!("{BOLD}== {title} =={RESET}");
}

pub fn print_analysis(r: &teamtune::AnalysisReport) {
    banner(&format!(
        "teamtune analyze: team {} ({} runs)",
        r.team_id, r.runs
    ));
    if r.insights.is_empty() {
        outln!("No bottlenecks found.");
        return;
    }
    for (i, ins) in r.insights.iter().enumerate() {
        let c = severity_colour(ins.severity);
        outln!(
            "{:>2}. {BOLD}{}{RESET}  {c}{} {:.2}/1.0{RESET}",
            i + 1,
            ins.bottleneck,
            bar(ins.severity),
            ins.severity
        );
        outln!(
            "    current {} vs baseline {}  {DIM}(impact {:.2}; {}){RESET}",
            num(ins.current_value),
            num(ins.baseline_value),
            ins.impact_magnitude,
            ins.affected_components.join(", ")
        );
        outln!("    {}", ins.recommendation);
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

pub fn print_suggestions(r: &teamtune::SuggestionReport) {
    banner(&format!(
        "teamtune suggest: team {} ({} runs)",
        r.team_id, r.runs
    ));
    if r.suggestions.is_empty() {
        outln!("No suggestions: nothing in the history points at a better configuration.");
        return;
    }
    for (i, s) in r.suggestions.iter().enumerate() {
        print_suggestion(i + 1, s);
    }
}

pub fn print_suggestion(n: usize, s: &teamtune::analysis::Suggestion) {
    let p = serde_json::to_value(s.priority)
        .ok()
        .and_then(|v| v.as_str().map(str::to_uppercase))
        .unwrap_or_default();
    let c = match p.as_str() {
        "CRITICAL" => RED,
        "HIGH" => YELLOW,
        _ => GREEN,
    };
    outln!(
        "{n:>2}. {c}[{p}]{RESET} {BOLD}{}{RESET}  {DIM}id {}{RESET}",
        s.kind.as_str(),
        s.id
    );
    outln!("    {}", s.description);
    let how = s
        .metadata
        .get("estimate")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    outln!(
        "    expected improvement {:.1}%  confidence {:.2}  risk {:.2}  {DIM}{}{RESET}",
        s.expected_improvement,
        s.confidence,
        s.risk_level,
        if how.is_empty() {
            String::new()
        } else {
            format!("(estimate: {how})")
        }
    );
    for line in changes(&s.current_config, &s.suggested_config) {
        outln!("    {line}");
    }
}

/// `key: old -> new` lines, members compared by id.
pub fn changes(
    current: &serde_json::Map<String, serde_json::Value>,
    suggested: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let mut out = Vec::new();
    let show = |v: Option<&serde_json::Value>| {
        v.map_or("(unset)".to_string(), |v| {
            v.to_string().trim_matches('"').to_string()
        })
    };
    for (k, new) in suggested {
        if k == "members" {
            let ids = |v: Option<&serde_json::Value>| -> Vec<(String, serde_json::Value)> {
                v.and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .map(|m| (m["id"].as_str().unwrap_or("").to_string(), m.clone()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let old = ids(current.get("members"));
            let new = ids(Some(new));
            for (id, _) in old
                .iter()
                .filter(|(id, _)| !new.iter().any(|(n, _)| n == id))
            {
                out.push(format!("members: - {id}"));
            }
            for (id, m) in &new {
                match old.iter().find(|(o, _)| o == id) {
                    None => out.push(format!("members: + {id}")),
                    Some((_, om)) => {
                        for key in ["tool_budget", "timeout_seconds", "is_manager"] {
                            if om.get(key) != m.get(key) {
                                out.push(format!(
                                    "members.{id}.{key}: {} -> {}",
                                    show(om.get(key)),
                                    show(m.get(key))
                                ));
                            }
                        }
                    }
                }
            }
            if old.len() != new.len() {
                out.push(format!("member count: {} -> {}", old.len(), new.len()));
            }
        } else {
            out.push(format!(
                "{k}: {} -> {}",
                show(current.get(k)),
                show(Some(new))
            ));
        }
    }
    out
}

pub fn print_suggestion_to_stderr(n: usize, s: &teamtune::analysis::Suggestion) {
    anstream::eprintln!(
        "{n:>2}. [{:?}] {}  id {}",
        s.priority,
        s.kind.as_str(),
        s.id
    );
    anstream::eprintln!("    {}", s.description);
    anstream::eprintln!(
        "    expected improvement {:.1}%  confidence {:.2}  risk {:.2}",
        s.expected_improvement,
        s.confidence,
        s.risk_level
    );
    for line in changes(&s.current_config, &s.suggested_config) {
        anstream::eprintln!("    {line}");
    }
}

pub fn print_apply_results(results: &[teamtune::OptimizationResult]) {
    banner("teamtune apply");
    if results.is_empty() {
        outln!("Nothing was tried.");
        return;
    }
    for (i, r) in results.iter().enumerate() {
        let (c, word) = match (r.success, r.validation_status.as_str()) {
            (true, "dry_run") => (YELLOW, "DRY RUN"),
            (true, _) => (GREEN, "KEPT"),
            (false, _) => (RED, "NOT APPLIED"),
        };
        outln!(
            "{:>2}. {c}{BOLD}{word}{RESET} {} ({})",
            i + 1,
            r.optimization.id,
            r.validation_status
        );
        outln!("    {}", r.optimization.description);
        if let Some(imp) = r.improvement_percentage {
            let of = match r.metric {
                Some(teamtune::analysis::AbMetric::SuccessRate) => " in seconds per successful run",
                _ => " in mean duration",
            };
            outln!(
                "    measured improvement{of} {imp:.1}% (expected {:.1}%)",
                r.optimization.expected_improvement
            );
        }
        if let (Some(b), Some(a)) = (&r.before_metrics, &r.after_metrics) {
            outln!(
                "    before: mean {:.2}s p95 {:.2}s success {:.0}%   after: mean {:.2}s p95 {:.2}s success {:.0}%",
                b.mean_duration_seconds,
                b.p95_duration_seconds,
                b.success_rate * 100.0,
                a.mean_duration_seconds,
                a.p95_duration_seconds,
                a.success_rate * 100.0
            );
        }
        if let Some(s) = &r.statistics {
            outln!(
                "    Welch p {:.4}  Mann-Whitney p {:.4}  bootstrap 95% CI [{:.1}%, {:.1}%]",
                s.welch.p_value,
                s.mann_whitney.p_value,
                s.bootstrap.ci_low,
                s.bootstrap.ci_high
            );
        }
        if let Some(f) = &r.fisher {
            outln!(
                "    success rate {}/{} -> {}/{}  Fisher exact p {:.4}",
                f.successes_a,
                f.n_a,
                f.successes_b,
                f.n_b,
                f.p_value
            );
        }
        for g in &r.guardrails {
            let mark = if g.held {
                format!("{GREEN}held{RESET}")
            } else {
                format!("{RED}BROKEN{RESET}")
            };
            outln!(
                "    guardrail {}: {:.2} (limit {:.2}) {mark}",
                g.name,
                g.value,
                g.limit
            );
        }
        if !r.reason.is_empty() {
            outln!("    {DIM}{}{RESET}", r.reason);
        }
        if let Some(e) = &r.error {
            outln!("    {RED}error: {e}{RESET}");
        }
        if let Some(id) = r.history_id {
            outln!("    written to the workflow file; history id {id} (teamtune rollback to undo)");
        }
    }
}

pub fn print_benchmark(r: &teamtune::BenchmarkReport) {
    banner(&format!(
        "teamtune benchmark: team {} ({} runs per side)",
        r.team_id, r.runs
    ));
    let d = &r.decision;
    outln!(
        "before {}: mean {:.2}s p95 {:.2}s success {:.0}%",
        r.before,
        d.before.mean_duration_seconds,
        d.before.p95_duration_seconds,
        d.before.success_rate * 100.0
    );
    outln!(
        "after  {}: mean {:.2}s p95 {:.2}s success {:.0}%",
        r.after,
        d.after.mean_duration_seconds,
        d.after.p95_duration_seconds,
        d.after.success_rate * 100.0
    );
    outln!(
        "improvement {:.2}%  -> {BOLD}{}{RESET} ({})",
        r.improvement_percentage,
        r.status,
        d.reason
    );
    let s = &d.statistics;
    outln!(
        "Welch t {:.3} df {:.1} p {:.4}; Mann-Whitney U {:.1} p {:.4}; bootstrap 95% CI [{:.2}%, {:.2}%]",
        s.welch.t,
        s.welch.df,
        s.welch.p_value,
        s.mann_whitney.u,
        s.mann_whitney.p_value,
        s.bootstrap.ci_low,
        s.bootstrap.ci_high
    );
    for g in &d.guardrails {
        outln!(
            "guardrail {}: {:.2} (limit {:.2}) {}",
            g.name,
            g.value,
            g.limit,
            if g.held { "held" } else { "BROKEN" }
        );
    }
}

pub fn print_history(team_id: &str, entries: &[teamtune::store::HistoryEntry]) {
    banner(&format!("teamtune history: team {team_id}"));
    if entries.is_empty() {
        outln!("No changes recorded.");
        return;
    }
    for e in entries {
        outln!(
            "{:>3}  {}  {:<8} {:<12} {}  {DIM}{}{RESET}",
            e.index,
            e.created_at,
            e.kind.as_str(),
            e.status.as_str(),
            e.note.as_deref().unwrap_or(""),
            e.file_path.display()
        );
    }
}

pub fn print_check(r: &teamtune::CheckReport) {
    if r.status == "rolled_back" || r.status == "regressed" {
        anstream::eprintln!(
            "{RED}{BOLD}!!! AUTO-ROLLBACK: team {} (history entry {}) !!!{RESET}",
            r.team_id,
            r.history_index
        );
        anstream::eprintln!("{RED}{}{RESET}", r.message);
        if let Some(rb) = &r.rollback {
            anstream::eprintln!(
                "{RED}restored {} to its state before entry {}{RESET}",
                rb.file,
                rb.restored_before_index
            );
        }
    } else {
        outln!(
            "team {} entry {}: {} ({})",
            r.team_id,
            r.history_index,
            r.status,
            r.message
        );
    }
}

/// `--verbose`: the engine's events, one line each on stderr.
pub fn event_logger() -> teamtune::engine::EventSink {
    use teamtune::engine::Event;
    std::sync::Arc::new(|e: &Event| {
        let ok = |s: bool| if s { "ok" } else { "FAILED" };
        match e {
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
