//! `teamtune-bench experiments`: what a live experiment costs and how often it errs, on
//! simulated live traffic. A sequential team of ten independent members runs through
//! `Autotuner::run` (the same path as `teamtune run`, recording every run), an experiment is
//! started with a planted candidate and checked every `--check-every` runs, as `watch` does.
//! Planted candidates: keep 7 of the 10 members (30% faster), keep 4 (60% faster), and an
//! A/A candidate (a longer team timeout no run comes near: the same team).
//!
//! For a decided experiment the figures are exact, not rounded to the check interval: the
//! test stopped at pair k (its `runs_per_side`), and the runs it needed are the team's runs
//! up to the later of the k-th control and the k-th candidate run, read back from the store.

use std::path::Path;

use clap::Args;
use serde::Serialize;
use teamtune::{
    Autotuner, BatchOptions, Candidate, ExperimentPlan, ExperimentVerdict, ExportFormat, Variant,
};

use crate::error::BenchError;

#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// Repetitions of each planted candidate (0: none).
    #[arg(long, default_value_t = 40)]
    pub repetitions: u64,
    /// Repetitions of the A/A experiment (0: none).
    #[arg(long, default_value_t = 100)]
    pub aa_repetitions: u64,
    /// The candidate's share of the runs.
    #[arg(long, default_value_t = 0.2)]
    pub share: f64,
    /// Runs between two checks.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub check_every: u64,
    /// Base seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

/// Ten independent members in sequence, each with a heavy tail (think time median 20 s, p95
/// 150 s), so runs vary a good deal; no failures, so the figures
/// measure the objective, not the guardrails.
const WORKFLOW: &str = "workflows:
  live:
    nodes:
      - id: crew
        type: team
        team_formation: sequential
        timeout_seconds: 3000
        sim: {work_calls: 5, call_latency_s: 2.0, think_s: {median: 20, p95: 150}, coordination_s: 0.5, failure_rate: 0.0}
        members:
          - id: m1
            role: worker
          - id: m2
            role: worker
          - id: m3
            role: worker
          - id: m4
            role: worker
          - id: m5
            role: worker
          - id: m6
            role: worker
          - id: m7
            role: worker
          - id: m8
            role: worker
          - id: m9
            role: worker
          - id: m10
            role: worker
";

const HISTORY_RUNS: u64 = 20;
/// An experiment not decided after this many runs counts as undecided (the test itself
/// ends inconclusive at its default 100 pairs, 500 runs at a 20% share).
const MAX_RUNS: u64 = 5000;

/// One planted candidate's results.
#[derive(Debug, Serialize)]
pub struct PlantedResult {
    pub name: String,
    pub repetitions: u64,
    pub promoted: u64,
    pub aborted: u64,
    pub inconclusive: u64,
    pub undecided: u64,
    /// Over the promoted experiments: mean runs of the team until the decision, and mean
    /// candidate runs among them.
    pub mean_runs: f64,
    pub mean_candidate_runs: f64,
    pub median_runs: f64,
    pub p90_runs: f64,
}

fn members(n: usize) -> serde_json::Value {
    serde_json::Value::Array(
        (1..=n)
            .map(|i| serde_json::json!({"id": format!("m{i}"), "role": "worker"}))
            .collect(),
    )
}

struct Outcome {
    verdict: Option<ExperimentVerdict>,
    runs: u64,
    candidate_runs: u64,
}

fn one(
    dir: &Path,
    settings: &serde_json::Map<String, serde_json::Value>,
    args: &ExperimentArgs,
    seed: u64,
) -> Result<Outcome, BenchError> {
    let work = |e: std::io::Error| BenchError::Work(e.to_string());
    let file = dir.join("live.yaml");
    std::fs::write(&file, WORKFLOW).map_err(work)?;
    let store = dir.join("store.db");
    let _ = std::fs::remove_file(&store);
    let tuner = Autotuner::new(&store);
    let runnable = tuner.prepare(&file, None)?;
    let batch = |runs: u64, seed: u64| BatchOptions {
        runs,
        seed,
        ..BatchOptions::default()
    };
    tuner.run(&runnable, &batch(HISTORY_RUNS, seed), true, |_| {})?;
    let mut plan = ExperimentPlan::new("crew", &file, Candidate::Settings(settings.clone()));
    plan.share = args.share;
    let id = tuner.start_experiment(&plan)?.experiment.id;
    // The engine of the batch is built when it starts: prepare once per batch, as each
    // `teamtune run` does.
    let mut ran = 0;
    let mut k = 0u64;
    while ran < MAX_RUNS {
        let runnable = tuner.prepare(&file, None)?;
        tuner.run(
            &runnable,
            &batch(args.check_every, seed.wrapping_add(1_000_003 * (k + 1))),
            true,
            |_| {},
        )?;
        k += 1;
        ran += args.check_every;
        let check = tuner.check_experiment(id)?;
        if let Some(decision) = &check.decision {
            let pairs = decision.sequential.runs_per_side as u64;
            return Ok(Outcome {
                verdict: Some(check.verdict),
                runs: runs_until(&tuner, id, pairs)?,
                candidate_runs: pairs,
            });
        }
        if check.verdict != ExperimentVerdict::Continue
            && check.verdict != ExperimentVerdict::RaiseShare
        {
            return Ok(Outcome {
                verdict: Some(check.verdict),
                runs: ran,
                candidate_runs: check.candidate_runs,
            });
        }
    }
    Ok(Outcome {
        verdict: None,
        runs: ran,
        candidate_runs: 0,
    })
}

