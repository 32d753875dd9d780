//! The seeded member model (docs/workflow-format.md, `sim:`). A turn lasts
//! `think + calls * call_latency_s + coordination_s * (n - 1)` of (virtual) time; it needs
//! Poisson(work_calls / n) tool calls, spends `over_explore` of its unused budget anyway,
//! fails when it needs more calls than its budget allows (after spending the budget), fails
//! at random with `failure_rate`, and hangs with `hang_rate` until a timeout ends it.
//!
//! Draws always happen in the same order from the turn's own stream, so a turn's outcome is
//! a function of (run seed, team, member, turn) alone.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Poisson};
use serde_json::json;
use teamtune_model::{Seconds, SimParams, StopCause, ThinkTime};

use super::{TurnInput, TurnKind, TurnOutcome, allowed_calls};

/// z of the 95th percentile of the standard normal.
const Z95: f64 = 1.644_853_626_951_472_2;

/// What a simulated turn will do, drawn up front.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    pub think_s: f64,
    pub needed: u64,
    pub hang: bool,
    pub fail: bool,
}

pub(crate) fn draw(p: &SimParams, team_size: usize, kind: TurnKind, seed: u64) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let think_s = match p.think_s {
        ThinkTime::Fixed(t) => t,
        ThinkTime::LogNormal { median, p95 } if p95 <= median => median,
        ThinkTime::LogNormal { median, p95 } => {
            let sigma = (p95 / median).ln() / Z95;
            LogNormal::new(median.ln(), sigma).map_or(median, |d| d.sample(&mut rng))
        }
    };
    let lambda = p.work_calls / team_size.max(1) as f64;
    let needed_draw = if lambda > 0.0 {
        Poisson::new(lambda).map_or(0.0, |d| d.sample(&mut rng)) as u64
    } else {
        0
    };
    let needed = if kind == TurnKind::Synthesis {
        0
    } else {
        needed_draw
    };
    let hang = rng.random::<f64>() < p.hang_rate;
    let fail = rng.random::<f64>() < p.failure_rate;
    Plan {
        think_s,
        needed,
        hang,
        fail,
    }
}

pub(crate) async fn turn(p: &SimParams, input: &TurnInput<'_>) -> TurnOutcome {
    let plan = draw(p, input.team_size, input.kind, input.seed);
    let allowed = allowed_calls(input.member_left, input.pool);
    let (wanted, exhausted) = match allowed {
        Some(a) if plan.needed > a => (a, true),
        Some(a) => (
            plan.needed + (p.over_explore * (a - plan.needed) as f64).floor() as u64,
            false,
        ),
        None => (plan.needed, false),
    };
    let wanted = match input.member_left {
        Some(m) => wanted.min(m),
        None => wanted,
    };
    let calls = input.pool.take(wanted);
    let exhausted = exhausted || calls < wanted;
    let coordination = p.coordination_s * input.team_size.saturating_sub(1) as f64;
    let duration = plan.think_s + calls as f64 * p.call_latency_s + coordination;
    if plan.hang {
        std::future::pending::<()>().await;
    }
    // Sampled think times have an unbounded tail: a turn lasts at most `Seconds::MAX`.
    tokio::time::sleep(Seconds::saturating(duration).as_duration()).await;
    let latencies = vec![p.call_latency_s; usize::try_from(calls).unwrap_or(0)];
    let (tokens_in, tokens_out) = match p.tokens {
        Some(t) => {
            let (i, o) = t.of_turn(calls);
            (Some(i), Some(o))
        }
        None => (None, None),
    };
    if exhausted {
        return TurnOutcome {
            tool_call_seconds: latencies,
            tokens_in,
            tokens_out,
            ..TurnOutcome::stopped(StopCause::BudgetExhausted, calls)
        };
    }
    if plan.fail {
        return TurnOutcome {
            tool_call_seconds: latencies,
            tokens_in,
            tokens_out,
            ..TurnOutcome::failed(StopCause::Error, "simulated failure", calls)
        };
    }
    let m = input.member;
    let done = TurnOutcome::done(
        json!({
            "member_id": m.id,
            "role": m.role,
            "simulated": true,
            "result": format!("{} finished: {}", m.role, truncate(&input.goal, 80)),
            "tool_calls": calls,
        }),
        calls,
        m.tools.iter().take(calls as usize).cloned().collect(),
    );
    TurnOutcome {
        tool_call_seconds: latencies,
        tokens_in,
        tokens_out,
        ..done
    }
}

fn truncate(s: &str, n: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() <= n {
        line.to_string()
    } else {
        line.chars().take(n).collect::<String>() + "..."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_reproducible_and_follow_the_parameters() {
        let p = SimParams {
            work_calls: 0.0,
            think_s: ThinkTime::Fixed(10.0),
            ..SimParams::default()
        };
        let a = draw(&p, 3, TurnKind::Work, 42);
        assert_eq!(a, draw(&p, 3, TurnKind::Work, 42));
        assert_eq!(a.think_s, 10.0);
        assert_eq!(a.needed, 0);
        let q = SimParams {
            work_calls: 30.0,
            ..SimParams::default()
        };
        let mean: f64 = (0..2000)
            .map(|s| draw(&q, 3, TurnKind::Work, s).needed as f64)
            .sum::<f64>()
            / 2000.0;
        assert!((mean - 10.0).abs() < 0.5, "Poisson(30/3) mean was {mean}");
        let med = {
            let mut t: Vec<f64> = (0..2001)
                .map(|s| draw(&q, 3, TurnKind::Work, s).think_s)
                .collect();
            t.sort_by(f64::total_cmp);
            t[1000]
        };
        assert!((med - 5.0).abs() < 0.5, "lognormal median was {med}");
        assert_eq!(draw(&q, 3, TurnKind::Synthesis, 7).needed, 0);
    }
}
