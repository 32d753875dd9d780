//! `timeout_tuning`: sets the team's `timeout_seconds` from the durations of its successful
//! runs. On `timeout_failures`: if successful runs come close to the timeout (p99 above 80% of
//! it), the timeout cuts real work and is raised (gain in success rate); otherwise the
//! timeouts are hangs and the timeout is lowered to p99 x 1.5 so they end sooner. On
//! `high_latency_outliers`: a timeout of p99 x 1.2 (Victor used p95 x 1.2) cuts the outliers.
//! Duration gains are computed by capping every past run at the new timeout
//! ([`crate::evidence::timeout_cut`]); none is proposed whose predicted success-rate drop
//! breaks the A/B guardrail.
//!
//! Long tails, without any timeout hit: when the slowest runs take at least
//! [`MIN_TAIL_RATIO`] times the median successful run (stragglers, rare near-hangs), a timeout
//! at a high quantile of the successful durations (p90, p95 or p99, with 20% headroom) is
//! tried on the team's own runs: a run longer than the cut becomes a failure that costs the
//! cut, the rest are unchanged. The cut with the fewest predicted seconds per successful run
//! is proposed if it stops at least two runs, lowers the mean duration by at least
//! [`MIN_TAIL_GAIN_PERCENT`] and the success rate by at most [`MAX_TAIL_SUCCESS_DROP_POINTS`],
//! and lowers the seconds per successful run.

use serde_json::json;

use super::{Strategy, StrategyContext, object};
use crate::ab::decision::DecisionRules;
use crate::detect::MIN_EVIDENCE_RUNS;
use crate::evidence::{TimeoutCut, timeout_cut};
use crate::run_sample::FailureKind;
use crate::suggestion::{Priority, Suggestion, SuggestionType};
use crate::summary::{median, p95, p99, quantile, ratio};

/// Share of the timeout that successful runs' p99 must reach before raising it.
const RAISE_WHEN_P99_ABOVE: f64 = 0.9;

/// A tail is long when the slowest run takes at least this many times the median successful
/// run.
pub const MIN_TAIL_RATIO: f64 = 1.5;

/// Smallest predicted mean-duration gain of a long-tail timeout: twice the default A/B
/// threshold, because a tail gain rests on a few slow runs and ten runs per side of an A/B
/// test see only some of them.
pub const MIN_TAIL_GAIN_PERCENT: f64 = 10.0;

/// Largest predicted success-rate drop of a long-tail timeout, in points: half the A/B
/// guardrail (10 points), since with ten runs per side one more cut run is ten points.
pub const MAX_TAIL_SUCCESS_DROP_POINTS: f64 = 5.0;

/// Successful runs a tail estimate needs: its quantiles come from them.
const MIN_TAIL_RUNS: usize = 10;

/// Runs a tail cut must stop: one slow run is an outlier, not a tail, and an A/B test of ten
/// runs per side almost never sees a single outlier's gain (measured: inconclusive).
const MIN_TAIL_RUNS_CUT: usize = 2;

/// Headroom above the chosen quantile.
const TAIL_HEADROOM: f64 = 1.2;

/// Quantiles of successful durations tried as cuts.
const TAIL_QUANTILES: [f64; 3] = [0.90, 0.95, 0.99];

#[derive(Debug, Clone, Copy, Default)]
pub struct TimeoutTuning;

