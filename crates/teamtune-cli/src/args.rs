//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use teamtune::{ApplyOptions, HitlPolicy};

#[derive(Debug, Parser)]
#[command(
    name = "teamtune",
    version,
    about = "Run agent-team workflows, find their bottlenecks, prove better configurations"
)]
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
    /// Predict a configuration with the team's twin, fitted from its recorded runs.
    Whatif(WhatifArgs),
    /// Compare two samples (JSON arrays of numbers): Welch, Mann-Whitney, bootstrap.
    Compare(CompareArgs),
    /// Try suggestions with A/B tests and keep the ones that pass, in the workflow file.
    Apply(ApplyArgs),
    /// Run two workflow files and compare a team's durations with the A/B statistics.
    Benchmark(BenchmarkArgs),
    /// Restore the workflow file to its state before a history entry.
    ///
    /// Entries are named by their history index: the number `apply` and `rollback` report and
    /// `history` lists (0 is a team's oldest entry).
    Rollback(RollbackArgs),
    /// Auto-rollback check of the team's latest kept change.
    Check(CheckArgs),
    /// List a team's change history.
    ///
    /// Each entry's number is its history index, the one `apply` and `rollback` report and
    /// `rollback --index` takes (0 is the team's oldest entry).
    History(HistoryArgs),
    /// Record team runs made elsewhere.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Write a team's runs, tried changes and history as one self-contained HTML file.
    Report(ReportArgs),
    /// Live experiments: a candidate configuration tried on a share of the team's own runs.
    Experiment {
        #[command(subcommand)]
        command: ExperimentCommand,
    },
    /// Tune continuously on the team's own runs: start, decide and promote experiments,
    /// watch kept changes for regressions.
    Watch(WatchArgs),
    /// Make the trial runs that `apply --workers` and `benchmark --workers` queue in a
    /// PostgreSQL store, until stopped (Ctrl-C, SIGTERM).
    Worker(WorkerArgs),
    /// Create or upgrade a store, or copy an SQLite store's history into PostgreSQL.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Trial runs made at once.
    #[arg(long, default_value_t = 1, value_parser = at_least::<1>)]
    pub concurrency: u64,
    /// How long a claimed run stays this worker's without a renewal: a worker that dies
    /// gives its runs back after this long (e.g. 30s, 2m).
    #[arg(long, default_value = "30s", value_parser = duration)]
    pub lease: std::time::Duration,
    /// How often an idle worker looks at the queue.
    #[arg(long, default_value = "500ms", value_parser = duration)]
    pub poll: std::time::Duration,
    /// The worker's name in the queue (default: host name and process id).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create the store's tables, or bring them up to date (a PostgreSQL database before
    /// workers and commands share it).
    Migrate(StoreMigrateArgs),
    /// Copy every run, history entry and experiment of an SQLite store into an empty
    /// PostgreSQL store, keeping their numbers.
    Copy(StoreCopyArgs),
}

#[derive(Debug, Args)]
pub struct StoreMigrateArgs {
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct StoreCopyArgs {
    /// The SQLite store file to copy.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// The PostgreSQL store to copy into: postgres://USER[:PASSWORD]@HOST[:PORT]/DB.
    #[arg(long, value_name = "URL")]
    pub to: PathBuf,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// Start an experiment: `teamtune run` then puts --share of the team's runs on the
    /// candidate.
    Start(ExperimentStartArgs),
    /// List experiments, newest first.
    List(ExperimentListArgs),
    /// An experiment with its decisions and runs so far.
    Show(ExperimentIdArgs),
    /// Judge an experiment on its runs so far: promote, abort, raise the share, or go on.
    Check(ExperimentIdArgs),
    /// Stop a running experiment; nothing is written.
    Stop(ExperimentIdArgs),
}

/// What an experiment decides with.
#[derive(Debug, Args)]
pub struct ExperimentRulesArgs {
    /// The candidate's share of the runs at first (0 to 1).
    #[arg(long, default_value_t = teamtune::ExperimentPlan::DEFAULT_SHARE)]
    pub share: f64,
    /// Larger shares to step up through while the guardrails hold, e.g. 0.25,0.5.
    #[arg(long, value_delimiter = ',')]
    pub ramp: Vec<f64>,
    /// Candidate runs after which the test ends inconclusive.
    #[arg(long, default_value_t = teamtune::ExperimentPlan::DEFAULT_MAX_PAIRS as u64, value_parser = clap::value_parser!(u64).range(5..=100_000))]
    pub max_pairs: u64,
    /// Minimum improvement (percent) for a promotion.
    #[arg(long, default_value_t = ApplyOptions::DEFAULT_THRESHOLD_PERCENT)]
    pub threshold: f64,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["suggestion", "candidate"])))]
