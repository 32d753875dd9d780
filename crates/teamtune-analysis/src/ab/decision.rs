//! The A/B decision: improvement, statistics, guardrails, status.
//!
//! - Durations of failed runs are included: a failed run still cost its time, and dropping
//!   them would reward a candidate that fails fast.
//! - `significant` means Welch's t-test or Mann-Whitney U gives p < alpha (see `decide` for
//!   the measured error rates that chose this over requiring both). The improvement itself
//!   must still reach the threshold, so a rank shift with no gain in the mean cannot pass.
//! - `passed`: improvement >= threshold, significant, every guardrail held.
//! - `failed`: a guardrail broken, or a significant regression (improvement < 0).
//! - `inconclusive`: anything else, including fewer than two runs on a side.
//! - `skipped` and `dry_run` are for callers that did not run a test.

use serde::{Deserialize, Serialize};

use super::guardrail::{Guardrail, p95_increase, success_rate_drop};
use crate::run_sample::RunSample;
use crate::stats::compare::{Comparison, compare};
use crate::stats::fisher::{FisherResult, fisher_exact};
use crate::summary::{mean, p95, ratio};

/// One run's outcome as the A/B test sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    pub duration_seconds: f64,
    pub success: bool,
    pub tool_calls: u64,
    /// Tokens in and out over the run; 0 when its members report none (a test minimising
    /// tokens checks first that they do).
    #[serde(default)]
    pub tokens: u64,
}

impl RunOutcome {
    pub fn from_record(r: &teamtune_model::TeamRunRecord) -> Self {
        RunOutcome {
            duration_seconds: r.duration_seconds,
            success: r.success,
            tool_calls: r.total_tool_calls,
            tokens: r.tokens().unwrap_or(0),
        }
    }
}

impl From<&RunSample> for RunOutcome {
    fn from(r: &RunSample) -> Self {
        RunOutcome {
            duration_seconds: r.duration_seconds,
            success: r.success,
            tool_calls: r.total_tool_calls,
            tokens: 0,
        }
    }
}

/// The decision's parameters (the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionRules {
    /// Minimum improvement in percent (default 5).
    pub threshold_percent: f64,
    /// Significance level (default 0.05).
    pub alpha: f64,
    /// Largest allowed success-rate drop, in points (default 10).
    pub max_success_rate_drop_points: f64,
    /// Largest allowed p95 rise, in percent (default 50).
    pub max_p95_increase_percent: f64,
}

impl Default for DecisionRules {
    fn default() -> Self {
        DecisionRules {
            threshold_percent: 5.0,
            alpha: 0.05,
            max_success_rate_drop_points: 10.0,
            max_p95_increase_percent: 50.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbStatus {
    Passed,
    Failed,
    Inconclusive,
    Skipped,
    DryRun,
}

impl AbStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AbStatus::Passed => "passed",
            AbStatus::Failed => "failed",
            AbStatus::Inconclusive => "inconclusive",
            AbStatus::Skipped => "skipped",
            AbStatus::DryRun => "dry_run",
        }
    }
}

/// Before/after figures of one side (all runs, failed ones included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    pub runs: usize,
    pub mean_duration_seconds: f64,
    /// The reference p95 (max below 20 runs).
    pub p95_duration_seconds: f64,
    pub success_rate: f64,
    pub mean_tool_calls: f64,
}

impl MetricsSnapshot {
    pub fn of(runs: &[RunOutcome]) -> MetricsSnapshot {
        let durations: Vec<f64> = runs.iter().map(|r| r.duration_seconds).collect();
        let calls: Vec<f64> = runs.iter().map(|r| r.tool_calls as f64).collect();
        MetricsSnapshot {
            runs: runs.len(),
            mean_duration_seconds: mean(&durations).unwrap_or(0.0),
            p95_duration_seconds: p95(&durations).unwrap_or(0.0),
            success_rate: ratio(runs.iter().filter(|r| r.success).count(), runs.len()),
            mean_tool_calls: mean(&calls).unwrap_or(0.0),
        }
    }
}

