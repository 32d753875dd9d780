//! Running a workflow many times. Simulated workflows run on a paused clock (virtual time),
//! one run after another on one thread; others on a real multi-threaded runtime. Each
//! finished run goes to the caller's sink as soon as it ends, so memory does not grow with
//! the number of runs.

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value as Json;
use teamtune_engine::{Engine, EventSink, HitlPolicy, HitlResponder, RunOptions, run_seed};
use teamtune_model::{Variant, WorkflowRunRecord};

use crate::error::Error;
use crate::experiment::LiveSplit;
use crate::stop::{stop_requested, stopped};

#[derive(Clone, Default)]
pub struct BatchOptions {
    pub runs: u64,
    pub seed: u64,
    pub inputs: IndexMap<String, Json>,
    pub hitl: HitlPolicy,
    pub responder: Option<Arc<dyn HitlResponder>>,
    pub events: Option<EventSink>,
    pub variant: Option<Variant>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchSummary {
    pub runs: u64,
    pub succeeded: u64,
    pub virtual_time: bool,
}

/// Whether a batch of this engine runs in virtual time: every member is simulated. (A human
/// prompt still waits on the real clock; the engine holds the simulated run still meanwhile.)
pub fn uses_virtual_time(engine: &Engine) -> bool {
    engine.is_simulated()
}

/// Runs `opts.runs` runs; run `i` uses seed `run_seed(opts.seed, i)`. With a `split`, the
/// run uses the engine of the sides its seed falls on, and its team records are labelled
/// with them. The sink may stop the batch by returning an error.
pub(crate) fn run_batch<E>(
    engine: &Engine,
    split: Option<&LiveSplit>,
    opts: &BatchOptions,
    mut sink: impl FnMut(WorkflowRunRecord) -> Result<(), E>,
) -> Result<BatchSummary, E>
where
    E: From<std::io::Error> + From<Error>,
{
    let virtual_time = uses_virtual_time(engine);
    let rt = if virtual_time {
        teamtune_engine::virtual_runtime()?
    } else {
        teamtune_engine::real_runtime()?
    };
    let mut summary = BatchSummary {
        runs: 0,
        succeeded: 0,
        virtual_time,
    };
    rt.block_on(async {
        for i in 0..opts.runs {
            let seed = run_seed(opts.seed, i);
            let mask = split.map(|s| s.assign(seed));
            let engine = match (split, mask) {
                (Some(s), Some(m)) => s.engine(m),
                _ => engine,
            };
            let run_opts = RunOptions {
                seed,
                inputs: opts.inputs.clone(),
                hitl: opts.hitl,
                responder: opts.responder.clone(),
                events: opts.events.clone(),
                variant: opts.variant,
                virtual_time,
            };
            let record = interruptible(engine.run(&run_opts), virtual_time).await;
            if !virtual_time {
                // Runs are sequential: nothing of this one may outlive it.
                teamtune_engine::kill_orphans();
            }
            let mut record = record?;
            if let (Some(s), Some(m)) = (split, mask) {
                s.label(m, &mut record);
            }
            summary.runs += 1;
            summary.succeeded += u64::from(record.success);
            sink(record)?;
        }
        Ok(summary)
    })
}

/// Runs `fut` unless a stop is requested ([`crate::stop_on_signals`]) first; then the future
/// is dropped, which cancels the run and kills its member processes (their process groups),
/// and the batch stops with [`Error::Interrupted`]. Simulated runs finish in microseconds and
/// are not raced; like any run, one that ends after the stop was requested is not kept (it
/// may have been cut short: a human gate gives up when asked to stop).
pub(crate) async fn interruptible<F: std::future::Future>(
    fut: F,
    virtual_time: bool,
) -> Result<F::Output, Error> {
    if let Some(signal) = stop_requested() {
        return Err(Error::Interrupted { signal });
    }
    let out = if virtual_time {
        fut.await
    } else {
        tokio::select! {
            out = fut => out,
            signal = stopped() => return Err(Error::Interrupted { signal }),
        }
    };
    match stop_requested() {
        Some(signal) => Err(Error::Interrupted { signal }),
        None => Ok(out),
    }
}
