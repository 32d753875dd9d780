//! The oracle's search space: formation x member count x per-member tool budget x team
//! timeout. Budget and timeout values are derived from the scenario's sim parameters and
//! current settings (or given on the command line); the values of the baseline and tuned
//! configurations are always added, so the oracle covers every setting it is compared with.
//! A point becomes a [`TeamConfig`] the documented way ([`TeamConfig::resized`]):
//! shrinking drops members from the end, growing clones the last member under a new id.

use teamtune::{Formation, SimParams, TeamConfig, ThinkTime};
use teamtune::{MemberInfo, SearchSpace, TuningLimits};

use crate::scenario::Scenario;

/// A `none`-able grid value as given on the command line.
pub type Budget = Option<u32>;
pub type Timeout = Option<f64>;

#[derive(Debug, Clone, Default)]
pub struct GridOverrides {
    pub budgets: Option<Vec<Budget>>,
    pub timeouts: Option<Vec<Timeout>>,
    pub max_members: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub formations: Vec<Formation>,
    pub sizes: Vec<usize>,
    pub budgets: Vec<Budget>,
    pub timeouts: Vec<Timeout>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub formation: Formation,
    pub size: usize,
    pub budget: Budget,
    pub timeout: Timeout,
}

impl Grid {
    pub fn derive(scenario: &Scenario, o: &GridOverrides) -> Grid {
        let params = scenario.sim_params();
        let base = scenario.baseline_config();
        let can_hang = params.iter().any(|p| p.hang_rate > 0.0);
        let mut grid = Grid {
            formations: Formation::ALL.to_vec(),
            sizes: allowed_space(scenario, o.max_members).sizes,
            budgets: o
                .budgets
                .clone()
                .unwrap_or_else(|| derived_budgets(&params, &base)),
            timeouts: o
                .timeouts
                .clone()
                .unwrap_or_else(|| derived_timeouts(&params, &base, can_hang)),
        };
        grid.widen_with(&base);
        grid
    }

    /// Adds the settings of `cfg` (its size, each member's budget, its timeout).
    pub fn widen_with(&mut self, cfg: &TeamConfig) {
        push_unique(&mut self.formations, cfg.team_formation);
        push_unique(&mut self.sizes, cfg.members.len());
        for m in &cfg.members {
            push_unique(&mut self.budgets, m.tool_budget);
        }
        push_unique(&mut self.timeouts, cfg.timeout_seconds);
        self.sizes.sort_unstable();
        self.budgets.sort_by_key(|b| b.unwrap_or(u32::MAX));
        self.timeouts.sort_by(|a, b| {
            a.unwrap_or(f64::INFINITY)
                .total_cmp(&b.unwrap_or(f64::INFINITY))
        });
    }

    pub fn len(&self) -> usize {
        self.formations.len() * self.sizes.len() * self.budgets.len() * self.timeouts.len()
    }

