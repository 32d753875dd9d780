//! `teamtune-bench`: measures what teamtune's tuning buys.
//!
//! `teamtune-bench tuning SCENARIO.yaml...` tunes each scenario's team the way a user would
//! (baseline history, then `apply --auto` with A/B tests through the library API), finds the
//! best configuration there is by exhaustive search over formation x member count x tool
//! budget x timeout in virtual time (the oracle), and scores baseline, tuned and oracle on
//! the same fresh seeds. See `BENCHMARKS.md` at the repository root.
//!
//! Modules: [`scenario`] (loading and checks), [`tuning`] (the user's loop), [`grid`] (the
//! oracle's search space), [`oracle`] (the exhaustive search), [`objective`] (scoring in
//! virtual time on several threads), [`measure`](mod@measure) (one scenario end to end), [`report`]
//! (JSON and table), [`generate`] (`teamtune-bench generate`: seeded random scenario files),
//! [`workers`] (`teamtune-bench workers`: A/B test throughput with trial workers).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod blind;
mod error;
mod experiments;
mod generate;
mod grid;
mod measure;
mod objective;
mod oracle;
mod report;
mod scenario;
mod tuning;
mod workers;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::BenchError;
use crate::grid::{Budget, GridOverrides, Timeout};
use crate::measure::{Settings, measure};
use crate::report::{Report, Summary, table};
use crate::scenario::Scenario;

#[derive(Debug, Parser)]
#[command(name = "teamtune-bench", version, about = "Benchmarks of teamtune")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Tuning against an exhaustive oracle, on simulated scenarios.
    Tuning(TuningArgs),
    /// Write seeded random scenario files covering the whole simulator model.
    Generate(generate::GenerateArgs),
    /// Live experiments on simulated traffic: runs to decide a planted improvement, and
    /// how often an A/A experiment is promoted.
    Experiments(experiments::ExperimentArgs),
    /// A/B test throughput with 1, 2, 4... trial workers on a PostgreSQL store, next to the
    /// same test run here (command members that sleep: real time).
    Workers(workers::WorkersArgs),
}

#[derive(Debug, Args)]
struct TuningArgs {
    /// Print JSON on stdout (progress goes to stderr).
    #[arg(long)]
    json: bool,
    /// Base seed of every seed stream (tuning, oracle search, confirmation, evaluation).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs per oracle grid point.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    runs_per_point: u64,
    /// The team node to tune (default: the file's only team node).
    #[arg(long)]
    team_id: Option<String>,
    /// Per-member tool budgets of the oracle grid, e.g. `5,10,20,none` (default: derived).
    #[arg(long, value_delimiter = ',', value_parser = parse_budget)]
    budget_grid: Option<Vec<Budget>>,
    /// Team timeouts (seconds) of the oracle grid, e.g. `60,300,none` (default: derived).
    #[arg(long, value_delimiter = ',', value_parser = parse_timeout)]
    timeout_grid: Option<Vec<Timeout>>,
    /// Largest member count of the oracle grid.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    max_members: u64,
    /// Runs per configuration in the final evaluation (and the oracle's confirmation).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    eval_runs: u64,
    /// Runs per side of each A/B test during tuning.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..))]
    ab_runs: u64,
    /// Baseline runs recorded before tuning.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(3..))]
    history_runs: u64,
    /// Threads for the oracle and the evaluation.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=256))]
    threads: u64,
    /// Team runs tuning may spend per scenario (the history included).
    #[arg(long, default_value_t = teamtune::ApplyOptions::DEFAULT_MAX_TRIAL_RUNS)]
    max_trial_runs: u64,
    /// Tune with the rule strategies alone (no twin), for comparison.
    #[arg(long)]
    no_twin: bool,
    /// Scenario workflow files.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
}

fn parse_budget(s: &str) -> Result<Budget, String> {
    match s.trim() {
        "none" => Ok(None),
        v => v
            .parse::<u32>()
            .map(Some)
            .map_err(|_| format!("`{v}` is not a tool budget (a whole number or `none`)")),
    }
}

fn parse_timeout(s: &str) -> Result<Timeout, String> {
    match s.trim() {
        "none" => Ok(None),
        v => match v.parse::<f64>() {
            Ok(t) if t.is_finite() && t > 0.0 => Ok(Some(t)),
            _ => Err(format!("`{v}` is not a timeout (seconds > 0 or `none`)")),
        },
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tuning(args) => run_tuning(args),
        Command::Generate(args) => generate::run(&args),
        Command::Experiments(args) => experiments::run(&args),
        Command::Workers(args) => workers::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("teamtune-bench: error: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}

fn run_tuning(args: TuningArgs) -> Result<(), BenchError> {
    // All inputs are checked before any heavy work starts.
    let scenarios = args
        .scenarios
        .iter()
        .map(|p| Scenario::load(p, args.team_id.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let settings = Settings {
        seed: args.seed,
        runs_per_point: args.runs_per_point,
        eval_runs: args.eval_runs,
        ab_runs: args.ab_runs,
        history_runs: args.history_runs,
        threads: usize::try_from(args.threads).unwrap_or(2),
        grid: GridOverrides {
            budgets: args.budget_grid,
            timeouts: args.timeout_grid,
            max_members: usize::try_from(args.max_members).unwrap_or(8),
        },
        max_trial_runs: args.max_trial_runs,
        twin: !args.no_twin,
    };
    let mut reports = Vec::with_capacity(scenarios.len());
    for s in &scenarios {
        eprintln!(
            "teamtune-bench: {} (team `{}`)...",
            s.path.display(),
            s.team.id
        );
        let r = measure(s, &settings)?;
        eprintln!(
            "teamtune-bench:   captured {:.0}% ({} trial runs; oracle {} points, {} runs in {:.1} s)",
            r.captured_percent, r.trial_runs, r.oracle_points, r.oracle_runs, r.oracle_seconds
        );
        reports.push(r);
    }
    let summary = Summary::of(&reports, &settings);
    let report = Report {
        scenarios: reports,
        summary,
    };
    if args.json {
        let text =
            serde_json::to_string_pretty(&report).map_err(|e| BenchError::Work(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}
