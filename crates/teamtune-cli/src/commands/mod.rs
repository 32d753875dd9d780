//! One module per command.

mod metrics;
mod run;
mod validate;

use crate::args::{Cli, Command, MetricsCommand};
use crate::exit::CliResult;

pub fn dispatch(cli: Cli) -> CliResult {
    match cli.command {
        Command::Validate(a) => validate::run(&a),
        Command::Run(a) => run::run(&a),
        Command::Metrics { command: MetricsCommand::Export(a) } => metrics::export(&a),
    }
}

/// Loads a workflow file, turning load errors into exit-2 errors with `path:line:col`.
pub(crate) fn load(path: &std::path::Path) -> CliResult<teamtune::model::WorkflowFile> {
    teamtune::model::load_file(path).map_err(|e| match e {
        teamtune::model::LoadError::Io { .. } => crate::exit::CliError::input(e.to_string()),
        teamtune::model::LoadError::Invalid { .. } => crate::exit::CliError::input(e.to_string()),
    })
}

/// Opens the store at `--store`, `$TEAMTUNE_STORE` or the default path.
pub(crate) fn open_store(explicit: Option<&std::path::Path>) -> CliResult<teamtune::store::SqliteStore> {
    let path = teamtune::store::resolve_path(explicit);
    Ok(teamtune::store::SqliteStore::open(&path)?)
}
