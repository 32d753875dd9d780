//! [`Autotuner`]: the library API of the seed's Python `PerformanceAutotuner`, for real.
//! `analyze` and `suggest` read a team's history (a metrics file or the store); `apply`,
//! `rollback`, `history`, `check` and `benchmark` live in their own modules and are methods
//! here too.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use teamtune_analysis::{
    Baselines, Insight, RunSample, Strategy, Suggestion, analyze, analyze_with, default_strategies,
    evidence_detectors, samples_from_store, suggest,
};
use teamtune_metrics::{parse_metrics_str, read_metrics_file};
use teamtune_model::{TeamConfig, TeamNode, WorkflowFile};
use teamtune_store::{
    PostgresStore, RunQuery, SqliteStore, Store, StoreLocation, TrialQueue, WorkerSeen,
};

use crate::baseline_choice::{BaselineChoice, BaselinesUsed};
use crate::error::Error;
use crate::run_selection::{RunScope, RunSelection, select};

/// Where a team's history comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsSource {
    /// The store the autotuner was made with.
    Store,
    /// A metrics file: a JSON array, one object, or JSON lines (Victor's record shape).
    File(PathBuf),
    /// Several metrics files and in-memory record sets, read in order as one history (what
    /// the seed's Python `PerformanceAnalyzer` holds after several loads).
    Inputs(Vec<MetricsInput>),
}

/// One part of a [`MetricsSource::Inputs`] history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsInput {
    /// A metrics file, as [`MetricsSource::File`] reads it.
    File(PathBuf),
    /// Records held in memory as JSON text in any of a metrics file's shapes; `name` stands
    /// for the file in messages (e.g. `metrics_history`).
    Json { name: String, text: String },
}

impl MetricsInput {
    /// The records of `team_id` (every record when `None`), or an error naming the input,
    /// the record index and the field.
    pub(crate) fn read(&self, team_id: Option<&str>) -> Result<Vec<RunSample>, Error> {
        match self {
            MetricsInput::File(path) => {
                read_metrics_file(path, team_id).map_err(|e| Error::Input {
                    path: path.clone(),
                    message: e.to_string(),
                })
            }
            MetricsInput::Json { name, text } => {
                parse_metrics_str(text, team_id).map_err(|e| Error::Input {
                    path: PathBuf::from(name),
                    message: e.to_string(),
                })
            }
        }
    }

    pub(crate) fn name(&self) -> String {
        match self {
            MetricsInput::File(path) => path.display().to_string(),
            MetricsInput::Json { name, .. } => name.clone(),
        }
    }
}

/// A team's runs as an analysis reads them.
pub(crate) struct Samples {
    pub chosen: Vec<RunSample>,
    /// The team's own runs in its other configurations (store only).
    pub own_history: Vec<RunSample>,
    pub scope: RunScope,
}

/// `teamtune analyze --json`.
#[derive(Debug, Clone, Serialize)]
pub struct AnalysisReport {
    pub team_id: String,
    pub timestamp: String,
    pub runs: usize,
    /// Which of the team's runs were read.
    pub scope: RunScope,
    /// What the team was compared with.
    pub baselines: BaselinesUsed,
    pub insights: Vec<Insight>,
}

/// `teamtune suggest --json`.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionReport {
    pub team_id: String,
    pub timestamp: String,
    pub runs: usize,
    /// Which of the team's runs were read.
    pub scope: RunScope,
    pub current_config: TeamConfig,
    /// The team's configuration hash when the suggestions were made: `apply --suggestion`
    /// tells from it whether the file changed since.
    pub config_hash: String,
    pub suggestions: Vec<Suggestion>,
}

/// Analyses team histories, suggests changes, proves them with A/B tests, keeps them in the
/// workflow file and rolls them back.
///
/// ```
/// use teamtune::{Autotuner, BaselineChoice, MetricsSource};
///
/// let dir = tempfile::tempdir()?;
/// let metrics = dir.path().join("metrics.json");
/// std::fs::write(&metrics, r#"[
///   {"team_id": "t", "formation": "sequential", "member_count": 5, "duration_seconds": 75, "total_tool_calls": 25},
///   {"team_id": "t", "formation": "sequential", "member_count": 5, "duration_seconds": 80, "total_tool_calls": 28},
///   {"team_id": "t", "formation": "sequential", "member_count": 5, "duration_seconds": 70, "total_tool_calls": 22, "success": false}
/// ]"#)?;
/// // Victor's fixed baselines, as the Python reference uses (the default is the team's own
/// // history, which a single metrics file does not have).
/// let tuner = Autotuner::new(dir.path().join("store.db"))
///     .with_baseline_choice(BaselineChoice::Victor);
/// let report = tuner.analyze("t", &MetricsSource::File(metrics))?;
/// assert_eq!(report.insights[0].bottleneck, "slow_execution");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Autotuner {
    store: StoreHandle,
    pub(crate) baselines: Baselines,
    pub(crate) strategies: Vec<Box<dyn Strategy>>,
    selection: RunSelection,
    pub(crate) baseline_choice: BaselineChoice,
    /// Trial runs go to the store's workers (`--workers`).
    workers: bool,
}