/// What an A/B test judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbMetric {
    /// The team's duration: Welch or Mann-Whitney, improvement in
    /// mean duration.
    #[default]
    Duration,
    /// The success rate, for changes that trade time for reliability (a longer timeout, a
    /// bigger budget): Fisher's exact test, improvement in seconds per successful run.
    SuccessRate,
}

/// The verdict on a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbDecision {
    #[serde(default)]
    pub metric: AbMetric,
    pub status: AbStatus,
    /// Why, in one sentence.
    pub reason: String,
    /// (mean baseline - mean candidate) / mean baseline * 100.
    pub improvement_percentage: f64,
    pub threshold_percent: f64,
    pub alpha: f64,
    pub significant: bool,
    pub statistics: Comparison,
    pub guardrails: Vec<Guardrail>,
    pub before: MetricsSnapshot,
    pub after: MetricsSnapshot,
    /// Fisher's exact test on the success rates (success-rate decisions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fisher: Option<FisherResult>,
    /// For an inconclusive duration test whose candidate was faster: the runs per side
    /// that would likely (80% power) make the improvement seen significant, from Welch's t.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_to_decide: Option<u64>,
}

/// Runs per side for Welch's test to reach significance with 80% power if the effect and
/// spread seen at `n` runs per side are the true ones: t grows with the square root of n, so
/// n' = n (z(1 - alpha/2) + z(0.8))^2 / t^2. `None` when nothing points at a faster candidate.
pub fn runs_to_decide(t: f64, n: usize, alpha: f64) -> Option<u64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    if !(t.is_finite() && t > 0.0 && n >= 2 && alpha > 0.0 && alpha < 1.0) {
        return None;
    }
    let z = Normal::standard();
    let needed = z.inverse_cdf(1.0 - alpha / 2.0) + z.inverse_cdf(0.8);
    let runs = (n as f64 * (needed / t).powi(2)).ceil();
    (runs.is_finite() && runs < 1e9).then_some((runs as u64).max(n as u64 + 1))
}

/// Decides on a candidate from its runs and the baseline's; `seed` drives the bootstrap.
pub fn decide(
    baseline: &[RunOutcome],
    candidate: &[RunOutcome],
    rules: &DecisionRules,
    seed: u64,
) -> AbDecision {
    let a: Vec<f64> = baseline.iter().map(|r| r.duration_seconds).collect();
    let b: Vec<f64> = candidate.iter().map(|r| r.duration_seconds).collect();
    let statistics = compare(&a, &b, seed);
    let before = MetricsSnapshot::of(baseline);
    let after = MetricsSnapshot::of(candidate);
    let guardrails = vec![
        success_rate_drop(
            before.success_rate,
            after.success_rate,
            rules.max_success_rate_drop_points,
        ),
        p95_increase(
            before.p95_duration_seconds,
            after.p95_duration_seconds,
            rules.max_p95_increase_percent,
        ),
    ];
    let improvement = statistics.improvement_percentage;
    let enough = baseline.len() >= 2 && candidate.len() >= 2;
    // Significant when either test rejects at alpha. Heavy-tailed durations cost Welch's
    // test power; Mann-Whitney keeps it there, Welch covers shifts with ties. Measured on
    // simulated teams with N = 10 per side: A/A comparisons pass 2.5% of the time (the
    // one-sided threshold halves the two tests' combined rate), a planted 30% improvement
    // passes 94.5% (requiring both tests: 77.5%).
    let significant = enough
        && (statistics.welch.p_value < rules.alpha
            || statistics.mann_whitney.p_value < rules.alpha);
    let broken: Vec<&Guardrail> = guardrails.iter().filter(|g| !g.held).collect();
    let (status, reason) = if !broken.is_empty() {
        let names: Vec<String> = broken
            .iter()
            .map(|g| format!("{} {:.1} > {:.1}", g.name, g.value.min(1e12), g.limit))
            .collect();
        (
            AbStatus::Failed,
            format!("guardrail broken: {}", names.join(", ")),
        )
    } else if !enough {
        (
            AbStatus::Inconclusive,
            "fewer than two runs on a side".to_owned(),
        )
    } else if significant && improvement < 0.0 {
        (
            AbStatus::Failed,
            format!("significant regression of {:.1}%", -improvement),
        )
    } else if significant && improvement >= rules.threshold_percent {
        (
            AbStatus::Passed,
            format!(
                "improved {improvement:.1}% (threshold {:.1}%), significant",
                rules.threshold_percent
            ),
        )
    } else if significant {
        (
            AbStatus::Inconclusive,
            format!(
                "significant but only {improvement:.1}% (threshold {:.1}%)",
                rules.threshold_percent
            ),
        )
    } else {
        (
            AbStatus::Inconclusive,
            format!(
                "not significant (Welch p = {:.3}, Mann-Whitney p = {:.3}, alpha {})",
                statistics.welch.p_value, statistics.mann_whitney.p_value, rules.alpha
            ),
        )
    };
    // Welch's t is (mean A - mean B) / se: positive when the candidate is faster.
    let runs_to_decide = (status == AbStatus::Inconclusive && enough && !significant)
        .then(|| runs_to_decide(statistics.welch.t, a.len().min(b.len()), rules.alpha))
        .flatten();
    AbDecision {
        metric: AbMetric::Duration,
        fisher: None,
        runs_to_decide,
        status,
        reason,
        improvement_percentage: improvement,
        threshold_percent: rules.threshold_percent,
        alpha: rules.alpha,
        significant,
        statistics,
        guardrails,
        before,
        after,
    }
}

