//! `low_success_rate` (Victor rule): success rate below 0.9x the baseline; the severity is not
//! clamped, as in the reference.

use super::{DetectionInput, Detector};
use crate::insight::Insight;

#[derive(Debug, Clone, Copy, Default)]
pub struct LowSuccessRate;

impl Detector for LowSuccessRate {
    fn name(&self) -> &str {
        "low_success_rate"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        let rate = input.summary.success_rate;
        let baseline = input.baselines.success_rate;
        if rate >= baseline * 0.9 {
            return Vec::new();
        }
        let severity = (baseline - rate) / baseline;
        vec![Insight {
            bottleneck: self.name().to_owned(),
            severity,
            current_value: rate,
            baseline_value: baseline,
            impact_magnitude: severity,
            recommendation: format!(
                "Success rate ({:.1}%) is below baseline. Check for timeouts, errors, or insufficient tool budgets.",
                rate * 100.0
            ),
            affected_components: vec!["team".into(), "tool_budget".into()],
        }]
    }
}
