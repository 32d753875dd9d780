//! `suboptimal_formation_<f>`, redesigned. Victor compares millisecond mock benchmarks with
//! second-scale durations and so flags every team; this detector only speaks from the team's
//! own history, about its current formation (the latest run's):
//!
//! - sequential/pipeline runs whose member times add up: running the members concurrently
//!   would save `1 - max/sum` of the time; fires when the saving is at least 20% over at
//!   least [`MIN_EVIDENCE_RUNS`] runs;
//! - another formation seen in the same history was clearly faster (>= 20% lower mean,
//!   Welch p < 0.05, enough runs on both sides);
//! - consensus teams that need more than one round on average.
//!
//! It never fires on duration alone. The strongest finding sets the severity.

use super::{DetectionInput, Detector, MIN_EVIDENCE_RUNS};
use crate::evidence::{concurrency_evidence, consensus_rounds, faster_formations};
use crate::insight::Insight;

#[derive(Debug, Clone, Copy, Default)]
pub struct SuboptimalFormation;

/// Smallest saving worth reporting.
pub const MIN_CONCURRENCY_SAVING: f64 = 0.2;

impl Detector for SuboptimalFormation {
    fn name(&self) -> &str {
        "suboptimal_formation"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        let Some(current) = input.records.last().map(|r| r.formation.to_string()) else {
            return Vec::new();
        };
        // (severity, current value, baseline value, recommendation)
        let mut findings: Vec<(f64, f64, f64, String)> = Vec::new();
        if (current == "sequential" || current == "pipeline")
            && let Some(e) = concurrency_evidence(input.records, &current)
            && e.runs >= MIN_EVIDENCE_RUNS
            && e.mean_saving >= MIN_CONCURRENCY_SAVING
        {
            findings.push((
                    e.improvement,
                    e.mean_duration,
                    e.predicted_duration,
                    format!(
                        "Members of this {current} team take {:.1}s one after another but {:.1}s for the slowest; running them concurrently would take about {:.1}s ({:.0}% less, from {} runs).",
                        e.mean_member_sum,
                        e.mean_member_max,
                        e.predicted_duration,
                        e.improvement * 100.0,
                        e.runs
                    ),
                ));
        }
        if let Some(best) = faster_formations(input.records, &current, MIN_EVIDENCE_RUNS).first() {
            findings.push((
                best.improvement,
                best.current_mean_duration,
                best.mean_duration,
                format!(
                    "This team ran {:.0}% faster as '{}' ({:.1}s over {} runs) than as '{current}' ({:.1}s over {} runs, Welch p = {:.3}).",
                    best.improvement * 100.0,
                    best.formation,
                    best.mean_duration,
                    best.runs,
                    best.current_mean_duration,
                    best.current_runs,
                    best.p_value
                ),
            ));
        }
        if current == "consensus"
            && let Some((rounds, n)) = consensus_rounds(input.records)
            && n >= MIN_EVIDENCE_RUNS
            && rounds > 1.0
        {
            findings.push((
                (1.0 - 1.0 / rounds).min(1.0),
                rounds,
                1.0,
                format!(
                    "Consensus needs {rounds:.1} rounds on average ({n} runs); every extra round repeats all members."
                ),
            ));
        }
        let Some(strongest) = findings.iter().map(|f| f.0).reduce(f64::max) else {
            return Vec::new();
        };
        let main = findings
            .iter()
            .find(|f| f.0 == strongest)
            .cloned()
            .unwrap_or_default();
        let recommendation = findings
            .iter()
            .map(|f| f.3.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        vec![Insight {
            bottleneck: format!("suboptimal_formation_{current}"),
            severity: strongest.clamp(0.0, 1.0),
            current_value: main.1,
            baseline_value: main.2,
            impact_magnitude: strongest.clamp(0.0, 1.0),
            recommendation,
            affected_components: vec!["formation".into()],
        }]
    }
}
