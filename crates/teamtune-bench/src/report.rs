//! What the benchmark reports: one [`ScenarioReport`] per scenario and a [`Summary`], as JSON
//! or as a table. Infinite objectives (no successful run) are `null` in JSON.
//!
//! `captured_percent` is the share of the oracle's improvement that tuning captured,
//! `100 * (baseline - tuned) / (baseline - oracle)`, with these edge cases:
//! - the oracle is not better than the baseline beyond noise (nothing to capture): 100 when
//!   the tuned config is not worse than the baseline beyond noise, else 0;
//! - the baseline never succeeds (infinite objective): 100 if the oracle never succeeds
//!   either, 0 if the tuned config never succeeds, else `100 * oracle / tuned`;
//! - the tuned config never succeeds while the baseline does: negative infinity (`null`).
//!
//! Values above 100 (tuned beat the oracle within noise) and below 0 (tuned is worse than
//! the baseline) are reported as they are.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use teamtune::TeamConfig;

use crate::grid::Grid;
use crate::objective::Score;
use crate::tuning::TuningStep;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Scores {
    pub baseline: Score,
    pub tuned: Score,
    pub oracle: Score,
}

#[derive(Debug, Clone, Serialize)]
pub struct GridReport {
    pub formations: usize,
    pub sizes: Vec<usize>,
    pub budgets: Vec<Option<u32>>,
    pub timeouts: Vec<Option<f64>>,
}

impl GridReport {
    pub fn of(g: &Grid) -> GridReport {
        GridReport {
            formations: g.formations.len(),
            sizes: g.sizes.clone(),
            budgets: g.budgets.clone(),
            timeouts: g.timeouts.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub scenario: String,
    #[serde(skip)]
    pub name: String,
    pub team_id: String,
    pub baseline_objective: f64,
    pub tuned_objective: f64,
    pub oracle_objective: f64,
    pub baseline_config: TeamConfig,
    pub tuned_config: TeamConfig,
    pub oracle_config: TeamConfig,
    pub captured_percent: f64,
    pub trial_runs: u64,
    /// The twin's prediction for the configuration tuning kept last, against its measured
    /// objective: (predicted - measured) / measured, percent. `None` without a kept twin change.
    pub twin_prediction_error_percent: Option<f64>,
    pub oracle_runs: u64,
    pub wall_seconds: f64,
    /// Two standard errors of the baseline-oracle difference (seconds per success).
    pub noise_seconds: f64,
    /// tuned <= baseline + noise
    pub tuned_not_worse: bool,
    /// oracle <= tuned + noise
    pub oracle_not_worse: bool,
    pub scores: Scores,
    pub tuning_steps: Vec<TuningStep>,
    pub tuning_seconds: f64,
    pub oracle_points: usize,
    pub oracle_grid: GridReport,
    /// The oracle's objective on the search seeds (before confirmation and evaluation).
    pub oracle_search_objective: f64,
    pub oracle_seconds: f64,
    pub oracle_runs_per_second: f64,
    pub eval_runs: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenarios: usize,
    pub captured_median: f64,
    pub captured_mean: f64,
    pub trial_runs_total: u64,
    pub trial_runs_median: f64,
    pub oracle_runs_total: u64,
    pub oracle_seconds_total: f64,
    pub wall_seconds_total: f64,
    pub all_tuned_not_worse: bool,
    pub all_oracle_not_worse: bool,
    pub seed: u64,
    pub runs_per_point: u64,
    pub eval_runs: u64,
    pub threads: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenarios: Vec<ScenarioReport>,
    pub summary: Summary,
}

/// Two standard errors of the difference of two objectives (common random numbers make the
/// true error smaller: this is a conservative band).
pub fn noise(a: &Score, b: &Score) -> f64 {
    2.0 * (a.standard_error.powi(2) + b.standard_error.powi(2)).sqrt()
}

pub fn captured_percent(b: &Score, t: &Score, o: &Score) -> f64 {
    let (bo, to, oo) = (b.objective, t.objective, o.objective);
    if bo.is_infinite() {
        return match (oo.is_finite(), to.is_finite()) {
            (false, _) => 100.0,
            (true, false) => 0.0,
            (true, true) => 100.0 * oo / to,
        };
    }
    if to.is_infinite() {
        return f64::NEG_INFINITY;
    }
    let gap = bo - oo;
    if gap <= noise(b, o) {
        return if to <= bo + noise(t, b) { 100.0 } else { 0.0 };
    }
    100.0 * (bo - to) / gap
}

pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

impl Summary {
    pub fn of(reports: &[ScenarioReport], settings: &crate::measure::Settings) -> Summary {
        let mut captured: Vec<f64> = reports.iter().map(|r| r.captured_percent).collect();
        let finite: Vec<f64> = captured.iter().copied().filter(|v| v.is_finite()).collect();
        let mut trials: Vec<f64> = reports.iter().map(|r| r.trial_runs as f64).collect();
        Summary {
            scenarios: reports.len(),
            captured_median: median(&mut captured),
            captured_mean: finite.iter().sum::<f64>() / finite.len().max(1) as f64,
            trial_runs_total: reports.iter().map(|r| r.trial_runs).sum(),
            trial_runs_median: median(&mut trials),
            oracle_runs_total: reports.iter().map(|r| r.oracle_runs).sum(),
            oracle_seconds_total: reports.iter().map(|r| r.oracle_seconds).sum(),
            wall_seconds_total: reports.iter().map(|r| r.wall_seconds).sum(),
            all_tuned_not_worse: reports.iter().all(|r| r.tuned_not_worse),
            all_oracle_not_worse: reports.iter().all(|r| r.oracle_not_worse),
            seed: settings.seed,
            runs_per_point: settings.runs_per_point,
            eval_runs: settings.eval_runs,
            threads: settings.threads,
        }
    }
}

/// A config in a few words: `parallel x3, budget 12, timeout 300s`.
pub fn describe(c: &TeamConfig) -> String {
    let mut budgets: Vec<Option<u32>> = c.members.iter().map(|m| m.tool_budget).collect();
    budgets.dedup();
    let budget = match budgets.as_slice() {
        [one] => fmt_budget(*one),
        many => many
            .iter()
            .map(|b| fmt_budget(*b))
            .collect::<Vec<_>>()
            .join("/"),
    };
    let timeout = c
        .timeout_seconds
        .map_or_else(|| "none".to_string(), |t| format!("{t:.0}s"));
    format!(
        "{} x{}, budget {budget}, timeout {timeout}",
        c.team_formation.as_str(),
        c.members.len()
    )
}

fn fmt_budget(b: Option<u32>) -> String {
    b.map_or_else(|| "none".to_string(), |b| b.to_string())
}

fn secs(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1}")
    } else {
        "inf".into()
    }
}

