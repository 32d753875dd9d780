//! One run of a configuration in the twin, in virtual time, with the engine's formation
//! semantics: sequential runs every member in turn, pipeline stops
//! at the first failure, parallel runs all at once, hierarchical plans, works and
//! synthesises, consensus retries failed members for up to `max_iterations` rounds. Budgets
//! are per member across the run (and the team's `total_tool_budget` across members);
//! member and team timeouts cut turns and runs off.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use teamtune_model::{Formation, TeamConfig, TurnKind};

use super::fit::{MemberModel, TokenModel, Twin};

/// One replayed run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayedRun {
    /// Infinite when a member hangs and nothing times it out: the run never ends.
    pub duration_seconds: f64,
    pub success: bool,
    pub tool_calls: u64,
    /// Tokens in and out (0 when the twin has no token model).
    pub tokens: f64,
}

struct Turn {
    seconds: f64,
    ok: bool,
    calls: u64,
    tokens: f64,
}

/// A configuration resolved against the twin, ready to replay many times.
pub struct Replayer<'a> {
    config: &'a TeamConfig,
    models: Vec<&'a MemberModel>,
    /// Each member's tokens per turn: its own model, else the team's pooled one.
    tokens: Vec<Option<TokenModel>>,
    coordination: f64,
    manager: usize,
}

impl<'a> Replayer<'a> {
    pub fn new(twin: &'a Twin, config: &'a TeamConfig) -> Self {
        let models: Vec<&MemberModel> = config
            .members
            .iter()
            .map(|m| {
                // A member the twin has not seen is a clone of the last one with its role.
                let clone_of = config
                    .members
                    .iter()
                    .rev()
                    .find(|o| o.role == m.role && twin.members.contains_key(&o.id))
                    .map(|o| o.id.as_str());
                twin.member(&m.id, clone_of)
            })
            .collect();
        let tokens = models
            .iter()
            .map(|m| m.tokens.or(twin.pooled.tokens))
            .collect();
        Replayer {
            config,
            models,
            tokens,
            coordination: twin.coordination_s,
            manager: config
                .members
                .iter()
                .position(|m| m.is_manager)
                .unwrap_or(0),
        }
    }

    pub fn run(&self, rng: &mut ChaCha8Rng) -> ReplayedRun {
        let cfg = self.config;
        let n = cfg.members.len();
        let mut left: Vec<Option<u64>> = cfg
            .members
            .iter()
            .map(|m| m.tool_budget.map(u64::from))
            .collect();
        let mut pool = cfg.total_tool_budget.map(u64::from);
        let mut turn = |i: usize, kind: TurnKind, rng: &mut ChaCha8Rng| -> Turn {
            let t = self.turn(i, kind, n, left[i], pool, rng);
            left[i] = left[i].map(|l| l.saturating_sub(t.calls));
            pool = pool.map(|p| p.saturating_sub(t.calls));
            t
        };
        let mut tokens = 0.0;
        let mut turn = |i: usize, kind: TurnKind, rng: &mut ChaCha8Rng| -> Turn {
            let t = turn(i, kind, rng);
            tokens += t.tokens;
            t
        };
        let (elapsed, ok, calls) = match cfg.team_formation {
            Formation::Sequential | Formation::Pipeline => {
                let stop_at_failure = cfg.team_formation == Formation::Pipeline;
                let (mut t, mut ok, mut calls) = (0.0, true, 0);
                for i in 0..n {
                    let r = turn(i, TurnKind::Work, rng);
                    t += r.seconds;
                    calls += r.calls;
                    ok &= r.ok;
                    if !r.ok && stop_at_failure {
                        break;
                    }
                }
                (t, ok, calls)
            }
            Formation::Parallel => {
                let (mut t, mut ok, mut calls) = (0.0f64, true, 0);
                for i in 0..n {
                    let r = turn(i, TurnKind::Work, rng);
                    t = t.max(r.seconds);
                    calls += r.calls;
                    ok &= r.ok;
                }
                (t, ok, calls)
            }
            Formation::Hierarchical => {
                let plan = turn(self.manager, TurnKind::Plan, rng);
                let (mut t, mut ok, mut calls) = (plan.seconds, plan.ok, plan.calls);
                if ok {
                    let mut slowest = 0.0f64;
                    for i in (0..n).filter(|&i| i != self.manager) {
                        let r = turn(i, TurnKind::Work, rng);
                        slowest = slowest.max(r.seconds);
                        calls += r.calls;
                        ok &= r.ok;
                    }
                    t += slowest;
                    if ok {
                        let s = turn(self.manager, TurnKind::Synthesis, rng);
                        t += s.seconds;
                        calls += s.calls;
                        ok &= s.ok;
                    }
                }
                (t, ok, calls)
            }
            Formation::Consensus => {
                let mut pending: Vec<usize> = (0..n).collect();
                let (mut t, mut calls) = (0.0, 0);
                for _ in 0..cfg.max_iterations.max(1) {
                    let mut slowest = 0.0f64;
                    let mut failed = Vec::new();
                    for &i in &pending {
                        let r = turn(i, TurnKind::Work, rng);
                        slowest = slowest.max(r.seconds);
                        calls += r.calls;
                        if !r.ok {
                            failed.push(i);
                        }
                    }
                    t += slowest;
                    pending = failed;
                    if pending.is_empty() || !t.is_finite() {
                        break;
                    }
                }
                (t, pending.is_empty(), calls)
            }
        };
        match cfg.timeout_seconds {
            Some(limit) if elapsed > limit => ReplayedRun {
                duration_seconds: limit,
                success: false,
                tool_calls: calls,
                tokens,
            },
            _ => ReplayedRun {
                duration_seconds: elapsed,
                success: ok && elapsed.is_finite(),
                tool_calls: calls,
                tokens,
            },
        }
    }

