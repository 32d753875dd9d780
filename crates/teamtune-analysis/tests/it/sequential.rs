//! The sequential A/B test on a simulated team, looking after every pair: error rates under
//! continuous monitoring, power, stopping times, the success-rate guardrail, and finite
//! outputs for any input. Seeded, so every figure replays; small simulation counts keep this
//! fast in debug builds (`examples/sequential_power.rs` measures with 4000 tests per line).
//!
//! The team ("typical" in the example): durations lognormal around 60 s (sigma 0.3) times a
//! per-seed difficulty shared by both sides of a pair (lognormal, sigma 0.5); 1% of runs hang
//! 5x longer; 5% fail independently of duration.

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use teamtune_analysis::{
    AbStatus, Look, RunOutcome, SequentialDecision, SequentialRules, SequentialTest,
    run_sequential, tail_threshold,
};

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn run(rng: &mut ChaCha8Rng, difficulty: f64, speed: f64, failure_rate: f64) -> RunOutcome {
    let mut d = 60.0 * difficulty * (0.3 * normal(rng)).exp();
    if rng.random::<f64>() < 0.01 {
        d *= 5.0;
    }
    d *= speed;
    RunOutcome {
        duration_seconds: d,
        success: rng.random::<f64>() >= failure_rate,
        tool_calls: (d / 6.0).round() as u64,
        tokens: 0,
    }
}

fn rules(rng: &mut ChaCha8Rng) -> SequentialRules {
    let history: Vec<RunOutcome> = (0..500)
        .map(|_| {
            let difficulty = (0.5 * normal(rng)).exp();
            run(rng, difficulty, 1.0, 0.05)
        })
        .collect();
    SequentialRules {
        tail_threshold_seconds: tail_threshold(&history, 1.5),
        ..SequentialRules::default()
    }
}

struct Tally {
    passed: usize,
    failed: usize,
    pairs: usize,
    tests: usize,
}

impl Tally {
    fn passed(&self) -> f64 {
        self.passed as f64 / self.tests as f64
    }
    fn failed(&self) -> f64 {
        self.failed as f64 / self.tests as f64
    }
    fn mean_pairs(&self) -> f64 {
        self.pairs as f64 / self.tests as f64
    }
}

/// `tests` sequential tests of a candidate `effect` faster with the given failure rate.
fn simulate(
    seed: u64,
    tests: usize,
    effect: f64,
    candidate_failure_rate: f64,
    tweak: impl Fn(SequentialRules) -> SequentialRules,
) -> Tally {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rules = tweak(rules(&mut rng));
    let mut t = Tally {
        passed: 0,
        failed: 0,
        pairs: 0,
        tests,
    };
    for _ in 0..tests {
        let mut test = SequentialTest::new(rules).unwrap();
        let d = loop {
            let difficulty = (0.5 * normal(&mut rng)).exp();
            let b = run(&mut rng, difficulty, 1.0, 0.05);
            let c = run(&mut rng, difficulty, 1.0 - effect, candidate_failure_rate);
            if let Look::Stop(d) = test.push(b, c) {
                break d;
            }
        };
        assert!(d.sequential.runs_per_side <= rules.max_pairs);
        t.pairs += d.sequential.runs_per_side;
        match d.status {
            AbStatus::Passed => t.passed += 1,
            AbStatus::Failed => t.failed += 1,
            _ => {}
        }
    }
    t
}

/// 400 A/A tests, each looked at after every pair from 5 to 100: the false pass rate stays
/// within 5%, and so does the two-sided error (here 1.5% pass, 1.75% fail; 2.3% and 2.0%
/// over 4000 in the example).
#[test]
fn aa_tests_rarely_pass_under_continuous_monitoring() {
    let t = simulate(11, 400, 0.0, 0.05, |r| r);
    assert!(t.passed() <= 0.05, "false pass {}", t.passed());
    assert!(
        t.passed() + t.failed() <= 0.05,
        "two-sided {}",
        t.passed() + t.failed()
    );
}

