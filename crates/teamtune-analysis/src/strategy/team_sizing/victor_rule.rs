//! Victor's rule: on an `oversized_team` insight, shrink the team to
//! `min(5, int(size * 0.7))` members, dropping members from the end of the list (never the
//! manager). The improvement is predicted from member timings when recorded, else Victor's
//! constant 15%.

use serde_json::json;

use crate::strategy::estimate::predict_duration;
use crate::strategy::{StrategyContext, manager_of, members_value, object};
use crate::suggestion::{Suggestion, SuggestionType};

/// Victor's rule: on `oversized_team`, shrink to `min(5, int(size * 0.7))`.
pub(super) fn victor_resize(ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
    if !ctx.has_insight("oversized_team") {
        return Vec::new();
    }
    let members = &ctx.config.members;
    let size = members.len();
    let target = (size * 7 / 10).clamp(1, 5);
    if target >= size {
        return Vec::new();
    }
    let manager = manager_of(ctx.config)
        .filter(|m| m.is_manager)
        .map(|m| m.id.clone());
    let mut dropped = Vec::new();
    for m in members.iter().rev() {
        if size - dropped.len() <= target {
            break;
        }
        if Some(&m.id) != manager.as_ref() {
            dropped.push(m.id.clone());
        }
    }
    let kept: Vec<_> = members
        .iter()
        .filter(|m| !dropped.contains(&m.id))
        .cloned()
        .collect();
    let formation = ctx.config.team_formation;
    let prediction = predict_duration(
        ctx.records,
        formation,
        formation,
        manager_of(ctx.config).map(|m| m.id.as_str()),
        &|id| !dropped.iter().any(|d| d == id),
    );
    let (expected, confidence, estimate) = match prediction {
        Some(p) if p.improvement_percent() > 1.0 => {
            (p.improvement_percent(), 0.75, "member_timings")
        }
        Some(_) => return Vec::new(),
        None => (15.0, 0.6, "constant"),
    };
    let mut metadata = object([
        ("reason", json!("diminishing_returns")),
        ("estimate", json!(estimate)),
        ("dropped_members", json!(dropped)),
    ]);
    if let Some(p) = prediction {
        metadata.insert("predicted_mean_duration".into(), json!(p.predicted));
        metadata.insert("observed_mean_duration".into(), json!(p.observed));
        metadata.insert("runs".into(), json!(p.runs));
    }
    vec![Suggestion::new(
        SuggestionType::TeamSizing,
        format!(
            "Reduce team size from {size} to {} (drop {}).",
            kept.len(),
            dropped.join(", ")
        ),
        object([("members", members_value(members))]),
        object([("members", members_value(&kept))]),
        expected,
        confidence,
        0.3,
        metadata,
    )]
}
