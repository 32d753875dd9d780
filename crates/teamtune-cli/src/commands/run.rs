//! `teamtune run FILE`: run a workflow N times, record every team run in the store, print one
//! JSON object per run (`--json`) or a summary. Running and recording are the library's
//! ([`teamtune::Autotuner::run`]); this file renders.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use indexmap::IndexMap;
use teamtune::{BatchOptions, HitlPolicy, HitlResponder, parse_input_pair, read_inputs_file};

use crate::args::RunArgs;
use crate::exit::{CliError, CliResult, Code};
use crate::progress::Progress;
use crate::render::RunSummary;

pub fn run(args: &RunArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let runnable = tuner.prepare(&args.file, args.workflow.as_deref())?;
    super::note_implicit_sim(&runnable.implicitly_simulated());
    let mut inputs = IndexMap::new();
    if let Some(f) = &args.inputs_file {
        inputs.extend(read_inputs_file(f)?);
    }
    for pair in &args.inputs {
        let (k, v) = parse_input_pair(pair)?;
        inputs.insert(k, v);
    }
    let hitl: HitlPolicy = args.hitl.into();
    let responder: Option<Arc<dyn HitlResponder>> = (hitl == HitlPolicy::Prompt
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal())
    .then(|| Arc::new(crate::prompt::TerminalResponder) as Arc<dyn HitlResponder>);
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
        events: args.verbose.then(crate::render::event_logger),
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
    let report = result?;
    if let Some(e) = write_error {
        return Err(CliError::failed(format!("writing to stdout: {e}")));
    }
    for (team, check) in &report.checks {
        super::history::report_auto_check(team, check);
    }
    if !args.json.json {
        summary.print(report.batch.virtual_time, report.store.as_deref());
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
