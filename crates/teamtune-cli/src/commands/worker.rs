//! `teamtune worker`: makes the trial runs queued in a PostgreSQL store until stopped. One
//! line per run on stderr (claimed, finished or failed, and whether its result was
//! recorded); SIGINT, SIGTERM and SIGHUP cancel the runs in hand, give them back to the
//! queue and end the worker with exit code 128 + the signal.

use teamtune::{Completion, WorkerEvent, WorkerOptions};

use crate::args::WorkerArgs;
use crate::exit::{CliResult, Code};

pub fn run(args: &WorkerArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let opts = WorkerOptions {
        name: args.name.clone(),
        slots: usize::try_from(args.concurrency).unwrap_or(usize::MAX),
        lease: args.lease,
        poll: args.poll,
    };
    let summary = tuner.work(&opts, &|event| {
        anstream::eprintln!("teamtune: {}", line(event))
    })?;
    anstream::eprintln!(
        "teamtune: worker stopped: {} run(s) recorded, {} failed, {} dropped (recorded by another worker first, or their batch was cancelled)",
        summary.recorded,
        summary.failed,
        summary.dropped
    );
    Ok(match summary.stopped_by {
        Some(signal) => Code::Stopped(signal),
        None => Code::Done,
    })
}

/// A worker's event as a log line.
fn line(event: &WorkerEvent) -> String {
    let entry = |batch: &i64, position: &u64| format!("batch {batch} run {position}");
    match event {
        WorkerEvent::Started { name, store, slots } => format!(
            "worker {name} on {store}: {slots} run(s) at once; waiting for trial runs (Ctrl-C stops)"
        ),
        WorkerEvent::Claimed {
            slot,
            batch,
            position,
            attempt,
            team_id,
            variant,
            seed,
        } => format!(
            "[{slot}] {}: running team `{team_id}`{} on seed {seed}{}",
            entry(batch, position),
            variant
                .map(|v| format!(" ({})", v.as_str()))
                .unwrap_or_default(),
            if *attempt > 1 {
                format!(" (attempt {attempt}: an earlier worker's lease ran out)")
            } else {
                String::new()
            }
        ),
        WorkerEvent::Finished {
            slot,
            batch,
            position,
            seconds,
            success,
            completion,
        } => format!(
            "[{slot}] {}: {} in {seconds:.1}s, {}",
            entry(batch, position),
            if *success { "ok" } else { "failed" },
            completion_text(*completion)
        ),
        WorkerEvent::Failed {
            slot,
            batch,
            position,
            message,
            completion,
        } => format!(
            "[{slot}] {}: could not run: {message}{}",
            entry(batch, position),
            completion
                .map(|c| format!(" ({})", completion_text(c)))
                .unwrap_or_default()
        ),
        WorkerEvent::Released {
            slot,
            batch,
            position,
        } => format!(
            "[{slot}] {}: cancelled, given back to the queue",
            entry(batch, position)
        ),
        WorkerEvent::StoreTrouble { message } => {
            format!("store trouble, trying again: {message}")
        }
    }
}

fn completion_text(c: Completion) -> &'static str {
    match c {
        Completion::Recorded => "recorded",
        Completion::AlreadyRecorded => "dropped: another worker recorded it first",
        Completion::Cancelled => "dropped: its batch was cancelled",
    }
}
