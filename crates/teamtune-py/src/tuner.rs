//! `Tuner`: the Rust [`teamtune::Autotuner`] behind `teamtune.Autotuner` and the seed's
//! classes. Each method takes plain arguments, runs the library call without the GIL
//! ([`blocking`]) and returns the result as the JSON the CLI's `--json` prints (the same
//! serialized types), which the Python layer turns into typed objects.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use teamtune::{
    ApplyMode, ApplyObserver, ApplyOptions, Autotuner, BaselineChoice, Baselines, BatchOptions,
    HitlPolicy, MetricsInput, MetricsSource, Objective, RunSelection, StoreLocation,
    SuggestionFile,
};

use crate::blocking::blocking;
use crate::described::described_config;
use crate::errors::{input, to_py};

/// Where a team's history is read from, as the Python layer passes it: a metrics file path,
/// or `(name, json_text)` for records held in memory.
#[derive(FromPyObject)]
pub enum MetricsArg {
    File(PathBuf),
    Json(String, String),
}

/// What `analyze` compares a team with.
#[derive(Clone)]
enum BaselinesArg {
    OwnHistory,
    Victor,
    Given(Baselines),
}

/// The library's autotuner on one store, with the caller's baselines.
#[pyclass(frozen, module = "teamtune._native")]
pub struct Tuner {
    store: StoreLocation,
    baselines: BaselinesArg,
}

/// A JSON text of `value`, or the serializer's error as a library error.
fn json(value: &impl serde::Serialize) -> Result<String, teamtune::Error> {
    serde_json::to_string(value).map_err(|e| teamtune::Error::Io(std::io::Error::other(e)))
}

fn metrics_source(metrics: Option<Vec<MetricsArg>>) -> MetricsSource {
    let Some(mut inputs) = metrics else {
        return MetricsSource::Store;
    };
    if inputs.len() == 1
        && let MetricsArg::File(_) = &inputs[0]
        && let Some(MetricsArg::File(path)) = inputs.pop()
    {
        return MetricsSource::File(path);
    }
    MetricsSource::Inputs(
        inputs
            .into_iter()
            .map(|m| match m {
                MetricsArg::File(path) => MetricsInput::File(path),
                MetricsArg::Json(name, text) => MetricsInput::Json { name, text },
            })
            .collect(),
    )
}

impl Tuner {
    fn tuner(&self, selection: RunSelection) -> Autotuner {
        let t = Autotuner::at(self.store.clone()).with_run_selection(selection);
        match &self.baselines {
            BaselinesArg::OwnHistory => t,
            BaselinesArg::Victor => t.with_baseline_choice(BaselineChoice::Victor),
            BaselinesArg::Given(b) => t.with_baselines(*b),
        }
    }
}

/// Suggestions built by hand in Python (the seed's `OptimizationSuggestion` has no id) get
/// the id the library gives a suggestion of their type and suggested configuration. Text
/// that is not a list of objects is left for the parser to report.
fn with_ids(text: &str) -> String {
    let Ok(serde_json::Value::Array(mut list)) = serde_json::from_str(text) else {
        return text.to_string();
    };
    for s in &mut list {
        let Some(obj) = s.as_object_mut() else {
            continue;
        };
        if obj.contains_key("id") {
            continue;
        }
        let kind = obj
            .get("type")
            .and_then(|t| serde_json::from_value::<teamtune::SuggestionType>(t.clone()).ok());
        let config = obj
            .get("suggested_config")
            .and_then(|c| c.as_object().cloned());
        if let (Some(kind), Some(config)) = (kind, config) {
            obj.insert(
                "id".into(),
                serde_json::Value::String(teamtune::suggestion_id(kind, &config)),
            );
        }
    }
    serde_json::Value::Array(list).to_string()
}

/// Says nothing and applies what it is asked about (`apply` from Python has no prompts).
struct Silent;
impl ApplyObserver for Silent {}

