//! Tool-call estimators shared by the strategies: seconds per call from the members' own
//! turns, a member's calls in successful runs, and whether a member's calls follow its
//! budget rather than the work.

use teamtune_model::MemberConfig;

use crate::detect::MIN_EVIDENCE_RUNS;
use crate::run_sample::{FailureKind, RunSample};
use crate::summary::{mean, quantile};

/// Share of the budget that a member's lightest successful runs (p10 of calls) must use for
/// its usage to count as following the budget.
const DRIVEN_LIGHTEST_SHARE: f64 = 0.5;

/// Mean share of the budget used in successful runs that also counts as following it.
const DRIVEN_MEAN_SHARE: f64 = 0.8;

/// Seconds per tool call from the members' own turns: the least-squares slope of member
/// duration over member calls, capped by the smallest duration per call seen (a turn cannot
/// spend more than its whole duration on calls); the cap alone when the slope is not
/// positive. `None` without at least [`MIN_EVIDENCE_RUNS`] timed member turns with calls.
pub(crate) fn member_seconds_per_call(records: &[RunSample]) -> Option<(f64, &'static str)> {
    let points: Vec<(f64, f64)> = records
        .iter()
        .flat_map(|r| r.timed_members())
        .filter(|m| m.success && m.tool_calls_used > 0)
        .map(|m| (m.tool_calls_used as f64, m.duration_seconds))
        .collect();
    if points.len() < MIN_EVIDENCE_RUNS {
        return None;
    }
    let bound = points
        .iter()
        .map(|p| p.1 / p.0)
        .fold(f64::INFINITY, f64::min);
    let mx = mean(&points.iter().map(|p| p.0).collect::<Vec<_>>())?;
    let my = mean(&points.iter().map(|p| p.1).collect::<Vec<_>>())?;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    match (sxx > 0.0).then(|| sxy / sxx).filter(|s| *s > 0.0) {
        Some(slope) if slope < bound => Some((slope, "member_regression")),
        _ => Some((bound, "member_time_bound")),
    }
}

/// The tool calls `member` made in its successful turns.
pub(crate) fn successful_calls(records: &[RunSample], member: &str) -> Vec<f64> {
    records
        .iter()
        .flat_map(|r| r.members.iter())
        .filter(|m| &*m.member_id == member && m.success)
        .map(|m| m.tool_calls_used as f64)
        .collect()
}

/// Whether any run failed by tool budget exhaustion: then the budget binds somewhere and the
/// need for calls is real.
pub(crate) fn any_budget_exhausted(records: &[RunSample]) -> bool {
    records
        .iter()
        .any(|r| !r.success && r.failed_by(FailureKind::BudgetExhausted))
}

/// A member's budget next to its calls in successful runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BudgetUsage {
    pub(crate) budget: u32,
    /// The p10 of its calls: its lightest runs.
    pub(crate) lightest: f64,
    pub(crate) mean_calls: f64,
}

/// The member's usage when its calls follow its budget rather than the work: a budget of 2 or
/// more, at least [`MIN_EVIDENCE_RUNS`] successful turns, and its lightest runs (p10) use at
/// least half the budget or its mean uses 80%. Such a member keeps spending its budget
/// however the work is shared. Callers also check [`any_budget_exhausted`], which makes the
/// need real.
pub(crate) fn budget_following_usage(
    records: &[RunSample],
    member: &MemberConfig,
) -> Option<BudgetUsage> {
    let budget = member.tool_budget.filter(|b| *b >= 2)?;
    let calls = successful_calls(records, &member.id);
    if calls.len() < MIN_EVIDENCE_RUNS {
        return None;
    }
    let (lightest, mean_calls) = (quantile(&calls, 0.1)?, mean(&calls)?);
    let b = f64::from(budget);
    (lightest >= DRIVEN_LIGHTEST_SHARE * b || mean_calls >= DRIVEN_MEAN_SHARE * b).then_some(
        BudgetUsage {
            budget,
            lightest,
            mean_calls,
        },
    )
}
