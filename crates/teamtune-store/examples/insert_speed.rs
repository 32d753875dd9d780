//! Measures `MetricsStore::record_runs` throughput: 10,000 workflow runs, each with one team
//! run of 10 members, recorded into a fresh on-disk store in batches (default 500 runs per
//! call, as `teamtune run --runs N` would), and prints runs per second.
//!
//! `cargo run --release -p teamtune-store --example insert_speed [-- RUNS BATCH]`

#![allow(clippy::print_stdout)]

use std::time::Instant;

use teamtune_model::{MemberMetrics, TeamRunRecord, WorkflowRunRecord};
use teamtune_store::{MetricsStore, SqliteStore};

fn team_run(i: usize, members: usize) -> TeamRunRecord {
    let member_metrics = (0..members)
        .map(|m| {
            let id = format!("member_{m}");
            let metrics = MemberMetrics {
                member_id: id.clone(),
                role: "researcher".into(),
                success: true,
                duration_seconds: 4.0 + (i % 13) as f64 + m as f64 * 0.25,
                tool_calls_used: ((i + m) % 11) as u64,
                tools_used: vec!["grep".into(), "read_file".into()],
                error_message: None,
                start_time: Some("2025-06-01T12:00:00.000Z".into()),
                end_time: Some("2025-06-01T12:00:09.250Z".into()),
                stop_cause: None,
                turns: Vec::new(),
            };
            (id, metrics)
        })
        .collect();
    TeamRunRecord {
        team_id: "research_team".into(),
        formation: "parallel".into(),
        member_count: members as u32,
        success: true,
        duration_seconds: 12.0 + (i % 17) as f64,
        total_tool_calls: 55,
        unique_tools_used: vec!["grep".into(), "read_file".into()],
        start_time: Some("2025-06-01T12:00:00.000Z".into()),
        end_time: Some("2025-06-01T12:00:12.000Z".into()),
        consensus_achieved: None,
        consensus_rounds: None,
        member_metrics,
        run_id: Some(format!("run-{i:06}")),
        workflow: Some("research".into()),
        config_hash: Some("4f1c2a9e".into()),
        variant: None,
        experiment_id: None,
        tool_budget: Some(20),
        timeout_seconds: Some(300.0),
        error: None,
        stop_cause: None,
    }
}

fn workflow_run(i: usize, members: usize) -> WorkflowRunRecord {
    WorkflowRunRecord {
        run_id: format!("run-{i:06}"),
        workflow: "research".into(),
        file: "examples/research.yaml".into(),
        seed: i as u64,
        success: true,
        duration_seconds: 12.0,
        start_time: "2025-06-01T12:00:00.000Z".into(),
        end_time: "2025-06-01T12:00:12.000Z".into(),
        error: None,
        variant: None,
        virtual_time: true,
        inputs: Default::default(),
        outputs: Default::default(),
        team_runs: vec![team_run(i, members)],
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let batch: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(500)
        .max(1);
    let members = 10;

    let dir = tempfile::tempdir()?;
    let mut store = SqliteStore::open(&dir.path().join("teamtune.db"))?;
    let records: Vec<_> = (0..runs).map(|i| workflow_run(i, members)).collect();

    let start = Instant::now();
    for chunk in records.chunks(batch) {
        store.record_runs(chunk)?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let batches = runs.div_ceil(batch);
    println!(
        "{runs} runs x {members} members in {batches} batches of {batch}: {elapsed:.3} s, {:.0} runs/s, {:.0} member rows/s",
        runs as f64 / elapsed,
        (runs * members) as f64 / elapsed
    );

    let all_at_once = Instant::now();
    let mut store = SqliteStore::open(&dir.path().join("one_batch.db"))?;
    store.record_runs(&records)?;
    let elapsed = all_at_once.elapsed().as_secs_f64();
    println!(
        "{runs} runs x {members} members in one batch: {elapsed:.3} s, {:.0} runs/s",
        runs as f64 / elapsed
    );
    Ok(())
}
