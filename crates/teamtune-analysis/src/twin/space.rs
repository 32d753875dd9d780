//! What tuning may change, and the configurations the search tries.
//!
//! Members with their own role or goal are not interchangeable: the search never drops or
//! clones one. Members that share role and goal form a pool that may be resized: shrunk
//! from its end, grown by cloning its last member under a new id. [`TuningLimits`] (the
//! team's `tuning:` block and `apply`'s flags) fixes keys or bounds the team size.
//!
//! Tool budgets are searched relative to what each member needs in that configuration:
//! each member gets the Poisson quantile of its expected calls at one of a few levels, so one
//! dimension covers per-member budgets. Timeouts are searched relative to the replayed
//! durations of the configuration without one; a team that has a timeout always keeps one.

use serde::{Deserialize, Serialize};
use statrs::distribution::{DiscreteCDF, Poisson};
use teamtune_model::{Formation, MemberConfig, TeamConfig};

use super::fit::Twin;

/// A member as the file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    pub id: String,
    pub role: String,
    pub goal: String,
}

impl MemberInfo {
    /// The members of a team node as the file describes them.
    pub fn of_team(team: &teamtune_model::TeamNode) -> Vec<MemberInfo> {
        team.members
            .iter()
            .map(|m| MemberInfo {
                id: m.id.clone(),
                role: m.role.clone(),
                goal: m.goal.clone(),
            })
            .collect()
    }
}

/// Keys tuning may change, and bounds on the team size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TuningLimits {
    /// Keys that stay as they are: `team_formation`, `members`, `tool_budget`,
    /// `timeout_seconds`, `max_iterations`.
    pub fixed: Vec<String>,
    pub min_members: Option<usize>,
    pub max_members: Option<usize>,
    /// Members with a goal of their own may be dropped (never by default).
    pub may_drop_members: bool,
}

impl Default for TuningLimits {
    fn default() -> Self {
        TuningLimits {
            fixed: Vec::new(),
            min_members: None,
            max_members: Some(8),
            may_drop_members: false,
        }
    }
}

impl TuningLimits {
    pub fn is_fixed(&self, key: &str) -> bool {
        self.fixed.iter().any(|k| k == key)
    }

    /// These limits narrowed by `team`'s `tuning:` block, when it has one.
    pub fn for_team(self, team: &teamtune_model::TeamNode) -> TuningLimits {
        match &team.tuning {
            Some(block) => self.with_block(block),
            None => self,
        }
    }

    /// These limits narrowed by a team's `tuning:` block: keys fixed by either stay fixed,
    /// size bounds from the block replace the defaults.
    pub fn with_block(mut self, block: &teamtune_model::TuningBlock) -> TuningLimits {
        for k in &block.fixed {
            if !self.is_fixed(k) {
                self.fixed.push(k.clone());
            }
        }
        if let Some(b) = block.members {
            if b.min.is_some() {
                self.min_members = b.min;
            }
            if b.max.is_some() {
                self.max_members = b.max;
            }
        }
        if let Some(drop) = block.may_drop_members {
            self.may_drop_members = drop;
        }
        self
    }
}

/// Budget levels: (Poisson quantile, multiple).
const BUDGET_LEVELS: [(f64, f64); 6] = [
    (0.5, 1.0),
    (0.8, 1.0),
    (0.95, 1.0),
    (0.995, 1.0),
    (0.995, 2.0),
    (0.9999, 3.0),
];

/// Quantiles of the no-timeout durations tried as timeouts (times 1.1).
const TIMEOUT_QUANTILES: [f64; 5] = [0.8, 0.9, 0.95, 0.99, 1.0];

/// The configurations the search may try for one team.
#[derive(Debug, Clone)]
pub struct SearchSpace {
    pub base: TeamConfig,
    pub formations: Vec<Formation>,
    /// Indices (into `base.members`) of the resizable pool, in file order.
    pub pool: Vec<usize>,
    pub sizes: Vec<usize>,
    pub vary_budgets: bool,
    pub vary_timeout: bool,
    pub iterations: Vec<u32>,
}

impl SearchSpace {
    /// The space for `base`, whose members the file describes as `members`.
    pub fn new(base: &TeamConfig, members: &[MemberInfo], limits: &TuningLimits) -> SearchSpace {
        let key = |id: &str| {
            members
                .iter()
                .find(|m| m.id == id)
                .map(|m| (m.role.clone(), m.goal.clone()))
        };
        // The largest group of members sharing role and goal is the pool.
        let mut pool: Vec<usize> = Vec::new();
        for (i, m) in base.members.iter().enumerate() {
            let group: Vec<usize> = base
                .members
                .iter()
                .enumerate()
                .filter(|(_, o)| key(&o.id) == key(&m.id))
                .map(|(j, _)| j)
                .collect();
            if group.len() >= 2 && group.len() > pool.len() && group[0] == i {
                pool = group;
            }
        }
        let fixed_count = base.members.len() - pool.len();
        let sizes: Vec<usize> = if pool.is_empty() || limits.is_fixed("members") {
            vec![base.members.len()]
        } else {
            let lo = limits.min_members.unwrap_or(1).max(fixed_count + 1);
            let hi = limits
                .max_members
                .unwrap_or(8)
                .max(base.members.len())
                .max(lo);
            (lo..=hi).collect()
        };
        let formations = if limits.is_fixed("team_formation") {
            vec![base.team_formation]
        } else {
            Formation::ALL.to_vec()
        };
        let iterations = if limits.is_fixed("max_iterations") {
            vec![base.max_iterations]
        } else {
            let mut v = vec![1, 2, 3, 5, base.max_iterations];
            v.sort_unstable();
            v.dedup();
            v
        };
        SearchSpace {
            base: base.clone(),
            formations,
            pool,
            sizes,
            vary_budgets: !limits.is_fixed("tool_budget"),
            vary_timeout: !limits.is_fixed("timeout_seconds"),
            iterations,
        }
    }

