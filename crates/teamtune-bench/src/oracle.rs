//! The exhaustive oracle: every candidate configuration is scored with the same number of
//! runs on the same search seeds, split across threads (each with its own virtual-time
//! runtime). No pruning: every point runs in full. The few best are then re-scored on a
//! separate confirmation seed stream with more runs, which tempers the winner's curse of
//! picking the minimum of thousands of noisy estimates; the best of those is the oracle.
//! Oracle runs are not recorded anywhere.

use std::time::Instant;

use teamtune::TeamConfig;

use crate::error::BenchError;
use crate::objective::{Score, score_in_parallel};
use crate::scenario::Scenario;

/// How many of the search's best are re-scored before picking the oracle.
pub const CONFIRM_TOP: usize = 5;

#[derive(Debug, Clone)]
pub struct OracleResult {
    pub best: TeamConfig,
    pub best_search_score: Score,
    pub points: usize,
    pub runs: u64,
    /// Wall seconds of the exhaustive pass alone.
    pub search_seconds: f64,
    /// Wall seconds including the confirmation pass.
    pub seconds: f64,
}

pub struct OraclePlan {
    pub search_seed: u64,
    pub confirm_seed: u64,
    pub runs_per_point: u64,
    pub confirm_runs: u64,
    pub threads: usize,
}

pub fn search(
    scenario: &Scenario,
    candidates: &[TeamConfig],
    plan: &OraclePlan,
) -> Result<OracleResult, BenchError> {
    let start = Instant::now();
    let scores = score_all(
        scenario,
        candidates,
        plan.search_seed,
        plan.runs_per_point,
        plan.threads,
    )?;
    let search_seconds = start.elapsed().as_secs_f64();
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| scores[a].objective.total_cmp(&scores[b].objective));
    order.truncate(CONFIRM_TOP);
    let finalists: Vec<TeamConfig> = order.iter().map(|&i| candidates[i].clone()).collect();
    let confirmed = score_all(
        scenario,
        &finalists,
        plan.confirm_seed,
        plan.confirm_runs,
        plan.threads,
    )?;
    let winner = (0..finalists.len())
        .min_by(|&a, &b| confirmed[a].objective.total_cmp(&confirmed[b].objective))
        .ok_or_else(|| BenchError::Work("the oracle grid is empty".into()))?;
    Ok(OracleResult {
        best: finalists[winner].clone(),
        best_search_score: scores[order[winner]],
        points: candidates.len(),
        runs: plan.runs_per_point * candidates.len() as u64
            + plan.confirm_runs * finalists.len() as u64,
        search_seconds,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn score_all(
    scenario: &Scenario,
    configs: &[TeamConfig],
    seed: u64,
    runs: u64,
    threads: usize,
) -> Result<Vec<Score>, BenchError> {
    let team_id = scenario.team.id.as_str();
    score_in_parallel(
        configs.len(),
        |i| {
            scenario
                .workflow
                .with_team_config(team_id, &configs[i])
                .map_err(BenchError::Work)
        },
        team_id,
        seed,
        runs,
        threads,
    )
}
