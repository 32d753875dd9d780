//! `teamtune report`: a team's HTML report, written atomically to `--output`.

use crate::args::ReportArgs;
use crate::exit::{CliError, CliResult, Code};

pub fn run(args: &ReportArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let html = tuner.report(&args.team.team_id, args.config.as_deref())?;
    teamtune::atomic_write(&args.output, html.as_bytes())
        .map_err(|e| CliError::failed(format!("{}: {e}", args.output.display())))?;
    eprintln!("teamtune: wrote {}", args.output.display());
    Ok(Code::Done)
}