pub struct ExperimentStartArgs {
    #[command(flatten)]
    pub team: TeamArg,
    /// The workflow file holding the team; a promotion writes the candidate into it.
    #[arg(long)]
    pub config: PathBuf,
    /// Suggestions written by `suggest --output` (with --pick ID when there are several).
    #[arg(long)]
    pub suggestion: Option<PathBuf>,
    /// With --suggestion: the suggestion with this id (when the file holds several).
    #[arg(long, requires = "suggestion")]
    pub pick: Option<String>,
    /// A JSON object of team keys to set over the current configuration, e.g.
    /// {"team_formation": "parallel"}.
    #[arg(long, value_name = "CONFIG.json")]
    pub candidate: Option<PathBuf>,
    #[command(flatten)]
    pub rules: ExperimentRulesArgs,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct ExperimentListArgs {
    /// Only this team's experiments.
    #[arg(long)]
    pub team_id: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct ExperimentIdArgs {
    /// The experiment's id (`experiment list` shows them).
    pub id: i64,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
#[command(mut_arg("json", |a| a.help("One JSON object per decision on stdout")))]
pub struct WatchArgs {
    #[command(flatten)]
    pub team: TeamArg,
    /// The workflow file holding the team (the one `teamtune run` runs).
    #[arg(long)]
    pub config: PathBuf,
    /// Act after this many new runs of the team.
    #[arg(long, default_value_t = teamtune::WatchOptions::DEFAULT_EVERY_RUNS, value_parser = at_least::<1>)]
    pub every_runs: u64,
    /// Act also when this long has passed since the last action and a run arrived
    /// (e.g. 30s, 10m, 1h).
    #[arg(long, value_parser = duration)]
    pub interval: Option<std::time::Duration>,
    /// How often the store is looked at.
    #[arg(long, default_value = "2s", value_parser = duration)]
    pub poll: std::time::Duration,
    /// Act once and exit (for cron).
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub rules: ExperimentRulesArgs,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

/// A duration such as `500ms`, `30s`, `10m`, `1h`.
fn duration(s: &str) -> Result<std::time::Duration, String> {
    let d: jiff::SignedDuration = s
        .parse()
        .map_err(|e| format!("`{s}` is not a duration like 30s, 10m or 1h: {e}"))?;
    std::time::Duration::try_from(d)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{s}` must be positive"))
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Team runs from OpenTelemetry traces (OTLP JSON, GenAI semantic conventions).
    Otel(OtelArgs),
}

#[derive(Debug, Args)]
#[command(mut_arg("json", |a| a.help("What was imported, as JSON on stdout")))]
pub struct OtelArgs {
    /// OTLP JSON files: the Collector file exporter's JSON lines, or one document.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The span (by name, or an agent span by gen_ai.agent.name) that is one team run;
    /// by default, every outermost agent span with agent spans below it.
    #[arg(long)]
    pub team_span: Option<String>,
    /// Record this formation instead of the one read from the spans (members one after
    /// another: sequential; overlapping: parallel).
    #[arg(long)]
    pub formation: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub team: TeamArg,
    /// The HTML file to write (atomically).
    #[arg(long)]
    pub output: PathBuf,
    /// The workflow file holding the team: with it, the report shows what the team's twin
    /// predicts for each configuration beside what was observed.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["interactive", "auto", "suggestion"])))]
#[command(mut_arg("hitl", |a| a.help("How HITL gates are answered during trial runs")))]
#[command(mut_arg("json", |a| a.help("A JSON array with one result per change tried")))]
pub struct ApplyArgs {
    #[command(flatten)]
    pub team: TeamArg,
    /// The workflow file holding the team; changes are written into it in place.
    #[arg(long)]
    pub config: PathBuf,
    /// Ask about each suggestion: y apply, n skip, v view JSON, q quit.
    #[arg(long)]
    pub interactive: bool,
    /// Greedy: apply suggestions in priority order while they pass their A/B tests.
    #[arg(long)]
    pub auto: bool,
    /// Suggestions written by `suggest --output`.
    #[arg(long)]
    pub suggestion: Option<PathBuf>,
    /// With --suggestion: only the suggestion with this id.
    #[arg(long, requires = "suggestion")]
    pub pick: Option<String>,
    /// A/B test each change before keeping it (the default).
    #[arg(long, overrides_with = "no_ab_test")]
    pub ab_test: bool,
    /// Apply without an A/B test (status skipped; auto-rollback guards it).
    #[arg(long)]
    pub no_ab_test: bool,
    /// Runs per side of each A/B test.
    #[arg(long, default_value_t = ApplyOptions::DEFAULT_RUNS, value_parser = at_least::<2>)]
    pub runs: u64,
    /// Minimum improvement (percent) for a change to pass.
    #[arg(long, default_value_t = ApplyOptions::DEFAULT_THRESHOLD_PERCENT)]
    pub threshold: f64,
    /// Write nothing; report what would be tried.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop after this many kept changes.
    #[arg(long, default_value_t = ApplyOptions::DEFAULT_MAX_CHANGES)]
    pub max_changes: usize,
    /// Do not check later runs for regressions.
    #[arg(long)]
    pub no_auto_rollback: bool,
    /// What --auto minimises: seconds or tool calls per successful run.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Seconds)]
    pub objective: ObjectiveArg,
    /// --auto never tries a configuration predicted below this success rate (0 to 1).
    #[arg(long)]
    pub min_success: Option<f64>,
    /// Team runs --auto may spend in all (history and both sides of every A/B test).
    #[arg(long, default_value_t = ApplyOptions::DEFAULT_MAX_TRIAL_RUNS, value_parser = at_least::<10>)]
    pub max_trial_runs: u64,
    /// --auto without the twin: the rule strategies alone.
    #[arg(long)]
    pub no_twin: bool,
    /// Keys --auto leaves as they are (team_formation, members, tool_budget,
    /// timeout_seconds, max_iterations); repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    pub fixed: Vec<String>,
    /// The smallest team size --auto may choose.
    #[arg(long)]
    pub min_members: Option<usize>,
    /// The largest team size --auto may choose.
    #[arg(long)]
    pub max_members: Option<usize>,
    #[command(flatten)]
    pub trial: TrialArgs,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

/// What `apply --auto` minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectiveArg {
    /// Seconds per successful run.
    Seconds,
    /// Tool calls per successful run.
    Calls,
    /// Tokens (in and out) per successful run: needs runs that report tokens.
    Tokens,
}

impl From<ObjectiveArg> for teamtune::Objective {
    fn from(o: ObjectiveArg) -> Self {
        match o {
            ObjectiveArg::Seconds => teamtune::Objective::SecondsPerSuccess,
            ObjectiveArg::Calls => teamtune::Objective::CallsPerSuccess,
            ObjectiveArg::Tokens => teamtune::Objective::TokensPerSuccess,
        }
    }
}

#[derive(Debug, Args)]
pub struct WhatifArgs {
    #[command(flatten)]
    pub team: TeamArg,
    /// The workflow file holding the team (its current configuration, changed by --set).
    #[arg(long)]
    pub config: PathBuf,
    /// KEY=VALUE: team_formation, members (count), tool_budget (every member),
    /// members.ID.tool_budget, timeout_seconds, max_iterations (`none` removes a limit).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// Replayed runs.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
    pub runs: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct BenchmarkArgs {
    /// The workflow file as it was (the baseline side).
    #[arg(long)]
    pub before: PathBuf,
    /// The workflow file with the change (the candidate side).
    #[arg(long)]
    pub after: PathBuf,
    /// The team to compare (default: the files' only team).
    #[arg(long)]
    pub team_id: Option<String>,
    #[arg(long, default_value_t = 30, value_parser = at_least::<2>)]
    pub runs: u64,
    #[command(flatten)]
    pub trial: TrialArgs,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub team: TeamArg,
    /// History index (as `history` lists it and `apply` reports it) to return to the state
    /// before, whatever its status, undoing every change from it on that is in effect;
    /// negative counts from the newest.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub index: i64,
    /// List the history instead.
    #[arg(long)]
    pub list: bool,
    /// Restore even if the file was edited, or deleted, since the change.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub team: TeamArg,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub team: TeamArg,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct SourceArgs {
    /// A metrics file (JSON array, object or JSON lines) instead of the store.
    #[arg(long, conflicts_with = "store")]
    pub metrics: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArg,
    /// What the detectors compare the team with: `victor` (Victor's fixed figures, for
    /// parity with the reference) or a baselines JSON file. Default: the team's own runs in
    /// its other configurations.
    #[arg(long, value_name = "victor|FILE")]
    pub baselines: Option<PathBuf>,
}

/// Which stored runs `analyze` and `suggest` read.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Mix the runs of every configuration the team ran in (default: only its current one).
    #[arg(long, conflicts_with = "metrics")]
    pub all_configs: bool,
    /// Count A/B-test and benchmark runs too (default: only the team's own runs).
    #[arg(long, conflicts_with = "metrics")]
    pub include_trials: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub team: TeamArg,
    #[command(flatten)]
    pub source: SourceArgs,
    /// The workflow file whose team is the current configuration (default: the
    /// configuration of the team's latest run).
    #[arg(long, conflicts_with = "metrics")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Also write the JSON report to this file.
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    #[command(flatten)]
    pub team: TeamArg,
    /// The workflow file holding the team.
    #[arg(long)]
    pub config: PathBuf,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Also write the JSON report to this file (`apply --suggestion` reads it).
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
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
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Args)]
#[command(mut_arg("json", |a| a.help("Print the summary as JSON")))]
pub struct ValidateArgs {
    /// The workflow file (Victor's YAML format).
    pub file: PathBuf,
    /// Fail (exit 2) when this machine misses a program or an API key the file needs,
    /// instead of warning.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HitlArg {
    Prompt,
    Approve,
    Reject,
}

impl From<HitlPolicy> for HitlArg {
    fn from(p: HitlPolicy) -> Self {
        match p {
            HitlPolicy::Prompt => HitlArg::Prompt,
            HitlPolicy::Approve => HitlArg::Approve,
            HitlPolicy::Reject => HitlArg::Reject,
        }
    }
}

impl From<HitlArg> for HitlPolicy {
    fn from(h: HitlArg) -> Self {
        match h {
            HitlArg::Prompt => HitlPolicy::Prompt,
            HitlArg::Approve => HitlPolicy::Approve,
            HitlArg::Reject => HitlPolicy::Reject,
        }
    }
}

/// `--team-id`: the team a command works on.
#[derive(Debug, Args)]
pub struct TeamArg {
    /// The team: the `id` of its team node in the workflow file (and of its runs in the store).
    #[arg(long)]
    pub team_id: String,
}

/// `--store`.
#[derive(Debug, Args)]
pub struct StoreArg {
    /// The store: an SQLite file (default .teamtune/teamtune.db, or $TEAMTUNE_STORE), or a
    /// PostgreSQL database, postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=require].
    #[arg(long, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,
}

/// `--json`. A command that says what its JSON holds sets the help with
/// `#[command(mut_arg("json", ...))]`.
#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print the result as JSON on stdout (the shapes are in docs/design.md).
    #[arg(long)]
    pub json: bool,
}

/// `--seed`, `--hitl` and `--workers` of trial runs (`apply`, `benchmark`), with the
/// library's defaults.
#[derive(Debug, Args)]
pub struct TrialArgs {
    #[arg(long, default_value_t = ApplyOptions::DEFAULT_SEED)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = HitlArg::from(ApplyOptions::DEFAULT_HITL))]
    pub hitl: HitlArg,
    /// Queue the trial runs for `teamtune worker` processes (a PostgreSQL --store) and wait
    /// for their results, instead of running them here.
    #[arg(long)]
    pub workers: bool,
}

#[derive(Debug, Args)]
#[command(mut_arg("json", |a| a.help("One JSON object per run on stdout")))]
pub struct RunArgs {
    /// The workflow file (Victor's YAML format).
    pub file: PathBuf,
    /// The workflow to run when the file holds several.
    #[arg(long)]
    pub workflow: Option<String>,
    /// An input KEY=VALUE; VALUE is a string exactly as typed (`1.10` stays "1.10").
    /// Repeatable.
    #[arg(long = "input", value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
    /// A typed input KEY=JSON: a number, boolean, list or map (`--input-json retries=3`,
    /// `--input-json tags='["a","b"]'`). Repeatable.
    #[arg(long = "input-json", value_name = "KEY=JSON")]
    pub inputs_json: Vec<String>,
    /// A JSON or YAML file with a map of inputs; values keep their JSON/YAML types.
    /// `--input` and `--input-json` override its keys.
    #[arg(long)]
    pub inputs_file: Option<PathBuf>,
    /// Number of runs.
    #[arg(long, default_value_t = 1, value_parser = at_least::<1>)]
    pub runs: u64,
    /// Base seed; run i uses a seed derived from it. Without it (or $TEAMTUNE_SEED) a seed
    /// is drawn at random and printed on stderr, so the runs can be repeated.
    #[arg(long, env = "TEAMTUNE_SEED")]
    pub seed: Option<u64>,
    /// How human-in-the-loop gates are answered.
    #[arg(long, value_enum, default_value_t = HitlArg::Prompt)]
    pub hitl: HitlArg,
    #[command(flatten)]
    pub store: StoreArg,
    /// Do not record the runs.
    #[arg(long)]
    pub no_store: bool,
    #[command(flatten)]
    pub json: JsonArg,
    /// Log every node, member and team as it finishes (on stderr).
    #[arg(long, short)]
    pub verbose: bool,
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
    #[command(flatten)]
    pub team: TeamArg,
    #[command(flatten)]
    pub store: StoreArg,
    #[arg(long, value_enum, default_value_t = FormatArg::Json)]
    pub format: FormatArg,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// A count of at least `MIN`, with a message that says so ("must be at least 1", not
/// "0 is not in 1..18446744073709551615").
fn at_least<const MIN: u64>(text: &str) -> Result<u64, String> {
    let n: u64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    if n < MIN {
        return Err(format!("must be at least {MIN}"));
    }
    Ok(n)
}