    /// `base` with the pool resized so the team has `size` members.
    pub fn resized(&self, size: usize) -> TeamConfig {
        let base = &self.base;
        let n = base.members.len();
        if size == n || self.pool.is_empty() {
            return base.clone();
        }
        let mut cfg = base.clone();
        if size < n {
            let drop: Vec<usize> =
                self.pool[self.pool.len() - (n - size).min(self.pool.len() - 1)..].to_vec();
            cfg.members = base
                .members
                .iter()
                .enumerate()
                .filter(|(i, _)| !drop.contains(i))
                .map(|(_, m)| m.clone())
                .collect();
        } else if let Some(&last) = self.pool.last() {
            let source = &base.members[last];
            let mut k = 2;
            while cfg.members.len() < size {
                let id = clone_id(&source.id, k, &cfg.members);
                k += 1;
                cfg.members.push(MemberConfig {
                    id,
                    is_manager: false,
                    ..source.clone()
                });
            }
        }
        cfg
    }

    /// Budget variants of `cfg` (its own budgets first).
    pub fn budgeted(&self, twin: &Twin, cfg: &TeamConfig) -> Vec<TeamConfig> {
        let mut out = vec![cfg.clone()];
        if !self.vary_budgets {
            return out;
        }
        let n = cfg.members.len().max(1) as f64;
        for (q, mult) in BUDGET_LEVELS {
            let mut c = cfg.clone();
            for m in &mut c.members {
                let model = twin.member(&m.id, None);
                let lambda = (model.count.work_calls / n).max(1e-6);
                let need = Poisson::new(lambda).map_or(lambda.ceil() as u64, |d| d.inverse_cdf(q));
                let budget = ((need.max(1) as f64) * mult).ceil();
                m.tool_budget = Some(budget.min(f64::from(u32::MAX)) as u32);
            }
            push_new(&mut out, c);
        }
        let mut unlimited = cfg.clone();
        unlimited
            .members
            .iter_mut()
            .for_each(|m| m.tool_budget = None);
        push_new(&mut out, unlimited);
        out
    }

    /// Timeout variants of `cfg` (its own first), from its replayed durations.
    pub fn timed(&self, twin: &Twin, cfg: &TeamConfig, seed: u64) -> Vec<TeamConfig> {
        let mut out = vec![cfg.clone()];
        if !self.vary_timeout {
            return out;
        }
        let mut open = cfg.clone();
        open.timeout_seconds = None;
        let mut durations: Vec<f64> = twin
            .replay(&open, 200, seed)
            .iter()
            .map(|r| r.duration_seconds)
            .filter(|d| d.is_finite())
            .collect();
        durations.sort_by(f64::total_cmp);
        if let Some(&max) = durations.last() {
            for q in TIMEOUT_QUANTILES {
                let i = ((durations.len() - 1) as f64 * q).round() as usize;
                let t = (durations[i].max(max * 0.05) * 1.1).max(1.0).round();
                let mut c = cfg.clone();
                c.timeout_seconds = Some(t);
                push_new(&mut out, c);
            }
        }
        // Removing a timeout is never proven safe by runs that happened not to stall: a
        // team that has a timeout keeps one. One without may stay without, unless its runs
        // were seen to stall.
        if self.base.timeout_seconds.is_none()
            && !twin.seen_cut_off
            && twin.members.values().all(|m| m.p_hang == 0.0)
        {
            push_new(&mut out, open);
        }
        out
    }
}

fn push_new(v: &mut Vec<TeamConfig>, c: TeamConfig) {
    if !v.contains(&c) {
        v.push(c);
    }
}

/// A new member id from `id`: `worker_3` becomes `worker_4`, `scout` becomes `scout_2`.
fn clone_id(id: &str, k: usize, taken: &[MemberConfig]) -> String {
    let (stem, start) = match id.rsplit_once('_') {
        Some((stem, n)) if n.parse::<usize>().is_ok() => (stem, n.parse::<usize>().unwrap_or(1)),
        _ => (id, 1),
    };
    let mut i = start + k - 1;
    loop {
        let candidate = format!("{stem}_{i}");
        if !taken.iter().any(|m| m.id == candidate) {
            return candidate;
        }
        i += 1;
    }
}
