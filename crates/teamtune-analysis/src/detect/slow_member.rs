//! `slow_member`: a member whose mean duration is more than twice its peers' median.

use super::{DetectionInput, Detector, MIN_EVIDENCE_RUNS};
use crate::insight::Insight;
use crate::summary::{MemberSummary, median};

#[derive(Debug, Clone, Copy, Default)]
pub struct SlowMember;

/// How many times the peers' median a member must take to be called slow.
pub const SLOW_MEMBER_RATIO: f64 = 2.0;

impl Detector for SlowMember {
    fn name(&self) -> &str {
        "slow_member"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        let timed: Vec<(&MemberSummary, f64)> = input
            .summary
            .members
            .iter()
            .filter(|m| m.runs >= MIN_EVIDENCE_RUNS)
            .filter_map(|m| Some((m, m.mean_duration_seconds?)))
            .collect();
        if timed.len() < 2 {
            return Vec::new();
        }
        let mut insights = Vec::new();
        for (i, (member, mean)) in timed.iter().enumerate() {
            let peers: Vec<f64> = timed
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (_, d))| *d)
                .collect();
            let Some(peer_median) = median(&peers) else {
                continue;
            };
            if peer_median <= 0.0 || *mean <= SLOW_MEMBER_RATIO * peer_median {
                continue;
            }
            let severity = 1.0 - peer_median / mean;
            insights.push(Insight {
                bottleneck: self.name().to_owned(),
                severity,
                current_value: *mean,
                baseline_value: peer_median,
                impact_magnitude: severity,
                recommendation: format!(
                    "Member '{}' takes {mean:.1}s on average, {:.1}x its peers' median ({peer_median:.1}s). Consider dropping or replacing it.",
                    member.member_id,
                    mean / peer_median
                ),
                affected_components: vec![format!("member:{}", member.member_id)],
            });
        }
        insights
    }
}
