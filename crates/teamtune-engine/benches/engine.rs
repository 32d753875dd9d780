//! Engine overhead, printed as figures (not asserted): `cargo bench -p teamtune-engine`.
//!
//! - microseconds per node on a chain of 1,000 transform nodes;
//! - microseconds per team run of 10 parallel zero-latency simulated members;
//! - simulated runs per second of examples/code-review.yaml.

#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use teamtune_engine::{Engine, RunOptions, run_seed};
use teamtune_model::load_str;

fn chain(n: usize) -> String {
    let mut y = String::from(
        "workflows:\n  chain:\n    nodes:\n      - id: n0\n        type: transform\n        transform: {x: 0}\n",
    );
    for i in 1..n {
        y.push_str(&format!(
            "      - id: n{i}\n        type: transform\n        transform: |\n          x = x + 1\n"
        ));
    }
    y.push_str("    max_iterations: 100000\n");
    y
}

fn team10() -> String {
    let mut y = String::from(
        "workflows:\n  t:\n    nodes:\n      - id: crew\n        type: team\n        team_formation: parallel\n        sim: {work_calls: 0, think_s: 0, coordination_s: 0, failure_rate: 0}\n        members:\n",
    );
    for i in 0..10 {
        y.push_str(&format!("          - {{id: m{i}}}\n"));
    }
    y
}

/// Runs `runs` runs and returns seconds per run (best of 5 rounds).
fn time_runs(engine: &Engine, runs: u64) -> f64 {
    let rt = teamtune_engine::virtual_runtime().expect("runtime");
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        rt.block_on(async {
            for i in 0..runs {
                let opts = RunOptions {
                    seed: run_seed(1, i),
                    virtual_time: true,
                    ..RunOptions::default()
                };
                black_box(engine.run(&opts).await);
            }
        });
        best = best.min(start.elapsed().as_secs_f64() / runs as f64);
    }
    best
}

fn main() {
    let file = load_str(Path::new("chain.yaml"), &chain(1000)).expect("chain loads");
    let engine = Engine::new(&file, None).expect("chain prepares");
    let per_run = time_runs(&engine, 20);
    println!(
        "transform chain:  {:>8.3} us per node (1,000 nodes, {:.2} ms per run)",
        per_run * 1e6 / 1000.0,
        per_run * 1e3
    );

    let file = load_str(Path::new("team.yaml"), &team10()).expect("team loads");
    let engine = Engine::new(&file, None).expect("team prepares");
    let per_run = time_runs(&engine, 2000);
    println!(
        "parallel team:    {:>8.3} us per team run (10 zero-latency sim members)",
        per_run * 1e6
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/code-review.yaml");
    let text = std::fs::read_to_string(&root).expect("example exists");
    let file = load_str(&root, &text).expect("example loads");
    let engine = Engine::new(&file, None).expect("example prepares");
    let per_run = time_runs(&engine, 2000);
    println!(
        "code-review:      {:>8.0} simulated runs per second ({:.1} us per run)",
        1.0 / per_run,
        per_run * 1e6
    );
    println!(
        "reference points: Python coordinator ~ milliseconds per team run; LangGraph ~200 us per node"
    );
}
