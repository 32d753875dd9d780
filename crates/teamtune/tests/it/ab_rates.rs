//! Error rates of the A/B decision on simulated teams (N = 10 per side):
//! - A/A: the same configuration on both sides with different seeds is reported `passed`
//!   in at most 5% of 200 comparisons;
//! - a planted 30% improvement passes in at least 90% of 50 seeded trials.
//!
//! The figures are printed (run with `--nocapture` to see them).

#![allow(clippy::print_stderr)]

use teamtune::outcomes;
use teamtune_analysis::{AbStatus, DecisionRules, decide};
use teamtune_engine::{Engine, RunOptions, run_seed};
use teamtune_model::load_str;

pub fn engine(scale: f64) -> Engine {
    let yaml = format!(
        r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: parallel
        sim: {{work_calls: 24, call_latency_s: {lat}, think_s: {{median: {think}, p95: {p95}}}, coordination_s: {coord}, failure_rate: 0.02}}
        members: [{{id: a, tool_budget: 30}}, {{id: b, tool_budget: 30}}, {{id: c, tool_budget: 30}}]
"#,
        lat = 1.5 * scale,
        think = 6.0 * scale,
        p95 = 20.0 * scale,
        coord = 0.5 * scale,
    );
    let file = load_str(std::path::Path::new("ab.yaml"), &yaml).unwrap();
    Engine::new(&file, None).unwrap()
}

pub fn sample(engine: &Engine, base_seed: u64, n: u64) -> Vec<teamtune_model::TeamRunRecord> {
    let rt = teamtune_engine::virtual_runtime().unwrap();
    rt.block_on(async {
        let mut out = Vec::new();
        for i in 0..n {
            let r = engine
                .run(&RunOptions {
                    seed: run_seed(base_seed, i),
                    virtual_time: true,
                    ..RunOptions::default()
                })
                .await;
            out.extend(r.team_runs);
        }
        out
    })
}

#[test]
fn aa_false_positives_and_planted_improvement_power() {
    let rules = DecisionRules::default();
    let base = engine(1.0);
    let aa_passed = (0..200u64)
        .filter(|t| {
            let a = sample(&base, 10_000 + 2 * t, 10);
            let b = sample(&base, 10_001 + 2 * t, 10);
            decide(&outcomes(&a), &outcomes(&b), &rules, *t).status == AbStatus::Passed
        })
        .count();
    let better = engine(0.7);
    let planted_passed = (0..50u64)
        .filter(|t| {
            let a = sample(&base, 50_000 + t, 10);
            let b = sample(&better, 50_000 + t, 10);
            decide(&outcomes(&a), &outcomes(&b), &rules, *t).status == AbStatus::Passed
        })
        .count();
    eprintln!(
        "A/A passed: {aa_passed}/200 ({:.1}%)",
        aa_passed as f64 / 2.0
    );
    eprintln!(
        "planted 30% improvement passed: {planted_passed}/50 ({:.0}%)",
        planted_passed as f64 * 2.0
    );
    assert!(
        aa_passed <= 10,
        "A/A false positive rate {aa_passed}/200 exceeds 5%"
    );
    assert!(
        planted_passed >= 45,
        "power {planted_passed}/50 is below 90%"
    );
}
