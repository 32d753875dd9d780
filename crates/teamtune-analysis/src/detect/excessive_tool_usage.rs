//! `excessive_tool_usage` (Victor rule): mean tool calls above 1.5x the baseline; severity is
//! scaled by 0.6 and impact by 0.4, as in the reference.

use super::{DetectionInput, Detector};
use crate::insight::Insight;

#[derive(Debug, Clone, Copy, Default)]
pub struct ExcessiveToolUsage;

impl Detector for ExcessiveToolUsage {
    fn name(&self) -> &str {
        "excessive_tool_usage"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        let Some(avg) = input.summary.mean_tool_calls else {
            return Vec::new();
        };
        let baseline = input.baselines.avg_tool_calls;
        if avg <= baseline * 1.5 {
            return Vec::new();
        }
        let s = ((avg - baseline) / baseline).min(1.0);
        vec![Insight {
            bottleneck: self.name().to_owned(),
            severity: s * 0.6,
            current_value: avg,
            baseline_value: baseline,
            impact_magnitude: s * 0.4,
            recommendation: if budgets_run_out(input) {
                // Victor's advice would contradict `budget_exhaustion_failures`.
                format!(
                    "Average tool calls ({avg:.1}) is significantly above baseline, but runs fail on exhausted tool budgets: a smaller budget would fail more of them. Cut the calls each task needs (prompts, tools) instead."
                )
            } else {
                format!(
                    "Average tool calls ({avg:.1}) is significantly above baseline. Consider reducing tool budget to improve cost efficiency."
                )
            },
            affected_components: vec!["tool_budget".into()],
        }]
    }
}

/// Whether `budget_exhaustion_failures` fires on the same runs.
fn budgets_run_out(input: &DetectionInput<'_>) -> bool {
    !super::failure_share_insight(
        input,
        crate::run_sample::FailureKind::BudgetExhausted,
        "budget_exhaustion_failures",
        "tool_budget",
        "",
    )
    .is_empty()
}
