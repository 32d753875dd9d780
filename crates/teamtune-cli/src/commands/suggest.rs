//! `teamtune suggest`: ranked configuration changes for a team, as a report or JSON.

use crate::args::SuggestArgs;
use crate::exit::{CliResult, Code};

pub fn run(args: &SuggestArgs) -> CliResult {
    let tuner = super::tuner(
        args.source.store.store.as_deref(),
        args.source.baselines.as_deref(),
    )?
    .with_run_selection(super::selection(&args.selection, None));
    let report = tuner.suggest(
        &args.team.team_id,
        &args.config,
        &super::source(&args.source),
    )?;
    super::emit_json(&report, args.output.as_deref(), args.json.json)?;
    if !args.json.json {
        crate::render::print_suggestions(&report);
    }
    Ok(Code::Done)
}
