//! `teamtune metrics export`: a team's recorded runs as json, jsonl or csv.

use std::io::Write;

use teamtune::ExportFormat;

use crate::args::{ExportArgs, FormatArg};
use crate::exit::{CliError, CliResult, Code};

pub fn export(args: &ExportArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let format = match args.format {
        FormatArg::Json => ExportFormat::Json,
        FormatArg::Jsonl => ExportFormat::Jsonl,
        FormatArg::Csv => ExportFormat::Csv,
    };
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            tuner.export(&args.team.team_id, format, &mut buf)?;
            teamtune::atomic_write(path, &buf)
                .map_err(|e| CliError::failed(format!("{}: {e}", path.display())))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = crate::output::Stdout(std::io::BufWriter::new(stdout.lock()));
            let written = tuner
                .export(&args.team.team_id, format, &mut out)
                .map_err(CliError::from)
                .and_then(|_| out.flush().map_err(CliError::from));
            // A reader that stopped reading (`| head`) got what it wanted.
            if written.is_err() && crate::output::is_closed() {
                return Ok(Code::Done);
            }
            written?;
        }
    }
    Ok(Code::Done)
}
