//! The replay model behind the concurrent (parallel, consensus) sizings: each observed
//! single-round run is replayed with `k` members. A member's turn is its time without tool
//! calls (seconds per call from the members' own turns) plus its share of the run's calls,
//! minus (or, when growing, plus) the coordination share of the members dropped (added); the
//! slowest of the `k` is the round. Retry rounds and success follow the member failure rate
//! seen, and budgets that the shares would exceed fail runs (a consensus member that failed
//! retries on what is left of its budget, so a run gets only the rounds its budget covers).
//! The result is a [`SizeOutlook`]: mean duration and success rate at size `k`.

use teamtune_model::Formation;

use crate::detect::MIN_EVIDENCE_RUNS;
use crate::run_sample::{FailureKind, RunSample};
use crate::strategy::StrategyContext;
use crate::strategy::estimate::member_seconds_per_call;
use crate::summary::{mean, quantile};

/// Predicted mean duration and success rate of the team cut to its first `k` members.
#[derive(Debug, Clone, Copy)]
pub(super) struct SizeOutlook {
    pub(super) duration: f64,
    pub(super) success: f64,
}

impl SizeOutlook {
    pub(super) fn per_success(self) -> f64 {
        if self.success > 0.0 {
            self.duration / self.success
        } else {
            f64::INFINITY
        }
    }
}

/// The replayable part of the history: per run, the members' times without tool calls in
/// member order, and the run's total calls.
pub(super) struct Replay {
    pub(super) runs: Vec<(Vec<f64>, f64)>,
    /// Every member turn of `runs`, in run then member order: its time without calls and how
    /// many calls it made beyond an equal share of its run's calls.
    pub(super) pool: Vec<(f64, f64)>,
    pub(super) seconds_per_call: f64,
    pub(super) member_failure_rate: f64,
    other_failure_share: f64,
    pub(super) floor: f64,
    rounds: u32,
    pub(super) consensus: bool,
}

impl Replay {
    pub(super) fn of(ctx: &StrategyContext<'_>) -> Option<Replay> {
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
                            .as_ref()
                            .is_none_or(|e| e.kind() == FailureKind::Other)
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
    pub(super) fn predict(
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

    /// The 95th percentile of one member's tool calls over a run at size `k`: its share of
    /// the run's calls with its observed deviation scaled as a random split would
    /// ([`Sharing::Spread`]), over every turn its budget has to cover (each round of a
    /// consensus team, since a member that failed retries on what is left of its budget;
    /// normal approximation of the sum of that many turns).
    pub(super) fn member_calls_p95(&self, k: usize) -> Option<f64> {
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

/// How [`Replay::predict`] gives a run's tool calls to `k` members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sharing {
    /// Every member makes `calls / k`.
    Equal,
    /// Every member makes `calls / k` plus its observed deviation from the equal share,
    /// scaled as a random split would: the slowest of more members is then not underrated.
    Spread,
}