pub fn table(report: &Report) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header([
        "scenario",
        "baseline s/success",
        "tuned",
        "oracle",
        "captured %",
        "trial runs",
        "oracle runs",
        "wall s",
        "baseline config",
        "tuned config",
        "oracle config",
    ]);
    for r in &report.scenarios {
        let flag = if r.tuned_not_worse && r.oracle_not_worse {
            ""
        } else {
            " !"
        };
        t.add_row([
            Cell::new(&r.name),
            Cell::new(secs(r.baseline_objective)).set_alignment(CellAlignment::Right),
            Cell::new(secs(r.tuned_objective)).set_alignment(CellAlignment::Right),
            Cell::new(secs(r.oracle_objective)).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.0}{flag}", r.captured_percent))
                .set_alignment(CellAlignment::Right),
            Cell::new(r.trial_runs).set_alignment(CellAlignment::Right),
            Cell::new(r.oracle_runs).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.1}", r.wall_seconds)).set_alignment(CellAlignment::Right),
            Cell::new(describe(&r.baseline_config)),
            Cell::new(describe(&r.tuned_config)),
            Cell::new(describe(&r.oracle_config)),
        ]);
    }
    let s = &report.summary;
    format!(
        "{t}\nmedian captured: {:.0}% (mean {:.0}%); trial runs: {} in all (median {:.0} per scenario); oracle: {} runs in {:.1} s; tuned never worse than baseline: {}; oracle never worse than tuned: {}\n",
        s.captured_median,
        s.captured_mean,
        s.trial_runs_total,
        s.trial_runs_median,
        s.oracle_runs_total,
        s.oracle_seconds_total,
        yes_no(s.all_tuned_not_worse),
        yes_no(s.all_oracle_not_worse),
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "NO (rows marked !)" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(objective: f64, se: f64) -> Score {
        Score {
            runs: 100,
            success_rate: 1.0,
            mean_duration_seconds: objective,
            objective,
            standard_error: se,
        }
    }

    #[test]
    fn captured_share_and_its_edge_cases() {
        assert_eq!(
            captured_percent(&score(100.0, 0.1), &score(75.0, 0.1), &score(50.0, 0.1)),
            50.0
        );
        // no room to improve, tuned kept the baseline: all of nothing captured
        assert_eq!(
            captured_percent(&score(100.0, 1.0), &score(100.0, 1.0), &score(99.5, 1.0)),
            100.0
        );
        // no room, and tuned made it worse
        assert_eq!(
            captured_percent(&score(100.0, 1.0), &score(150.0, 1.0), &score(99.5, 1.0)),
            0.0
        );
        let never = Score::never();
        assert_eq!(captured_percent(&never, &never, &never), 100.0);
        assert_eq!(
            captured_percent(&never, &score(80.0, 1.0), &score(40.0, 1.0)),
            50.0
        );
        assert_eq!(
            captured_percent(&score(100.0, 1.0), &never, &score(40.0, 1.0)),
            f64::NEG_INFINITY
        );
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
