//! `member_selection`: drop the member a `slow_member` or `failing_member` insight names
//! (never the manager, never the last member). For a slow member the duration gain is
//! predicted from member timings; for a failing member the gain is in success rate (the share
//! of runs where every other member succeeded), reported with `metadata.metric =
//! "success_rate"`.

use serde_json::json;

use crate::strategy::estimate::predict_duration;
use crate::strategy::{Strategy, StrategyContext, manager_of, members_value, object};
use crate::suggestion::{Priority, Suggestion, SuggestionType};
use crate::summary::ratio;

#[derive(Debug, Clone, Copy, Default)]
pub struct MemberSelection;

impl Strategy for MemberSelection {
    fn name(&self) -> &str {
        "member_selection"
    }

    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
        let members = &ctx.config.members;
        if members.len() < 2 {
            return Vec::new();
        }
        let manager = manager_of(ctx.config).map(|m| m.id.as_str());
        let protected = if ctx.config.team_formation == teamtune_model::Formation::Hierarchical {
            manager
        } else {
            None
        };
        let mut out = Vec::new();
        for insight in ctx
            .insights
            .iter()
            .filter(|i| i.bottleneck == "slow_member" || i.bottleneck == "failing_member")
        {
            for id in insight.members() {
                if Some(id) == protected || !members.iter().any(|m| m.id == id) {
                    continue;
                }
                let kept: Vec<_> = members.iter().filter(|m| m.id != id).cloned().collect();
                let current_config = object([("members", members_value(members))]);
                let suggested_config = object([("members", members_value(&kept))]);
                let formation = ctx.config.team_formation;
                let prediction =
                    predict_duration(ctx.records, formation, formation, manager, &|m| m != id);
                if insight.bottleneck == "slow_member" {
                    let Some(p) = prediction.filter(|p| p.improvement_percent() > 1.0) else {
                        continue;
                    };
                    out.push(Suggestion::new(
                        SuggestionType::MemberSelection,
                        format!(
                            "Drop member '{id}': it takes {:.1}s on average against its peers' median of {:.1}s; runs should take about {:.1}s instead of {:.1}s.",
                            insight.current_value, insight.baseline_value, p.predicted, p.observed
                        ),
                        current_config,
                        suggested_config,
                        p.improvement_percent(),
                        0.7,
                        0.45,
                        object([
                            ("estimate", json!("member_timings")),
                            ("member", json!(id)),
                            ("reason", json!("slow_member")),
                            ("runs", json!(p.runs)),
                        ]),
                    ));
                } else {
                    let with_member: Vec<_> = ctx
                        .records
                        .iter()
                        .filter(|r| r.members.iter().any(|m| &*m.member_id == id))
                        .collect();
                    let others_ok = with_member
                        .iter()
                        .filter(|r| {
                            r.members
                                .iter()
                                .filter(|m| &*m.member_id != id)
                                .all(|m| m.success)
                        })
                        .count();
                    let current_ok = with_member.iter().filter(|r| r.success).count();
                    let gain = (ratio(others_ok, with_member.len())
                        - ratio(current_ok, with_member.len()))
                        * 100.0;
                    if gain <= 1.0 {
                        continue;
                    }
                    let mut metadata = object([
                        ("estimate", json!("member_outcomes")),
                        ("metric", json!("success_rate")),
                        ("member", json!(id)),
                        ("reason", json!("failing_member")),
                        ("runs", json!(with_member.len())),
                    ]);
                    if let Some(p) = prediction {
                        metadata.insert(
                            "predicted_duration_improvement".into(),
                            json!(p.improvement_percent()),
                        );
                    }
                    out.push(
                        Suggestion::new(
                            SuggestionType::MemberSelection,
                            format!(
                                "Drop member '{id}': it fails in {:.0}% of its runs (peers' median {:.0}%); the team would have succeeded in {gain:.0} more runs out of 100.",
                                insight.current_value * 100.0,
                                insight.baseline_value * 100.0
                            ),
                            current_config,
                            suggested_config,
                            gain,
                            0.7,
                            0.45,
                            metadata,
                        )
                        .with_priority(Priority::High)
                        .judged_on_success_rate(),
                    );
                }
            }
        }
        out
    }
}
