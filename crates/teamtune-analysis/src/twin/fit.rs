//! Fitting the twin: every turn of every member in every recorded run, by member id.
//!
//! - Think time: the turn's time outside tool calls (`think_seconds`), kept as an empirical
//!   sample per member and turn kind, net of coordination. A member whose turns report no
//!   per-call latencies gets its latency from a least-squares fit of turn time on calls.
//! - Coordination: with runs at two or more team sizes, the pooled within-member slope of
//!   think time on the number of other members; with one size it cannot be told from think
//!   time and is taken as 0 (runs at another size, made by a later A/B test, fit it).
//! - Calls: [`super::count_model`] on finished and exhausted turns.
//! - Tokens: where turns report them, a least-squares line of a turn's tokens (in and out) on
//!   its tool calls, per member: each tool result is read back into the context.
//! - Hazards: errors per finished turn; hangs are turns cut off by a timeout after running
//!   longer than the member's 95th-percentile finished turn (a slower cut turn is what
//!   the turn-time distribution itself explains).

use std::collections::{BTreeSet, HashMap};

use teamtune_model::{StopCause, TeamConfig, TurnKind};

use super::count_model::{self, CountModel, CountObservation};
use super::observation::Observation;

/// Fewest runs with per-turn telemetry the twin is fitted from.
pub const MIN_RUNS: usize = 10;

/// The model of one member.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberModel {
    pub id: String,
    /// Work-turn time outside tool calls, net of coordination.
    pub think: Vec<f64>,
    /// Hierarchical manager turns (empty when never seen: work turns stand in).
    pub plan_think: Vec<f64>,
    pub synthesis_think: Vec<f64>,
    /// Seconds per tool call.
    pub latency: Vec<f64>,
    pub count: CountModel,
    /// Chance a turn fails on its own.
    pub p_error: f64,
    /// Chance a turn never finishes.
    pub p_hang: f64,
    /// Tokens per turn, when its turns report them.
    pub tokens: Option<TokenModel>,
    /// Turns it was fitted from.
    pub turns: usize,
}

/// A member's tokens in one turn: `per_turn + per_call * calls`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenModel {
    pub per_turn: f64,
    pub per_call: f64,
}

impl TokenModel {
    pub fn of_turn(&self, calls: u64) -> f64 {
        self.per_turn + self.per_call * calls as f64
    }
}

/// The fitted model of one team.
#[derive(Debug, Clone)]
pub struct Twin {
    pub team_id: String,
    /// Every member seen, by id.
    pub members: HashMap<String, MemberModel>,
    /// All members together: for a member never seen (a clone of nobody in particular).
    pub pooled: MemberModel,
    /// Seconds added to every turn per other member in the team.
    pub coordination_s: f64,
    /// Whether runs at several team sizes fitted `coordination_s` (else it is 0 by default).
    pub coordination_fitted: bool,
    /// Runs fitted from.
    pub runs: usize,
    /// The configurations the runs were made with, with their runs' outcomes, for the check.
    pub observed: Vec<(TeamConfig, Vec<ObservedRun>)>,
    /// Some turn was cut off by a timeout: the team has been seen to stall, so configurations
    /// without a timeout are not considered.
    pub seen_cut_off: bool,
    /// Some turn reported its tokens: the twin predicts tokens (else it cannot).
    pub reports_tokens: bool,
}

/// One recorded run's outcome, for the fit check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObservedRun {
    pub duration_seconds: f64,
    pub success: bool,
    pub tool_calls: u64,
    /// Tokens over the run, when its turns report them.
    pub tokens: Option<u64>,
}

/// Why no twin could be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TwinError {
    #[error(
        "{runs} runs of team `{team_id}` carry per-turn telemetry; the twin needs at least {needed}"
    )]
    TooFewRuns {
        team_id: String,
        runs: usize,
        needed: usize,
    },
}

#[derive(Debug, Clone, Copy)]
struct TurnObs {
    kind: TurnKind,
    size: usize,
    seconds: f64,
    think: f64,
    calls: u64,
    reported_latency: bool,
}

#[derive(Debug, Default)]
struct MemberData {
    finished: Vec<TurnObs>,
    cut: Vec<f64>,
    killed_hanging: usize,
    errors: usize,
    latency: Vec<f64>,
    counts: Vec<CountObservation>,
    /// (tool calls, tokens) of finished turns that report tokens.
    tokens: Vec<(f64, f64)>,
}

