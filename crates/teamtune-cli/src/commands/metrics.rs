//! `teamtune metrics export`: a team's recorded runs as json, jsonl or csv.

use std::io::Write;

use teamtune::store::{ExportFormat, MetricsStore};

use crate::args::{ExportArgs, FormatArg};
use crate::exit::{CliError, CliResult, Code};

pub fn export(args: &ExportArgs) -> CliResult {
    let path = teamtune::store::resolve_path(args.store.store.as_deref());
    if !path.exists() {
        return Err(CliError::input(format!(
            "no store at {} (record runs with `teamtune run` first, or pass --store)",
            path.display()
        )));
    }
    let store = super::open_store(Some(&path))?;
    if store.team_run_count(&args.team_id)? == 0 {
        let known = store.team_ids()?;
        return Err(CliError::input(format!(
            "no recorded runs of team `{}` in {} (teams recorded: {})",
            args.team_id,
            teamtune::store::resolve_path(args.store.store.as_deref()).display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    let format = match args.format {
        FormatArg::Json => ExportFormat::Json,
        FormatArg::Jsonl => ExportFormat::Jsonl,
        FormatArg::Csv => ExportFormat::Csv,
    };
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            store.export_team_runs(&args.team_id, format, &mut buf)?;
            teamtune::atomic_write(path, &buf)
                .map_err(|e| CliError::failed(format!("{}: {e}", path.display())))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            store.export_team_runs(&args.team_id, format, &mut out)?;
            out.flush()?;
        }
    }
    Ok(Code::Done)
}
