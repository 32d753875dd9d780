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
//! The same replay also grows such a team (up to [`MAX_GROWN_MEMBERS`]) when its shared tool
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

use serde_json::json;
use teamtune_model::Formation;

use super::tool_budget::member_seconds_per_call;
use super::{Strategy, StrategyContext, manager_of, members_value, object, predict_duration};
use crate::detect::MIN_EVIDENCE_RUNS;
use crate::run_sample::{FailureKind, RunSample};
use crate::suggestion::{Suggestion, SuggestionType};
use crate::summary::{mean, quantile};

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

/// Victor's rule: on `oversized_team`, shrink to `min(5, int(size * 0.7))`.
fn victor_resize(ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
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

/// Predicted mean duration and success rate of the team cut to its first `k` members.
#[derive(Debug, Clone, Copy)]
struct SizeOutlook {
    duration: f64,
    success: f64,
}

impl SizeOutlook {
    fn per_success(self) -> f64 {
        if self.success > 0.0 {
            self.duration / self.success
        } else {
            f64::INFINITY
        }
    }
}

/// The replayable part of the history: per run, the members' times without tool calls in
/// member order, and the run's total calls.
struct Replay {
    runs: Vec<(Vec<f64>, f64)>,
    /// Every member turn of `runs`, in run then member order: its time without calls and how
    /// many calls it made beyond an equal share of its run's calls.
    pool: Vec<(f64, f64)>,
    seconds_per_call: f64,
    member_failure_rate: f64,
    other_failure_share: f64,
    floor: f64,
    rounds: u32,
    consensus: bool,
}

impl Replay {
    fn of(ctx: &StrategyContext<'_>) -> Option<Replay> {
        let formation = ctx.config.team_formation;
        let n = ctx.config.members.len();
        let records: Vec<&RunSample> = ctx
            .records
            .iter()
            .filter(|r| &*r.formation == formation.as_str() && r.duration_seconds > 0.0)
            .collect();
        let (seconds_per_call, _) = member_seconds_per_call(ctx.records)?;
        let consensus = formation == Formation::Consensus;
        // Single-round runs where every member ran once: member time = one turn.
        let runs: Vec<(Vec<f64>, f64)> = records
            .iter()
            .filter(|r| r.success && r.members.len() == n && r.consensus_rounds.unwrap_or(1) <= 1)
            .map(|r| {
                let bare = r
                    .members
                    .iter()
                    .map(|m| {
                        (m.duration_seconds - seconds_per_call * m.tool_calls_used as f64).max(0.0)
                    })
                    .collect();
                (
                    bare,
                    r.members.iter().map(|m| m.tool_calls_used as f64).sum(),
                )
            })
            .collect();
        if runs.len() < MIN_EVIDENCE_RUNS {
            return None;
        }
        let other = records
            .iter()
            .filter(|r| {
                !r.success
                    && (r.failed_by(FailureKind::Timeout)
                        || r.failed_by(FailureKind::BudgetExhausted))
            })
            .count() as f64
            / records.len() as f64;
        let nf = n as f64;
        let member_failure_rate = if consensus {
            // A run needs another round when any member failed: 1 - (1 - p)^n of them.
            let multi = records
                .iter()
                .filter(|r| r.consensus_rounds.unwrap_or(1) > 1)
                .count() as f64
                / records.len() as f64;
            1.0 - (1.0 - multi).powf(1.0 / nf)
        } else {
            let turns: Vec<_> = records.iter().flat_map(|r| r.members.iter()).collect();
            let random = turns
                .iter()
                .filter(|m| {
                    !m.success
                        && m.error_message
                            .as_deref()
                            .is_none_or(|e| FailureKind::of_message(e) == FailureKind::Other)
                })
                .count();
            random as f64 / turns.len().max(1) as f64
        };
        let bare: Vec<f64> = runs.iter().flat_map(|r| r.0.iter().copied()).collect();
        let pool = records
            .iter()
            .filter(|r| r.success && r.members.len() == n && r.consensus_rounds.unwrap_or(1) <= 1)
            .zip(&runs)
            .flat_map(|(r, (bare, calls))| {
                r.members
                    .iter()
                    .zip(bare)
                    .map(move |(m, b)| (*b, m.tool_calls_used as f64 - calls / nf))
            })
            .collect();
        Some(Replay {
            floor: quantile(&bare, 0.05)?,
            pool,
            runs,
            seconds_per_call,
            member_failure_rate,
            other_failure_share: other,
            rounds: ctx.config.max_iterations.max(1),
            consensus,
        })
    }

    /// The team cut to its first `k` members, or grown to `k` (the added members' turns
    /// resampled from the other runs), with `coordination` seconds per turn of the current
    /// size assumed to be coordination (shared equally by the other members).
    fn predict(
        &self,
        k: usize,
        coordination: f64,
        budget: Option<f64>,
        sharing: Sharing,
    ) -> Option<SizeOutlook> {
        let n = self.runs.first()?.0.len();
        let per_other = if n > 1 {
            coordination / (n - 1) as f64
        } else {
            0.0
        };
        // Negative when the team grows: every turn pays for the added members.
        let saved = per_other * (n as f64 - k as f64);
        let mut rounds = Vec::new();
        let mut turns = Vec::new();
        let mut feasible = 0usize;
        let mut run_rounds = Vec::new();
        // A share of `calls / k` drawn at random from the run's calls spreads as sqrt(share)
        // (Poisson or multinomial), so an observed deviation from the equal share of n scales
        // by sqrt(n / k).
        let spread = (n as f64 / k as f64).sqrt();
        for (r, (_, calls)) in self.runs.iter().enumerate() {
            let equal = calls / k as f64;
            // Member j of run r is the pool entry r * n + j: run r's own members, then (when
            // growing) the next runs' members, wrapping around; a deterministic resample that
            // draws every added member from a different observed turn.
            let shares: Vec<(f64, f64)> = (0..k)
                .map(|j| {
                    let (bare, deviation) = self.pool[(r * n + j) % self.pool.len()];
                    let share = match sharing {
                        Sharing::Equal => equal,
                        Sharing::Spread => (equal + deviation * spread).max(0.0),
                    };
                    (bare, share)
                })
                .collect();
            // A consensus member that failed retries on what is left of its budget, so the
            // budget covers `b / share` of its turns: the rounds the run can still take.
            let heaviest = shares.iter().map(|s| s.1).fold(0.0, f64::max);
            let covered = match budget {
                Some(b) if heaviest > b => 0,
                Some(b) if self.consensus && heaviest > 0.0 => {
                    ((b / heaviest).floor() as u32).clamp(1, self.rounds)
                }
                _ => self.rounds,
            };
            if covered > 0 {
                feasible += 1;
            }
            run_rounds.push(if covered > 0 { covered } else { self.rounds });
            let times: Vec<f64> = shares
                .iter()
                .map(|(b, share)| (b - saved).max(0.0) + share * self.seconds_per_call)
                .collect();
            turns.extend(times.iter().copied());
            rounds.push(times.iter().copied().fold(0.0, f64::max));
        }
        let round = mean(&rounds)?;
        let turn = mean(&turns)?;
        let p = self.member_failure_rate;
        let k32 = i32::try_from(k).unwrap_or(i32::MAX);
        let (duration, reliability) = if self.consensus {
            // Per run: the retry rounds its budget covers, and the chance that every member
            // succeeds within them (a run its budget cannot start counts as failed below).
            let retry = |rounds: u32| -> f64 {
                (1..rounds)
                    .map(|r| 1.0 - (1.0 - p.powi(r as i32)).powi(k32))
                    .sum::<f64>()
            };
            let retries: Vec<f64> = run_rounds.iter().map(|&r| retry(r)).collect();
            let succeed: Vec<f64> = run_rounds
                .iter()
                .map(|&r| (1.0 - p.powi(r as i32)).powi(k32))
                .collect();
            (round + mean(&retries)? * turn, mean(&succeed)?)
        } else {
            (round, (1.0 - p).powi(k32))
        };
        let feasible = feasible as f64 / self.runs.len() as f64;
        Some(SizeOutlook {
            duration,
            success: (1.0 - self.other_failure_share) * reliability * feasible,
        })
    }
}

impl Replay {
    /// The 95th percentile of one member's tool calls over a run at size `k`: its share of
    /// the run's calls with its observed deviation scaled as a random split would
    /// ([`Sharing::Spread`]), over every turn its budget has to cover (each round of a
    /// consensus team, since a member that failed retries on what is left of its budget;
    /// normal approximation of the sum of that many turns).
    fn member_calls_p95(&self, k: usize) -> Option<f64> {
        let n = self.runs.first()?.0.len();
        let spread = (n as f64 / k as f64).sqrt();
        let shares: Vec<f64> = self
            .runs
            .iter()
            .enumerate()
            .flat_map(|(r, (_, calls))| {
                (0..k).map(move |j| {
                    let deviation = self.pool[(r * n + j) % self.pool.len()].1;
                    (calls / k as f64 + deviation * spread).max(0.0)
                })
            })
            .collect();
        let turns = if self.consensus { self.rounds } else { 1 };
        if turns <= 1 {
            return quantile(&shares, 0.95);
        }
        let m = mean(&shares)?;
        let var = mean(&shares.iter().map(|s| (s - m).powi(2)).collect::<Vec<_>>())?;
        let t = f64::from(turns);
        Some(t * m + Z95 * (t * var).sqrt())
    }
}

/// z of the 95th percentile of the standard normal.
const Z95: f64 = 1.644_853_626_951_472_2;

/// Headroom of a raised per-member budget over the predicted 95th percentile of a member's
/// calls (a joint cut-and-raise of [`concurrent_resize`]).
const BUDGET_HEADROOM: f64 = 1.25;

/// How [`Replay::predict`] gives a run's tool calls to `k` members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sharing {
    /// Every member makes `calls / k`.
    Equal,
    /// Every member makes `calls / k` plus its observed deviation from the equal share,
    /// scaled as a random split would: the slowest of more members is then not underrated.
    Spread,
}

