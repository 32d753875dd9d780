//! Many replayed runs of a configuration: the figures `whatif` reports and the search ranks.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use teamtune_model::TeamConfig;

use super::fit::Twin;
use super::replay::{ReplayedRun, Replayer};
use crate::summary::p95;

/// What tuning minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Seconds spent per successful run: mean duration / success rate.
    #[default]
    SecondsPerSuccess,
    /// Tool calls spent per successful run.
    CallsPerSuccess,
    /// Tokens (in and out) spent per successful run; only for teams whose runs report them.
    TokensPerSuccess,
}

impl Objective {
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::SecondsPerSuccess => "seconds_per_success",
            Objective::CallsPerSuccess => "calls_per_success",
            Objective::TokensPerSuccess => "tokens_per_success",
        }
    }
}

/// The twin's figures for one configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prediction {
    pub runs: usize,
    pub mean_duration_seconds: f64,
    pub p95_duration_seconds: f64,
    pub success_rate: f64,
    /// `None` when no replayed run succeeded.
    pub seconds_per_success: Option<f64>,
    pub tool_calls_per_run: f64,
    pub calls_per_success: Option<f64>,
    /// `None` when the team's runs report no tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_run: Option<f64>,
    /// `None` when the team's runs report no tokens, or no replayed run succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_success: Option<f64>,
    /// Some replayed run never ended (a hang with no timeout to cut it).
    pub never_ends: bool,
}

impl Prediction {
    /// The figures of `runs`; with `tokens`, their token figures too.
    pub fn of(runs: &[ReplayedRun], tokens: bool) -> Prediction {
        let n = runs.len().max(1) as f64;
        let never_ends = runs.iter().any(|r| !r.duration_seconds.is_finite());
        let durations: Vec<f64> = runs.iter().map(|r| r.duration_seconds).collect();
        let successes = runs.iter().filter(|r| r.success).count() as f64;
        let mean = durations.iter().sum::<f64>() / n;
        let calls = runs.iter().map(|r| r.tool_calls as f64).sum::<f64>() / n;
        let tokens_per_run = tokens.then(|| runs.iter().map(|r| r.tokens).sum::<f64>() / n);
        let rate = successes / n;
        let finite = |v: f64| v.is_finite().then_some(v);
        Prediction {
            runs: runs.len(),
            mean_duration_seconds: if never_ends { f64::MAX } else { mean },
            p95_duration_seconds: if never_ends {
                f64::MAX
            } else {
                p95(&durations).unwrap_or(0.0)
            },
            success_rate: rate,
            seconds_per_success: (rate > 0.0 && !never_ends)
                .then(|| mean / rate)
                .and_then(finite),
            tool_calls_per_run: calls,
            calls_per_success: (rate > 0.0).then(|| calls / rate).and_then(finite),
            tokens_per_run,
            tokens_per_success: tokens_per_run
                .filter(|_| rate > 0.0)
                .map(|t| t / rate)
                .and_then(finite),
            never_ends,
        }
    }

    /// The objective's value: lower is better; infinite when nothing succeeds.
    pub fn value(&self, objective: Objective) -> f64 {
        match objective {
            Objective::SecondsPerSuccess => self.seconds_per_success,
            Objective::CallsPerSuccess => self.calls_per_success,
            Objective::TokensPerSuccess => self.tokens_per_success,
        }
        .unwrap_or(f64::INFINITY)
    }
}

impl Twin {
    /// `runs` replayed runs of `config`, seeded.
    pub fn replay(&self, config: &TeamConfig, runs: usize, seed: u64) -> Vec<ReplayedRun> {
        let replayer = Replayer::new(self, config);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..runs).map(|_| replayer.run(&mut rng)).collect()
    }

    /// The figures of `runs` replayed runs of `config`.
    pub fn predict(&self, config: &TeamConfig, runs: usize, seed: u64) -> Prediction {
        Prediction::of(&self.replay(config, runs, seed), self.reports_tokens)
    }
}