impl Strategy for TimeoutTuning {
    fn name(&self) -> &str {
        "timeout_tuning"
    }

    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
        let timeouts = ctx.has_insight("timeout_failures");
        if !timeouts && let Some(s) = long_tail(ctx) {
            return vec![s];
        }
        if !timeouts && !ctx.has_insight("high_latency_outliers") {
            return Vec::new();
        }
        let ok: Vec<f64> = ctx
            .records
            .iter()
            .filter(|r| r.success && r.duration_seconds > 0.0)
            .map(|r| r.duration_seconds)
            .collect();
        if ok.len() < MIN_EVIDENCE_RUNS {
            return Vec::new();
        }
        let (Some(p95_ok), Some(p99_ok)) = (p95(&ok), p99(&ok)) else {
            return Vec::new();
        };
        let current = ctx.config.timeout_seconds;
        let current_config = object([("timeout_seconds", json!(current))]);
        let confidence = if ok.len() >= 20 { 0.8 } else { 0.65 };
        let base_metadata = |estimate: &str| {
            object([
                ("estimate", json!(estimate)),
                ("p95_successful_seconds", json!(p95_ok)),
                ("p99_successful_seconds", json!(p99_ok)),
                ("successful_runs", json!(ok.len())),
            ])
        };
        if timeouts {
            let timed_out = ctx
                .records
                .iter()
                .filter(|r| !r.success && r.failed_by(FailureKind::Timeout))
                .count();
            let share = ratio(timed_out, ctx.records.len());
            // Raise only when successful runs crowd the limit: then timed-out runs were
            // probably cut short of finishing. Far below it, they were hanging.
            if let Some(t) = current
                && p99_ok > RAISE_WHEN_P99_ABOVE * t
            {
                let raised = (p99_ok * 1.5).max(t * 1.5).ceil();
                let mut metadata = base_metadata("failed_runs");
                metadata.insert("metric".into(), json!("success_rate"));
                return vec![
                    Suggestion::new(
                        SuggestionType::TimeoutTuning,
                        format!(
                            "Raise timeout_seconds from {t} to {raised}: successful runs take up to {p99_ok:.1}s (p99), so the timeout cuts real work ({:.0}% of runs timed out).",
                            share * 100.0
                        ),
                        current_config,
                        object([("timeout_seconds", json!(raised))]),
                        share * 100.0,
                        confidence,
                        0.2,
                        metadata,
                    )
                    .with_priority(Priority::High)
                    .judged_on_success_rate(),
                ];
            }
            let lowered = (p99_ok * 1.5).ceil();
            if current.is_some_and(|t| lowered >= t) {
                return Vec::new();
            }
            return capped(
                ctx,
                lowered,
                current_config,
                confidence,
                base_metadata("capped_history"),
                "Lower",
                "timed-out runs hang",
            );
        }
        let proposed = (p99_ok * 1.2).ceil();
        if current.is_some_and(|t| proposed >= t) {
            return Vec::new();
        }
        capped(
            ctx,
            proposed,
            current_config,
            confidence,
            base_metadata("capped_history"),
            "Set",
            "outliers run long",
        )
    }
}

/// A suggestion to set the timeout to `limit`, with the gain of capping every past run there
/// ([`timeout_cut`]); none when the gain is 1% or less or the predicted success-rate drop
/// breaks the A/B guardrail.
fn capped(
    ctx: &StrategyContext<'_>,
    limit: f64,
    current_config: serde_json::Map<String, serde_json::Value>,
    confidence: f64,
    mut metadata: serde_json::Map<String, serde_json::Value>,
    verb: &str,
    why: &str,
) -> Vec<Suggestion> {
    let Some(cut) = timeout_cut(ctx.records, limit) else {
        return Vec::new();
    };
    let improvement = cut.duration_gain_percent();
    if improvement <= 1.0
        || cut.success_drop_points() > DecisionRules::default().max_success_rate_drop_points
    {
        return Vec::new();
    }
    metadata.insert(
        "successful_runs_cut_percent".into(),
        json!(ratio(cut.successes_cut, ctx.records.len()) * 100.0),
    );
    metadata.insert(
        "predicted_success_rate".into(),
        json!(cut.predicted_success_rate),
    );
    vec![Suggestion::new(
        SuggestionType::TimeoutTuning,
        format!(
            "{verb} timeout_seconds to {limit}s (p99 of successful runs {:.1}s with headroom): {why}; capping past runs there cuts the mean duration by {improvement:.1}%.",
            metadata
                .get("p99_successful_seconds")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(0.0)
        ),
        current_config,
        object([("timeout_seconds", json!(limit))]),
        improvement,
        confidence,
        0.2,
        metadata,
    )]
}