#[pymethods]
impl Tuner {
    /// `store`: the SQLite store file or a `postgres://` URL (`None`: `TEAMTUNE_STORE`, else
    /// `.teamtune/teamtune.db`).
    /// `baselines`: `None` (the team's own history), `"victor"`, or a baselines file;
    /// `baselines_json`: a baselines object as JSON text.
    #[new]
    #[pyo3(signature = (store=None, baselines=None, baselines_json=None))]
    fn new(
        py: Python<'_>,
        store: Option<PathBuf>,
        baselines: Option<PathBuf>,
        baselines_json: Option<String>,
    ) -> PyResult<Self> {
        let baselines = match (baselines, baselines_json) {
            (Some(_), Some(_)) => {
                return Err(input(py, "give baselines as a file or as values, not both"));
            }
            (None, Some(text)) => BaselinesArg::Given(
                Baselines::from_json(&text).map_err(|e| input(py, format!("baselines: {e}")))?,
            ),
            (Some(b), None) if b.as_os_str() == "victor" => BaselinesArg::Victor,
            (Some(b), None) => {
                BaselinesArg::Given(Baselines::from_file(&b).map_err(|e| input(py, e.to_string()))?)
            }
            (None, None) => BaselinesArg::OwnHistory,
        };
        let store = StoreLocation::resolve(store.as_deref().map(std::path::Path::as_os_str))
            .map_err(|e| to_py(py, e.into()))?;
        Ok(Tuner { store, baselines })
    }

    /// The store's path, or its URL without the password.
    #[getter]
    fn store(&self) -> String {
        self.store.to_string()
    }

    #[pyo3(signature = (team_id, metrics=None, config=None, all_configs=false, include_trials=false))]
    fn analyze(
        &self,
        py: Python<'_>,
        team_id: &str,
        metrics: Option<Vec<MetricsArg>>,
        config: Option<PathBuf>,
        all_configs: bool,
        include_trials: bool,
    ) -> PyResult<String> {
        let selection = RunSelection {
            config,
            all_configs,
            include_trials,
        };
        let source = metrics_source(metrics);
        blocking(py, || {
            json(&self.tuner(selection).analyze(team_id, &source)?)
        })
    }

    /// Every record of the metrics inputs analysed together (the seed's `team_id=None`).
    fn analyze_every_record(&self, py: Python<'_>, metrics: Vec<MetricsArg>) -> PyResult<String> {
        let source = metrics_source(Some(metrics));
        blocking(py, || {
            json(
                &self
                    .tuner(RunSelection::default())
                    .analyze_every_record(&source)?,
            )
        })
    }

    /// Suggestions for the team of the workflow file `config`, or (`described`: a JSON object)
    /// for a team described without one, or (neither) for the configuration of its latest
    /// runs.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (team_id, config=None, described=None, metrics=None, all_configs=false, include_trials=false))]
    fn suggest(
        &self,
        py: Python<'_>,
        team_id: &str,
        config: Option<PathBuf>,
        described: Option<String>,
        metrics: Option<Vec<MetricsArg>>,
        all_configs: bool,
        include_trials: bool,
    ) -> PyResult<String> {
        let selection = RunSelection {
            config: None,
            all_configs,
            include_trials,
        };
        let source = metrics_source(metrics);
        match (config, described) {
            (Some(path), None) => blocking(py, || {
                json(&self.tuner(selection).suggest(team_id, &path, &source)?)
            }),
            (None, described) => {
                let team = described
                    .map(|text| described_config(&text))
                    .transpose()
                    .map_err(|e| input(py, e))?;
                blocking(py, || {
                    json(&self.tuner(selection).suggest_for_config(
                        team_id,
                        team.as_ref(),
                        &source,
                    )?)
                })
            }
            (Some(_), Some(_)) => Err(input(
                py,
                "give the team as a workflow file or as a description, not both",
            )),
        }
    }

