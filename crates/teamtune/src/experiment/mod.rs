//! Live experiments: A/B tests that ride on the runs a team makes anyway. An experiment
//! stores a candidate configuration of a team and the share of its runs that use it
//! ([`Autotuner::start_experiment`]); every recorded `teamtune run` of the workflow then puts
//! each run on the control or the candidate side from its seed ([`split`]), runs it so
//! without touching the file, and labels its team records with the variant and the
//! experiment id (which keeps them out of the team's own history by default, like every trial
//! run). [`Autotuner::check_experiment`] judges the runs so far with the sequential test
//! ([`check`]) and promotes, aborts, raises the share or lets it run; [`watch`] is the loop
//! that does this as runs arrive and starts the next experiment.
//!
//! All state is in the store (the `experiments` and `experiment_decisions` tables), so any
//! process may check, and a restarted one carries on where the last stopped.

mod check;
mod split;
mod watch;

use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Map, Value as Json};
use teamtune_analysis::{
    RunOutcome, SequentialRules, Suggestion, SuggestionType, apply_suggestion, tail_threshold,
};
use teamtune_model::{TeamConfig, Variant, Workflow, load_file};
use teamtune_store::{
    DecisionAction, Experiment, ExperimentDecision, ExperimentStatus, NewDecision, NewExperiment,
    RunQuery, Store, StoreError,
};

pub use check::{ExperimentCheck, ExperimentVerdict};
pub(crate) use split::LiveSplit;
pub use split::{side, split_point};
pub use watch::{WatchEvent, WatchEventKind, WatchOptions, Watcher};

use crate::autotuner::{Access, Autotuner};
use crate::error::Error;
use crate::record::Runnable;
use split::Arm;

/// Own runs of the control configuration the tail guardrail's threshold is taken from.
const TAIL_HISTORY_RUNS: u64 = 100;
/// The tail guardrail counts runs longer than this many times the control's p95 (as
/// `apply --auto` does).
const TAIL_FACTOR: f64 = 1.5;

/// What the candidate of an experiment is.
#[derive(Debug, Clone)]
pub enum Candidate {
    /// A suggestion (from `suggest --output`, or the watch loop's own).
    Suggestion(Box<Suggestion>),
    /// Keys of the team's configuration (`team_formation`, `timeout_seconds`,
    /// `total_tool_budget`, `max_iterations`, `members`) set over the current ones.
    Settings(Map<String, Json>),
}

/// How to start an experiment.
#[derive(Debug, Clone)]
pub struct ExperimentPlan {
    pub team_id: String,
    /// The workflow file holding the team; a promotion writes the candidate into it.
    pub config: PathBuf,
    pub candidate: Candidate,
    /// The candidate's share of the runs at first, in (0, 1).
    pub share: f64,
    /// Larger shares to step up through while the guardrails hold (e.g. 0.25, 0.5).
    pub ramp: Vec<f64>,
    /// Pairs (candidate runs) after which the test ends inconclusive.
    pub max_pairs: usize,
    /// Minimum improvement (percent) for a promotion.
    pub threshold_percent: f64,
}

impl ExperimentPlan {
    pub const DEFAULT_SHARE: f64 = 0.2;
    pub const DEFAULT_MAX_PAIRS: usize = 100;

    pub fn new(
        team_id: impl Into<String>,
        config: impl Into<PathBuf>,
        candidate: Candidate,
    ) -> Self {
        ExperimentPlan {
            team_id: team_id.into(),
            config: config.into(),
            candidate,
            share: Self::DEFAULT_SHARE,
            ramp: Vec::new(),
            max_pairs: Self::DEFAULT_MAX_PAIRS,
            threshold_percent: crate::ApplyOptions::DEFAULT_THRESHOLD_PERCENT,
        }
    }
}

/// An experiment with its decisions and the runs it has so far (`experiment show --json`).
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentReport {
    #[serde(flatten)]
    pub experiment: Experiment,
    pub control_runs: u64,
    pub candidate_runs: u64,
    pub decisions: Vec<ExperimentDecision>,
}

/// A running experiment of a team that a batch of runs met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentJoin {
    pub experiment_id: i64,
    pub team_id: String,
    pub share: f64,
    /// The runs joined it (false: the file's team is not the experiment's control).
    pub joined: bool,
}

fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidExperiment {
        field,
        message: message.into(),
    }
}

/// The team's configuration with `settings` set over it.
fn with_settings(config: &TeamConfig, settings: &Map<String, Json>) -> Result<TeamConfig, Error> {
    const KEYS: [&str; 5] = [
        "team_formation",
        "timeout_seconds",
        "total_tool_budget",
        "max_iterations",
        "members",
    ];
    let mut value =
        serde_json::to_value(config).map_err(|e| invalid("candidate", e.to_string()))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| invalid("candidate", "not an object"))?;
    for (k, v) in settings {
        if !KEYS.contains(&k.as_str()) {
            return Err(invalid(
                "candidate",
                format!("unknown key `{k}` (expected {})", KEYS.join(", ")),
            ));
        }
        object.insert(k.clone(), v.clone());
    }
    serde_json::from_value(value).map_err(|e| invalid("candidate", e.to_string()))
}

