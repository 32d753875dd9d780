//! Shrinking a parallel or consensus team by replaying its own member turns
//! ([`Replay`]): for each smaller size `k` (members dropped from the end) the seconds per
//! successful run are predicted; the size is chosen under the upper coordination bound and
//! the expected gain is the midpoint's.
//!
//! A cut can be a joint move: when the kept members' budgets would fail runs at the smaller
//! size (and their calls follow the work, not the budget), the suggestion raises them to the
//! predicted 95th percentile of a member's calls at that size (over every round a consensus
//! member may retry) plus [`BUDGET_HEADROOM`], never below the current budget, and predicts
//! the size with those budgets; `metadata` says so (`budgets_raised`, `raised_tool_budgets`,
//! the success rate predicted under the current budgets). Such a cut must beat the same raise
//! at the current size, else the gain is the budget's.

use serde_json::json;
use teamtune_model::Formation;

use super::calls_follow_budget;
use super::replay::{Replay, Sharing};
use crate::strategy::{StrategyContext, members_value, object};
use crate::suggestion::{Suggestion, SuggestionType};

/// Headroom of a raised per-member budget over the predicted 95th percentile of a member's
/// calls (a joint cut-and-raise of [`concurrent_resize`]).
pub(super) const BUDGET_HEADROOM: f64 = 1.25;