/// The experiment's runs up to the later of its `pairs`-th control and candidate run.
fn runs_until(tuner: &Autotuner, id: i64, pairs: u64) -> Result<u64, BenchError> {
    let mut out = Vec::new();
    tuner.export("crew", ExportFormat::Jsonl, &mut out)?;
    let text = String::from_utf8_lossy(&out);
    let (mut control, mut candidate) = (0u64, 0u64);
    let mut n = 0u64;
    for line in text.lines() {
        let r: teamtune::TeamRunRecord =
            serde_json::from_str(line).map_err(|e| BenchError::Work(e.to_string()))?;
        if r.experiment_id != Some(id) {
            continue;
        }
        n += 1;
        match r.variant {
            Some(Variant::Candidate) => candidate += 1,
            _ => control += 1,
        }
        if control >= pairs && candidate >= pairs {
            return Ok(n);
        }
    }
    Ok(n)
}

fn quantile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i] as f64
}

fn measure(
    name: &str,
    settings: serde_json::Map<String, serde_json::Value>,
    reps: u64,
    args: &ExperimentArgs,
) -> Result<PlantedResult, BenchError> {
    let dir = tempfile::tempdir().map_err(|e| BenchError::Work(e.to_string()))?;
    let mut r = PlantedResult {
        name: name.to_owned(),
        repetitions: reps,
        promoted: 0,
        aborted: 0,
        inconclusive: 0,
        undecided: 0,
        mean_runs: 0.0,
        mean_candidate_runs: 0.0,
        median_runs: 0.0,
        p90_runs: 0.0,
    };
    let mut runs = Vec::new();
    let mut cand = 0u64;
    for rep in 0..reps {
        let o = one(
            dir.path(),
            &settings,
            args,
            args.seed.wrapping_mul(7919).wrapping_add(rep),
        )?;
        match o.verdict {
            Some(ExperimentVerdict::Promote) => {
                r.promoted += 1;
                runs.push(o.runs);
                cand += o.candidate_runs;
            }
            Some(ExperimentVerdict::Abort) => r.aborted += 1,
            Some(ExperimentVerdict::Inconclusive) => r.inconclusive += 1,
            _ => r.undecided += 1,
        }
        eprint!("\r{name}: {}/{reps}", rep + 1);
    }
    eprintln!();
    if !runs.is_empty() {
        r.mean_runs = runs.iter().sum::<u64>() as f64 / runs.len() as f64;
        r.mean_candidate_runs = cand as f64 / runs.len() as f64;
        runs.sort_unstable();
        r.median_runs = quantile(&runs, 0.5);
        r.p90_runs = quantile(&runs, 0.9);
    }
    Ok(r)
}

pub fn run(args: &ExperimentArgs) -> Result<(), BenchError> {
    if !(args.share > 0.0 && args.share < 1.0) {
        return Err(BenchError::Input(format!(
            "--share {} is not in (0, 1)",
            args.share
        )));
    }
    let map = |k: &str, v: serde_json::Value| {
        let mut m = serde_json::Map::new();
        m.insert(k.to_owned(), v);
        m
    };
    let mut results = Vec::new();
    if args.repetitions > 0 {
        for (name, kept) in [
            ("30% faster (10 -> 7 members)", 7),
            ("60% faster (10 -> 4 members)", 4),
        ] {
            results.push(measure(
                name,
                map("members", members(kept)),
                args.repetitions,
                args,
            )?);
        }
    }
    if args.aa_repetitions > 0 {
        results.push(measure(
            "A/A (timeout 3000 -> 4000 s)",
            map("timeout_seconds", serde_json::json!(4000.0)),
            args.aa_repetitions,
            args,
        )?);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&results).map_err(|e| BenchError::Work(e.to_string()))?
        );
        return Ok(());
    }
    println!(
        "share {:.0}%, a check every {} runs",
        args.share * 100.0,
        args.check_every
    );
    println!(
        "| candidate | reps | promoted | aborted | inconclusive | undecided | runs to decide (mean / median / p90) | candidate runs (mean) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in &results {
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} / {:.0} / {:.0} | {:.1} |",
            r.name,
            r.repetitions,
            r.promoted,
            r.aborted,
            r.inconclusive,
            r.undecided,
            r.mean_runs,
            r.median_runs,
            r.p90_runs,
            r.mean_candidate_runs
        );
    }
    Ok(())
}
