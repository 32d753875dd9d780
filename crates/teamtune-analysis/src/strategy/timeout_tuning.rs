//! `timeout_tuning`: sets the team's `timeout_seconds` from the durations of its successful
//! runs. On `timeout_failures`: if successful runs come close to the timeout (p99 above 80% of
//! it), the timeout cuts real work and is raised (gain in success rate); otherwise the
//! timeouts are hangs and the timeout is lowered to p99 x 1.5 so they end sooner. On
//! `high_latency_outliers`: a timeout of p99 x 1.2 (Victor used p95 x 1.2) cuts the outliers.
//! Duration gains are computed by capping every past run at the new timeout.

use serde_json::json;

use super::{Strategy, StrategyContext, object};
use crate::detect::MIN_EVIDENCE_RUNS;
use crate::run_sample::FailureKind;
use crate::suggestion::{Priority, Suggestion, SuggestionType};
use crate::summary::{mean, p95, p99, ratio};

#[derive(Debug, Clone, Copy, Default)]
pub struct TimeoutTuning;

impl Strategy for TimeoutTuning {
    fn name(&self) -> &str {
        "timeout_tuning"
    }

    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
        let timeouts = ctx.has_insight("timeout_failures");
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
            if let Some(t) = current
                && p99_ok > 0.8 * t
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
                    .with_priority(Priority::High),
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

/// A suggestion to set the timeout to `limit`, with the gain of capping every past run there.
fn capped(
    ctx: &StrategyContext<'_>,
    limit: f64,
    current_config: serde_json::Map<String, serde_json::Value>,
    confidence: f64,
    mut metadata: serde_json::Map<String, serde_json::Value>,
    verb: &str,
    why: &str,
) -> Vec<Suggestion> {
    let all: Vec<f64> = ctx
        .records
        .iter()
        .map(|r| r.duration_seconds)
        .filter(|d| *d > 0.0)
        .collect();
    let capped: Vec<f64> = all.iter().map(|d| d.min(limit)).collect();
    let (Some(before), Some(after)) = (mean(&all), mean(&capped)) else {
        return Vec::new();
    };
    let improvement = (1.0 - after / before) * 100.0;
    if improvement <= 1.0 {
        return Vec::new();
    }
    let ok_cut = ctx
        .records
        .iter()
        .filter(|r| r.success && r.duration_seconds > limit)
        .count();
    metadata.insert(
        "successful_runs_cut_percent".into(),
        json!(ratio(ok_cut, ctx.records.len()) * 100.0),
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
