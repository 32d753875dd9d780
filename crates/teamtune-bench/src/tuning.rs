//! The tuning a user would do, through the library API: record a baseline history of the
//! team, then `Autotuner::apply` in auto mode with A/B tests, on a copy of the scenario file
//! in a temporary directory (apply edits the file in place) with a fresh store. The result is
//! the edited copy, loaded back, and what it cost in trial runs.

use std::time::Instant;

use serde::Serialize;
use teamtune::{
    ApplyMode, ApplyOptions, Autotuner, HitlPolicy, Objective, Quiet, TrialRunner, WorkflowRunner,
    run_seed,
};
use teamtune::{TeamConfig, Workflow, load_file};

use crate::blind::without_sim_blocks;
use crate::error::BenchError;
use crate::scenario::Scenario;

/// One change the tuner tried.
#[derive(Debug, Clone, Serialize)]
pub struct TuningStep {
    pub suggestion: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub validation_status: teamtune::AbStatus,
    pub improvement_percentage: Option<f64>,
    pub kept: bool,
    /// The twin's predicted objective (seconds per success) for the suggested
    /// configuration, for `twin_search` changes.
    pub predicted_objective: Option<f64>,
    /// Team runs the step's A/B test spent.
    pub trial_runs: u64,
}

#[derive(Debug, Clone)]
pub struct TuningResult {
    pub config: TeamConfig,
    pub workflow: Workflow,
    /// Team runs tuning spent: the baseline history plus both sides of every A/B test.
    pub trial_runs: u64,
    pub steps: Vec<TuningStep>,
    pub seconds: f64,
}

pub struct TuningPlan {
    pub seed: u64,
    pub history_runs: u64,
    pub ab_runs: u64,
    pub objective: Objective,
    pub max_trial_runs: u64,
    /// Tune with the twin (else the rule strategies alone).
    pub twin: bool,
}

pub fn tune(scenario: &Scenario, plan: &TuningPlan) -> Result<TuningResult, BenchError> {
    let start = Instant::now();
    let dir = tempfile::tempdir()?;
    let file_name = scenario
        .path
        .file_name()
        .map_or_else(|| "scenario.yaml".into(), |n| n.to_os_string());
    let copy = dir.path().join(file_name);
    let text = std::fs::read_to_string(&scenario.path)
        .map_err(|e| BenchError::Input(format!("{}: cannot read: {e}", scenario.path.display())))?;
    std::fs::write(&copy, without_sim_blocks(&text, &scenario.path)?)
        .map_err(|e| BenchError::Work(format!("{}: cannot write: {e}", copy.display())))?;
    let tuner = Autotuner::new(dir.path().join("teamtune.db"));
    let team_id = scenario.team.id.clone();
    // Trial runs run the real file; the tuner reads and edits the copy without `sim:`.
    let mut runner = WorkflowRunner::new(
        scenario.workflow.clone(),
        copy.display().to_string(),
        HitlPolicy::Approve,
        Default::default(),
    )?;

    // The baseline history a user would have recorded with `teamtune run`.
    let seeds: Vec<u64> = (0..plan.history_runs)
        .map(|i| run_seed(plan.seed, i))
        .collect();
    let history = runner.run(&team_id, &scenario.baseline_config(), &seeds, None)?;
    tuner.record_runs(&history)?;

    let mut opts = ApplyOptions::new(team_id.clone(), copy.clone(), ApplyMode::Auto);
    opts.ab_test = true;
    opts.runs = plan.ab_runs;
    opts.seed = plan.seed ^ 0xab;
    opts.hitl = HitlPolicy::Approve;
    opts.objective = plan.objective;
    opts.max_trial_runs = plan.max_trial_runs;
    opts.twin = plan.twin;
    let results = tuner.apply_with(&opts, &mut runner, &mut Quiet)?;
    let steps = results
        .iter()
        .map(|r| TuningStep {
            suggestion: r.optimization.description.clone(),
            kind: r.optimization.kind.as_str().to_string(),
            validation_status: r.validation_status,
            improvement_percentage: r.improvement_percentage,
            kept: r.success && r.history_index.is_some(),
            predicted_objective: r
                .optimization
                .metadata
                .get("predicted")
                .and_then(|p| p.get("seconds_per_success"))
                .and_then(serde_json::Value::as_f64),
            trial_runs: r.trial_runs,
        })
        .collect();
    // Every team run tuning caused is in the store: the history and both A/B sides.
    let trial_runs = tuner.team_run_count(&team_id)?;

    let edited = load_file(&copy)
        .map_err(|e| BenchError::Work(format!("the tuned file does not load: {e}")))?;
    let (_, team) = edited
        .find_team(&team_id)
        .ok_or_else(|| BenchError::Work(format!("the tuned file lost team `{team_id}`")))?;
    let config = TeamConfig::of(team);
    // The tuned configuration on the real members (the edited copy has no `sim:` blocks).
    let workflow = scenario
        .workflow
        .with_team_config(&team_id, &config)
        .map_err(BenchError::Work)?;
    Ok(TuningResult {
        config,
        workflow,
        trial_runs,
        steps,
        seconds: start.elapsed().as_secs_f64(),
    })
}
