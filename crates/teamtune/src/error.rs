//! The library's error type. Each kind says whether the user's input was at fault (the CLI
//! exits 2) or the work itself failed (exit 1), and may carry a hint for the user.

use std::path::PathBuf;

use crate::apply::FailPoint;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] teamtune_model::LoadError),
    #[error(transparent)]
    Engine(#[from] teamtune_engine::EngineError),
    #[error(transparent)]
    Store(#[from] teamtune_store::StoreError),
    /// Recording a batch of runs failed: earlier batches are in the store, this one is not.
    #[error("{source}; {recorded} run(s) had been recorded before it, the last {lost} were not")]
    PartlyRecorded {
        recorded: u64,
        lost: u64,
        source: Box<teamtune_store::StoreError>,
    },
    /// An OpenTelemetry trace file that cannot be read or holds a malformed span.
    #[error(transparent)]
    Otel(#[from] teamtune_otel::OtelError),
    /// A file given by the user could not be read or is malformed.
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    #[error("{path}:{line}:{column}: {message}")]
    Located {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A reading command found no store: no file, or a database without teamtune's tables.
    #[error("no store at {location}")]
    NoStore { location: String },
    /// The team has no recorded runs where they were looked for.
    #[error("no runs of team `{team_id}` in {place}{}", match known {
        Some(k) => format!(" (teams recorded: {})", list_or_none(k)),
        None => String::new(),
    })]
    NoRuns {
        team_id: String,
        place: String,
        /// The teams the store does have, when the runs were looked for in a store.
        known: Option<Vec<String>>,
    },
    /// The team has runs, but none in the selection (e.g. its current configuration has
    /// only A/B-test runs so far).
    #[error("team `{team_id}` has no runs of {scope}")]
    NoRunsInScope { team_id: String, scope: String },
    #[error(transparent)]
    TeamNotFound(#[from] teamtune_model::TeamNotFound),
    /// A file with several teams, and no team named.
    #[error("{} has several teams ({}); pick one with --team-id", path.display(), teams.join(", "))]
    AmbiguousTeam { path: PathBuf, teams: Vec<String> },
    #[error("{} has no team node", path.display())]
    NoTeam { path: PathBuf },
    /// A `--input KEY=VALUE` (or `--input-json KEY=JSON`) argument that is not one.
    #[error("{flag} `{pair}`: {problem}")]
    InputPair {
        flag: &'static str,
        pair: String,
        problem: String,
    },
    /// The team never ran in an A/B test (a branch that skips it, say).
    #[error(
        "team `{team_id}` did not run in the A/B runs (baseline ran it {baseline} times, candidate {candidate} times); is it reachable with these inputs?"
    )]
    TeamDidNotRun {
        team_id: String,
        baseline: usize,
        candidate: usize,
    },
    /// The workflow file changed under teamtune (edited by hand, say).
    #[error("{} changed {when}", path.display())]
    FileChanged { path: PathBuf, when: String },
    #[error("team `{team_id}` has no history to roll back")]
    NoHistory { team_id: String },
    #[error(
        "history index {index} is out of range: team `{team_id}` has entries 0..{}",
        len.saturating_sub(1)
    )]
    HistoryIndex {
        team_id: String,
        index: i64,
        len: usize,
    },
    /// A suggestion file that is not one: the field or record at fault.
    #[error("{}: {field}: {message}", path.display())]
    SuggestionFile {
        path: PathBuf,
        field: String,
        message: String,
    },
    /// A suggestion `apply` will not try: for another team, made for an older version of the
    /// file and no longer fitting, or making a file that would not validate.
    #[error("{}{}refused: {reason}",
        file.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default(),
        id.as_ref().map(|id| format!("suggestion `{id}` ")).unwrap_or_default())]
    SuggestionRefused {
        /// The suggestion file, when the suggestions came from one.
        file: Option<PathBuf>,
        id: Option<String>,
        reason: String,
    },
    /// The file already is as it was before the entry.
    #[error(
        "nothing to roll back: the file is already as it was before history entry {index} of team `{team_id}`"
    )]
    NothingToRollBack { team_id: String, index: u64 },
    /// Writing a change into the file failed: teamtune's fault, not the user's.
    #[error("{}: cannot write the change: {source}", path.display())]
    Edit {
        path: PathBuf,
        source: Box<teamtune_model::EditError>,
    },
    /// A `--set KEY=VALUE` that is not one.
    #[error("--set `{setting}`: {message}")]
    Setting { setting: String, message: String },
    /// No twin could be fitted from the team's runs.
    #[error("no twin of team `{team_id}`: {message}")]
    NoTwin { team_id: String, message: String },
    /// A history entry whose recorded result cannot be read.
    #[error(
        "team `{team_id}`: no run reports tokens, so tokens per successful run cannot be tuned"
    )]
    NoTokens { team_id: String },
    #[error("history entry {index} of team `{team_id}` is malformed: {message}")]
    CorruptHistory {
        team_id: String,
        index: u64,
        message: String,
    },
    /// A configuration the tuner made does not fit the team: teamtune's fault.
    #[error("team `{team_id}`: {message}")]
    Config { team_id: String, message: String },
    /// A failure injected by a test.
    #[error("injected failure {0:?}")]
    Injected(FailPoint),
    #[error("no experiment {id} in the store")]
    ExperimentNotFound { id: i64 },
    /// One experiment runs per team at a time.
    #[error("team `{team_id}` already has a running experiment{}", if *id > 0 { format!(" ({id})") } else { String::new() })]
    ExperimentRunning { team_id: String, id: i64 },
    #[error("experiment {id} is not running (it is {status})")]
    ExperimentEnded { id: i64, status: String },
    /// An experiment that cannot be started as asked.
    #[error("experiment {field}: {message}")]
    InvalidExperiment {
        field: &'static str,
        message: String,
    },
    /// `store copy` goes from an SQLite file to a PostgreSQL database.
    #[error("store copy copies an SQLite store into a PostgreSQL one: {problem}")]
    CopyDirection { problem: String },
    /// `--workers` asked of a setup that cannot have them.
    #[error("--workers: {problem}")]
    Workers { problem: String },
    /// A worker could not make a trial run (it could not load the workflow it was sent, say).
    #[error("trial run {position} of batch {batch} failed on worker {worker}: {message}")]
    TrialFailed {
        batch: i64,
        position: u64,
        worker: String,
        message: String,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A stop was requested ([`crate::stop_on_signals`]): the runs in flight were cancelled
    /// and their processes killed; the finished ones were kept.
    #[error(
        "interrupted by {signal}: the runs in flight were cancelled and their processes killed"
    )]
    Interrupted { signal: crate::Signal },
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

