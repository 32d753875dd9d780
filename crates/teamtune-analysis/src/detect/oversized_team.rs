//! `oversized_team` (Victor rule): for each team size above 2 with at least 3 runs, mean
//! duration per member above 30 s.

use std::collections::BTreeMap;

use super::{DetectionInput, Detector};
use crate::insight::Insight;
use crate::summary::mean;

#[derive(Debug, Clone, Copy, Default)]
pub struct OversizedTeam;

/// Victor's fixed per-member threshold (not a baseline).
const SECONDS_PER_MEMBER: f64 = 30.0;

impl Detector for OversizedTeam {
    fn name(&self) -> &str {
        "oversized_team"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        // Victor groups in first-seen order (a dict); keep that order.
        let mut order = Vec::new();
        let mut groups: BTreeMap<u32, (usize, Vec<f64>)> = BTreeMap::new();
        for r in input.records {
            let g = groups.entry(r.member_count).or_insert_with(|| {
                order.push(r.member_count);
                (0, Vec::new())
            });
            g.0 += 1;
            if r.duration_seconds > 0.0 {
                g.1.push(r.duration_seconds);
            }
        }
        let mut insights = Vec::new();
        for size in order {
            let (count, durations) = &groups[&size];
            if size <= 2 || *count < 3 {
                continue;
            }
            let Some(avg) = mean(durations) else { continue };
            let per_member = avg / f64::from(size);
            if per_member > SECONDS_PER_MEMBER {
                let severity = ((per_member - SECONDS_PER_MEMBER) / SECONDS_PER_MEMBER).min(1.0);
                insights.push(Insight {
                    bottleneck: self.name().to_owned(),
                    severity,
                    current_value: f64::from(size),
                    baseline_value: 5.0,
                    impact_magnitude: severity * 0.7,
                    recommendation: format!(
                        "Team size ({size}) shows diminishing returns. Consider reducing to 3-5 members for better efficiency."
                    ),
                    affected_components: vec!["team_size".into()],
                });
            }
        }
        insights
    }
}