/// A smaller parallel or consensus team, sized by replaying its own member turns.
pub(super) fn concurrent_resize(ctx: &StrategyContext<'_>, replay: &Replay) -> Option<Suggestion> {
    let formation = ctx.config.team_formation;
    let members = &ctx.config.members;
    let n = members.len();
    if !matches!(formation, Formation::Parallel | Formation::Consensus) || n < 3 {
        return None;
    }
    let budget = |k: usize| {
        members[..k]
            .iter()
            .map(|m| m.tool_budget.map(f64::from))
            .try_fold(f64::INFINITY, |acc, b| b.map(|b| acc.min(b)))
            .filter(|b| b.is_finite())
    };
    let mid = replay.floor / 2.0;
    // The current size through the same model, so model error cancels out in the comparison.
    let now = replay.predict(n, mid, budget(n), Sharing::Equal)?;
    // Members whose calls follow their budget would spend a raised one too.
    let may_raise = !calls_follow_budget(ctx);
    // A joint move: when the first k members' budgets would fail runs at size k (each one's
    // share, over every round a consensus member may retry, exceeds it), the cut raises them
    // to the predicted 95th percentile of a member's calls plus headroom, if that helps.
    let raise = |k: usize| -> Option<u32> {
        let b = budget(k)?;
        let capped = replay.predict(k, mid, Some(b), Sharing::Equal)?;
        let free = replay.predict(k, mid, None, Sharing::Equal)?;
        if !may_raise || capped.success >= free.success - 1e-9 {
            return None;
        }
        let need = (replay.member_calls_p95(k)? * BUDGET_HEADROOM).ceil();
        if !need.is_finite() || need <= b || need > f64::from(u32::MAX) {
            return None;
        }
        let raised = replay.predict(k, mid, Some(need), Sharing::Equal)?;
        (raised.per_success() < capped.per_success()).then_some(need as u32)
    };
    let budget_at = |k: usize, raised: Option<u32>| raised.map(f64::from).or(budget(k));
    // The size is chosen under the upper bound (the A/B test guards against a cut too deep);
    // the expected gain is the midpoint's at that size.
    let (k, raised, _) = (2..n)
        .filter_map(|k| {
            let raised = raise(k);
            Some((
                k,
                raised,
                replay.predict(k, replay.floor, budget_at(k, raised), Sharing::Equal)?,
            ))
        })
        .min_by(|a, b| a.2.per_success().total_cmp(&b.2.per_success()))?;
    let best = replay.predict(k, mid, budget_at(k, raised), Sharing::Equal)?;
    let gain = |coordination: f64| -> Option<f64> {
        let now = replay
            .predict(n, coordination, budget(n), Sharing::Equal)?
            .per_success();
        let then = replay
            .predict(k, coordination, budget_at(k, raised), Sharing::Equal)?
            .per_success();
        Some((1.0 - then / now) * 100.0)
    };
    let expected = (1.0 - best.per_success() / now.per_success()) * 100.0;
    if expected <= 1.0 || !expected.is_finite() {
        return None;
    }
    // A joint move must owe its gain to the cut: the same raise at the current size (where
    // the budget would bind too) is the bar, else it is tool_budget's business.
    if raised.is_some() {
        let bar = replay
            .predict(n, mid, budget_at(n, raise(n)), Sharing::Equal)?
            .per_success();
        if best.per_success() >= bar * 0.99 {
            return None;
        }
    }
    let mut kept = ctx.config.resized(k).members;
    let mut raised_budgets = serde_json::Map::new();
    if let Some(need) = raised {
        for m in &mut kept {
            if let Some(b) = m.tool_budget.filter(|b| *b < need) {
                raised_budgets.insert(m.id.clone(), json!({"from": b, "to": need}));
                m.tool_budget = Some(need);
            }
        }
    }
    let dropped: Vec<&str> = members[k..].iter().map(|m| m.id.as_str()).collect();
    let budget_note = match raised {
        Some(need) => {
            let capped = replay.predict(k, mid, budget(k), Sharing::Equal)?;
            format!(
                " Raise the kept members' tool budgets to {need} as well: each of {k} makes a bigger share of the calls{}, so under the current budgets the replay predicts {:.0}% successful runs instead of {:.0}% ({}); {need} is the predicted 95th percentile of a member's calls plus {:.0}%.",
                if replay.consensus {
                    " and a member that failed retries on what is left of its budget"
                } else {
                    ""
                },
                capped.success * 100.0,
                best.success * 100.0,
                seconds_per_success_text(capped.per_success()),
                (BUDGET_HEADROOM - 1.0) * 100.0,
            )
        }
        None => String::new(),
    };
    let mut metadata = object([
        ("budgets_raised", json!(raised.is_some())),
        ("raised_tool_budgets", json!(raised_budgets)),
    ]);
    if let Some(need) = raised {
        let capped = replay.predict(k, mid, budget(k), Sharing::Equal)?;
        metadata.insert(
            "budget_raise_reason".into(),
            json!("shared_calls_exceed_budget_at_smaller_size"),
        );
        metadata.insert(
            "predicted_member_calls_p95".into(),
            json!(replay.member_calls_p95(k)),
        );
        metadata.insert("budget_headroom".into(), json!(BUDGET_HEADROOM));
        metadata.insert("raised_tool_budget".into(), json!(need));
        metadata.insert(
            "predicted_success_rate_with_current_budgets".into(),
            json!(capped.success),
        );
        metadata.insert(
            "predicted_seconds_per_success_with_current_budgets".into(),
            json!(capped.per_success()),
        );
    }
    let mut suggestion = Suggestion::new(
        SuggestionType::TeamSizing,
        format!(
            "Reduce the {formation} team from {n} to {k} members (drop {}): replaying its runs with the first {k} members, a round waits for fewer members and needs fewer retries; predicted {:.1}s per successful run against {:.1}s (coordination taken as half the floor of the members' time without tool calls, {:.1}s per turn).{budget_note}",
            dropped.join(", "),
            best.per_success(),
            now.per_success(),
            mid
        ),
        object([("members", members_value(members))]),
        object([("members", members_value(&kept))]),
        expected,
        0.7,
        0.35,
        object([
            ("reason", json!("round_waits_for_slowest")),
            ("estimate", json!("member_turn_replay")),
            ("metric", json!("seconds_per_successful_run")),
            ("dropped_members", json!(dropped)),
            ("runs", json!(replay.runs.len())),
            ("seconds_per_call", json!(replay.seconds_per_call)),
            ("member_failure_rate", json!(replay.member_failure_rate)),
            ("coordination_seconds_per_turn", json!(mid)),
            ("coordination_upper_bound_seconds", json!(replay.floor)),
            ("improvement_without_coordination", json!(gain(0.0))),
            (
                "improvement_with_full_floor_as_coordination",
                json!(gain(replay.floor)),
            ),
            ("predicted_mean_duration", json!(best.duration)),
            ("predicted_success_rate", json!(best.success)),
            ("model_mean_duration_now", json!(now.duration)),
            ("model_success_rate_now", json!(now.success)),
        ]),
    );
    suggestion.metadata.extend(metadata);
    Some(suggestion)
}

/// "12.3s per successful run", or "no successful run" when the replay predicts none (an
/// infinite figure would print as `infs`).
fn seconds_per_success_text(seconds: f64) -> String {
    if seconds.is_finite() {
        format!("{seconds:.1}s per successful run")
    } else {
        "no successful run".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::seconds_per_success_text;

    #[test]
    fn no_success_reads_as_words_not_infs() {
        assert_eq!(seconds_per_success_text(12.34), "12.3s per successful run");
        assert_eq!(seconds_per_success_text(f64::INFINITY), "no successful run");
    }
}