/// The long-tail rule of the module docs: no timeout is hit, but the slowest runs take far
/// longer than the typical successful run.
fn long_tail(ctx: &StrategyContext<'_>) -> Option<Suggestion> {
    let ok: Vec<f64> = ctx
        .records
        .iter()
        .filter(|r| r.success && r.duration_seconds > 0.0)
        .map(|r| r.duration_seconds)
        .collect();
    if ok.len() < MIN_TAIL_RUNS {
        return None;
    }
    let p50 = median(&ok)?;
    let slowest = ctx
        .records
        .iter()
        .map(|r| r.duration_seconds)
        .fold(0.0, f64::max);
    if p50 <= 0.0 || slowest < MIN_TAIL_RATIO * p50 {
        return None;
    }
    let current = ctx.config.timeout_seconds;
    let (best_q, best) = TAIL_QUANTILES
        .iter()
        .filter_map(|&q| {
            let limit = (quantile(&ok, q)? * TAIL_HEADROOM).ceil();
            if current.is_some_and(|t| limit >= t) {
                return None;
            }
            let cut = timeout_cut(ctx.records, limit)?;
            let worth = cut.runs_cut >= MIN_TAIL_RUNS_CUT
                && cut.duration_gain_percent() >= MIN_TAIL_GAIN_PERCENT
                && cut.success_drop_points() <= MAX_TAIL_SUCCESS_DROP_POINTS + 1e-9
                && cut.predicted_seconds_per_success() < cut.seconds_per_success();
            worth.then_some((q, cut))
        })
        .min_by(|a, b| {
            a.1.predicted_seconds_per_success()
                .total_cmp(&b.1.predicted_seconds_per_success())
        })?;
    Some(tail_suggestion(ctx, best_q, p50, slowest, &best, ok.len()))
}

fn tail_suggestion(
    ctx: &StrategyContext<'_>,
    q: f64,
    p50: f64,
    slowest: f64,
    cut: &TimeoutCut,
    successful_runs: usize,
) -> Suggestion {
    let current = ctx.config.timeout_seconds;
    let limit = cut.limit;
    let gain = cut.duration_gain_percent();
    Suggestion::new(
        SuggestionType::TimeoutTuning,
        format!(
            "Set timeout_seconds to {limit}s (p{:.0} of successful runs with 20% headroom): runs have a long tail (slowest {slowest:.1}s, median {p50:.1}s). Replaying the {} past runs with it, {} would stop at {limit}s ({} of them successes), the mean duration falls by {gain:.1}% ({:.1}s -> {:.1}s) and the success rate goes from {:.0}% to {:.0}% ({:.1}s -> {:.1}s per successful run).",
            q * 100.0,
            cut.runs,
            cut.runs_cut,
            cut.successes_cut,
            cut.mean_duration,
            cut.predicted_mean_duration,
            cut.success_rate * 100.0,
            cut.predicted_success_rate * 100.0,
            cut.seconds_per_success(),
            cut.predicted_seconds_per_success(),
        ),
        object([("timeout_seconds", json!(current))]),
        object([("timeout_seconds", json!(limit))]),
        gain,
        if successful_runs >= 20 { 0.75 } else { 0.65 },
        0.3,
        object([
            (
                "estimate",
                json!("capped_history: runs past the cut fail at the cut, the rest unchanged"),
            ),
            ("reason", json!("long_tail")),
            ("quantile", json!(q)),
            ("headroom", json!(TAIL_HEADROOM)),
            ("median_successful_seconds", json!(p50)),
            ("slowest_run_seconds", json!(slowest)),
            ("runs", json!(cut.runs)),
            ("runs_cut", json!(cut.runs_cut)),
            ("successful_runs_cut", json!(cut.successes_cut)),
            ("observed_mean_duration", json!(cut.mean_duration)),
            (
                "predicted_mean_duration",
                json!(cut.predicted_mean_duration),
            ),
            ("observed_success_rate", json!(cut.success_rate)),
            ("predicted_success_rate", json!(cut.predicted_success_rate)),
            (
                "observed_seconds_per_success",
                json!(cut.seconds_per_success()),
            ),
            (
                "predicted_seconds_per_success",
                json!(cut.predicted_seconds_per_success()),
            ),
        ]),
    )
}

#[cfg(test)]
mod tests {
    use teamtune_model::{Formation, MemberConfig, TeamConfig};

    use super::*;

    use crate::evidence::tests::sequential_run;
    use crate::run_sample::RunSample;

    fn team(timeout: f64) -> TeamConfig {
        TeamConfig {
            team_formation: Formation::Parallel,
            timeout_seconds: Some(timeout),
            total_tool_budget: None,
            max_iterations: 3,
            members: vec![MemberConfig {
                id: "m1".into(),
                role: "worker".into(),
                tool_budget: None,
                timeout_seconds: None,
                is_manager: false,
            }],
        }
    }