    pub fn points(&self) -> Vec<Point> {
        let mut out = Vec::with_capacity(self.len());
        for &formation in &self.formations {
            for &size in &self.sizes {
                for &budget in &self.budgets {
                    for &timeout in &self.timeouts {
                        out.push(Point {
                            formation,
                            size,
                            budget,
                            timeout,
                        });
                    }
                }
            }
        }
        out
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// `base` reshaped to point `p`.
pub fn config_at(space: &SearchSpace, p: &Point) -> TeamConfig {
    let base = &space.base;
    let mut members = space.resized(p.size).members;
    for m in &mut members {
        m.tool_budget = p.budget;
    }
    TeamConfig {
        team_formation: p.formation,
        timeout_seconds: p.timeout,
        members,
        ..base.clone()
    }
}

/// What tuning may change in the scenario's team, the tuner's way: only the pool of
/// interchangeable members (same role and goal) is resized; members with a goal of their
/// own stay. The oracle searches the same space.
pub fn allowed_space(scenario: &Scenario, max_members: usize) -> SearchSpace {
    let members = MemberInfo::of_team(&scenario.team);
    let limits = TuningLimits {
        max_members: Some(max_members),
        ..TuningLimits::default()
    };
    SearchSpace::new(&scenario.baseline_config(), &members, &limits)
}

/// Geometric steps from `lo` to `hi` (inclusive), `n` values.
fn geometric(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n < 2 || hi <= lo {
        return vec![lo];
    }
    let ratio = (hi / lo).powf(1.0 / (n - 1) as f64);
    (0..n).map(|i| lo * ratio.powi(i as i32)).collect()
}

/// About eight budgets: from the calls one member of an eight-member team needs up to well
/// past what one member alone needs (or twice the current budget, whichever is larger).
fn derived_budgets(params: &[SimParams], base: &TeamConfig) -> Vec<Budget> {
    let work = params.iter().map(|p| p.work_calls).fold(0.0, f64::max);
    let current = base
        .members
        .iter()
        .filter_map(|m| m.tool_budget)
        .max()
        .unwrap_or(0);
    let lo = (work / 8.0).ceil().max(1.0);
    let hi = (1.5 * work + 3.0 * work.sqrt())
        .max(2.0 * f64::from(current))
        .max(lo + 1.0);
    let mut out: Vec<Budget> = Vec::new();
    for v in geometric(lo, hi, 8) {
        push_unique(&mut out, Some(v.round() as u32));
    }
    out
}

fn median_think(t: ThinkTime) -> f64 {
    match t {
        ThinkTime::Fixed(v) => v,
        ThinkTime::LogNormal { median, .. } => median,
    }
}

/// About eight timeouts: from 1.5 typical turns up to the current timeout (or 12 turns),
/// plus none (unless a member can hang: then no timeout means a run that never ends).
fn derived_timeouts(params: &[SimParams], base: &TeamConfig, can_hang: bool) -> Vec<Timeout> {
    let n = base.members.len().max(1) as f64;
    let turn = params
        .iter()
        .map(|p| {
            median_think(p.think_s)
                + p.work_calls / n * p.call_latency_s
                + p.coordination_s * (n - 1.0)
        })
        .fold(0.0, f64::max)
        .max(1.0);
    let hi = base.timeout_seconds.unwrap_or(12.0 * turn).max(2.0 * turn);
    let mut out: Vec<Timeout> = Vec::new();
    for v in geometric(1.5 * turn, hi, 7) {
        push_unique(&mut out, Some(v.round()));
    }
    if !can_hang {
        out.push(None);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use teamtune::{Formation, MemberConfig};

    fn base() -> TeamConfig {
        TeamConfig {
            team_formation: Formation::Sequential,
            timeout_seconds: Some(600.0),
            total_tool_budget: None,
            max_iterations: 3,
            members: ["a", "b", "c"]
                .iter()
                .map(|id| MemberConfig {
                    id: (*id).into(),
                    role: "r".into(),
                    tool_budget: Some(10),
                    timeout_seconds: None,
                    is_manager: *id == "c",
                })
                .collect(),
        }
    }

    fn space() -> SearchSpace {
        let info = |id: &str, goal: &str| MemberInfo {
            id: id.into(),
            role: "r".into(),
            goal: goal.into(),
        };
        let members = [info("a", "share"), info("b", "share"), info("c", "lead")];
        SearchSpace::new(&base(), &members, &TuningLimits::default())
    }

    #[test]
    fn resizing_touches_only_the_pool_of_interchangeable_members() {
        let p = Point {
            formation: Formation::Parallel,
            size: 2,
            budget: Some(7),
            timeout: None,
        };
        let ids = |c: &TeamConfig| c.members.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        let c = config_at(&space(), &p);
        assert_eq!(ids(&c), ["a", "c"], "c has a goal of its own");
        assert!(c.members.iter().all(|m| m.tool_budget == Some(7)));
        let c = config_at(&space(), &Point { size: 5, ..p });
        assert_eq!(ids(&c), ["a", "b", "c", "b_2", "b_3"]);
        assert!(c.members[2].is_manager && !c.members[3].is_manager);
        assert_eq!(c.timeout_seconds, None);
        assert_eq!(
            space().sizes.first(),
            Some(&2),
            "never fewer than the lead and one worker"
        );
    }

    #[test]
    fn derived_grids_hold_about_eight_values_and_the_current_ones() {
        let params = vec![SimParams::default()];
        let b = derived_budgets(&params, &base());
        assert!((6..=9).contains(&b.len()), "{b:?}");
        let t = derived_timeouts(&params, &base(), false);
        assert!(t.contains(&Some(600.0)) && t.contains(&None), "{t:?}");
        assert!(!derived_timeouts(&params, &base(), true).contains(&None));
    }
}
