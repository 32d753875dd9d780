//! `slow_execution` (Victor rule): mean duration above 1.2x the baseline.

use super::{DetectionInput, Detector};
use crate::insight::Insight;

#[derive(Debug, Clone, Copy, Default)]
pub struct SlowExecution;

impl Detector for SlowExecution {
    fn name(&self) -> &str {
        "slow_execution"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        let Some(avg) = input.summary.mean_duration_seconds else {
            return Vec::new();
        };
        let baseline = input.baselines.avg_duration_seconds;
        if avg <= baseline * 1.2 {
            return Vec::new();
        }
        let severity = ((avg - baseline) / baseline).min(1.0);
        vec![Insight {
            bottleneck: self.name().to_owned(),
            severity,
            current_value: avg,
            baseline_value: baseline,
            impact_magnitude: severity,
            recommendation: format!(
                "Average execution time ({avg:.1}s) is {:.1}% above baseline. Consider optimizing formation or reducing team size.",
                (avg / baseline - 1.0) * 100.0
            ),
            affected_components: vec!["team".into(), "formation".into()],
        }]
    }
}