impl Twin {
    /// Fits the twin of team `team_id` from its runs.
    pub fn fit(team_id: &str, observations: &[Observation]) -> Result<Twin, TwinError> {
        let runs: usize = observations.iter().map(Observation::runs_with_turns).sum();
        if runs < MIN_RUNS {
            return Err(TwinError::TooFewRuns {
                team_id: team_id.to_string(),
                runs,
                needed: MIN_RUNS,
            });
        }
        let mut data: HashMap<String, MemberData> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut sizes = BTreeSet::new();
        let mut observed = Vec::new();
        for obs in observations {
            let size = obs.config.members.len();
            sizes.insert(size);
            let mut outcomes = Vec::new();
            for run in &obs.runs {
                outcomes.push(ObservedRun {
                    duration_seconds: run.duration_seconds,
                    success: run.success,
                    tool_calls: run.total_tool_calls,
                    tokens: run.tokens(),
                });
                for (id, m) in &run.member_metrics {
                    let budget = obs
                        .config
                        .members
                        .iter()
                        .find(|c| &c.id == id)
                        .and_then(|c| c.tool_budget);
                    if !data.contains_key(id) {
                        order.push(id.clone());
                    }
                    let d = data.entry(id.clone()).or_default();
                    let mut left = budget.map(u64::from);
                    for t in &m.turns {
                        match t.stop_cause {
                            StopCause::Timeout => d.cut.push(t.seconds),
                            StopCause::HangKilled => d.killed_hanging += 1,
                            cause => {
                                if cause == StopCause::Error {
                                    d.errors += 1;
                                }
                                d.latency.extend(&t.tool_call_seconds);
                                if t.tokens_in.is_some() || t.tokens_out.is_some() {
                                    let tokens =
                                        t.tokens_in.unwrap_or(0) + t.tokens_out.unwrap_or(0);
                                    d.tokens.push((t.tool_calls as f64, tokens as f64));
                                }
                                d.finished.push(TurnObs {
                                    kind: t.kind,
                                    size,
                                    seconds: t.seconds,
                                    think: t.think_seconds,
                                    calls: t.tool_calls,
                                    reported_latency: !t.tool_call_seconds.is_empty(),
                                });
                                if t.kind != TurnKind::Synthesis
                                    && matches!(cause, StopCause::Done | StopCause::BudgetExhausted)
                                {
                                    d.counts.push(CountObservation {
                                        team_size: size,
                                        allowed: left,
                                        calls: t.tool_calls,
                                        exhausted: cause == StopCause::BudgetExhausted,
                                    });
                                }
                            }
                        }
                        left = left.map(|l| l.saturating_sub(t.tool_calls));
                    }
                }
            }
            observed.push((obs.config.clone(), outcomes));
        }
        // Latency by regression where no turn reported its calls' latencies.
        for d in data.values_mut() {
            if d.latency.is_empty() {
                let slope = slope(d.finished.iter().map(|t| (t.calls as f64, t.seconds)));
                d.latency.push(slope);
                for t in &mut d.finished {
                    if !t.reported_latency {
                        t.think = (t.seconds - slope * t.calls as f64).max(0.0);
                    }
                }
            }
        }
        let coordination = (sizes.len() >= 2)
            .then(|| coordination_slope(order.iter().filter_map(|id| data.get(id))));
        let c = coordination.unwrap_or(0.0);
        let seen_cut_off = data
            .values()
            .any(|d| !d.cut.is_empty() || d.killed_hanging > 0);
        let reports_tokens = data.values().any(|d| !d.tokens.is_empty());
        let members: HashMap<String, MemberModel> = order
            .iter()
            .filter_map(|id| data.get(id).map(|d| (id.clone(), member_model(id, d, c))))
            .collect();
        let mut all = MemberData::default();
        // In the order members were first seen: the pooled samples, and so its replays, do
        // not depend on the hash map's order.
        for d in order.iter().filter_map(|id| data.get(id)) {
            all.finished.extend(&d.finished);
            all.cut.extend(&d.cut);
            all.killed_hanging += d.killed_hanging;
            all.errors += d.errors;
            all.latency.extend(&d.latency);
            all.counts.extend(&d.counts);
            all.tokens.extend(&d.tokens);
        }
        Ok(Twin {
            team_id: team_id.to_string(),
            pooled: member_model("*", &all, c),
            members,
            coordination_s: c,
            coordination_fitted: coordination.is_some(),
            runs,
            observed,
            seen_cut_off,
            reports_tokens,
        })
    }

    /// This twin with a coordination cost assumed where the runs could not measure one (all
    /// at one team size): the observed think time is taken to hold `coordination_s` per
    /// other member, at most half of it. `None` when the runs measured it, or there is
    /// nothing to assume.
    pub fn with_assumed_coordination(&self) -> Option<Twin> {
        if self.coordination_fitted {
            return None;
        }
        let size = self.observed.first()?.0.members.len();
        let mut think = self.pooled.think.clone();
        think.sort_by(f64::total_cmp);
        let median = *think.get(think.len() / 2)?;
        let others = size.saturating_sub(1) as f64;
        let c = if others > 0.0 {
            (0.3 * median).min(0.5 * median / others)
        } else {
            0.3 * median
        };
        if c <= 0.0 {
            return None;
        }
        let mut twin = self.clone();
        twin.coordination_s = c;
        let shift = |v: &mut Vec<f64>| v.iter_mut().for_each(|t| *t = (*t - c * others).max(0.0));
        for m in twin
            .members
            .values_mut()
            .chain(std::iter::once(&mut twin.pooled))
        {
            shift(&mut m.think);
            shift(&mut m.plan_think);
            shift(&mut m.synthesis_think);
        }
        Some(twin)
    }

