//! `teamtune whatif`: the team's twin predicts a configuration; nothing is run or written.

use crate::args::WhatifArgs;
use crate::exit::{CliResult, Code};

pub fn run(args: &WhatifArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let runs = usize::try_from(args.runs).unwrap_or(2000);
    let report = tuner.whatif(
        &args.team.team_id,
        &args.config,
        &args.settings,
        runs,
        args.seed,
    )?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        crate::render::print_whatif(&report);
    }
    Ok(Code::Done)
}
