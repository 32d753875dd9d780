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
            recommendation: format!(
                "Average tool calls ({avg:.1}) is significantly above baseline. Consider reducing tool budget to improve cost efficiency."
            ),
            affected_components: vec!["tool_budget".into()],
        }]
    }
}