    fn turn(
        &self,
        i: usize,
        kind: TurnKind,
        n: usize,
        member_left: Option<u64>,
        pool: Option<u64>,
        rng: &mut ChaCha8Rng,
    ) -> Turn {
        let m = self.models[i];
        let samples = match kind {
            TurnKind::Plan if !m.plan_think.is_empty() => &m.plan_think,
            TurnKind::Synthesis if !m.synthesis_think.is_empty() => &m.synthesis_think,
            _ => &m.think,
        };
        let think = pick(samples, rng) + self.coordination * n.saturating_sub(1) as f64;
        let needed = if kind == TurnKind::Synthesis {
            0
        } else {
            poisson(m.count.work_calls / n.max(1) as f64, rng)
        };
        let hang = rng.random::<f64>() < m.p_hang;
        let fail = rng.random::<f64>() < m.p_error;
        let allowed = match (member_left, pool) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let (calls, exhausted) = m.count.calls(needed, allowed);
        let tools: f64 = if calls <= 64 {
            (0..calls).map(|_| pick(&m.latency, rng)).sum()
        } else {
            calls as f64 * m.latency.iter().sum::<f64>() / m.latency.len().max(1) as f64
        };
        let seconds = if hang { f64::INFINITY } else { think + tools };
        match self.config.members[i].timeout_seconds {
            // A turn cut off reports no calls and no tokens, as the engine records it.
            Some(limit) if seconds > limit => Turn {
                seconds: limit,
                ok: false,
                calls: 0,
                tokens: 0.0,
            },
            _ => Turn {
                seconds,
                ok: !exhausted && !fail && seconds.is_finite(),
                calls,
                tokens: self.tokens[i].map_or(0.0, |t| t.of_turn(calls)),
            },
        }
    }
}

fn pick(samples: &[f64], rng: &mut ChaCha8Rng) -> f64 {
    match samples.len() {
        0 => 0.0,
        1 => samples[0],
        n => samples[rng.random_range(0..n)],
    }
}

/// A Poisson draw: Knuth's method for small means, a rounded normal for large ones.
pub(crate) fn poisson(lambda: f64, rng: &mut ChaCha8Rng) -> u64 {
    if lambda.is_nan() || lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    if lambda < 30.0 {
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= rng.random::<f64>();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (lambda + lambda.sqrt() * z).round().max(0.0) as u64
}