    /// The team sizes the runs were made at.
    pub fn observed_sizes(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.observed.iter().map(|(c, _)| c.members.len()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The model for member `id` of a configuration: its own, the model of the member it was
    /// cloned from, or the pooled one.
    pub fn member(&self, id: &str, clone_of: Option<&str>) -> &MemberModel {
        self.members
            .get(id)
            .or_else(|| clone_of.and_then(|c| self.members.get(c)))
            .unwrap_or(&self.pooled)
    }
}

fn member_model(id: &str, d: &MemberData, coordination: f64) -> MemberModel {
    let net = |t: &TurnObs| (t.think - coordination * t.size.saturating_sub(1) as f64).max(0.0);
    let of_kind =
        |k: TurnKind| -> Vec<f64> { d.finished.iter().filter(|t| t.kind == k).map(net).collect() };
    let mut think = of_kind(TurnKind::Work);
    if think.is_empty() {
        think = d.finished.iter().map(net).collect();
    }
    if think.is_empty() {
        think.push(0.0);
    }
    let finished = d.finished.len();
    let mut seconds: Vec<f64> = d.finished.iter().map(|t| t.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    let threshold = seconds
        .get(((seconds.len() as f64) * 0.95) as usize)
        .or(seconds.last())
        .copied()
        .unwrap_or(0.0);
    let hangs = d.killed_hanging + d.cut.iter().filter(|&&s| s > threshold).count();
    let turns = finished + hangs;
    MemberModel {
        id: id.to_string(),
        think,
        plan_think: of_kind(TurnKind::Plan),
        synthesis_think: of_kind(TurnKind::Synthesis),
        latency: if d.latency.is_empty() {
            vec![0.0]
        } else {
            d.latency.clone()
        },
        count: count_model::fit(&d.counts).unwrap_or(CountModel {
            work_calls: 0.0,
            over_explore: 0.0,
        }),
        p_error: ratio(d.errors, finished),
        p_hang: ratio(hangs, turns),
        tokens: token_model(&d.tokens),
        turns,
    }
}

/// The least-squares line of tokens on calls, slope and intercept at least 0.
fn token_model(points: &[(f64, f64)]) -> Option<TokenModel> {
    if points.is_empty() {
        return None;
    }
    let n = points.len() as f64;
    let mean_tokens = points.iter().map(|p| p.1).sum::<f64>() / n;
    let per_call = slope(points.iter().copied());
    let mean_calls = points.iter().map(|p| p.0).sum::<f64>() / n;
    let per_turn = (mean_tokens - per_call * mean_calls).max(0.0);
    Some(TokenModel { per_turn, per_call })
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Least-squares slope of y on x through the data, at least 0; 0 without spread in x.
fn slope(points: impl Iterator<Item = (f64, f64)>) -> f64 {
    let pts: Vec<(f64, f64)> = points.collect();
    if pts.len() < 3 {
        return 0.0;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        0.0
    } else {
        (sxy / sxx).max(0.0)
    }
}

/// The within-member slope of think time on the number of other members.
fn coordination_slope<'a>(members: impl Iterator<Item = &'a MemberData>) -> f64 {
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for d in members {
        let pts: Vec<(f64, f64)> = d
            .finished
            .iter()
            .filter(|t| t.kind == TurnKind::Work)
            .map(|t| (t.size.saturating_sub(1) as f64, t.think))
            .collect();
        if pts.len() < 2 {
            continue;
        }
        let n = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        sxx += pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
        sxy += pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>();
    }
    if sxx <= 0.0 {
        0.0
    } else {
        (sxy / sxx).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_line_recovers_tokens_per_turn_and_per_call() {
        let points: Vec<(f64, f64)> = (0..40)
            .map(|i| {
                let calls = (i % 9) as f64;
                (calls, 1800.0 + 800.0 * calls)
            })
            .collect();
        let m = token_model(&points).unwrap();
        assert!((m.per_turn - 1800.0).abs() < 1e-6, "{m:?}");
        assert!((m.per_call - 800.0).abs() < 1e-6, "{m:?}");
        assert_eq!(m.of_turn(3), 1800.0 + 2400.0);
        // Turns that all make the same number of calls: their mean, nothing per call.
        let flat = token_model(&[(2.0, 500.0), (2.0, 700.0), (2.0, 600.0)]).unwrap();
        assert_eq!((flat.per_turn, flat.per_call), (600.0, 0.0));
        assert_eq!(token_model(&[]), None);
    }
}
