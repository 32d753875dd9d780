//! `teamtune analyze`: bottlenecks of a team, as a report or JSON.

use crate::args::AnalyzeArgs;
use crate::exit::{CliResult, Code};

pub fn run(args: &AnalyzeArgs) -> CliResult {
    let tuner = super::tuner(
        args.source.store.store.as_deref(),
        args.source.baselines.as_deref(),
    )?
    .with_run_selection(super::selection(&args.selection, args.config.as_deref()));
    let report = tuner.analyze(&args.team.team_id, &super::source(&args.source))?;
    super::emit_json(&report, args.output.as_deref(), args.json.json)?;
    if !args.json.json {
        crate::render::print_analysis(&report);
    }
    Ok(Code::Done)
}