impl Error {
    /// True when the cause is bad input or usage (exit code 2).
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::Load(_)
            | Error::Engine(_)
            | Error::Input { .. }
            | Error::Otel(_)
            | Error::Located { .. }
            | Error::NoStore { .. }
            | Error::NoRuns { .. }
            | Error::NoRunsInScope { .. }
            | Error::TeamNotFound(_)
            | Error::AmbiguousTeam { .. }
            | Error::NoTeam { .. }
            | Error::InputPair { .. }
            | Error::TeamDidNotRun { .. }
            | Error::FileChanged { .. }
            | Error::NoHistory { .. }
            | Error::HistoryIndex { .. }
            | Error::NothingToRollBack { .. }
            | Error::SuggestionFile { .. }
            | Error::SuggestionRefused { .. }
            | Error::Setting { .. }
            | Error::NoTwin { .. }
            | Error::NoTokens { .. }
            | Error::ExperimentNotFound { .. }
            | Error::ExperimentRunning { .. }
            | Error::ExperimentEnded { .. }
            | Error::InvalidExperiment { .. }
            | Error::CopyDirection { .. }
            | Error::Workers { .. } => true,
            Error::Store(e) => e.is_bad_store(),
            Error::PartlyRecorded { source, .. } => source.is_bad_store(),
            Error::Edit { .. }
            | Error::CorruptHistory { .. }
            | Error::Config { .. }
            | Error::Injected(_)
            | Error::TrialFailed { .. }
            | Error::Io(_)
            | Error::Interrupted { .. } => false,
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NoStore { .. } => Some(
                "record runs with `teamtune run` first, or point --store or TEAMTUNE_STORE at a store"
                    .into(),
            ),
            Error::Workers { .. } => Some(
                "workers share trial runs through a PostgreSQL store: --store postgres://USER@HOST:PORT/DB, and `teamtune worker --store` the same URL on each machine"
                    .into(),
            ),
            Error::NoRuns { team_id, .. } => Some(format!(
                "run the workflow that holds `{team_id}` with `teamtune run FILE`, or pass --metrics FILE"
            )),
            Error::NoRunsInScope { .. } => Some(
                "run the team in its current configuration, or widen the selection with the flags named above"
                    .into(),
            ),
            Error::FileChanged { .. } => {
                Some("look at the file; `--force` restores it anyway where the command has it".into())
            }
            Error::NoHistory { team_id } | Error::HistoryIndex { team_id, .. } => Some(format!(
                "`teamtune history --team-id {team_id}` lists the entries"
            )),
            Error::ExperimentRunning { team_id, .. } => Some(format!(
                "`teamtune experiment list --team-id {team_id}` shows it; `teamtune experiment stop ID` ends it"
            )),
            Error::NoTokens { .. } => Some(
                "openai members, simulated members with `sim.prompt_tokens`, and traces imported with `gen_ai.usage.*` attributes report tokens"
                    .into(),
            ),
            Error::ExperimentNotFound { .. } => {
                Some("`teamtune experiment list` lists the experiments".into())
            }
            _ => None,
        }
    }
}