/// Decides on a change meant to buy reliability: its success rate must rise significantly
/// (Fisher's exact test, two-sided, at alpha), its seconds per successful run (mean duration
/// divided by success rate) must improve by the threshold, and the guardrails must hold. A
/// significant drop in success rate fails it. The duration statistics are reported too.
pub fn decide_reliability(
    baseline: &[RunOutcome],
    candidate: &[RunOutcome],
    rules: &DecisionRules,
    seed: u64,
) -> AbDecision {
    let mut d = decide(baseline, candidate, rules, seed);
    let wins = |runs: &[RunOutcome]| runs.iter().filter(|r| r.success).count() as u64;
    let fisher = fisher_exact(
        wins(baseline),
        baseline.len() as u64,
        wins(candidate),
        candidate.len() as u64,
    );
    let per_success = |m: &MetricsSnapshot| {
        if m.success_rate > 0.0 {
            Some(m.mean_duration_seconds / m.success_rate)
        } else {
            None
        }
    };
    let improvement = match (per_success(&d.before), per_success(&d.after)) {
        (Some(a), Some(b)) if a > 0.0 => (a - b) / a * 100.0,
        (None, Some(_)) => 100.0,
        _ => 0.0,
    };
    let significant = fisher.p_value < rules.alpha;
    let (rate_a, rate_b) = (d.before.success_rate, d.after.success_rate);
    let broken: Vec<String> = d
        .guardrails
        .iter()
        .filter(|g| !g.held)
        .map(|g| format!("{} {:.1} > {:.1}", g.name, g.value.min(1e12), g.limit))
        .collect();
    let (status, reason) = if !broken.is_empty() {
        (
            AbStatus::Failed,
            format!("guardrail broken: {}", broken.join(", ")),
        )
    } else if significant && rate_b < rate_a {
        (
            AbStatus::Failed,
            format!(
                "success rate fell from {:.0}% to {:.0}% (Fisher p = {:.4})",
                rate_a * 100.0,
                rate_b * 100.0,
                fisher.p_value
            ),
        )
    } else if significant && improvement >= rules.threshold_percent {
        (
            AbStatus::Passed,
            format!(
                "success rate rose from {:.0}% to {:.0}% (Fisher p = {:.4}); seconds per successful run improved {improvement:.1}%",
                rate_a * 100.0,
                rate_b * 100.0,
                fisher.p_value
            ),
        )
    } else {
        (
            AbStatus::Inconclusive,
            format!(
                "success rate {:.0}% -> {:.0}% (Fisher p = {:.3}, alpha {}), seconds per success {improvement:+.1}%",
                rate_a * 100.0,
                rate_b * 100.0,
                fisher.p_value,
                rules.alpha
            ),
        )
    };
    d.metric = AbMetric::SuccessRate;
    d.status = status;
    d.reason = reason;
    d.improvement_percentage = improvement;
    d.significant = significant;
    d.fisher = Some(fisher);
    d.runs_to_decide = None;
    d
}

