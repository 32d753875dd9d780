//! Measures `MetricsStore::record_runs` throughput: 10,000 workflow runs, each with one team
//! run of 10 members, recorded into a fresh on-disk SQLite store in batches (default 500
//! runs per call, as `teamtune run --runs N` would), all in one batch, and 1,000 runs one per
//! transaction (a durable commit each); with a PostgreSQL URL, the same into that database
//! next to it. Prints runs per second.
//!
//! `cargo run --release -p teamtune-store --example insert_speed [-- RUNS BATCH [POSTGRES_URL]]`

#![allow(clippy::print_stdout)]

use std::time::Instant;

use teamtune_model::{MemberMetrics, TeamRunRecord, WorkflowRunRecord};
use teamtune_store::{PostgresStore, SqliteStore, Store};

type Opened = Result<Box<dyn Store>, Box<dyn std::error::Error>>;

fn team_run(prefix: &str, i: usize, members: usize) -> TeamRunRecord {
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
        run_id: Some(format!("{prefix}run-{i:06}")),
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

fn workflow_run(prefix: &str, i: usize, members: usize) -> WorkflowRunRecord {
    WorkflowRunRecord {
        run_id: format!("{prefix}run-{i:06}"),
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
        team_runs: vec![team_run(prefix, i, members)],
    }
}

/// The three measurements on stores `open` makes, each fresh or at least empty of these
/// run ids.
fn measure(
    name: &str,
    runs: usize,
    batch: usize,
    members: usize,
    open: &mut dyn FnMut(&str) -> Opened,
) -> Result<(), Box<dyn std::error::Error>> {
    // Run ids unique to this measurement, so a database that is not new can be used again.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let records = |tag: &str, n: usize| -> Vec<WorkflowRunRecord> {
        let prefix = format!("{stamp}-{tag}-");
        (0..n).map(|i| workflow_run(&prefix, i, members)).collect()
    };

    let mut store = open("batches")?;
    let batched = records("b", runs);
    let start = Instant::now();
    for chunk in batched.chunks(batch) {
        store.record_runs(chunk)?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{name}: {runs} runs x {members} members in {} batches of {batch}: {elapsed:.3} s, {:.0} runs/s, {:.0} member rows/s",
        runs.div_ceil(batch),
        runs as f64 / elapsed,
        (runs * members) as f64 / elapsed
    );

    let mut store = open("one_batch")?;
    let all = records("a", runs);
    let start = Instant::now();
    store.record_runs(&all)?;
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{name}: {runs} runs x {members} members in one batch: {elapsed:.3} s, {:.0} runs/s",
        runs as f64 / elapsed
    );

    let single = runs.min(1000);
    let mut store = open("single")?;
    let one_by_one = records("s", single);
    let start = Instant::now();
    for run in &one_by_one {
        store.record_runs(std::slice::from_ref(run))?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{name}: {single} runs one per transaction: {elapsed:.3} s, {:.0} runs/s ({:.2} ms a commit)",
        single as f64 / elapsed,
        elapsed * 1000.0 / single as f64
    );
    Ok(())
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
    let postgres = args.next();
    let members = 10;

    let dir = tempfile::tempdir()?;
    measure("sqlite", runs, batch, members, &mut |name| {
        Ok(Box::new(SqliteStore::open(
            &dir.path().join(format!("{name}.db")),
        )?))
    })?;
    if let Some(url) = postgres {
        let url = url.parse()?;
        measure("postgres", runs, batch, members, &mut |_| {
            Ok(Box::new(PostgresStore::open(&url)?))
        })?;
    }
    Ok(())
}
