//! `teamtune apply`, `benchmark`, `history` and `check` output.

use super::report::changes;
use super::{BOLD, DIM, GREEN, RED, RESET, YELLOW, banner};

pub fn print_suggestion_to_stderr(n: usize, s: &teamtune::Suggestion) {
    anstream::eprintln!(
        "{n:>2}. [{}] {}  id {}",
        super::report::priority_label(s.priority),
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
        for line in result_lines(i + 1, r) {
            outln!("{line}");
        }
    }
    let spent: u64 = results.iter().map(|r| r.trial_runs).sum();
    outln!("{spent} trial runs in all");
    if results.iter().any(|r| r.simulated) {
        outln!(
            "{YELLOW}the team's members are simulated: these figures describe the simulator, not a real team{RESET}"
        );
    }
}

/// One tried change as soon as its test is over (interactive `apply`, on stderr).
pub fn print_result_to_stderr(n: usize, r: &teamtune::OptimizationResult) {
    for line in result_lines(n, r) {
        anstream::eprintln!("{line}");
    }
}

/// The lines that show one tried change: verdict, figures, statistics, guardrails.
fn result_lines(n: usize, r: &teamtune::OptimizationResult) -> Vec<String> {
    let mut out = Vec::new();
    let (c, word) = match (r.success, r.validation_status) {
        (true, teamtune::AbStatus::DryRun) => (YELLOW, "DRY RUN"),
        (true, _) => (GREEN, "KEPT"),
        (false, _) => (RED, "NOT APPLIED"),
    };
    out.push(format!(
        "{n:>2}. {c}{BOLD}{word}{RESET} {} ({})",
        r.optimization.id,
        r.validation_status.as_str()
    ));
    out.push(format!("    {}", r.optimization.description));
    if let Some(imp) = r.improvement_percentage {
        let of = match (r.objective, r.metric) {
            (Some(teamtune::Objective::CallsPerSuccess), _) => " in tool calls per successful run",
            (Some(teamtune::Objective::TokensPerSuccess), _) => " in tokens per successful run",
            (Some(_), _) | (None, Some(teamtune::AbMetric::SuccessRate)) => {
                " in seconds per successful run"
            }
            _ => " in mean duration",
        };
        out.push(format!(
            "    measured improvement{of} {imp:.1}% (expected {:.1}%)",
            r.optimization.expected_improvement
        ));
    }
    if let (Some(b), Some(a)) = (&r.before_metrics, &r.after_metrics) {
        out.push(format!(
            "    before: mean {:.2}s p95 {:.2}s success {:.0}%   after: mean {:.2}s p95 {:.2}s success {:.0}%",
            b.mean_duration_seconds,
            b.p95_duration_seconds,
            b.success_rate * 100.0,
            a.mean_duration_seconds,
            a.p95_duration_seconds,
            a.success_rate * 100.0
        ));
    }
    if let Some(s) = &r.statistics {
        out.push(format!(
            "    mean duration: Welch p {:.4}  Mann-Whitney p {:.4}  bootstrap 95% CI of its change [{:.1}%, {:.1}%]",
            s.welch.p_value, s.mann_whitney.p_value, s.bootstrap.ci_low, s.bootstrap.ci_high
        ));
    }
    if let Some(f) = &r.fisher {
        out.push(format!(
            "    success rate {}/{} -> {}/{}  Fisher exact p {:.4}",
            f.successes_a, f.n_a, f.successes_b, f.n_b, f.p_value
        ));
    }
    for g in &r.guardrails {
        let mark = if g.held {
            format!("{GREEN}held{RESET}")
        } else {
            format!("{RED}BROKEN{RESET}")
        };
        out.push(format!(
            "    guardrail {}: {:.2} (limit {:.2}) {mark}",
            g.name, g.value, g.limit
        ));
    }
    if !r.reason.is_empty() {
        out.push(format!("    {DIM}{}{RESET}", r.reason));
    }
    if let Some(runs) = r.runs_to_decide {
        out.push(format!(
            "    about {runs} runs per side would likely decide it (80% power if the effect seen is real): --runs {runs}"
        ));
    }
    if let Some(s) = &r.sequential {
        out.push(format!(
            "    sequential test: {} runs per side of at most {}{}",
            s.runs_per_side,
            s.max_pairs,
            if s.stopped_early {
                ", stopped early"
            } else {
                ""
            }
        ));
    }
    if let Some(e) = &r.error {
        out.push(format!("    {RED}error: {e}{RESET}"));
    }
    if let Some(index) = r.history_index {
        out.push(format!(
            "    written to the workflow file; history entry {index} (teamtune rollback --index {index} to undo)"
        ));
    }
    out
}

pub fn print_benchmark(r: &teamtune::BenchmarkReport) {
    banner(&format!(
        "teamtune benchmark: team {} ({} runs per side)",
        r.team_id, r.runs
    ));
    let d = &r.decision;
    outln!(
        "before {}: mean {:.2}s p95 {:.2}s success {:.0}%",
        r.before_file,
        d.before.mean_duration_seconds,
        d.before.p95_duration_seconds,
        d.before.success_rate * 100.0
    );
    outln!(
        "after  {}: mean {:.2}s p95 {:.2}s success {:.0}%",
        r.after_file,
        d.after.mean_duration_seconds,
        d.after.p95_duration_seconds,
        d.after.success_rate * 100.0
    );
    let quantity = if d.metric == teamtune::AbMetric::SuccessRate {
        "seconds per successful run"
    } else {
        "mean duration"
    };
    outln!(
        "improvement in {quantity} {:.2}%  -> {BOLD}{}{RESET} ({})",
        d.improvement_percentage,
        d.status.as_str(),
        d.reason
    );
    let s = &d.statistics;
    outln!(
        "mean duration: Welch t {:.3} df {:.1} p {:.4}; Mann-Whitney U {:.1} p {:.4}; bootstrap 95% CI of its change [{:.2}%, {:.2}%]",
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
    if r.virtual_time {
        outln!(
            "{YELLOW}both files' members are simulated: these figures describe the simulator, not a real team{RESET}"
        );
    }
}

pub fn print_history(team_id: &str, entries: &[teamtune::HistoryEntry]) {
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
    if r.status.is_regression() {
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
            r.status.as_str(),
            r.message
        );
    }
}
