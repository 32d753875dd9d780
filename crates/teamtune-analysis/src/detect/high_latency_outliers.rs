//! `high_latency_outliers` (Victor rule): p95 duration above 1.5x the p95 baseline.

use super::{DetectionInput, Detector};
use crate::insight::Insight;

#[derive(Debug, Clone, Copy, Default)]
pub struct HighLatencyOutliers;

impl Detector for HighLatencyOutliers {
    fn name(&self) -> &str {
        "high_latency_outliers"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        let Some(p95) = input.summary.p95_duration_seconds else {
            return Vec::new();
        };
        let baseline = input.baselines.p95_duration_seconds;
        if p95 <= baseline * 1.5 {
            return Vec::new();
        }
        let severity = ((p95 - baseline) / baseline).min(1.0);
        vec![Insight {
            bottleneck: self.name().to_owned(),
            severity,
            current_value: p95,
            baseline_value: baseline,
            impact_magnitude: severity * 0.8,
            recommendation: format!(
                "P95 latency ({p95:.1}s) exceeds baseline by {:.1}%. Consider timeout optimization.",
                (p95 / baseline - 1.0) * 100.0
            ),
            affected_components: vec!["team".into()],
        }]
    }
}