/// A smaller parallel or consensus team, sized by replaying its own member turns.
fn concurrent_resize(ctx: &StrategyContext<'_>, replay: &Replay) -> Option<Suggestion> {
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
    let mut kept = members[..k].to_vec();
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
                " Raise the kept members' tool budgets to {need} as well: each of {k} makes a bigger share of the calls{}, so under the current budgets the replay predicts {:.0}% successful runs instead of {:.0}% ({:.1}s per successful run); {need} is the predicted 95th percentile of a member's calls plus {:.0}%.",
                if replay.consensus {
                    " and a member that failed retries on what is left of its budget"
                } else {
                    ""
                },
                capped.success * 100.0,
                best.success * 100.0,
                capped.per_success(),
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

/// The largest team [`concurrent_grow`] proposes (the sim's and the oracle's bound too).
pub const MAX_GROWN_MEMBERS: usize = 8;

/// How much fewer predicted seconds per successful run a bigger team must promise without
/// coordination, in percent: growing costs an A/B test and more members, so a marginal gain
/// is not worth trying.
const GROW_MARGIN_PERCENT: f64 = 10.0;

/// What it must still promise with the midpoint coordination, in percent (as for a cut).
const MIN_MIDPOINT_GAIN_PERCENT: f64 = 1.0;

/// A bigger parallel or consensus team, when its own runs say the shared tool calls dominate
/// each member's turn: with k members each makes about `calls / k` of the run's calls, while
/// every turn pays coordination for each added member. The size is chosen under the midpoint
/// coordination estimate; both bounds' gains are in `metadata`.
fn concurrent_grow(ctx: &StrategyContext<'_>, replay: &Replay) -> Option<Suggestion> {
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
    let mut grown = members.clone();
    let mut added = Vec::new();
    let mut suffix = 2;
    while grown.len() < k {
        let id = format!("{}_{suffix}", last.id);
        suffix += 1;
        if grown.iter().any(|m| m.id == id) {
            continue;
        }
        added.push(id.clone());
        grown.push(teamtune_model::MemberConfig {
            id,
            is_manager: false,
            ..last.clone()
        });
    }
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
                    .as_deref()
                    .is_some_and(|e| FailureKind::of_message(e) == FailureKind::Timeout)
        })
        .count();
    timed_out as f64 / turns.len().max(1) as f64
}