/// [`decide`] on recorded runs.
pub fn decide_runs(
    baseline: &[RunSample],
    candidate: &[RunSample],
    rules: &DecisionRules,
    seed: u64,
) -> AbDecision {
    let a: Vec<RunOutcome> = baseline.iter().map(RunOutcome::from).collect();
    let b: Vec<RunOutcome> = candidate.iter().map(RunOutcome::from).collect();
    decide(&a, &b, rules, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(durations: &[f64], failures: usize) -> Vec<RunOutcome> {
        durations
            .iter()
            .enumerate()
            .map(|(i, d)| RunOutcome {
                duration_seconds: *d,
                success: i >= failures,
                tool_calls: 10,
                tokens: 0,
            })
            .collect()
    }

    const BASE: [f64; 10] = [
        100.0, 104.0, 98.0, 101.0, 99.0, 103.0, 97.0, 102.0, 100.5, 99.5,
    ];

    #[test]
    fn clear_improvement_passes() {
        let cand: Vec<f64> = BASE.iter().map(|d| d * 0.7).collect();
        let d = decide(
            &runs(&BASE, 0),
            &runs(&cand, 0),
            &DecisionRules::default(),
            1,
        );
        assert_eq!(d.status, AbStatus::Passed, "{d:#?}");
        assert!((d.improvement_percentage - 30.0).abs() < 1e-9);
        assert!(d.guardrails.iter().all(|g| g.held));
    }

    #[test]
    fn small_improvement_is_inconclusive() {
        let cand: Vec<f64> = BASE.iter().map(|d| d * 0.98).collect();
        let d = decide(
            &runs(&BASE, 0),
            &runs(&cand, 0),
            &DecisionRules::default(),
            1,
        );
        assert_eq!(d.status, AbStatus::Inconclusive, "{d:#?}");
    }

    #[test]
    fn regression_fails() {
        let cand: Vec<f64> = BASE.iter().map(|d| d * 1.2).collect();
        let d = decide(
            &runs(&BASE, 0),
            &runs(&cand, 0),
            &DecisionRules::default(),
            1,
        );
        assert_eq!(d.status, AbStatus::Failed);
        assert!(d.reason.contains("regression"));
    }

    #[test]
    fn faster_but_failing_breaks_the_guardrail() {
        let cand: Vec<f64> = BASE.iter().map(|d| d * 0.5).collect();
        let d = decide(
            &runs(&BASE, 0),
            &runs(&cand, 2),
            &DecisionRules::default(),
            1,
        );
        assert_eq!(d.status, AbStatus::Failed);
        assert!(d.reason.contains("success_rate_drop"));
        assert_eq!(d.after.success_rate, 0.8);
    }

    #[test]
    fn an_inconclusive_test_says_how_many_runs_would_decide_it() {
        // t = 1.4 at 10 runs per side: (1.96 + 0.84)^2 / 1.4^2 = 4 times the runs.
        assert_eq!(runs_to_decide(1.4, 10, 0.05), Some(41));
        assert_eq!(
            runs_to_decide(-1.0, 10, 0.05),
            None,
            "the candidate was slower"
        );
        assert_eq!(runs_to_decide(0.0, 10, 0.05), None);
        assert_eq!(runs_to_decide(1e-9, 10, 0.05), None, "never, in practice");
        let slow = |d: f64| RunOutcome {
            duration_seconds: d,
            success: true,
            tool_calls: 0,
            tokens: 0,
        };
        let a: Vec<RunOutcome> = [10.0, 12.0, 9.0, 11.0, 13.0].map(slow).to_vec();
        let b: Vec<RunOutcome> = [9.5, 11.5, 9.0, 10.5, 12.0].map(slow).to_vec();
        let d = decide(&a, &b, &DecisionRules::default(), 1);
        assert_eq!(d.status, AbStatus::Inconclusive);
        assert!(d.runs_to_decide.is_some_and(|n| n > 5), "{d:?}");
    }

    #[test]
    fn p95_guardrail() {
        let mut cand: Vec<f64> = BASE.iter().map(|d| d * 0.6).collect();
        cand[3] = 400.0;
        let d = decide(
            &runs(&BASE, 0),
            &runs(&cand, 0),
            &DecisionRules::default(),
            1,
        );
        assert_eq!(d.status, AbStatus::Failed);
        assert!(!d.guardrails[1].held);
    }

    #[test]
    fn too_few_runs() {
        let d = decide(
            &runs(&[1.0], 0),
            &runs(&[0.5], 0),
            &DecisionRules::default(),
            1,
        );
        assert_eq!(d.status, AbStatus::Inconclusive);
        assert!(serde_json::to_string(&d).is_ok());
    }

    #[test]
    fn json_shape() {
        let d = decide(
            &runs(&BASE, 0),
            &runs(&BASE, 0),
            &DecisionRules::default(),
            1,
        );
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["status"], "inconclusive");
        assert_eq!(v["guardrails"][0]["name"], "success_rate_drop");
        assert!(v["before"]["p95_duration_seconds"].is_number());
    }
}

