//! `team_sizing`: on `oversized_team`, shrink the team to Victor's target
//! (`min(5, int(size * 0.7))`), dropping members from the end of the list (never the
//! manager). The improvement is predicted from member timings when recorded, else Victor's
//! constant 15%.
//!
//! Concurrent teams (parallel, consensus) are also sized from their own member turns, with
//! or without Victor's insight: a round waits for its slowest member, more members mean more
//! retry rounds (consensus) or more ways to fail (parallel), and every turn pays coordination
//! for each other member. For each smaller size k (members dropped from the end), each
//! observed run is replayed with its first k members: a member's time without its tool calls
//! (seconds per call from the members' own turns) plus an equal share of the run's tool calls,
//! minus the coordination share of the dropped members; the slowest of the k is the round.
//! Retry rounds and success follow the member failure rate seen. The coordination share
//! cannot be told apart from thinking time at a single team size: the lower bound takes none,
//! the upper bound takes the whole floor of the members' time without calls (its 5th
//! percentile) as coordination growing with the team; the estimate is their midpoint, and
//! both bounds are in `metadata`. Budgets that the shared calls would exceed count as failed
//! runs; in a consensus team a member that failed retries on what is left of its budget, so
//! a run gets only the rounds its budget covers. The size with the fewest predicted seconds
//! per successful run is proposed.
//!
//! A cut can be a joint move: when the kept members' budgets would fail runs at the smaller
//! size (and their calls follow the work, not the budget), the suggestion raises them to the
//! predicted 95th percentile of a member's calls at that size (over every round a consensus
//! member may retry) plus 25%, never below the current budget, and predicts the size with
//! those budgets; `metadata` says so (`budgets_raised`, `raised_tool_budgets`, the success
//! rate predicted under the current budgets). Such a cut must beat the same raise at the
//! current size, else the gain is the budget's. Growing never touches budgets (lowering
//! them is tool_budget's job).
//!
//! The same replay also grows such a team (up to [`MAX_GROWN_MEMBERS`](grow::MAX_GROWN_MEMBERS)) when its shared tool
//! calls dominate each member's turn: each of k members makes about `calls / k` (plus its
//! observed deviation from the equal share, scaled by `sqrt(n / k)` as a random split of the
//! calls would), the added members' times without calls are resampled from the other runs,
//! every turn pays the coordination share of each added member, hangs happen to each added
//! member too, and the team's smallest budget caps each share. Mirroring the cut, the size is
//! chosen under the bound that favours growing (no coordination), among the sizes the midpoint
//! expects to gain from; it is proposed when that best case gains at least 10%, with the
//! midpoint's gain as the expected improvement. New members clone the last one under ids
//! `<last id>_2`, `_3`, ... (skipping ids in use). Not when the members' calls follow their
//! budget (they would keep spending it however the work is shared), nor when a cut is
//! proposed.
//!
//! One job per file: [`victor_rule`] (Victor's rule), [`replay`] (the replay model),
//! [`shrink`] (the cut, with its budget raise) and [`grow`]; this module holds the
//! [`Strategy`] impl that asks them in turn.

mod grow;
mod replay;
mod shrink;
#[cfg(test)]
mod tests;
mod victor_rule;

use teamtune_model::Formation;

use self::grow::concurrent_grow;
use self::replay::Replay;
use self::shrink::concurrent_resize;
use self::victor_rule::victor_resize;
use crate::strategy::estimate::{any_budget_exhausted, budget_following_usage};
use crate::strategy::{Strategy, StrategyContext};
use crate::suggestion::Suggestion;

#[derive(Debug, Clone, Copy, Default)]
pub struct TeamSizing;

impl Strategy for TeamSizing {
    fn name(&self) -> &str {
        "team_sizing"
    }

    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
        let concurrent = matches!(
            ctx.config.team_formation,
            Formation::Parallel | Formation::Consensus
        );
        let replay = if concurrent { Replay::of(ctx) } else { None };
        let shrink = replay.as_ref().and_then(|r| concurrent_resize(ctx, r));
        // A team the replay would rather cut is not also offered more members.
        let grow = match (&replay, &shrink) {
            (Some(r), None) => concurrent_grow(ctx, r),
            _ => None,
        };
        let mut out: Vec<Suggestion> = shrink.into_iter().chain(grow).collect();
        out.extend(victor_resize(ctx));
        out
    }
}

/// Whether some member's calls follow its budget rather than the work (its lightest
/// successful runs, p10, use half the budget or more, or its mean uses 80%; no run failed by
/// budget exhaustion): such a member keeps spending its budget however the work is shared,
/// so more members would not cut the calls each makes.
fn calls_follow_budget(ctx: &StrategyContext<'_>) -> bool {
    !any_budget_exhausted(ctx.records)
        && ctx
            .config
            .members
            .iter()
            .any(|m| budget_following_usage(ctx.records, m).is_some())
}