    /// `n` successful runs of 28-32 s.
    fn steady(n: usize) -> Vec<RunSample> {
        (0..n)
            .map(|i| sequential_run(&[28.0 + (i % 5) as f64], 0.0))
            .collect()
    }

    fn suggestions(records: &[RunSample], config: &TeamConfig) -> Vec<Suggestion> {
        crate::strategy::run_alone(&TimeoutTuning, records, config)
    }

    #[test]
    fn rare_hangs_below_the_timeout_detector_get_a_tail_timeout() {
        // Two runs in 45 hung until the 1800 s timeout: too rare for `timeout_failures` (5%).
        let mut runs = steady(43);
        for _ in 0..2 {
            let mut hung = sequential_run(&[1800.0], 0.0);
            hung.success = false;
            hung.error = Some("timeout".into());
            runs.push(hung);
        }
        let found = suggestions(&runs, &team(1800.0));
        assert_eq!(found.len(), 1, "{found:#?}");
        let s = &found[0];
        assert_eq!(s.metadata["reason"], "long_tail");
        // p90 of 28..32 s is 32 s; with 20% headroom 39 s (rounded up).
        assert_eq!(s.suggested_config["timeout_seconds"], 39.0);
        assert_eq!(s.metadata["runs_cut"], 2);
        assert_eq!(s.metadata["successful_runs_cut"], 0);
        assert_eq!(
            s.metadata["predicted_success_rate"],
            s.metadata["observed_success_rate"]
        );
        // 108.6 s -> 30.4 s on average.
        assert!(s.expected_improvement > 70.0, "{s:#?}");
    }

    #[test]
    fn a_slow_tail_is_cut_when_it_pays() {
        // 18 runs of about 30 s, one successful straggler of 400 s, one failure after 600 s.
        let mut runs = steady(18);
        runs.push(sequential_run(&[400.0], 0.0));
        let mut slow_failure = sequential_run(&[600.0], 0.0);
        slow_failure.success = false;
        runs.push(slow_failure);
        let found = suggestions(&runs, &team(900.0));
        let s = found.first().expect("a tail timeout");
        let limit = s.suggested_config["timeout_seconds"].as_f64().unwrap();
        assert!(limit < 400.0 && limit > 32.0, "{s:#?}");
        assert_eq!(s.metadata["successful_runs_cut"], 1);
        // 5 points lost, the mean duration falls by more than half, seconds per success too.
        assert!((s.metadata["predicted_success_rate"].as_f64().unwrap() - 0.90).abs() < 1e-12);
        assert!(s.expected_improvement > 50.0, "{s:#?}");
        assert!(
            s.metadata["predicted_seconds_per_success"]
                .as_f64()
                .unwrap()
                < s.metadata["observed_seconds_per_success"].as_f64().unwrap()
        );
    }

    #[test]
    fn a_tail_of_successes_past_the_guardrail_is_left_alone() {
        // Three successful stragglers in 20 runs: cutting them costs 15 points of success, and
        // a cut above them gains nothing.
        let mut runs = steady(17);
        for _ in 0..3 {
            runs.push(sequential_run(&[200.0], 0.0));
        }
        assert!(suggestions(&runs, &team(900.0)).is_empty());
        // One straggler is an outlier, not a tail.
        let mut one = steady(19);
        one.push(sequential_run(&[400.0], 0.0));
        assert!(suggestions(&one, &team(900.0)).is_empty());
    }

    #[test]
    fn steady_runs_and_loose_timeouts_stay_untouched() {
        // No tail: the slowest run is far below 1.5x the median.
        assert!(suggestions(&steady(20), &team(300.0)).is_empty());
        // A tail, but the timeout is already below every cut tried.
        let mut runs = steady(19);
        runs.push(sequential_run(&[400.0], 0.0));
        assert!(suggestions(&runs, &team(35.0)).is_empty());
        // Too few runs to place a quantile.
        let mut few = steady(8);
        few.push(sequential_run(&[400.0], 0.0));
        assert!(suggestions(&few, &team(900.0)).is_empty());
    }
}
