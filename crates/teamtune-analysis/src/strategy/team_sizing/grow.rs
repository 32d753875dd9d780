//! Growing a parallel or consensus team (up to [`MAX_GROWN_MEMBERS`]) when its shared tool
//! calls dominate each member's turn, with the same [`Replay`]: each of `k` members makes
//! about `calls / k` (plus its observed deviation from the equal share, scaled by
//! `sqrt(n / k)` as a random split of the calls would), the added members' times without
//! calls are resampled from the other runs, every turn pays the coordination share of each
//! added member, hangs happen to each added member too, and the team's smallest budget caps
//! each share. The size is chosen under the bound that favours growing (no coordination),
//! among the sizes the midpoint expects to gain from; it is proposed when that best case gains
//! at least [`GROW_MARGIN_PERCENT`], with the midpoint's gain as the expected improvement. New
//! members clone the last one under ids `<last id>_2`, `_3`, ... (skipping ids in use;
//! [`TeamConfig::resized`](teamtune_model::TeamConfig::resized)).
//! Growing never touches budgets (lowering them is tool_budget's job).

use serde_json::json;
use teamtune_model::Formation;

use super::calls_follow_budget;
use super::replay::{Replay, Sharing, SizeOutlook};
use crate::run_sample::{FailureKind, RunSample};
use crate::strategy::{StrategyContext, members_value, object};
use crate::suggestion::{Suggestion, SuggestionType};
use crate::summary::mean;

/// The largest team [`concurrent_grow`] proposes (the sim's and the oracle's bound too).
pub const MAX_GROWN_MEMBERS: usize = 8;

/// How much fewer predicted seconds per successful run a bigger team must promise without
/// coordination, in percent: growing costs an A/B test and more members, so a marginal gain
/// is not worth trying.
pub(super) const GROW_MARGIN_PERCENT: f64 = 10.0;

/// What it must still promise with the midpoint coordination, in percent (as for a cut).
const MIN_MIDPOINT_GAIN_PERCENT: f64 = 1.0;

/// A bigger parallel or consensus team, when its own runs say the shared tool calls dominate
/// each member's turn: with k members each makes about `calls / k` of the run's calls, while
/// every turn pays coordination for each added member. The size is chosen under the midpoint
/// coordination estimate; both bounds' gains are in `metadata`.
pub(super) fn concurrent_grow(ctx: &StrategyContext<'_>, replay: &Replay) -> Option<Suggestion> {
    let formation = ctx.config.team_formation;
    let members = &ctx.config.members;
    let n = members.len();
    let last = members.last()?;
    if !matches!(formation, Formation::Parallel | Formation::Consensus)
        || !(2..MAX_GROWN_MEMBERS).contains(&n)
        || calls_follow_budget(ctx)
    {
        return None;
    }
    // Clones take the last member's budget, which the whole team's minimum already covers.
    let budget = members
        .iter()
        .map(|m| m.tool_budget.map(f64::from))
        .try_fold(f64::INFINITY, |acc, b| b.map(|b| acc.min(b)))
        .filter(|b| b.is_finite());
    // Replay's other failures (timeouts, budget) stay as they were at every size; member turns
    // that timed out (hangs) happen to each added member too.
    let hang = member_timeout_rate(ctx.records, formation.as_str());
    let outlook = |k: usize, coordination: f64| -> Option<SizeOutlook> {
        let mut o = replay.predict(k, coordination, budget, Sharing::Spread)?;
        o.success *= (1.0 - hang).powi(i32::try_from(k - n).unwrap_or(i32::MAX));
        Some(o)
    };
    let gain = |k: usize, coordination: f64| -> Option<f64> {
        let now = outlook(n, coordination)?.per_success();
        let then = outlook(k, coordination)?.per_success();
        Some((1.0 - then / now) * 100.0)
    };
    let mid = replay.floor / 2.0;
    // Mirror of the cut: the size is chosen under the bound that favours growing (no
    // coordination), among the sizes the midpoint does not expect to lose; the A/B test guards
    // against growing too far, and the expected gain is the midpoint's.
    let (k, best_case) = (n + 1..=MAX_GROWN_MEMBERS)
        .filter(|&k| gain(k, mid).is_some_and(|g| g > MIN_MIDPOINT_GAIN_PERCENT))
        .filter_map(|k| Some((k, gain(k, 0.0)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let expected = gain(k, mid)?;
    if best_case < GROW_MARGIN_PERCENT || !expected.is_finite() {
        return None;
    }
    let now = outlook(n, mid)?;
    let best = outlook(k, mid)?;
    let grown = ctx.config.resized(k).members;
    let added: Vec<String> = grown[n..].iter().map(|m| m.id.clone()).collect();
    let calls = mean(&replay.runs.iter().map(|r| r.1).collect::<Vec<_>>())?;
    let think: Vec<f64> = replay
        .pool
        .iter()
        .map(|(b, _)| (b - mid).max(0.0))
        .collect();
    Some(Suggestion::new(
        SuggestionType::TeamSizing,
        format!(
            "Grow the {formation} team from {n} to {k} members (add {}, clones of `{}`): its runs share {calls:.1} tool calls of {:.2}s, so each of {k} members makes about {:.1} instead of {:.1}; predicted {:.1}s per successful run against {:.1}s (coordination taken as half the floor of the members' time without tool calls, {mid:.1}s per turn, growing with each member).",
            added.join(", "),
            last.id,
            replay.seconds_per_call,
            calls / k as f64,
            calls / n as f64,
            best.per_success(),
            now.per_success(),
        ),
        object([("members", members_value(members))]),
        object([("members", members_value(&grown))]),
        expected,
        0.65,
        0.35,
        object([
            ("reason", json!("shared_calls_dominate")),
            ("estimate", json!("member_turn_replay_grown")),
            ("metric", json!("seconds_per_successful_run")),
            ("added_members", json!(added)),
            ("runs", json!(replay.runs.len())),
            ("seconds_per_call", json!(replay.seconds_per_call)),
            ("mean_calls_per_run", json!(calls)),
            ("mean_think_seconds", json!(mean(&think))),
            ("member_failure_rate", json!(replay.member_failure_rate)),
            ("tool_budget", json!(budget)),
            ("coordination_seconds_per_turn", json!(mid)),
            ("coordination_upper_bound_seconds", json!(replay.floor)),
            ("improvement_without_coordination", json!(best_case)),
            (
                "improvement_with_full_floor_as_coordination",
                json!(gain(k, replay.floor)),
            ),
            ("member_timeout_rate", json!(hang)),
            ("predicted_mean_duration", json!(best.duration)),
            ("predicted_success_rate", json!(best.success)),
            ("model_mean_duration_now", json!(now.duration)),
            ("model_success_rate_now", json!(now.success)),
        ]),
    ))
}

/// Share of the member turns of `formation`'s runs that failed by timeout.
fn member_timeout_rate(records: &[RunSample], formation: &str) -> f64 {
    let turns: Vec<_> = records
        .iter()
        .filter(|r| &*r.formation == formation)
        .flat_map(|r| r.members.iter())
        .collect();
    let timed_out = turns
        .iter()
        .filter(|m| {
            !m.success
                && m.error_message
                    .as_ref()
                    .is_some_and(|e| e.kind() == FailureKind::Timeout)
        })
        .count();
    timed_out as f64 / turns.len().max(1) as f64
}
