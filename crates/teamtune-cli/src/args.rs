//! Command-line arguments (ARCHITECTURE section 8).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "teamtune", version, about = "Run agent-team workflows, find their bottlenecks, prove better configurations")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a workflow file and list what it holds.
    Validate(ValidateArgs),
    /// Run a workflow and record every team run.
    Run(RunArgs),
    /// Export recorded team runs.
    Metrics {
        #[command(subcommand)]
        command: MetricsCommand,
    },
    /// Find a team's bottlenecks in its run history.
    Analyze(AnalyzeArgs),
    /// Suggest changes to a team's configuration.
    Suggest(SuggestArgs),
    /// Compare two samples (JSON arrays of numbers): Welch, Mann-Whitney, bootstrap.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct SourceArgs {
    /// A metrics file (JSON array, object or JSON lines) instead of the store.
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    /// The store file (default .teamtune/teamtune.db, or $TEAMTUNE_STORE).
    #[arg(long, conflicts_with = "metrics")]
    pub store: Option<PathBuf>,
    /// Baselines (JSON) for the detectors.
    #[arg(long)]
    pub baselines: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[arg(long)]
    pub team_id: String,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Also write the JSON report to this file.
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    #[arg(long)]
    pub team_id: String,
    /// The workflow file holding the team.
    #[arg(long)]
    pub config: PathBuf,
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Sample A (the baseline): a JSON array of numbers.
    pub a: PathBuf,
    /// Sample B (the candidate).
    pub b: PathBuf,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub file: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HitlArg {
    Prompt,
    Approve,
    Reject,
}

#[derive(Debug, Args)]
pub struct StoreArg {
    /// The store file (default .teamtune/teamtune.db, or $TEAMTUNE_STORE).
    #[arg(long)]
    pub store: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    pub file: PathBuf,
    /// The workflow to run when the file holds several.
    #[arg(long)]
    pub workflow: Option<String>,
    /// An input KEY=VALUE (VALUE is JSON when it parses as JSON). Repeatable.
    #[arg(long = "input", value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
    /// A JSON or YAML file with a map of inputs.
    #[arg(long)]
    pub inputs_file: Option<PathBuf>,
    /// Number of runs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,
    /// Base seed; run i uses a seed derived from it.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How human-in-the-loop gates are answered.
    #[arg(long, value_enum, default_value_t = HitlArg::Prompt)]
    pub hitl: HitlArg,
    #[command(flatten)]
    pub store: StoreArg,
    /// Do not record the runs.
    #[arg(long)]
    pub no_store: bool,
    /// One JSON object per run on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Write a team's recorded runs as json, jsonl or csv.
    Export(ExportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Json,
    Jsonl,
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub team_id: String,
    #[command(flatten)]
    pub store: StoreArg,
    #[arg(long, value_enum, default_value_t = FormatArg::Json)]
    pub format: FormatArg,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
}
