//! Trial runs: a team run in a configuration of the tuner's choosing, for A/B tests and the
//! baseline history. The tuner learns about a team only through a [`TrialRunner`]: by default
//! a [`WorkflowRunner`] over the workflow file being tuned; the benchmark hands it a runner
//! that holds the real file while the tuner sees one without its `sim:` blocks; with
//! `--workers`, a runner that queues the trials for workers on other machines.
//!
//! Callers hand over the trials they know they want in one [`TrialRunner::run_trials`] call
//! (both sides of a fixed-size A/B test, the baseline history), so a runner with workers can
//! make them at once; a sequential test asks for [`TrialRunner::parallelism`] pairs at a time
//! and looks at them in order, so it decides on the same pairs however many run at once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use indexmap::IndexMap;
use serde_json::Value as Json;
use teamtune_engine::{Engine, HitlPolicy, RunOptions};
use teamtune_model::{TeamConfig, Variant, Workflow, WorkflowRunRecord};

use crate::batch::interruptible;
use crate::error::Error;

/// One trial run: the team in `config`, on `seed`, its records marked with `variant`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    pub config: TeamConfig,
    pub seed: u64,
    pub variant: Option<Variant>,
}

/// What a [`TrialRunner::run_trials`] call made: one record per trial, in the trials' order,
/// up to the first trial that could not be made; and why, if one could not.
#[derive(Debug)]
pub struct TrialBatch {
    pub records: Vec<WorkflowRunRecord>,
    pub error: Option<Error>,
}

/// Runs a workflow with one team in a given configuration.
pub trait TrialRunner {
    /// Whether runs take virtual time (every member simulated): then they are nearly free,
    /// and what they measure is the simulator.
    fn is_simulated(&self) -> bool;

    /// The hash the runs of `config` are recorded under (what decides how the team runs
    /// includes how each member runs, which only the runner knows).
    fn config_hash(&self, team_id: &str, config: &TeamConfig) -> Result<String, Error>;

    /// Runs the workflow once per seed with team `team_id` configured as `config`, each run
    /// marked with `variant`.
    fn run(
        &mut self,
        team_id: &str,
        config: &TeamConfig,
        seeds: &[u64],
        variant: Option<Variant>,
    ) -> Result<Vec<WorkflowRunRecord>, Error>;

    /// How many trial runs this runner makes at once: 1 for one after another here, more
    /// for a runner whose trials go to workers.
    fn parallelism(&self) -> usize {
        1
    }

    /// Makes `trials`, calling `done` with the count made so far after each one. Stops at
    /// the first trial that cannot be made. By default one after another through
    /// [`run`](Self::run).
    fn run_trials(
        &mut self,
        team_id: &str,
        trials: &[Trial],
        done: &mut dyn FnMut(u64),
    ) -> TrialBatch {
        let mut records = Vec::with_capacity(trials.len());
        for trial in trials {
            match self.run(team_id, &trial.config, &[trial.seed], trial.variant) {
                Ok(made) => records.extend(made),
                Err(e) => {
                    return TrialBatch {
                        records,
                        error: Some(e),
                    };
                }
            }
            done(records.len() as u64);
        }
        TrialBatch {
            records,
            error: None,
        }
    }
}

/// The default runner: a workflow (as loaded from its file) with the team's configuration
/// swapped in for each trial.
pub struct WorkflowRunner {
    workflow: Workflow,
    label: String,
    hitl: HitlPolicy,
    inputs: IndexMap<String, Json>,
    engines: HashMap<String, Engine>,
    simulated: bool,
}

impl std::fmt::Debug for WorkflowRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowRunner")
            .field("workflow", &self.workflow.name)
            .field("label", &self.label)
            .finish()
    }
}

impl WorkflowRunner {
    /// `label` names the file in the run records.
    pub fn new(
        workflow: Workflow,
        label: impl Into<String>,
        hitl: HitlPolicy,
        inputs: IndexMap<String, Json>,
    ) -> Result<Self, Error> {
        let label = label.into();
        let engine = Engine::from_workflow(workflow.clone(), label.clone())?;
        Ok(WorkflowRunner {
            simulated: engine.is_simulated(),
            workflow,
            label,
            hitl,
            inputs,
            engines: HashMap::new(),
        })
    }

    /// A runner over the workflow of `path` that holds team `team_id`.
    pub fn for_team(path: &std::path::Path, team_id: &str) -> Result<Self, Error> {
        let file = teamtune_model::load_file(path)?;
        let workflow = file.resolve_team(team_id)?.0.clone();
        WorkflowRunner::new(
            workflow,
            path.display().to_string(),
            HitlPolicy::Approve,
            IndexMap::new(),
        )
    }

    fn engine(&mut self, team_id: &str, config: &TeamConfig) -> Result<&Engine, Error> {
        let key = serde_json::to_string(config).unwrap_or_default();
        if self.engines.len() >= 16 && !self.engines.contains_key(&key) {
            self.engines.clear();
        }
        match self.engines.entry(key) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(v) => {
                let wf = self
                    .workflow
                    .with_team_config(team_id, config)
                    .map_err(|message| Error::Config {
                        team_id: team_id.to_string(),
                        message,
                    })?;
                Ok(v.insert(Engine::from_workflow(wf, self.label.clone())?))
            }
        }
    }
}

impl TrialRunner for WorkflowRunner {
    fn is_simulated(&self) -> bool {
        self.simulated
    }

    fn config_hash(&self, team_id: &str, config: &TeamConfig) -> Result<String, Error> {
        let config_error = |message| Error::Config {
            team_id: team_id.to_string(),
            message,
        };
        let wf = self
            .workflow
            .with_team_config(team_id, config)
            .map_err(config_error)?;
        wf.team(team_id)
            .map(|t| t.config_hash())
            .ok_or_else(|| config_error(format!("workflow `{}` lost the team", wf.name)))
    }

    fn run(
        &mut self,
        team_id: &str,
        config: &TeamConfig,
        seeds: &[u64],
        variant: Option<Variant>,
    ) -> Result<Vec<WorkflowRunRecord>, Error> {
        let (hitl, inputs) = (self.hitl, self.inputs.clone());
        let engine = self.engine(team_id, config)?;
        let virtual_time = engine.is_simulated();
        let rt = if virtual_time {
            teamtune_engine::virtual_runtime()?
        } else {
            teamtune_engine::real_runtime()?
        };
        rt.block_on(async {
            let mut out = Vec::with_capacity(seeds.len());
            for &seed in seeds {
                let opts = RunOptions {
                    seed,
                    inputs: inputs.clone(),
                    hitl,
                    responder: None,
                    events: None,
                    variant,
                    virtual_time,
                };
                let record = interruptible(engine.run(&opts), virtual_time).await;
                if !virtual_time {
                    teamtune_engine::kill_orphans();
                }
                out.push(record?);
            }
            Ok(out)
        })
    }
}
