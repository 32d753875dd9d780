//! `teamtune run FILE`: run a workflow N times, record every team run in the store, print one
//! JSON object per run (`--json`) or a summary.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use indexmap::IndexMap;
use teamtune::engine::{Engine, HitlPolicy, HitlResponder};
use teamtune::model::WorkflowRunRecord;
use teamtune::store::MetricsStore;
use teamtune::{BatchOptions, parse_input_pair, read_inputs_file, run_batch};

use crate::args::{HitlArg, RunArgs};
use crate::exit::{CliError, CliResult, Code};
use crate::progress::Progress;
use crate::render::RunSummary;

/// Runs are written to the store in batches of this many (one transaction each).
const STORE_BATCH: usize = 500;

pub fn run(args: &RunArgs) -> CliResult {
    let file = super::load(&args.file)?;
    let engine =
        Engine::new(&file, args.workflow.as_deref()).map_err(|e| CliError::input(e.to_string()))?;
    super::note_implicit_sim(&engine);
    let mut inputs = IndexMap::new();
    if let Some(f) = &args.inputs_file {
        inputs.extend(read_inputs_file(f)?);
    }
    for pair in &args.inputs {
        let (k, v) = parse_input_pair(pair)?;
        inputs.insert(k, v);
    }
    let hitl = policy(args.hitl);
    let responder: Option<Arc<dyn HitlResponder>> = (hitl == HitlPolicy::Prompt
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal())
    .then(|| Arc::new(crate::prompt::TerminalResponder) as Arc<dyn HitlResponder>);
    let mut store = if args.no_store {
        None
    } else {
        Some(super::open_store(args.store.store.as_deref())?)
    };
    let progress = Progress::new(args.runs, "runs");
    let opts = BatchOptions {
        runs: args.runs,
        seed: args.seed,
        inputs,
        hitl,
        responder,
        events: args.verbose.then(crate::render::event_logger),
        variant: None,
    };
    let mut pending: Vec<WorkflowRunRecord> = Vec::new();
    let mut summary = RunSummary::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let show_each = !args.json && args.runs <= 5;
    let result = run_batch(
        &engine,
        &opts,
        |record: WorkflowRunRecord| -> Result<(), CliError> {
            summary.add(&record);
            progress.inc();
            if args.json {
                if !crate::output::is_closed() {
                    let mut line =
                        serde_json::to_vec(&record).map_err(|e| CliError::failed(e.to_string()))?;
                    line.push(b'\n');
                    crate::output::closed_ok(out.write_all(&line))?;
                }
            } else if show_each {
                progress.suspend(|| crate::render::print_run(&record));
            }
            if let Some(store) = store.as_mut() {
                pending.push(record);
                if pending.len() >= STORE_BATCH {
                    store.record_runs(&pending)?;
                    pending.clear();
                }
            }
            Ok(())
        },
    );
    progress.finish();
    crate::output::closed_ok(out.flush())?;
    drop(out);
    if let Some(store) = store.as_mut()
        && !pending.is_empty()
    {
        store.record_runs(&pending)?;
    }
    let batch = result?;
    if store.is_some() {
        let teams: Vec<String> = summary.team_ids();
        super::history::auto_check(args.store.store.as_deref(), &teams);
    }
    if !args.json {
        summary.print(
            batch.virtual_time,
            store
                .is_some()
                .then(|| teamtune::store::resolve_path(args.store.store.as_deref())),
        );
    }
    Ok(if batch.succeeded == batch.runs {
        Code::Done
    } else {
        Code::NotSucceeded
    })
}

pub fn policy(h: HitlArg) -> HitlPolicy {
    match h {
        HitlArg::Prompt => HitlPolicy::Prompt,
        HitlArg::Approve => HitlPolicy::Approve,
        HitlArg::Reject => HitlPolicy::Reject,
    }
}