/// A suggestion describing a hand-given candidate, so a promotion's history entry says what
/// changed like any other.
fn described(
    current: &TeamConfig,
    candidate: &TeamConfig,
    settings: &Map<String, Json>,
) -> Suggestion {
    let object = |c: &TeamConfig| match serde_json::to_value(c) {
        Ok(Json::Object(m)) => m,
        _ => Map::new(),
    };
    let before = object(current);
    let kind = match settings.keys().map(String::as_str).collect::<Vec<_>>()[..] {
        ["team_formation"] => SuggestionType::FormationSelection,
        ["timeout_seconds"] => SuggestionType::TimeoutTuning,
        ["members"] if candidate.members.len() != current.members.len() => {
            SuggestionType::TeamSizing
        }
        _ => SuggestionType::TwinSearch,
    };
    let keys: Vec<&str> = settings.keys().map(String::as_str).collect();
    Suggestion::new(
        kind,
        format!("experiment candidate: {}", keys.join(", ")),
        settings
            .keys()
            .filter_map(|k| before.get(k).map(|v| (k.clone(), v.clone())))
            .collect(),
        settings.clone(),
        0.0,
        0.0,
        0.0,
        Map::new(),
    )
}

/// The hash of team `team_id` of `workflow` configured as `config`.
pub(crate) fn hash_of(
    workflow: &Workflow,
    team_id: &str,
    config: &TeamConfig,
) -> Result<String, Error> {
    let wf = workflow
        .with_team_config(team_id, config)
        .map_err(|message| invalid("candidate", message))?;
    wf.team(team_id)
        .map(|t| t.config_hash())
        .ok_or_else(|| invalid("candidate", format!("workflow `{}` lost the team", wf.name)))
}

impl Autotuner {
    /// Starts an experiment: from now on, recorded runs of the team's workflow put
    /// `plan.share` of the team's runs on the candidate. One experiment runs per team.
    pub fn start_experiment(&self, plan: &ExperimentPlan) -> Result<ExperimentReport, Error> {
        if !(plan.share > 0.0 && plan.share < 1.0) {
            return Err(invalid("share", format!("{} is not in (0, 1)", plan.share)));
        }
        let mut last = plan.share;
        for &s in &plan.ramp {
            if !(s > last && s < 1.0) {
                return Err(invalid(
                    "ramp",
                    format!("{s} does not rise above {last} and stay below 1"),
                ));
            }
            last = s;
        }
        let file = load_file(&plan.config)?;
        let (workflow, team) = file.resolve_team(&plan.team_id)?;
        let control = TeamConfig::of(team);
        let control_hash = team.config_hash();
        let (candidate, suggestion) = match &plan.candidate {
            Candidate::Suggestion(s) => (
                apply_suggestion(&control, s).map_err(|e| invalid("suggestion", e.to_string()))?,
                (**s).clone(),
            ),
            Candidate::Settings(settings) => {
                let c = with_settings(&control, settings)?;
                let s = described(&control, &c, settings);
                (c, s)
            }
        };
        let candidate_hash = hash_of(workflow, &plan.team_id, &candidate)?;
        if candidate_hash == control_hash {
            return Err(invalid(
                "candidate",
                "it is the team's current configuration: there is nothing to compare",
            ));
        }
        let team_id = plan.team_id.clone();
        self.using_store(Access::Create, |store| {
            let history = store.team_runs(
                &team_id,
                &RunQuery::new()
                    .unlabelled()
                    .config_hash(control_hash.clone())
                    .limit(TAIL_HISTORY_RUNS),
            )?;
            let rules = SequentialRules {
                threshold_percent: plan.threshold_percent,
                max_pairs: plan.max_pairs,
                tail_threshold_seconds: tail_threshold(&crate::ab::outcomes(&history), TAIL_FACTOR),
                ..SequentialRules::default()
            };
            rules
                .validate()
                .map_err(|e| invalid("rules", e.to_string()))?;
            let experiment = store
                .start_experiment(
                    &NewExperiment {
                        team_id: team_id.clone(),
                        file_path: crate::apply::absolute(&plan.config),
                        share: plan.share,
                        ramp: plan.ramp.clone(),
                        control_hash: control_hash.clone(),
                        control_config: json(&control),
                        candidate_hash: candidate_hash.clone(),
                        candidate_config: json(&candidate),
                        suggestion: Some(json(&suggestion)),
                        rules: json(&rules),
                        start_seq: store.latest_seq(&team_id)?,
                        note: Some(suggestion.description.clone()),
                    },
                    &format!(
                        "{}: {:.0}% of the runs on the candidate",
                        suggestion.description,
                        plan.share * 100.0
                    ),
                )
                .map_err(|e| match e {
                    StoreError::ExperimentRunning { team_id, id, .. } => {
                        Error::ExperimentRunning { team_id, id }
                    }
                    other => other.into(),
                })?;
            report(store, experiment)
        })
    }

