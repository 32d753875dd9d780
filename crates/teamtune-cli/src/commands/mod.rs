//! One module per command.

mod analyze;
mod apply;
mod benchmark;
mod compare;
mod experiment;
mod history;
mod import;
mod metrics;
mod report;
mod run;
mod store;
mod suggest;
mod validate;
mod watch;
mod whatif;
mod worker;

use crate::args::{Cli, Command, ImportCommand, MetricsCommand};
use crate::exit::CliResult;

pub fn dispatch(cli: Cli) -> CliResult {
    match cli.command {
        Command::Validate(a) => validate::run(&a),
        Command::Run(a) => {
            crate::signals::stop_cleanly()?;
            run::run(&a)
        }
        Command::Metrics {
            command: MetricsCommand::Export(a),
        } => metrics::export(&a),
        Command::Analyze(a) => analyze::run(&a),
        Command::Suggest(a) => suggest::run(&a),
        Command::Whatif(a) => whatif::run(&a),
        Command::Compare(a) => compare::run(&a),
        Command::Apply(a) => {
            crate::signals::stop_cleanly()?;
            apply::run(&a)
        }
        Command::Benchmark(a) => {
            crate::signals::stop_cleanly()?;
            benchmark::run(&a)
        }
        Command::Rollback(a) => history::rollback(&a),
        Command::Check(a) => history::check(&a),
        Command::History(a) => history::list(&a),
        Command::Import {
            command: ImportCommand::Otel(a),
        } => import::otel(&a),
        Command::Report(a) => report::run(&a),
        Command::Experiment { command } => experiment::dispatch(&command),
        Command::Store { command } => store::dispatch(&command),
        Command::Worker(a) => {
            crate::signals::stop_cleanly()?;
            worker::run(&a)
        }
        Command::Watch(a) => {
            // The loop checks for a stop between steps; a promotion's file write is
            // atomic, so a signal never leaves it half done.
            crate::signals::stop_cleanly()?;
            watch::run(&a)
        }
    }
}

/// The autotuner over `--store` (or the default store) with `--baselines` (`victor` or a
/// file; by default the team's own history).
pub(crate) fn tuner(
    store: Option<&std::path::Path>,
    baselines: Option<&std::path::Path>,
) -> CliResult<teamtune::Autotuner> {
    let t = teamtune::Autotuner::at(teamtune::StoreLocation::resolve(
        store.map(std::path::Path::as_os_str),
    )?);
    Ok(match baselines {
        None => t,
        Some(b) if b.as_os_str() == "victor" => {
            t.with_baseline_choice(teamtune::BaselineChoice::Victor)
        }
        Some(b) => t.with_baselines(
            teamtune::Baselines::from_file(b)
                .map_err(|e| crate::exit::CliError::input(e.to_string()))?,
        ),
    })
}

/// With `--workers`: says where the trial runs go and which workers are up (none: they wait
/// in the queue until one starts).
pub(crate) fn announce_workers(tuner: &teamtune::Autotuner) -> CliResult<()> {
    let seen = tuner.trial_workers(std::time::Duration::from_secs(60))?;
    let slots: u32 = seen.iter().map(|w| w.slots).sum();
    if seen.is_empty() {
        eprintln!(
            "teamtune: warning: no worker of {} has been seen in the last minute: the trial runs wait in the queue until one starts (`teamtune worker --store URL`)",
            tuner.store_location()
        );
    } else {
        eprintln!(
            "teamtune: trial runs go to the workers of {}: {} seen, {slots} run(s) at once",
            tuner.store_location(),
            seen.len()
        );
    }
    Ok(())
}

/// The run selection of `analyze` and `suggest`.
pub(crate) fn selection(
    args: &crate::args::SelectionArgs,
    config: Option<&std::path::Path>,
) -> teamtune::RunSelection {
    teamtune::RunSelection {
        config: config.map(std::path::Path::to_path_buf),
        all_configs: args.all_configs,
        include_trials: args.include_trials,
    }
}

/// Writes a JSON report to `--output` (atomically) and/or stdout.
pub(crate) fn emit_json(
    value: &impl serde::Serialize,
    output: Option<&std::path::Path>,
    stdout: bool,
) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| crate::exit::CliError::failed(e.to_string()))?;
    if let Some(path) = output {
        teamtune::atomic_write(path, format!("{text}\n").as_bytes())
            .map_err(|e| crate::exit::CliError::failed(format!("{}: {e}", path.display())))?;
    }
    if stdout {
        outln!("{text}");
    }
    Ok(())
}

pub(crate) fn source(args: &crate::args::SourceArgs) -> teamtune::MetricsSource {
    match &args.metrics {
        Some(p) => teamtune::MetricsSource::File(p.clone()),
        None => teamtune::MetricsSource::Store,
    }
}

/// Says which members run on the simulator only because they name no provider or command.
/// The file's warnings (`path:line:col: message`), one a line on stderr.
pub(crate) fn print_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("teamtune: warning: {w}");
    }
}

/// Inputs the workflow reads that no node sets and the run was not given (`validate` passes
/// every input the workflow reads, with the workflow's name).
pub(crate) fn note_missing_inputs(missing: &[String], workflow: Option<&str>) {
    if missing.is_empty() {
        return;
    }
    let list: Vec<String> = missing.iter().map(|k| format!("`{k}`")).collect();
    let whose = workflow.map_or_else(|| "the workflow".to_string(), |w| format!("workflow `{w}`"));
    let verb = if workflow.is_some() {
        "a run needs"
    } else {
        "this run was not given"
    };
    eprintln!(
        "teamtune: warning: {whose} reads {} that no node sets and {verb} (give {} with --input KEY=VALUE, --input-json or --inputs-file); unset, {} renders as empty text",
        list.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
        if missing.len() == 1 { "it" } else { "each" },
    );
}

pub(crate) fn note_implicit_sim(members: &[String]) {
    if members.is_empty() {
        return;
    }
    let shown: Vec<&str> = members.iter().take(6).map(String::as_str).collect();
    let more = if members.len() > 6 {
        format!(" and {} more", members.len() - 6)
    } else {
        String::new()
    };
    eprintln!(
        "teamtune: note: {} {} no `provider` or `command` and {} on the built-in simulator: {}{more} (add `provider:` to run on an LLM endpoint)",
        members.len(),
        if members.len() == 1 {
            "member names"
        } else {
            "members name"
        },
        if members.len() == 1 { "runs" } else { "run" },
        shown.join(", ")
    );
}
