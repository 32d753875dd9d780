//! The twin's best configuration as a [`Suggestion`] (`twin_search`): the whole suggested
//! configuration (every key, `null` for a timeout or budget it removes), the predicted effect,
//! and in `metadata` what it stands on: the objective, the figures predicted for the current
//! and the suggested configuration, the fit check, and whether the coordination cost was
//! measured or assumed.

use serde_json::{Map, Value, json};
use teamtune_model::TeamConfig;

use super::check::FitCheck;
use super::fit::Twin;
use super::search::{Candidate, SearchOutcome};
use crate::suggestion::{Suggestion, SuggestionType};

/// `config` as a full partial config: every key present, `null` where unset.
pub fn full_config(config: &TeamConfig) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("team_formation".into(), json!(config.team_formation));
    m.insert("timeout_seconds".into(), json!(config.timeout_seconds));
    m.insert("total_tool_budget".into(), json!(config.total_tool_budget));
    m.insert("max_iterations".into(), json!(config.max_iterations));
    m.insert("members".into(), json!(config.members));
    m
}

/// What changes from `a` to `b`, in words.
pub fn describe_change(a: &TeamConfig, b: &TeamConfig) -> Vec<String> {
    let mut out = Vec::new();
    if a.team_formation != b.team_formation {
        out.push(format!(
            "formation {} -> {}",
            a.team_formation.as_str(),
            b.team_formation.as_str()
        ));
    }
    if a.members.len() != b.members.len() {
        out.push(format!(
            "{} -> {} members",
            a.members.len(),
            b.members.len()
        ));
    }
    let budgets = |c: &TeamConfig| -> Vec<String> {
        c.members
            .iter()
            .map(|m| m.tool_budget.map_or("none".into(), |b| b.to_string()))
            .collect()
    };
    let (ba, bb) = (budgets(a), budgets(b));
    if ba != bb {
        let show = |v: &[String]| {
            let mut u = v.to_vec();
            u.dedup();
            u.join("/")
        };
        out.push(format!("tool budgets {} -> {}", show(&ba), show(&bb)));
    }
    if a.timeout_seconds != b.timeout_seconds {
        let t = |v: Option<f64>| v.map_or("none".into(), |s| format!("{s} s"));
        out.push(format!(
            "timeout {} -> {}",
            t(a.timeout_seconds),
            t(b.timeout_seconds)
        ));
    }
    if a.max_iterations != b.max_iterations && b.team_formation.as_str() == "consensus" {
        out.push(format!(
            "max_iterations {} -> {}",
            a.max_iterations, b.max_iterations
        ));
    }
    out
}

/// The suggestion for `best`, found by `outcome` in `twin` for the team now at `current`.
pub fn twin_suggestion(
    twin: &Twin,
    fit: &FitCheck,
    current: &TeamConfig,
    outcome: &SearchOutcome,
    best: &Candidate,
) -> Suggestion {
    let changes = describe_change(current, &best.config);
    let mut metadata = Map::new();
    metadata.insert("estimate".into(), json!("twin"));
    metadata.insert("objective".into(), json!(outcome.objective));
    metadata.insert("predicted_current".into(), json!(outcome.baseline));
    metadata.insert("predicted".into(), json!(best.prediction));
    metadata.insert("fit".into(), json!(fit));
    metadata.insert("evaluated".into(), json!(outcome.evaluated));
    metadata.insert(
        "coordination_seconds_per_member".into(),
        json!(twin.coordination_s),
    );
    metadata.insert(
        "coordination".into(),
        json!(if twin.coordination_fitted {
            "measured at several team sizes"
        } else {
            "not measured (one team size seen); judged on the worst case"
        }),
    );
    let confidence = (0.95 - fit.distance / fit.threshold.max(1e-9) * 0.2).clamp(0.6, 0.95);
    let risk = if changes.len() > 2 { 0.5 } else { 0.3 };
    Suggestion::new(
        SuggestionType::TwinSearch,
        format!(
            "Joint change found by the team's twin: {} ({} predicted {:.0}% better)",
            if changes.is_empty() {
                "same settings".to_string()
            } else {
                changes.join(", ")
            },
            outcome.objective.as_str(),
            best.improvement_percent
        ),
        full_config(current),
        full_config(&best.config),
        best.improvement_percent,
        confidence,
        risk,
        metadata,
    )
}