    #[pyo3(signature = (team_id, config, settings, runs=2000, seed=0))]
    fn whatif(
        &self,
        py: Python<'_>,
        team_id: &str,
        config: PathBuf,
        settings: Vec<String>,
        runs: usize,
        seed: u64,
    ) -> PyResult<String> {
        let selection = RunSelection::default();
        blocking(py, || {
            json(
                &self
                    .tuner(selection)
                    .whatif(team_id, &config, &settings, runs, seed)?,
            )
        })
    }

    /// `apply`: `auto`, a suggestion file (`suggestion`, `pick`), or suggestions held by the
    /// caller (`suggestion_json`, named `suggestion_name` in messages).
    #[pyo3(signature = (
        team_id, config, auto=false, suggestion=None, suggestion_json=None,
        suggestion_name=None, pick=None, runs=None, seed=None, dry_run=false, ab_test=true,
        threshold=None, max_changes=None, auto_rollback=true, objective=None,
        max_trial_runs=None, twin=true,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &self,
        py: Python<'_>,
        team_id: &str,
        config: PathBuf,
        auto: bool,
        suggestion: Option<PathBuf>,
        suggestion_json: Option<String>,
        suggestion_name: Option<String>,
        pick: Option<String>,
        runs: Option<u64>,
        seed: Option<u64>,
        dry_run: bool,
        ab_test: bool,
        threshold: Option<f64>,
        max_changes: Option<usize>,
        auto_rollback: bool,
        objective: Option<String>,
        max_trial_runs: Option<u64>,
        twin: bool,
    ) -> PyResult<String> {
        let file = match (suggestion, suggestion_json) {
            (Some(path), None) => Some(SuggestionFile::read(&path)),
            (None, Some(text)) => {
                let name = suggestion_name.unwrap_or_else(|| "suggestions".to_string());
                Some(SuggestionFile::parse(Path::new(&name), &with_ids(&text)))
            }
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(input(
                    py,
                    "give suggestions as a file or as objects, not both",
                ));
            }
        };
        let mode = match (auto, file) {
            (true, Some(_)) => {
                return Err(input(
                    py,
                    "auto=True searches by itself: give it no suggestion",
                ));
            }
            (true, None) => ApplyMode::Auto,
            (false, Some(file)) => {
                let file = file.map_err(|e| to_py(py, e))?;
                ApplyMode::File(match pick.as_deref() {
                    Some(id) => file.pick(id).map_err(|e| to_py(py, e))?,
                    None => file,
                })
            }
            (false, None) => {
                return Err(input(
                    py,
                    "pick one: auto=True, or suggestion= (a suggest() report, suggestions, or a suggestion file)",
                ));
            }
        };
        let mut opts = ApplyOptions::new(team_id, &config, mode);
        opts.ab_test = ab_test;
        opts.dry_run = dry_run;
        opts.auto_rollback = auto_rollback;
        opts.twin = twin;
        if let Some(r) = runs {
            if r == 0 {
                return Err(input(py, "runs must be at least 1"));
            }
            opts.runs = r;
        }
        if let Some(s) = seed {
            opts.seed = s;
        }
        if let Some(t) = threshold {
            if !(t.is_finite() && t >= 0.0) {
                return Err(input(
                    py,
                    format!("threshold {t} must be a percentage >= 0"),
                ));
            }
            opts.threshold_percent = t;
        }
        if let Some(m) = max_changes {
            opts.max_changes = m;
        }
        if let Some(m) = max_trial_runs {
            opts.max_trial_runs = m;
        }
        if let Some(o) = objective {
            opts.objective = match o.as_str() {
                "seconds" | "seconds_per_success" => Objective::SecondsPerSuccess,
                "calls" | "calls_per_success" => Objective::CallsPerSuccess,
                "tokens" | "tokens_per_success" => Objective::TokensPerSuccess,
                other => {
                    return Err(input(
                        py,
                        format!("objective `{other}`: valid objectives are seconds, calls, tokens"),
                    ));
                }
            };
        }
        opts.hitl = HitlPolicy::Approve;
        let selection = RunSelection::default();
        blocking(py, || {
            json(&self.tuner(selection).apply(&opts, &mut Silent)?)
        })
    }

    fn history(&self, py: Python<'_>, team_id: &str) -> PyResult<String> {
        let selection = RunSelection::default();
        blocking(py, || json(&self.tuner(selection).history(team_id)?))
    }

    /// The teams with runs or history in the store (empty when there is no store).
    fn team_ids(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let selection = RunSelection::default();
        blocking(py, || match self.tuner(selection).team_ids() {
            Err(teamtune::Error::NoStore { .. }) => Ok(Vec::new()),
            other => other,
        })
    }

    #[pyo3(signature = (team_id, index=-1, force=false))]
    fn rollback(&self, py: Python<'_>, team_id: &str, index: i64, force: bool) -> PyResult<String> {
        let selection = RunSelection::default();
        blocking(py, || {
            json(&self.tuner(selection).rollback(team_id, index, force)?)
        })
    }

    #[pyo3(signature = (before, after, team_id=None, runs=30, seed=0))]
    fn benchmark(
        &self,
        py: Python<'_>,
        before: PathBuf,
        after: PathBuf,
        team_id: Option<String>,
        runs: u64,
        seed: u64,
    ) -> PyResult<String> {
        if runs == 0 {
            return Err(input(py, "runs must be at least 1"));
        }
        let selection = RunSelection::default();
        blocking(py, || {
            json(&self.tuner(selection).benchmark(
                &before,
                &after,
                team_id.as_deref(),
                runs,
                seed,
                HitlPolicy::Approve,
                &mut |_, _| {},
            )?)
        })
    }

    /// Runs workflow `workflow` (or the file's only one) of `file` `runs` times and records
    /// every run (unless `record` is false). Returns {"runs", "succeeded", "virtual_time",
    /// "store", "records": [one JSON object per run], "warnings"}.
    #[pyo3(signature = (file, runs=1, seed=0, inputs_json=None, workflow=None, record=true))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        file: PathBuf,
        runs: u64,
        seed: u64,
        inputs_json: Option<String>,
        workflow: Option<String>,
        record: bool,
    ) -> PyResult<String> {
        let inputs = match inputs_json {
            None => indexmap::IndexMap::new(),
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| input(py, format!("inputs: {e}")))?
            }
        };
        let selection = RunSelection::default();
        blocking(py, || {
            let tuner = self.tuner(selection);
            let runnable = tuner.prepare(&file, workflow.as_deref())?;
            let opts = BatchOptions {
                runs,
                seed,
                inputs,
                hitl: HitlPolicy::Approve,
                responder: None,
                events: None,
                variant: None,
            };
            let mut records = Vec::new();
            let report = tuner.run(&runnable, &opts, record, |r| {
                records.push(serde_json::to_value(r).unwrap_or_default());
            })?;
            json(&serde_json::json!({
                "seed": seed,
                "runs": report.batch.runs,
                "succeeded": report.batch.succeeded,
                "virtual_time": report.batch.virtual_time,
                "store": report.store,
                "records": records,
                "warnings": runnable.warnings(),
            }))
        })
    }

    /// How many records a metrics file holds, or the first bad one (by index and field).
    fn count_records(&self, py: Python<'_>, path: PathBuf) -> PyResult<usize> {
        blocking(py, || teamtune::count_metrics_records(&path))
    }

    /// Records team runs made outside teamtune (JSON: a list of `teamtune.recording` runs).
    fn record(&self, py: Python<'_>, runs_json: &str) -> PyResult<usize> {
        let runs = crate::recording::records(runs_json).map_err(|e| input(py, e))?;
        let selection = RunSelection::default();
        let n = runs.len();
        blocking(py, || self.tuner(selection).record_runs(&runs))?;
        Ok(n)
    }
}
