//! The search: every formation x team size x budget level x timeout x consensus rounds the
//! space allows, each replayed in the twin on the same seed (common random numbers, so
//! configurations are compared on the same draws), the best few replayed again with many
//! more runs, the best of those returned with the baseline's figures beside it.
//!
//! A candidate must keep the success rate: at least the baseline's minus 5 points (or the
//! caller's minimum), so the A/B test's success guardrail does not reject it on sight.

use serde::Serialize;
use teamtune_model::{Formation, TeamConfig};

use super::fit::Twin;
use super::predict::{Objective, Prediction};
use super::space::SearchSpace;

/// How the search runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSettings {
    pub objective: Objective,
    /// Candidates below this success rate are out.
    pub min_success: Option<f64>,
    /// Replayed runs per configuration in the sweep.
    pub runs: usize,
    /// Replayed runs per configuration when the best are compared again.
    pub confirm_runs: usize,
    /// How many of the sweep's best are compared again.
    pub finalists: usize,
    pub seed: u64,
    /// Configurations already tried and rejected.
    pub exclude: Vec<TeamConfig>,
}

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            objective: Objective::SecondsPerSuccess,
            min_success: None,
            runs: 150,
            confirm_runs: 2000,
            finalists: 10,
            seed: 1,
            exclude: Vec::new(),
        }
    }
}

/// A configuration and what the twin predicts for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub config: TeamConfig,
    pub prediction: Prediction,
    /// Predicted improvement of the objective over the baseline, percent.
    pub improvement_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchOutcome {
    pub objective: Objective,
    pub baseline: Prediction,
    /// The best allowed configuration, when one beats the baseline.
    pub best: Option<Candidate>,
    /// The finalists, best first.
    pub finalists: Vec<Candidate>,
    /// Configurations replayed in the sweep.
    pub evaluated: usize,
}

/// The twin's prediction, judged on the worst case of the coordination cost when the runs
/// could not measure it and `config` has a team size no run had.
fn predict(
    twin: &Twin,
    pessimistic: Option<&Twin>,
    sizes: &[usize],
    config: &TeamConfig,
    runs: usize,
    s: &SearchSettings,
) -> Prediction {
    let p = twin.predict(config, runs, s.seed);
    match pessimistic {
        Some(other) if !sizes.contains(&config.members.len()) => {
            let q = other.predict(config, runs, s.seed);
            if q.value(s.objective) > p.value(s.objective) {
                q
            } else {
                p
            }
        }
        _ => p,
    }
}

/// Searches `space` in `twin` for the configuration with the lowest objective.
pub fn search(twin: &Twin, space: &SearchSpace, s: &SearchSettings) -> SearchOutcome {
    let pessimistic = twin.with_assumed_coordination();
    let sizes = twin.observed_sizes();
    let predict = |config: &TeamConfig, runs: usize| {
        predict(twin, pessimistic.as_ref(), &sizes, config, runs, s)
    };
    let baseline = twin.predict(&space.base, s.confirm_runs, s.seed);
    let floor = s
        .min_success
        .unwrap_or(0.0)
        .max(baseline.success_rate - 0.05);
    let mut swept: Vec<(f64, TeamConfig)> = Vec::new();
    for &formation in &space.formations {
        let iterations: &[u32] = if formation == Formation::Consensus {
            &space.iterations
        } else {
            std::slice::from_ref(&space.base.max_iterations)
        };
        for &size in &space.sizes {
            for &rounds in iterations {
                let mut shaped = space.resized(size);
                shaped.team_formation = formation;
                shaped.max_iterations = rounds;
                for budgeted in space.budgeted(twin, &shaped) {
                    for cfg in space.timed(twin, &budgeted, s.seed) {
                        if s.exclude.contains(&cfg) {
                            continue;
                        }
                        let p = predict(&cfg, s.runs);
                        if p.never_ends || p.success_rate + 1e-9 < floor - 0.05 {
                            continue;
                        }
                        swept.push((p.value(s.objective), cfg));
                    }
                }
            }
        }
    }
    let evaluated = swept.len();
    swept.sort_by(|a, b| a.0.total_cmp(&b.0));
    let base_value = baseline.value(s.objective);
    let mut finalists: Vec<Candidate> = swept
        .into_iter()
        .take(s.finalists)
        .map(|(_, config)| {
            let prediction = predict(&config, s.confirm_runs);
            Candidate {
                improvement_percent: improvement(base_value, prediction.value(s.objective)),
                config,
                prediction,
            }
        })
        .filter(|c| c.prediction.success_rate + 1e-9 >= floor && !c.prediction.never_ends)
        .collect();
    finalists.sort_by(|a, b| {
        a.prediction
            .value(s.objective)
            .total_cmp(&b.prediction.value(s.objective))
    });
    let best = finalists
        .first()
        .filter(|c| c.improvement_percent > 0.0 && c.config != space.base)
        .cloned();
    SearchOutcome {
        objective: s.objective,
        baseline,
        best,
        finalists,
        evaluated,
    }
}

/// (baseline - candidate) / baseline, percent; 100 when the baseline never succeeds and the
/// candidate does.
pub fn improvement(baseline: f64, candidate: f64) -> f64 {
    match (baseline.is_finite(), candidate.is_finite()) {
        (true, true) if baseline > 0.0 => (baseline - candidate) / baseline * 100.0,
        (false, true) => 100.0,
        _ => 0.0,
    }
}
