//! `failing_member`: a member that fails far more often than its peers (at least 20 points
//! and twice their median failure rate).

use super::{DetectionInput, Detector, MIN_EVIDENCE_RUNS};
use crate::insight::Insight;
use crate::summary::median;

#[derive(Debug, Clone, Copy, Default)]
pub struct FailingMember;

impl Detector for FailingMember {
    fn name(&self) -> &str {
        "failing_member"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        let members: Vec<_> = input
            .summary
            .members
            .iter()
            .filter(|m| m.runs >= MIN_EVIDENCE_RUNS)
            .collect();
        if members.len() < 2 {
            return Vec::new();
        }
        let mut insights = Vec::new();
        for (i, member) in members.iter().enumerate() {
            let peers: Vec<f64> = members
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, m)| m.failure_rate)
                .collect();
            let Some(peer_rate) = median(&peers) else {
                continue;
            };
            let rate = member.failure_rate;
            if rate - peer_rate < 0.2 || rate < 2.0 * peer_rate {
                continue;
            }
            let severity = (rate - peer_rate).min(1.0);
            insights.push(Insight {
                bottleneck: self.name().to_owned(),
                severity,
                current_value: rate,
                baseline_value: peer_rate,
                impact_magnitude: severity,
                recommendation: format!(
                    "Member '{}' fails in {:.1}% of its runs; its peers' median is {:.1}%. Consider replacing or dropping it.",
                    member.member_id,
                    rate * 100.0,
                    peer_rate * 100.0
                ),
                affected_components: vec![format!("member:{}", member.member_id)],
            });
        }
        insights
    }
}
