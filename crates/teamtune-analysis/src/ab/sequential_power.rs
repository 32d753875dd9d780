//! How many pairs a sequential test needs: by simulation on the team's own history, because
//! run durations are skewed, failures are discrete and rare events (hangs, timeouts) dominate
//! the variance in ways no normal formula sees.
//!
//! [`pairs_needed`] replays the sequential test ([`crate::ab::sequential`]) many times on
//! pairs resampled from the history: the baseline run and the candidate run are drawn
//! independently (with replacement) and the candidate's objective numerator (duration, or tool
//! calls) is scaled by `1 - effect/100`; success and failure are left as they were. Drawing the
//! two sides independently ignores the seed shared by a real pair, which usually makes the two
//! sides alike, so the estimate errs on the side of too many pairs (on the example's typical
//! team, whose seeds matter a lot, it asks 138 pairs for 90% power at a 30% effect where the
//! paired test gets 93% within 100). The planned size (the
//! sequence's tuning) stays fixed, so one simulation up to `cap` gives the power at every
//! smaller `max_pairs` too: a test capped at m passes exactly when the uncapped one passes by
//! pair m.
//!
//! Rare events: resampling keeps the history's rates (a 6% hang rate stays 6%), so the
//! simulated stopping times already include their noise. But a test that stops after a few
//! pairs may simply not have met them yet, and a guardrail cannot react to an event it never
//! saw. So the recommendation is also at least the number of pairs for which the rarest event
//! of the history (failures, or slow runs: longer than [`SLOW_RUN_FACTOR`] x the median) shows
//! up at least once among the 2n runs with probability `power` (for 6%: 19 pairs, 38 runs).
//! Events rarer than [`RARE_EVENT_FLOOR`] are left out: no test of a few hundred runs resolves
//! them, that is monitoring's job. A history without the event tells nothing about it.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::decision::{AbStatus, RunOutcome};
use super::sequential::{
    DEFAULT_TAIL_FACTOR, Look, SequentialError, SequentialObjective, SequentialRules,
    SequentialTest, tail_threshold,
};
use crate::summary::median;

/// Simulated tests per estimate in [`pairs_needed`].
pub const POWER_SIMULATIONS: usize = 1000;
/// A run longer than this many times the history's median is a slow outlier (a hang).
pub const SLOW_RUN_FACTOR: f64 = 3.0;
/// Event rates below this are not considered rare events to wait for.
pub const RARE_EVENT_FLOOR: f64 = 0.01;

/// A power analysis' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerEstimate {
    /// The recommended `max_pairs`: the larger of `simulated_pairs` and `rare_event_pairs`,
    /// at most the cap.
    pub pairs: usize,
    /// Simulated probability of a pass within `pairs`.
    pub power_at_pairs: f64,
    /// `power` was reached within the cap.
    pub reached: bool,
    /// Fewest pairs giving the power in the simulation (the cap when never reached).
    pub simulated_pairs: usize,
    /// The rarest event rate considered (0 when none) and the pairs for it to show up.
    pub rare_event_rate: f64,
    pub rare_event_pairs: usize,
    /// Mean runs per side a test capped at `pairs` uses (it often stops earlier).
    pub mean_pairs: f64,
    pub effect_percent: f64,
    pub power: f64,
    pub simulations: usize,
}

/// The pairs a sequential test with the default rules (but this `alpha`, and a tail guardrail
/// at 1.5 x the history's p95) needs to pass a change that improves the objective by
/// `effect_percent` with probability `power`, simulated [`POWER_SIMULATIONS`] times from
/// `history`, looking no further than `cap` pairs.
pub fn pairs_needed(
    history: &[RunOutcome],
    effect_percent: f64,
    alpha: f64,
    power: f64,
    cap: usize,
    rng: &mut ChaCha8Rng,
) -> Result<PowerEstimate, SequentialError> {
    let rules = SequentialRules {
        alpha,
        tail_threshold_seconds: tail_threshold(history, DEFAULT_TAIL_FACTOR),
        ..SequentialRules::default()
    };
    pairs_needed_with(
        history,
        effect_percent,
        power,
        cap,
        &rules,
        POWER_SIMULATIONS,
        rng,
    )
}