    /// Every experiment (of `team_id` when given), newest first.
    pub fn experiments(&self, team_id: Option<&str>) -> Result<Vec<Experiment>, Error> {
        self.using_store(Access::Existing, |store| Ok(store.experiments(team_id)?))
    }

    /// Experiment `id` with its decisions and runs so far.
    pub fn experiment(&self, id: i64) -> Result<ExperimentReport, Error> {
        self.using_store(Access::Existing, |store| {
            let e = find(store, id)?;
            report(store, e)
        })
    }

    /// Stops a running experiment by hand: runs stop joining it and nothing is written.
    pub fn stop_experiment(&self, id: i64) -> Result<ExperimentReport, Error> {
        self.using_store(Access::Existing, |store| {
            let e = find(store, id)?;
            if e.status != ExperimentStatus::Running {
                return Err(Error::ExperimentEnded {
                    id,
                    status: e.status.to_string(),
                });
            }
            let (control, candidate) = counts(store, &e)?;
            let recorded = store.decide_experiment(
                id,
                &NewDecision {
                    action: DecisionAction::Stop,
                    share_before: e.share,
                    share_after: e.share,
                    control_runs: control,
                    candidate_runs: candidate,
                    evidence: None,
                    history_index: None,
                    reason: "stopped by hand; nothing was written".into(),
                },
            )?;
            let e = find(store, id)?;
            if !recorded {
                return Err(Error::ExperimentEnded {
                    id,
                    status: e.status.to_string(),
                });
            }
            report(store, e)
        })
    }
}

/// Plain data as the JSON the store keeps (configurations, suggestions and rules always
/// serialise).
fn json<T: Serialize>(value: &T) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

pub(crate) fn find(store: &dyn Store, id: i64) -> Result<Experiment, Error> {
    store
        .experiment(id)?
        .ok_or(Error::ExperimentNotFound { id })
}

/// The experiment's runs of each side, oldest first.
pub(crate) fn runs_by_side(
    store: &dyn Store,
    e: &Experiment,
) -> Result<(Vec<RunOutcome>, Vec<RunOutcome>), Error> {
    let mut control = Vec::new();
    let mut candidate = Vec::new();
    for r in store.experiment_runs(&e.team_id, e.id)? {
        let outcome = RunOutcome::from_record(&r.record);
        match r.record.variant {
            Some(Variant::Candidate) => candidate.push(outcome),
            _ => control.push(outcome),
        }
    }
    Ok((control, candidate))
}

fn counts(store: &dyn Store, e: &Experiment) -> Result<(u64, u64), Error> {
    let (control, candidate) = runs_by_side(store, e)?;
    Ok((control.len() as u64, candidate.len() as u64))
}

fn report(store: &dyn Store, experiment: Experiment) -> Result<ExperimentReport, Error> {
    let (control_runs, candidate_runs) = counts(store, &experiment)?;
    Ok(ExperimentReport {
        decisions: store.experiment_decisions(experiment.id)?,
        experiment,
        control_runs,
        candidate_runs,
    })
}

/// The engines a batch of `runnable` runs with, joining the running experiment of each of
/// its teams whose configuration in the file is the experiment's control.
pub(crate) fn live_split(
    store: &dyn Store,
    runnable: &Runnable,
) -> Result<(Option<LiveSplit>, Vec<ExperimentJoin>), Error> {
    let workflow = runnable.engine.workflow();
    let mut arms = Vec::new();
    let mut joins = Vec::new();
    for team in workflow.teams() {
        let Some(e) = store.running_experiment(&team.id)? else {
            continue;
        };
        let joined = team.config_hash() == e.control_hash;
        joins.push(ExperimentJoin {
            experiment_id: e.id,
            team_id: team.id.clone(),
            share: e.share,
            joined,
        });
        if !joined {
            continue;
        }
        let candidate: TeamConfig =
            serde_json::from_value(e.candidate_config.clone()).map_err(|err| {
                StoreError::CorruptExperiment {
                    path: PathBuf::from(store.location()),
                    id: e.id,
                    problem: format!("candidate config: {err}"),
                }
            })?;
        arms.push(Arm {
            team_id: team.id.clone(),
            experiment_id: e.id,
            share: e.share,
            candidate,
        });
    }
    if arms.is_empty() {
        return Ok((None, joins));
    }
    Ok((
        Some(LiveSplit::new(workflow, &runnable.label, arms)?),
        joins,
    ))
}