/// A true 30% speed-up passes in at least 90% of tests within 100 pairs (here 94%, 35 pairs
/// per side on average; 93% and 33 over 4000); a 60% one stops much sooner (here 10.8 pairs
/// per side on average, 12.1 over 4000).
#[test]
fn power_and_stopping_times() {
    let thirty = simulate(12, 300, 0.3, 0.05, |r| r);
    assert!(thirty.passed() >= 0.9, "power {}", thirty.passed());
    assert!(thirty.failed() == 0.0);
    let sixty = simulate(13, 300, 0.6, 0.05, |r| r);
    assert!(sixty.passed() >= 0.97, "power {}", sixty.passed());
    assert!(
        sixty.mean_pairs() < 15.0,
        "mean pairs {}",
        sixty.mean_pairs()
    );
    assert!(sixty.mean_pairs() < thirty.mean_pairs() / 2.0);
}

/// A candidate whose success rate is 20 points lower (95% -> 75%) is caught: at the same
/// speed it (nearly) never passes; 30% faster, where its seconds per successful run do
/// improve 11%, it passes only while its failures have not shown yet (about 10%), and never
/// when the guardrails must be proven.
#[test]
fn a_twenty_point_success_drop_is_caught() {
    let same_speed = simulate(14, 200, 0.0, 0.25, |r| r);
    assert!(
        same_speed.passed() <= 0.01,
        "passed {}",
        same_speed.passed()
    );
    let faster = simulate(15, 300, 0.3, 0.25, |r| r);
    assert!(faster.passed() <= 0.15, "passed {}", faster.passed());
    let strict = simulate(15, 200, 0.3, 0.25, |r| SequentialRules {
        require_proven_guardrails: true,
        ..r
    });
    assert_eq!(strict.passed, 0);
}

fn all_finite(d: &SequentialDecision) -> bool {
    let e = &d.estimate;
    let mut numbers = vec![
        d.improvement_percentage,
        d.ci_low,
        d.ci_high,
        d.threshold_percent,
        d.alpha,
        e.log_ratio,
        e.log_ratio_low,
        e.log_ratio_high,
        e.improvement_percentage,
        e.ci_low,
        e.ci_high,
    ];
    numbers.extend(e.baseline_ratio);
    numbers.extend(e.candidate_ratio);
    for g in &d.guardrails {
        numbers.extend([
            g.estimate_points,
            g.ci_low_points,
            g.ci_high_points,
            g.margin_points,
        ]);
        numbers.extend(g.threshold_seconds);
    }
    numbers.iter().all(|x| x.is_finite())
        && d.ci_low <= d.improvement_percentage
        && d.improvement_percentage <= d.ci_high
}

fn any_duration() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0f64..1000.0,
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(-5.0),
        1 => Just(1e300),
    ]
}

fn any_run() -> impl Strategy<Value = RunOutcome> {
    (
        any_duration(),
        any::<bool>(),
        prop_oneof![0u64..100, Just(u64::MAX)],
    )
        .prop_map(|(duration_seconds, success, tool_calls)| RunOutcome {
            duration_seconds,
            success,
            tool_calls,
            tokens: 0,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever the runs (NaN, infinite, negative durations, no successes, huge tool
    /// counts), every figure of the decision is finite and it serializes.
    #[test]
    fn outputs_are_finite(
        pairs in prop::collection::vec((any_run(), any_run()), 0..40),
        tool_calls in any::<bool>(),
        tail in prop::option::of(1.0f64..500.0),
    ) {
        let rules = SequentialRules {
            max_pairs: 30,
            tail_threshold_seconds: tail,
            objective: if tool_calls {
                teamtune_analysis::SequentialObjective::ToolCallsPerSuccess
            } else {
                teamtune_analysis::SequentialObjective::SecondsPerSuccess
            },
            ..SequentialRules::default()
        };
        let d = run_sequential(&pairs, rules).unwrap();
        prop_assert!(all_finite(&d), "{d:#?}");
        prop_assert!(d.sequential.runs_per_side <= 30);
        let json = serde_json::to_string(&d).unwrap();
        prop_assert!(!json.contains("null") || d.estimate.baseline_ratio.is_none() || d.estimate.candidate_ratio.is_none());
        let back: SequentialDecision = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.status, d.status);
    }
}