/// [`pairs_needed`] with chosen rules (their `max_pairs` is replaced by `cap`) and number of
/// simulations.
pub fn pairs_needed_with(
    history: &[RunOutcome],
    effect_percent: f64,
    power: f64,
    cap: usize,
    rules: &SequentialRules,
    simulations: usize,
    rng: &mut ChaCha8Rng,
) -> Result<PowerEstimate, SequentialError> {
    if history.is_empty() {
        return Err(SequentialError::EmptyHistory);
    }
    if !effect_percent.is_finite() || effect_percent >= 100.0 {
        return Err(SequentialError::InvalidRule {
            field: "effect_percent",
            reason: format!("{effect_percent} is not a finite percentage below 100"),
        });
    }
    if !(power > 0.0 && power < 1.0) {
        return Err(SequentialError::InvalidRule {
            field: "power",
            reason: format!("{power} is not in (0, 1)"),
        });
    }
    if simulations == 0 {
        return Err(SequentialError::InvalidRule {
            field: "simulations",
            reason: "must be positive".to_owned(),
        });
    }
    let rules = SequentialRules {
        max_pairs: cap,
        ..*rules
    };
    SequentialTest::new(rules)?;
    let scale = 1.0 - effect_percent / 100.0;
    // Per simulation: the pairs it ran and whether it passed.
    let mut outcomes: Vec<(usize, bool)> = Vec::with_capacity(simulations);
    for _ in 0..simulations {
        let mut sim_rng = ChaCha8Rng::seed_from_u64(rng.random());
        let mut test = SequentialTest::new(rules)?;
        let outcome = loop {
            let b = history[sim_rng.random_range(0..history.len())];
            let c = scaled(
                history[sim_rng.random_range(0..history.len())],
                scale,
                rules.objective,
                &mut sim_rng,
            );
            if let Look::Stop(d) = test.push(b, c) {
                break (d.sequential.runs_per_side, d.status == AbStatus::Passed);
            }
        };
        outcomes.push(outcome);
    }
    let power_within = |m: usize| {
        outcomes.iter().filter(|(n, pass)| *pass && *n <= m).count() as f64 / simulations as f64
    };
    let reached_at = (rules.min_pairs..=cap).find(|&m| power_within(m) >= power);
    let simulated_pairs = reached_at.unwrap_or(cap);
    let rare_event_rate = rarest_event_rate(history);
    let rare_event_pairs = pairs_to_see(rare_event_rate, power);
    let pairs = simulated_pairs.max(rare_event_pairs).min(cap);
    let mean_pairs = outcomes
        .iter()
        .map(|(n, _)| (*n).min(pairs) as f64)
        .sum::<f64>()
        / simulations as f64;
    Ok(PowerEstimate {
        pairs,
        power_at_pairs: power_within(pairs),
        reached: reached_at.is_some(),
        simulated_pairs,
        rare_event_rate,
        rare_event_pairs,
        mean_pairs,
        effect_percent,
        power,
        simulations,
    })
}

/// The candidate's run: the objective's numerator scaled (tool calls rounded at random so the
/// mean scales exactly).
fn scaled(
    run: RunOutcome,
    scale: f64,
    objective: SequentialObjective,
    rng: &mut ChaCha8Rng,
) -> RunOutcome {
    match objective {
        SequentialObjective::SecondsPerSuccess => RunOutcome {
            duration_seconds: run.duration_seconds * scale,
            ..run
        },
        SequentialObjective::ToolCallsPerSuccess => RunOutcome {
            tool_calls: scaled_count(run.tool_calls, scale, rng),
            ..run
        },
        SequentialObjective::TokensPerSuccess => RunOutcome {
            tokens: scaled_count(run.tokens, scale, rng),
            ..run
        },
    }
}

/// `n * scale` as a whole number, rounded up or down at random so the mean is exact.
fn scaled_count(n: u64, scale: f64, rng: &mut ChaCha8Rng) -> u64 {
    let x = (n as f64 * scale).max(0.0);
    let floor = x.floor();
    let up = rng.random::<f64>() < x - floor;
    floor as u64 + u64::from(up)
}

/// The smallest rate, at least [`RARE_EVENT_FLOOR`], of failures and slow runs in the
/// history; 0 when neither qualifies.
fn rarest_event_rate(history: &[RunOutcome]) -> f64 {
    let n = history.len() as f64;
    let failures = history.iter().filter(|r| !r.success).count() as f64 / n;
    let durations: Vec<f64> = history.iter().map(|r| r.duration_seconds).collect();
    let slow = match median(&durations) {
        Some(m) if m > 0.0 && m.is_finite() => {
            history
                .iter()
                .filter(|r| r.duration_seconds.is_nan() || r.duration_seconds > SLOW_RUN_FACTOR * m)
                .count() as f64
                / n
        }
        _ => 0.0,
    };
    [failures, slow]
        .into_iter()
        .filter(|p| *p >= RARE_EVENT_FLOOR)
        .reduce(f64::min)
        .unwrap_or(0.0)
}

