//! Measures the sequential A/B test's error rates and stopping times on simulated teams.
//!
//! `cargo run --release -p teamtune-analysis --example sequential_power -- [TESTS] [SEED]`
//! (default 4000 tests per scenario) prints, for each team, the A/A false pass rate under
//! continuous monitoring (a look after every pair, 5 to 100 pairs), the power and mean pairs
//! per side for a 30% and a 60% speed-up, how often a 30%-faster candidate whose success rate
//! is 20 points lower (95% -> 75%) passes, with the default rules and with
//! `require_proven_guardrails`, and what `pairs_needed` recommends.
//!
//! A team: durations are lognormal around 60 s (sigma `spread`) times a per-seed difficulty
//! shared by both sides of a pair (lognormal, sigma `difficulty`); a fraction `hang_rate` of
//! runs take `hang_factor` times longer; 5% fail, independently of duration; a speed-up of e
//! scales every candidate duration by 1 - e. The tail guardrail's threshold is 1.5 x the p95 of
//! 1000 baseline runs. The "typical" team is the one the crate's tests use
//! (`tests/it/sequential.rs`); the "hang-heavy" one has hangs making up a fifth of its total
//! time, which is what `pairs_needed` is for.

#![allow(clippy::print_stdout)]

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use teamtune_analysis::{
    AbStatus, Look, RunOutcome, SequentialRules, SequentialTest, pairs_needed, tail_threshold,
};

#[derive(Clone, Copy)]
struct Team {
    name: &'static str,
    spread: f64,
    difficulty: f64,
    hang_rate: f64,
    hang_factor: f64,
}

const TEAMS: [Team; 2] = [
    Team {
        name: "typical (sigma 0.3, seed difficulty 0.5, 1% hangs x5)",
        spread: 0.3,
        difficulty: 0.5,
        hang_rate: 0.01,
        hang_factor: 5.0,
    },
    Team {
        name: "hang-heavy (sigma 0.4, seed difficulty 0.3, 3% hangs x8)",
        spread: 0.4,
        difficulty: 0.3,
        hang_rate: 0.03,
        hang_factor: 8.0,
    },
];

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn run(
    rng: &mut ChaCha8Rng,
    team: Team,
    difficulty: f64,
    speed: f64,
    failure_rate: f64,
) -> RunOutcome {
    let mut d = 60.0 * difficulty * (team.spread * normal(rng)).exp();
    if rng.random::<f64>() < team.hang_rate {
        d *= team.hang_factor;
    }
    d *= speed;
    RunOutcome {
        duration_seconds: d,
        success: rng.random::<f64>() >= failure_rate,
        tool_calls: (d / 6.0).round() as u64,
        tokens: 0,
    }
}

fn pair(
    rng: &mut ChaCha8Rng,
    team: Team,
    effect: f64,
    candidate_failure_rate: f64,
) -> (RunOutcome, RunOutcome) {
    let difficulty = (team.difficulty * normal(rng)).exp();
    let b = run(rng, team, difficulty, 1.0, 0.05);
    let c = run(rng, team, difficulty, 1.0 - effect, candidate_failure_rate);
    (b, c)
}

struct Tally {
    passed: usize,
    failed: usize,
    pairs: usize,
    tests: usize,
}

impl Tally {
    fn show(&self, what: &str) {
        let pct = |k: usize| 100.0 * k as f64 / self.tests.max(1) as f64;
        println!(
            "  {what:<44} passed {:6.2}%  failed {:6.2}%  mean pairs per side {:5.1}",
            pct(self.passed),
            pct(self.failed),
            self.pairs as f64 / self.tests.max(1) as f64
        );
    }
}

fn scenario(
    tests: usize,
    seed: u64,
    team: Team,
    rules: SequentialRules,
    effect: f64,
    candidate_failure_rate: f64,
) -> Tally {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut t = Tally {
        passed: 0,
        failed: 0,
        pairs: 0,
        tests,
    };
    for _ in 0..tests {
        let Ok(mut test) = SequentialTest::new(rules) else {
            return t;
        };
        let d = loop {
            let (b, c) = pair(&mut rng, team, effect, candidate_failure_rate);
            if let Look::Stop(d) = test.push(b, c) {
                break d;
            }
        };
        t.pairs += d.sequential.runs_per_side;
        match d.status {
            AbStatus::Passed => t.passed += 1,
            AbStatus::Failed => t.failed += 1,
            _ => {}
        }
    }
    t
}

fn main() {
    let mut args = std::env::args().skip(1);
    let tests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4000);
    let seed: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_240_601);
    let defaults = SequentialRules::default();
    println!(
        "rules: alpha {}, threshold {}%, pairs {}..{} (planned {}), margins {} / {} points; {tests} tests per line, a look after every pair",
        defaults.alpha,
        defaults.threshold_percent,
        defaults.min_pairs,
        defaults.max_pairs,
        defaults.planned_pairs,
        defaults.success_margin * 100.0,
        defaults.tail_margin * 100.0,
    );
    for team in TEAMS {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        let history: Vec<RunOutcome> = (0..1000)
            .map(|_| {
                let difficulty = (team.difficulty * normal(&mut rng)).exp();
                run(&mut rng, team, difficulty, 1.0, 0.05)
            })
            .collect();
        let rules = SequentialRules {
            tail_threshold_seconds: tail_threshold(&history, 1.5),
            ..defaults
        };
        println!(
            "\n{} team, tail threshold {:.0} s",
            team.name,
            rules.tail_threshold_seconds.unwrap_or(0.0)
        );
        scenario(tests, seed, team, rules, 0.0, 0.05).show("A/A (false pass / false fail)");
        scenario(tests, seed + 1, team, rules, 0.3, 0.05).show("30% faster (power)");
        scenario(tests, seed + 2, team, rules, 0.6, 0.05).show("60% faster (power)");
        scenario(tests, seed + 3, team, rules, 0.0, 0.25).show("success 95% -> 75%, same speed");
        scenario(tests, seed + 4, team, rules, 0.3, 0.25).show("success 95% -> 75%, 30% faster");
        let strict = SequentialRules {
            require_proven_guardrails: true,
            ..rules
        };
        scenario(tests, seed + 4, team, strict, 0.3, 0.25)
            .show("  same, require_proven_guardrails");
        scenario(tests, seed + 1, team, strict, 0.3, 0.05)
            .show("30% faster, require_proven_guardrails");
        for effect in [30.0, 60.0] {
            let mut prng = ChaCha8Rng::seed_from_u64(seed + 5);
            match pairs_needed(&history, effect, 0.05, 0.9, 200, &mut prng) {
                Ok(p) => println!(
                    "  pairs_needed({effect:.0}%, power 90%, cap 200): {} pairs (simulated {}{}, rare events {:.1}% -> {}), power there {:.1}%, mean pairs {:.1}",
                    p.pairs,
                    p.simulated_pairs,
                    if p.reached { "" } else { ", not reached" },
                    p.rare_event_rate * 100.0,
                    p.rare_event_pairs,
                    p.power_at_pairs * 100.0,
                    p.mean_pairs
                ),
                Err(e) => println!("  pairs_needed({effect:.0}%): {e}"),
            }
        }
    }
}