/// The store an autotuner works on: an SQLite file or a PostgreSQL database opened for each
/// operation (so reading commands never create one, and several processes can share it),
/// or a store the caller opened, behind the [`Store`] trait.
enum StoreHandle {
    Location(StoreLocation),
    Given(Mutex<Box<dyn Store>>),
}

/// Whether an operation may create the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Commands that record: the store is created when it does not exist.
    Create,
    /// Commands that change an existing store (rollback, check): a missing store is an
    /// error, not an empty store.
    Existing,
    /// Commands that only read: the store must exist and is opened read-only, so a store
    /// the user may not write can still be read (PostgreSQL: read-only transactions).
    Read,
}

impl std::fmt::Debug for Autotuner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Autotuner")
            .field("store", &self.store_location())
            .finish()
    }
}

pub(crate) fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl Autotuner {
    /// An autotuner on the SQLite store at `store_path` (opened when an operation needs it).
    pub fn new(store_path: impl Into<PathBuf>) -> Self {
        Autotuner::at(StoreLocation::Sqlite(store_path.into()))
    }

    /// An autotuner on the store at `location`, an SQLite file or a PostgreSQL database
    /// ([`StoreLocation::resolve`] reads `--store` and `TEAMTUNE_STORE`); opened when an
    /// operation needs it.
    pub fn at(location: StoreLocation) -> Self {
        Autotuner::on(StoreHandle::Location(location))
    }

    /// An autotuner on a store the caller opened (any [`Store`]).
    pub fn with_store(store: Box<dyn Store>) -> Self {
        Autotuner::on(StoreHandle::Given(Mutex::new(store)))
    }

    fn on(store: StoreHandle) -> Self {
        Autotuner {
            store,
            baselines: Baselines::default(),
            strategies: default_strategies(),
            selection: RunSelection::default(),
            baseline_choice: BaselineChoice::default(),
            workers: false,
        }
    }

    /// Hands `apply`'s and `benchmark`'s trial runs to the workers of the store (which must
    /// be PostgreSQL) instead of making them here, and waits for their results.
    pub fn with_workers(mut self, workers: bool) -> Self {
        self.workers = workers;
        self
    }

    /// The store's location, unless the caller gave an opened store.
    pub(crate) fn location(&self) -> Option<&StoreLocation> {
        match &self.store {
            StoreHandle::Location(l) => Some(l),
            StoreHandle::Given(_) => None,
        }
    }

    /// The queue trial runs go to, with [`with_workers`](Self::with_workers); `None`
    /// without.
    pub(crate) fn trial_queue(&self) -> Result<Option<PostgresStore>, Error> {
        if !self.workers {
            return Ok(None);
        }
        self.queue_store().map(Some)
    }

    /// The PostgreSQL store workers share; an error for any other store.
    fn queue_store(&self) -> Result<PostgresStore, Error> {
        match self.location() {
            Some(StoreLocation::Postgres(url)) => Ok(PostgresStore::open(url)?),
            _ => Err(Error::Workers {
                problem: format!(
                    "workers need a PostgreSQL store, and {} is not one",
                    self.store_location()
                ),
            }),
        }
    }

    /// The workers of the store seen in the last `within`; an error when the store is not
    /// one workers can share (SQLite).
    pub fn trial_workers(&self, within: std::time::Duration) -> Result<Vec<WorkerSeen>, Error> {
        Ok(self.queue_store()?.workers(within)?)
    }

    /// Which stored runs `analyze` and `suggest` read (default: the team's own runs of its
    /// current configuration).
    pub fn with_run_selection(mut self, selection: RunSelection) -> Self {
        self.selection = selection;
        self
    }

    /// Baselines for `analyze` and for the rule strategies of `suggest` and `apply`.
    pub fn with_baselines(mut self, baselines: Baselines) -> Self {
        self.baselines = baselines;
        self.baseline_choice = BaselineChoice::Given(baselines);
        self
    }

    /// What `analyze` compares a team with (default: its own history).
    pub fn with_baseline_choice(mut self, choice: BaselineChoice) -> Self {
        if let BaselineChoice::Given(b) = &choice {
            self.baselines = *b;
        }
        self.baseline_choice = choice;
        self
    }

    /// Replaces the strategies (e.g. to add a custom [`Strategy`]).
    pub fn with_strategies(mut self, strategies: Vec<Box<dyn Strategy>>) -> Self {
        self.strategies = strategies;
        self
    }

    /// Where the store is, for messages (a PostgreSQL URL without its password).
    pub fn store_location(&self) -> String {
        match &self.store {
            StoreHandle::Location(l) => l.to_string(),
            StoreHandle::Given(s) => s
                .lock()
                .map_or_else(|p| p.into_inner().location(), |s| s.location()),
        }
    }

    /// The teams with runs in the store.
    pub fn team_ids(&self) -> Result<Vec<String>, Error> {
        self.using_store(Access::Read, |store| Ok(store.team_ids()?))
    }

    /// Runs `f` on the store, opening it first when it is a path.
    pub(crate) fn using_store<R>(
        &self,
        access: Access,
        f: impl FnOnce(&mut dyn Store) -> Result<R, Error>,
    ) -> Result<R, Error> {
        match &self.store {
            StoreHandle::Location(StoreLocation::Sqlite(path)) => {
                if access != Access::Create && !path.exists() {
                    return Err(Error::NoStore {
                        location: path.display().to_string(),
                    });
                }
                let mut store = if access == Access::Read {
                    SqliteStore::open_read_only(path)?
                } else {
                    SqliteStore::open(path)?
                };
                f(&mut store)
            }
            StoreHandle::Location(StoreLocation::Postgres(url)) => {
                let none = || Error::NoStore {
                    location: url.to_string(),
                };
                let mut store = match access {
                    Access::Create => PostgresStore::open(url)?,
                    Access::Existing => PostgresStore::open_existing(url)?.ok_or_else(none)?,
                    Access::Read => PostgresStore::open_read_only(url)?.ok_or_else(none)?,
                };
                f(&mut store)
            }
            StoreHandle::Given(store) => {
                let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
                f(guard.as_mut())
            }
        }
    }

    /// The team's recorded runs as analysis samples, with what was read. From the store,
    /// the autotuner's [`RunSelection`]; `file_hash` names the current configuration.
    pub(crate) fn samples(
        &self,
        team_id: &str,
        source: &MetricsSource,
        file_hash: Option<String>,
    ) -> Result<Samples, Error> {
        match source {
            MetricsSource::File(path) => Ok(Samples {
                chosen: MetricsInput::File(path.clone()).read(Some(team_id))?,
                own_history: Vec::new(),
                scope: RunScope::whole_file(),
            }),
            MetricsSource::Inputs(inputs) => Ok(Samples {
                chosen: read_inputs(inputs, Some(team_id))?,
                own_history: Vec::new(),
                scope: RunScope::whole_file(),
            }),
            MetricsSource::Store => self.using_store(Access::Read, |store| {
                let all = store.team_runs(team_id, &RunQuery::new())?;
                let picked = select(all, &self.selection, file_hash);
                Ok(Samples {
                    chosen: samples_from_store(&picked.chosen, Some(team_id)),
                    own_history: samples_from_store(&picked.other_configs, Some(team_id)),
                    scope: picked.scope,
                })
            }),
        }
    }

    /// The configuration hash of `team_id` in the selection's workflow file, if one is set.
    fn selection_hash(&self, team_id: &str) -> Result<Option<String>, Error> {
        let Some(path) = &self.selection.config else {
            return Ok(None);
        };
        let file = teamtune_model::load_file(path)?;
        Ok(Some(find_team(&file, team_id)?.config_hash()))
    }

    pub(crate) fn require_runs(
        &self,
        team_id: &str,
        samples: &[RunSample],
        source: &MetricsSource,
        scope: &RunScope,
    ) -> Result<(), Error> {
        if !samples.is_empty() {
            return Ok(());
        }
        if scope.left_out > 0 {
            return Err(Error::NoRunsInScope {
                team_id: team_id.to_string(),
                scope: scope.describe(),
            });
        }
        let (place, known) = match source {
            MetricsSource::File(p) => (p.display().to_string(), None),
            MetricsSource::Inputs(inputs) => (
                inputs
                    .iter()
                    .map(MetricsInput::name)
                    .collect::<Vec<_>>()
                    .join(", "),
                None,
            ),
            MetricsSource::Store => (
                format!("the store {}", self.store_location()),
                Some(self.using_store(Access::Read, |s| Ok(s.team_ids()?))?),
            ),
        };
        Err(Error::NoRuns {
            team_id: team_id.to_string(),
            place,
            known,
        })
    }

    pub fn analyze(&self, team_id: &str, source: &MetricsSource) -> Result<AnalysisReport, Error> {
        let file_hash = match source {
            MetricsSource::Store => self.selection_hash(team_id)?,
            MetricsSource::File(_) | MetricsSource::Inputs(_) => None,
        };
        let Samples {
            chosen,
            own_history,
            scope,
        } = self.samples(team_id, source, file_hash)?;
        self.require_runs(team_id, &chosen, source, &scope)?;
        let baselines = self.baseline_choice.resolve(&own_history);
        let insights = match &baselines.values {
            Some(b) => analyze(&chosen, b),
            None => analyze_with(&chosen, &Baselines::default(), &evidence_detectors()),
        };
        Ok(AnalysisReport {
            team_id: team_id.to_string(),
            timestamp: now(),
            runs: chosen.len(),
            scope,
            baselines,
            insights,
        })
    }

    /// Suggestions for team `team_id` of the workflow file `config`. From the store, the
    /// runs the autotuner's [`RunSelection`] picks, the configuration being the file's.
    pub fn suggest(
        &self,
        team_id: &str,
        config: &Path,
        source: &MetricsSource,
    ) -> Result<SuggestionReport, Error> {
        let file = teamtune_model::load_file(config)?;
        let team = find_team(&file, team_id)?;
        let Samples {
            chosen: samples,
            scope,
            ..
        } = self.samples(team_id, source, Some(team.config_hash()))?;
        self.require_runs(team_id, &samples, source, &scope)?;
        let config = TeamConfig::of(team);
        let mut suggestions = suggest(&samples, &config, &self.baselines, &self.strategies);
        if *source == MetricsSource::Store
            && let Some(s) = self.twin_suggestion(team, &config)?
        {
            suggestions.insert(0, s);
        }
        crate::coverage::mark(team, &config, &mut suggestions);
        Ok(SuggestionReport {
            team_id: team_id.to_string(),
            timestamp: now(),
            runs: samples.len(),
            scope,
            suggestions,
            current_config: config,
            config_hash: team.config_hash(),
        })
    }

    /// The twin's best configuration for the team's current one, fitted from its recorded
    /// runs in that configuration; `None` when there is no twin that fits or nothing better.
    fn twin_suggestion(
        &self,
        team: &TeamNode,
        config: &TeamConfig,
    ) -> Result<Option<teamtune_analysis::Suggestion>, Error> {
        use teamtune_analysis::twin::{
            MemberInfo, Observation, SearchSettings, SearchSpace, TuningLimits, Twin, search,
            twin_suggestion,
        };
        let runs = self.using_store(Access::Read, |store| {
            Ok(store.team_runs(&team.id, &RunQuery::new().config_hash(team.config_hash()))?)
        })?;
        let Ok(twin) = Twin::fit(&team.id, &[Observation::new(config.clone(), runs)]) else {
            return Ok(None);
        };
        let fit = twin.check(1);
        if !fit.ok {
            return Ok(None);
        }
        let members = MemberInfo::of_team(team);
        let limits = TuningLimits::default().for_team(team);
        let space = SearchSpace::new(config, &members, &limits);
        let outcome = search(&twin, &space, &SearchSettings::default());
        Ok(outcome
            .best
            .as_ref()
            .filter(|b| b.improvement_percent >= crate::ApplyOptions::DEFAULT_THRESHOLD_PERCENT)
            .map(|b| twin_suggestion(&twin, &fit, config, &outcome, b)))
    }
}

/// How many records the metrics file at `path` holds, reading (and so checking) every one:
/// the first bad record is an error naming its index and field.
pub fn count_metrics_records(path: &Path) -> Result<usize, Error> {
    let bad = |message: String| Error::Input {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    teamtune_metrics::for_each_record(file, |_| {}).map_err(|e| bad(e.to_string()))
}

/// The records of every input in order.
pub(crate) fn read_inputs(
    inputs: &[MetricsInput],
    team_id: Option<&str>,
) -> Result<Vec<RunSample>, Error> {
    let mut all = Vec::new();
    for input in inputs {
        all.extend(input.read(team_id)?);
    }
    Ok(all)
}

/// The team node `team_id` of a loaded file, or an error naming the teams it has.
pub(crate) fn find_team<'a>(file: &'a WorkflowFile, team_id: &str) -> Result<&'a TeamNode, Error> {
    Ok(file.resolve_team(team_id)?.1)
}