/// Pairs for an event of rate `p` to appear at least once among the 2n runs with
/// probability `power`: the least n with 1 - (1 - p)^(2n) >= power.
fn pairs_to_see(p: f64, power: f64) -> usize {
    if !(p > 0.0 && p < 1.0) {
        return 0;
    }
    let n = (1.0 - power).ln() / (2.0 * (1.0 - p).ln());
    if n.is_finite() && n > 0.0 {
        n.ceil().min(usize::MAX as f64) as usize
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(n: usize, failure_every: usize, hang_every: usize) -> Vec<RunOutcome> {
        (0..n)
            .map(|i| RunOutcome {
                duration_seconds: if hang_every > 0 && i % hang_every == 0 {
                    600.0
                } else {
                    60.0 + ((i * 37) % 29) as f64
                },
                success: failure_every == 0 || i % failure_every != 1,
                tool_calls: 10 + (i % 7) as u64,
                tokens: 0,
            })
            .collect()
    }

    #[test]
    fn rare_events_set_a_floor() {
        assert_eq!(pairs_to_see(0.06, 0.9), 19);
        assert_eq!(pairs_to_see(0.0, 0.9), 0);
        assert_eq!(rarest_event_rate(&history(200, 0, 0)), 0.0);
        assert_eq!(rarest_event_rate(&history(200, 20, 0)), 0.05);
        // One failure in 200 runs is below the floor.
        assert_eq!(rarest_event_rate(&history(200, 200, 0)), 0.0);
        // A 6% hang rate (3.4x the median), no failures: the test alone would stop sooner
        // than the hangs show up.
        let h: Vec<RunOutcome> = history(300, 0, 0)
            .into_iter()
            .enumerate()
            .map(|(i, r)| RunOutcome {
                duration_seconds: if i % 50 < 3 {
                    250.0
                } else {
                    r.duration_seconds
                },
                ..r
            })
            .collect();
        assert!((rarest_event_rate(&h) - 0.06).abs() < 1e-12);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let rules = SequentialRules::default();
        let est = pairs_needed_with(&h, 60.0, 0.9, 100, &rules, 200, &mut rng).unwrap();
        assert_eq!(est.rare_event_pairs, 19);
        assert!(est.reached && est.simulated_pairs < 19, "{est:#?}");
        assert_eq!(est.pairs, 19);
        assert!(est.power_at_pairs >= 0.9 && est.mean_pairs < 19.0);
    }

    #[test]
    fn bigger_effects_need_fewer_pairs_and_replay() {
        let h = history(100, 20, 0);
        let run = |effect: f64, seed: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            pairs_needed_with(
                &h,
                effect,
                0.9,
                100,
                &SequentialRules::default(),
                200,
                &mut rng,
            )
            .unwrap()
        };
        let (big, small) = (run(50.0, 1), run(25.0, 1));
        assert!(big.reached && small.reached, "{big:#?} {small:#?}");
        assert!(big.simulated_pairs < small.simulated_pairs);
        assert!(big.power_at_pairs >= 0.9);
        assert_eq!(big, run(50.0, 1));
        // Nothing to detect: never reaches the power, recommends the cap.
        let none = run(0.0, 2);
        assert!(!none.reached && none.pairs == 100 && none.power_at_pairs < 0.1);
        assert!(serde_json::to_string(&none).is_ok());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let h = history(10, 0, 0);
        assert_eq!(
            pairs_needed(&[], 30.0, 0.05, 0.9, 100, &mut rng),
            Err(SequentialError::EmptyHistory)
        );
        for (effect, alpha, power, cap) in [
            (100.0, 0.05, 0.9, 100),
            (f64::NAN, 0.05, 0.9, 100),
            (30.0, 1.5, 0.9, 100),
            (30.0, 0.05, 1.0, 100),
            (30.0, 0.05, 0.9, 2),
        ] {
            assert!(pairs_needed(&h, effect, alpha, power, cap, &mut rng).is_err());
        }
    }
}
