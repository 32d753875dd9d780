//! `teamtune benchmark --before A --after B`.

use crate::args::BenchmarkArgs;
use crate::exit::{CliResult, Code};
use crate::progress::Progress;

pub fn run(args: &BenchmarkArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?.with_workers(args.trial.workers);
    if args.trial.workers {
        super::announce_workers(&tuner)?;
    }
    let bar = Progress::new(args.runs * 2, "runs");
    let mut progress = |_d: u64, _t: u64| bar.inc();
    let report = tuner.benchmark(
        &args.before,
        &args.after,
        args.team_id.as_deref(),
        args.runs,
        args.trial.seed,
        args.trial.hitl.into(),
        &mut progress,
    )?;
    bar.finish();
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        crate::render::print_benchmark(&report);
    }
    Ok(Code::Done)
}
