//! One scenario, measured: tune it as a user would, search the oracle exhaustively, then
//! score baseline, tuned and oracle configurations on the same fresh evaluation seeds (a
//! stream used neither by tuning nor by the oracle search).

use std::time::Instant;

use teamtune::TeamConfig;

use crate::error::BenchError;
use crate::grid::{Grid, GridOverrides, allowed_space, config_at};
use crate::objective::{Score, score_in_parallel};
use crate::oracle::{OraclePlan, search};
use crate::report::{ScenarioReport, Scores, captured_percent, noise};
use crate::scenario::Scenario;
use crate::tuning::{TuningPlan, tune};

// Salts that keep the seed streams of the phases apart.
const TUNING_SALT: u64 = 0x7475_6e65;
const SEARCH_SALT: u64 = 0x6f72_6163;
const CONFIRM_SALT: u64 = 0x636f_6e66;
const EVAL_SALT: u64 = 0x6576_616c;

#[derive(Debug, Clone)]
pub struct Settings {
    pub seed: u64,
    pub runs_per_point: u64,
    pub eval_runs: u64,
    pub ab_runs: u64,
    pub history_runs: u64,
    pub threads: usize,
    pub grid: GridOverrides,
    pub max_trial_runs: u64,
    /// Tune with the twin (else the rule strategies alone).
    pub twin: bool,
}

pub fn measure(scenario: &Scenario, s: &Settings) -> Result<ScenarioReport, BenchError> {
    let start = Instant::now();
    let tuned = tune(
        scenario,
        &TuningPlan {
            seed: s.seed ^ TUNING_SALT,
            history_runs: s.history_runs,
            ab_runs: s.ab_runs,
            objective: teamtune::Objective::SecondsPerSuccess,
            max_trial_runs: s.max_trial_runs,
            twin: s.twin,
        },
    )?;

    let baseline = scenario.baseline_config();
    let space = allowed_space(scenario, s.grid.max_members);
    let mut grid = Grid::derive(scenario, &s.grid);
    grid.widen_with(&tuned.config);
    let mut candidates: Vec<TeamConfig> =
        grid.points().iter().map(|p| config_at(&space, p)).collect();
    // The exact configurations compared (a tuned team may have dropped a member by name, or
    // set budgets per member), so the oracle covers them whatever the grid's shape.
    for exact in [&baseline, &tuned.config] {
        if !candidates.contains(exact) {
            candidates.push(exact.clone());
        }
    }
    let oracle = search(
        scenario,
        &candidates,
        &OraclePlan {
            search_seed: s.seed ^ SEARCH_SALT,
            confirm_seed: s.seed ^ CONFIRM_SALT,
            runs_per_point: s.runs_per_point,
            confirm_runs: s.eval_runs,
            threads: s.threads,
        },
    )?;

    let team_id = scenario.team.id.as_str();
    let oracle_wf = scenario
        .workflow
        .with_team_config(team_id, &oracle.best)
        .map_err(BenchError::Work)?;
    let workflows = [scenario.workflow.clone(), tuned.workflow.clone(), oracle_wf];
    let eval = score_in_parallel(
        3,
        |i| Ok(workflows[i].clone()),
        team_id,
        s.seed ^ EVAL_SALT,
        s.eval_runs,
        s.threads,
    )?;
    let scores = Scores {
        baseline: eval[0],
        tuned: eval[1],
        oracle: eval[2],
    };
    Ok(report(
        scenario, s, scores, baseline, tuned, oracle, &grid, start,
    ))
}

#[allow(clippy::too_many_arguments)]
fn report(
    scenario: &Scenario,
    s: &Settings,
    scores: Scores,
    baseline: TeamConfig,
    tuned: crate::tuning::TuningResult,
    oracle: crate::oracle::OracleResult,
    grid: &Grid,
    start: Instant,
) -> ScenarioReport {
    let (b, t, o) = (scores.baseline, scores.tuned, scores.oracle);
    let not_worse = |x: &Score, than: &Score| {
        x.objective <= than.objective + noise(x, than) || than.objective.is_infinite()
    };
    ScenarioReport {
        scenario: scenario.path.display().to_string(),
        name: scenario.name(),
        team_id: scenario.team.id.clone(),
        baseline_objective: b.objective,
        tuned_objective: t.objective,
        oracle_objective: o.objective,
        baseline_config: baseline,
        tuned_config: tuned.config,
        oracle_config: oracle.best,
        captured_percent: captured_percent(&b, &t, &o),
        trial_runs: tuned.trial_runs,
        twin_prediction_error_percent: tuned
            .steps
            .iter()
            .rev()
            .find(|s| s.kept)
            .and_then(|s| s.predicted_objective)
            .filter(|_| t.objective.is_finite() && t.objective > 0.0)
            .map(|p| (p - t.objective) / t.objective * 100.0),
        oracle_runs: oracle.runs,
        wall_seconds: start.elapsed().as_secs_f64(),
        noise_seconds: noise(&b, &o),
        tuned_not_worse: not_worse(&t, &b),
        oracle_not_worse: not_worse(&o, &t),
        scores,
        tuning_steps: tuned.steps,
        tuning_seconds: tuned.seconds,
        oracle_points: oracle.points,
        oracle_grid: crate::report::GridReport::of(grid),
        oracle_search_objective: oracle.best_search_score.objective,
        oracle_seconds: oracle.seconds,
        oracle_runs_per_second: (s.runs_per_point * oracle.points as u64) as f64
            / oracle.search_seconds.max(1e-9),
        eval_runs: s.eval_runs,
    }
}
