//! `teamtune whatif` output: the prediction beside the current configuration's, with the
//! intervals, the fit, and what the figures stand on.

use super::{BOLD, RESET, YELLOW, banner};

pub fn print_whatif(r: &teamtune::WhatIfReport) {
    banner(&format!("teamtune whatif: team {}", r.team_id));
    let p = &r.predicted;
    let c = &r.current;
    let iv = |k: &str| {
        p.intervals
            .get(k)
            .map_or(String::new(), |[lo, hi]| format!("  [{lo:.2}, {hi:.2}]"))
    };
    let sps = |v: Option<f64>| v.map_or("never succeeds".into(), |x| format!("{x:.2}"));
    outln!(
        "{:<22} {:>14} {:>14}   90% interval",
        "",
        "current",
        "with --set"
    );
    outln!(
        "{:<22} {:>14.2} {BOLD}{:>14.2}{RESET}{}",
        "mean duration s",
        c.mean_duration_seconds,
        p.mean_duration_seconds,
        iv("mean_duration_seconds")
    );
    outln!(
        "{:<22} {:>14.2} {BOLD}{:>14.2}{RESET}{}",
        "p95 duration s",
        c.p95_duration_seconds,
        p.p95_duration_seconds,
        iv("p95_duration_seconds")
    );
    outln!(
        "{:<22} {:>14.3} {BOLD}{:>14.3}{RESET}{}",
        "success rate",
        c.success_rate,
        p.success_rate,
        iv("success_rate")
    );
    outln!(
        "{:<22} {:>14} {BOLD}{:>14}{RESET}{}",
        "seconds per success",
        sps(c.seconds_per_success),
        sps(p.seconds_per_success),
        iv("seconds_per_success")
    );
    outln!(
        "{:<22} {:>14.1} {BOLD}{:>14.1}{RESET}{}",
        "tool calls per run",
        c.tool_calls_per_run,
        p.tool_calls_per_run,
        iv("tool_calls_per_run")
    );
    if let (Some(ct), Some(pt)) = (c.tokens_per_run, p.tokens_per_run) {
        outln!(
            "{:<22} {:>14.0} {BOLD}{:>14.0}{RESET}{}",
            "tokens per run",
            ct,
            pt,
            p.intervals
                .get("tokens_per_run")
                .map_or(String::new(), |[lo, hi]| format!("  [{lo:.0}, {hi:.0}]"))
        );
    }
    let f = &r.fit;
    outln!(
        "fit: {} recorded runs, KS distance {:.3} (threshold {:.3}), success gap {:.1} points (threshold {:.1}): {}",
        f.runs,
        f.distance,
        f.threshold,
        f.success_gap_points,
        f.success_threshold_points,
        if f.ok {
            "ok"
        } else {
            "POOR: do not trust these figures"
        }
    );
    if r.simulated {
        outln!(
            "{YELLOW}the team's members are simulated: the figures describe the simulator{RESET}"
        );
    }
}