#[cfg(test)]
mod reliability_tests {
    use super::*;

    fn runs(ok: usize, failed: usize, ok_s: f64, failed_s: f64) -> Vec<RunOutcome> {
        let mut v: Vec<RunOutcome> = (0..ok)
            .map(|i| RunOutcome {
                duration_seconds: ok_s + i as f64 * 0.1,
                success: true,
                tool_calls: 5,
                tokens: 0,
            })
            .collect();
        v.extend((0..failed).map(|i| RunOutcome {
            duration_seconds: failed_s + i as f64 * 0.1,
            success: false,
            tool_calls: 5,
            tokens: 0,
        }));
        v
    }

    #[test]
    fn a_real_reliability_gain_passes_even_when_runs_get_longer() {
        let before = runs(18, 12, 30.0, 25.0);
        let after = runs(29, 1, 34.0, 25.0);
        let d = decide_reliability(&before, &after, &DecisionRules::default(), 1);
        assert_eq!(d.status, AbStatus::Passed, "{}", d.reason);
        assert_eq!(d.metric, AbMetric::SuccessRate);
        assert!(d.fisher.unwrap().p_value < 0.01);
        assert!(d.improvement_percentage > 5.0);
        // The duration test alone would never pass it.
        assert_ne!(
            decide(&before, &after, &DecisionRules::default(), 1).status,
            AbStatus::Passed
        );
    }

    #[test]
    fn no_gain_is_inconclusive_and_a_loss_fails() {
        let same = decide_reliability(
            &runs(25, 5, 30.0, 30.0),
            &runs(26, 4, 30.0, 30.0),
            &DecisionRules::default(),
            1,
        );
        assert_eq!(same.status, AbStatus::Inconclusive);
        let worse = decide_reliability(
            &runs(29, 1, 30.0, 30.0),
            &runs(15, 15, 30.0, 30.0),
            &DecisionRules::default(),
            1,
        );
        assert_eq!(worse.status, AbStatus::Failed);
        let json = serde_json::to_value(&worse).unwrap();
        assert_eq!(json["metric"], "success_rate");
        assert!(json["fisher"]["p_value"].as_f64().unwrap() < 0.05);
    }
}