/// Whether some member's calls follow its budget rather than the work (its lightest
/// successful runs, p10, use half the budget or more, or its mean uses 80%; no run failed by
/// budget exhaustion): such a member keeps spending its budget however the work is shared,
/// so more members would not cut the calls each makes.
fn calls_follow_budget(ctx: &StrategyContext<'_>) -> bool {
    if ctx
        .records
        .iter()
        .any(|r| !r.success && r.failed_by(FailureKind::BudgetExhausted))
    {
        return false;
    }
    ctx.config.members.iter().any(|m| {
        let Some(budget) = m.tool_budget.filter(|b| *b >= 2).map(f64::from) else {
            return false;
        };
        let calls: Vec<f64> = ctx
            .records
            .iter()
            .flat_map(|r| r.members.iter())
            .filter(|s| *s.member_id == *m.id && s.success)
            .map(|s| s.tool_calls_used as f64)
            .collect();
        calls.len() >= MIN_EVIDENCE_RUNS
            && (quantile(&calls, 0.1).is_some_and(|q| q >= 0.5 * budget)
                || mean(&calls).is_some_and(|c| c >= 0.8 * budget))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use teamtune_model::{MemberConfig, TeamConfig};

    use super::*;

    use crate::run_sample::MemberSample;

    fn team(formation: Formation, n: usize, budget: u32) -> TeamConfig {
        TeamConfig {
            team_formation: formation,
            timeout_seconds: Some(900.0),
            total_tool_budget: None,
            max_iterations: 3,
            members: (1..=n)
                .map(|i| MemberConfig {
                    id: format!("m{i}"),
                    role: "researcher".into(),
                    tool_budget: Some(budget),
                    timeout_seconds: None,
                    is_manager: false,
                })
                .collect(),
        }
    }

    /// Consensus runs of `n` members sharing 24 calls of 1 s; each turn is `think` (varying
    /// from 2 to 20 s) + calls + `coordination` x (n - 1). Every third run needs two rounds.
    fn consensus_runs(n: usize, coordination: f64) -> Vec<RunSample> {
        (0..30)
            .map(|i| {
                let mut r = RunSample::new("team");
                r.formation = Arc::from("consensus");
                r.member_count = n as u32;
                let calls = 24 / n as u64;
                r.members = (0..n)
                    .map(|j| {
                        let think = 2.0 + ((i * 7 + j * 11) % 10) as f64 * 2.0;
                        MemberSample {
                            member_id: Arc::from(format!("m{}", j + 1).as_str()),
                            role: Arc::from("researcher"),
                            success: true,
                            duration_seconds: think
                                + calls as f64
                                + coordination * (n - 1) as f64
                                + (j % 2) as f64 * 0.5,
                            tool_calls_used: calls + (j % 2) as u64,
                            error_message: None,
                        }
                    })
                    .collect();
                let round = r
                    .members
                    .iter()
                    .map(|m| m.duration_seconds)
                    .fold(0.0, f64::max);
                let rounds = if i % 3 == 0 { 2 } else { 1 };
                r.consensus_rounds = Some(rounds);
                r.duration_seconds = round * f64::from(rounds);
                r.total_tool_calls = r.members.iter().map(|m| m.tool_calls_used).sum();
                r
            })
            .collect()
    }

    fn suggestions(records: &[RunSample], config: &TeamConfig) -> Vec<Suggestion> {
        crate::strategy::run_alone(&TeamSizing, records, config)
    }

    #[test]
    fn coordinating_consensus_team_is_cut_from_its_own_turns() {
        let cfg = team(Formation::Consensus, 8, 20);
        let found = suggestions(&consensus_runs(8, 3.0), &cfg);
        let s = found
            .iter()
            .find(|s| s.metadata["estimate"] == "member_turn_replay")
            .expect("a replayed sizing");
        let kept = s.suggested_config["members"].as_array().unwrap();
        // 24 calls shared by k members under a budget of 20: at least 2 members.
        assert!((2..=4).contains(&kept.len()), "{s:#?}");
        assert_eq!(kept[0]["id"], "m1");
        let low = s.metadata["improvement_without_coordination"]
            .as_f64()
            .unwrap();
        let high = s.metadata["improvement_with_full_floor_as_coordination"]
            .as_f64()
            .unwrap();
        assert!(
            low <= s.expected_improvement && s.expected_improvement <= high,
            "{s:#?}"
        );
        assert!(s.expected_improvement > 10.0, "{s:#?}");
    }

    #[test]
    fn budget_limits_how_far_a_team_shrinks() {
        // 24 shared calls under a budget of 7: four members at least.
        let cfg = team(Formation::Consensus, 8, 7);
        let found = suggestions(&consensus_runs(8, 3.0), &cfg);
        if let Some(s) = found
            .iter()
            .find(|s| s.metadata["estimate"] == "member_turn_replay")
        {
            assert!(s.suggested_config["members"].as_array().unwrap().len() >= 4);
        }
    }

    fn replayed(found: &[Suggestion]) -> Option<&Suggestion> {
        found
            .iter()
            .find(|s| s.metadata["estimate"] == "member_turn_replay")
    }

    #[test]
    fn a_cut_that_outgrows_the_budget_raises_it_too() {
        // 24 shared calls: three members make 8 each per round, and a consensus member that
        // failed retries on what is left; a budget of 20 covers two of its three rounds.
        let cfg = team(Formation::Consensus, 8, 20);
        let found = suggestions(&consensus_runs(8, 3.0), &cfg);
        let s = replayed(&found).expect("a replayed sizing");
        assert_eq!(s.metadata["budgets_raised"], true, "{s:#?}");
        let raised = s.metadata["raised_tool_budget"].as_u64().unwrap();
        let kept = s.suggested_config["members"].as_array().unwrap();
        let k = kept.len() as u64;
        // At least every round's share, never below the current budget.
        assert!(raised > 20 && raised >= 3 * 24 / k, "{s:#?}");
        let p95 = s.metadata["predicted_member_calls_p95"].as_f64().unwrap();
        assert_eq!(raised, (p95 * BUDGET_HEADROOM).ceil() as u64);
        assert!(
            s.metadata["predicted_success_rate_with_current_budgets"]
                .as_f64()
                .unwrap()
                < s.metadata["predicted_success_rate"].as_f64().unwrap()
        );
        assert_eq!(
            s.metadata["raised_tool_budgets"].as_object().unwrap().len(),
            kept.len()
        );
        assert!(
            s.description
                .contains("Raise the kept members' tool budgets")
        );
        let applied = crate::strategy::apply_suggestion(&cfg, s).unwrap();
        assert_eq!(applied.members.len(), kept.len());
        assert!(
            applied
                .members
                .iter()
                .all(|m| m.tool_budget == Some(raised as u32))
        );
        assert_eq!(applied.members[0].id, "m1");
    }

    #[test]
    fn a_budget_that_covers_the_cut_is_left_alone() {
        let cfg = team(Formation::Consensus, 8, 100);
        let found = suggestions(&consensus_runs(8, 3.0), &cfg);
        let s = replayed(&found).expect("a replayed sizing");
        assert_eq!(s.metadata["budgets_raised"], false, "{s:#?}");
        assert!(
            s.suggested_config["members"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["tool_budget"] == 100)
        );
    }

    #[test]
    fn a_budget_the_members_spend_anyway_is_not_raised() {
        // Every member spends 3 calls of a budget of 3: usage follows the budget.
        let cfg = team(Formation::Consensus, 8, 3);
        let mut runs = consensus_runs(8, 3.0);
        for r in &mut runs {
            for m in &mut r.members {
                m.tool_calls_used = 3;
            }
        }
        let found = suggestions(&runs, &cfg);
        assert!(
            found
                .iter()
                .all(|s| s.metadata.get("budgets_raised") != Some(&json!(true))),
            "{found:#?}"
        );
    }

    #[test]
    fn sequential_teams_are_not_replayed() {
        let mut cfg = team(Formation::Consensus, 8, 20);
        cfg.team_formation = Formation::Sequential;
        let mut runs = consensus_runs(8, 3.0);
        for r in &mut runs {
            r.formation = Arc::from("sequential");
        }
        assert!(
            suggestions(&runs, &cfg)
                .iter()
                .all(|s| s.metadata["estimate"] != "member_turn_replay")
        );
    }

    /// Parallel runs of `n` members sharing `calls` tool calls of `seconds_per_call`; each
    /// turn is think (2 to 6.5 s) + its calls + `coordination` x (n - 1). The members' calls
    /// spread by one around the equal share.
    fn parallel_runs(
        n: usize,
        calls: u64,
        seconds_per_call: f64,
        coordination: f64,
    ) -> Vec<RunSample> {
        (0..30)
            .map(|i| {
                let mut r = RunSample::new("team");
                r.formation = Arc::from("parallel");
                r.member_count = n as u32;
                r.members = (0..n)
                    .map(|j| {
                        let think = 2.0 + ((i * 7 + j * 11) % 10) as f64 * 0.5;
                        let used = (calls / n as u64 + ((i + j) % 3) as u64).saturating_sub(1);
                        MemberSample {
                            member_id: Arc::from(format!("m{}", j + 1).as_str()),
                            role: Arc::from("researcher"),
                            success: true,
                            duration_seconds: think
                                + used as f64 * seconds_per_call
                                + coordination * (n - 1) as f64,
                            tool_calls_used: used,
                            error_message: None,
                        }
                    })
                    .collect();
                r.duration_seconds = r
                    .members
                    .iter()
                    .map(|m| m.duration_seconds)
                    .fold(0.0, f64::max);
                r.total_tool_calls = r.members.iter().map(|m| m.tool_calls_used).sum();
                r
            })
            .collect()
    }

    fn grown(found: &[Suggestion]) -> Option<&Suggestion> {
        found
            .iter()
            .find(|s| s.metadata["estimate"] == "member_turn_replay_grown")
    }

    #[test]
    fn team_whose_calls_dominate_grows() {
        let cfg = team(Formation::Parallel, 3, 50);
        let found = suggestions(&parallel_runs(3, 60, 2.0, 0.2), &cfg);
        let s = grown(&found).expect("a grown team");
        let members = s.suggested_config["members"].as_array().unwrap();
        assert!((4..=MAX_GROWN_MEMBERS).contains(&members.len()), "{s:#?}");
        let ids: Vec<&str> = members.iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(&ids[..4], ["m1", "m2", "m3", "m3_2"]);
        assert_eq!(members[3]["tool_budget"], 50);
        assert_eq!(
            s.metadata["added_members"].as_array().unwrap().len(),
            members.len() - 3
        );
        let low = s.metadata["improvement_with_full_floor_as_coordination"]
            .as_f64()
            .unwrap();
        let high = s.metadata["improvement_without_coordination"]
            .as_f64()
            .unwrap();
        assert!(
            low <= s.expected_improvement && s.expected_improvement <= high,
            "{s:#?}"
        );
        assert!(
            high >= GROW_MARGIN_PERCENT && s.expected_improvement > 1.0,
            "{s:#?}"
        );
        assert!(
            s.metadata["coordination_upper_bound_seconds"]
                .as_f64()
                .unwrap()
                > 0.0
        );
        // What apply_suggestion makes of it: the old members first, then the clones.
        let applied = crate::strategy::apply_suggestion(&cfg, s).unwrap();
        assert_eq!(applied.members.len(), members.len());
        assert_eq!(applied.members[..3], cfg.members[..]);
    }

    #[test]
    fn team_whose_coordination_dominates_does_not_grow() {
        let cfg = team(Formation::Parallel, 3, 50);
        let found = suggestions(&parallel_runs(3, 6, 1.0, 5.0), &cfg);
        assert!(grown(&found).is_none(), "{found:#?}");
    }

    #[test]
    fn a_team_never_grows_beyond_eight() {
        let cfg = team(Formation::Consensus, 7, 100);
        let mut runs = parallel_runs(7, 280, 3.0, 0.0);
        for r in &mut runs {
            r.formation = Arc::from("consensus");
            r.consensus_rounds = Some(1);
        }
        let found = suggestions(&runs, &cfg);
        let s = grown(&found).expect("a grown team");
        assert_eq!(s.suggested_config["members"].as_array().unwrap().len(), 8);
        let cfg = team(Formation::Consensus, 8, 100);
        let mut runs = parallel_runs(8, 320, 3.0, 0.0);
        for r in &mut runs {
            r.formation = Arc::from("consensus");
            r.consensus_rounds = Some(1);
        }
        assert!(grown(&suggestions(&runs, &cfg)).is_none());
    }

    #[test]
    fn added_ids_skip_ids_in_use() {
        let mut cfg = team(Formation::Parallel, 3, 40);
        cfg.members[0].id = "m3_2".into();
        let mut runs = parallel_runs(3, 60, 2.0, 0.2);
        for r in &mut runs {
            r.members[0].member_id = Arc::from("m3_2");
        }
        let found = suggestions(&runs, &cfg);
        let s = grown(&found).expect("a grown team");
        let ids: Vec<&str> = s.suggested_config["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(&ids[..4], ["m3_2", "m2", "m3", "m3_3"]);
    }

    #[test]
    fn calls_that_follow_the_budget_do_not_grow_the_team() {
        // 20 calls each under a budget of 22: usage follows the budget, not the work.
        let cfg = team(Formation::Parallel, 3, 22);
        assert!(grown(&suggestions(&parallel_runs(3, 60, 2.0, 0.2), &cfg)).is_none());
    }

    #[test]
    fn sequential_and_pipeline_teams_do_not_grow() {
        for formation in [
            Formation::Sequential,
            Formation::Pipeline,
            Formation::Hierarchical,
        ] {
            let cfg = team(formation, 3, 40);
            let mut runs = parallel_runs(3, 60, 2.0, 0.2);
            for r in &mut runs {
                r.formation = Arc::from(formation.as_str());
            }
            assert!(grown(&suggestions(&runs, &cfg)).is_none(), "{formation}");
        }
    }
}
