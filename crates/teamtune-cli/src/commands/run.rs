//! `teamtune run FILE`: run a workflow N times, record every team run in the store, print one
//! JSON object per run (`--json`) or a summary. Running and recording are the library's
//! ([`teamtune::Autotuner::run`]); this file renders. A signal (SIGINT, SIGTERM, SIGHUP)
//! stops the batch: the finished runs are recorded, the summary says how many, and the exit
//! code is 128 + the signal's number.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use indexmap::IndexMap;
use teamtune::{
    BatchOptions, HitlPolicy, HitlResponder, parse_input_json, parse_input_pair, read_inputs_file,
};

use crate::args::RunArgs;
use crate::exit::{CliError, CliResult, Code};
use crate::progress::Progress;
use crate::render::RunSummary;
use crate::render::{count, thousands};

/// A batch that would add more than this to the store is announced with a warning first.
pub const STORE_WARNING_BYTES: u64 = 1_000_000_000;

pub fn run(args: &RunArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let runnable = tuner.prepare(&args.file, args.workflow.as_deref())?;
    super::note_implicit_sim(&runnable.implicitly_simulated());
    super::print_warnings(runnable.warnings());
    let mut inputs = IndexMap::new();
    if let Some(f) = &args.inputs_file {
        inputs.extend(read_inputs_file(f)?);
    }
    for pair in &args.inputs {
        let (k, v) = parse_input_pair(pair)?;
        inputs.insert(k, v);
    }
    for pair in &args.inputs_json {
        let (k, v) = parse_input_json(pair)?;
        inputs.insert(k, v);
    }
    super::note_missing_inputs(&runnable.missing_inputs(&inputs), None);
    if !args.no_store {
        warn_if_large(runnable.estimated_store_bytes(args.runs), args.runs);
    }
    let hitl: HitlPolicy = args.hitl.into();
    let responder: Option<Arc<dyn HitlResponder>> = (hitl == HitlPolicy::Prompt).then(|| {
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            Arc::new(crate::prompt::TerminalResponder) as Arc<dyn HitlResponder>
        } else {
            Arc::new(crate::prompt::LineResponder::new())
        }
    });
    let seed = args.seed.unwrap_or_else(|| {
        let seed = drawn_seed();
        anstream::eprintln!("seed {seed} (drawn at random; --seed {seed} repeats these runs)");
        seed
    });
    let progress = Progress::new(args.runs, "runs");
    let opts = BatchOptions {
        runs: args.runs,
        seed,
        inputs,
        hitl,
        responder,
        events: Some(crate::render::event_logger(args.verbose)),
        variant: None,
    };
    let mut summary = RunSummary::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let show_each = !args.json.json && args.runs <= 5;
    // The first stdout error other than a closed pipe; the runs go on and are recorded.
    let mut write_error: Option<std::io::Error> = None;
    let result = tuner.run(&runnable, &opts, !args.no_store, |record| {
        summary.add(record);
        progress.inc();
        if args.json.json {
            if !crate::output::is_closed() && write_error.is_none() {
                let written = serde_json::to_vec(record)
                    .map_err(std::io::Error::other)
                    .and_then(|mut line| {
                        line.push(b'\n');
                        crate::output::closed_ok(out.write_all(&line))
                    });
                write_error = written.err();
            }
        } else if show_each {
            progress.suspend(|| crate::render::print_run(record, args.runs == 1));
        }
    });
    progress.finish();
    crate::output::closed_ok(out.flush())?;
    drop(out);
    let report = match result {
        Err(teamtune::Error::Interrupted { signal }) => {
            // The library recorded every finished run before it gave up.
            if !args.json.json && summary.runs() > 0 {
                let store = (!args.no_store).then(|| tuner.store_location());
                summary.print(runnable.is_simulated(), store.as_deref(), !show_each);
            }
            let recorded = if args.no_store {
                "none recorded (--no-store)".to_string()
            } else {
                format!("all recorded in {}", tuner.store_location())
            };
            anstream::eprintln!(
                "teamtune: {signal}: stopped after {} of {}, {recorded}",
                thousands(summary.runs()),
                count(args.runs, "run", "runs")
            );
            return Ok(Code::Stopped(signal));
        }
        other => other?,
    };
    if let Some(e) = write_error {
        return Err(CliError::failed(format!("writing to stdout: {e}")));
    }
    for join in &report.experiments {
        if join.joined {
            anstream::eprintln!(
                "teamtune: team `{}` is in experiment {}: about {:.0}% of its runs used the candidate (labelled in the store)",
                join.team_id,
                join.experiment_id,
                join.share * 100.0
            );
        } else {
            anstream::eprintln!(
                "teamtune: note: experiment {} of team `{}` is running, but the team in this file is not its control configuration: the runs did not join it",
                join.experiment_id,
                join.team_id
            );
        }
    }
    for (team, check) in &report.checks {
        super::history::report_auto_check(team, check);
    }
    if !args.json.json {
        summary.print(
            report.batch.virtual_time,
            report.store.as_deref(),
            !show_each,
        );
    }
    Ok(if report.batch.succeeded == report.batch.runs {
        Code::Done
    } else {
        Code::NotSucceeded
    })
}

/// A fresh seed from the standard library's per-process random hash keys (the operating
/// system's randomness), so plain runs differ from one invocation to the next.
fn drawn_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// Warns before a batch that will add more than [`STORE_WARNING_BYTES`] to the store.
fn warn_if_large(bytes: u64, runs: u64) {
    if bytes <= STORE_WARNING_BYTES {
        return;
    }
    anstream::eprintln!(
        "teamtune: warning: {} will add about {:.1} GB to the store (some {} bytes per member per run); --no-store records nothing, fewer --runs record less, and Ctrl-C stops with the finished runs recorded",
        count(runs, "run", "runs"),
        bytes as f64 / 1e9,
        thousands(teamtune::STORE_BYTES_PER_MEMBER_RUN)
    );
}
