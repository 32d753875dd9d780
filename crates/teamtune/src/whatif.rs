//! `whatif`: what the team's twin predicts for a configuration the user describes with
//! `--set KEY=VALUE` (the current one with those keys changed), with intervals from twins
//! refitted on resampled runs, and how well the twin fits. Nothing is run or written.

use std::path::Path;

use indexmap::IndexMap;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use teamtune_analysis::twin::{
    FitCheck, MemberInfo, Objective, Observation, Prediction, SearchSpace, TuningLimits, Twin,
};
use teamtune_model::{Formation, TeamConfig, TeamNode, load_file};
use teamtune_store::RunQuery;

use crate::autotuner::{Access, Autotuner};
use crate::error::Error;
use crate::trial::{TrialRunner, WorkflowRunner};

/// A figure of a prediction, by name.
type Figure = (&'static str, fn(&Prediction) -> Option<f64>);

/// Twins refitted on resampled runs for the intervals.
const BOOTSTRAP_TWINS: usize = 20;

/// `teamtune whatif --json`.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIfReport {
    pub team_id: String,
    /// The team's configuration with the settings applied.
    pub config: TeamConfig,
    pub objective: Objective,
    pub predicted: WhatIfPrediction,
    /// The twin's figures for the configuration in the file, for comparison.
    pub current: Prediction,
    pub fit: FitCheck,
    /// The runs were of simulated members: the figures describe the simulator.
    pub simulated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatIfPrediction {
    pub mean_duration_seconds: f64,
    pub p95_duration_seconds: f64,
    pub success_rate: f64,
    pub seconds_per_success: Option<f64>,
    pub tool_calls_per_run: f64,
    /// Present when the team's runs report tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_run: Option<f64>,
    /// 90% intervals over twins refitted on resampled runs, by figure.
    pub intervals: IndexMap<String, [f64; 2]>,
}

impl Autotuner {
    /// Predicts team `team_id` of `config_path` with `settings` (`KEY=VALUE` pairs) applied,
    /// from the team's recorded runs in its current configuration.
    pub fn whatif(
        &self,
        team_id: &str,
        config_path: &Path,
        settings: &[String],
        runs: usize,
        seed: u64,
    ) -> Result<WhatIfReport, Error> {
        let file = load_file(config_path)?;
        let (workflow, team) = file.resolve_team(team_id)?;
        let current = TeamConfig::of(team);
        let runner = WorkflowRunner::new(
            workflow.clone(),
            config_path.display().to_string(),
            teamtune_engine::HitlPolicy::Approve,
            IndexMap::new(),
        )?;
        let hash = runner.config_hash(team_id, &current)?;
        let records = self.using_store(Access::Read, |store| {
            Ok(store.team_runs(team_id, &RunQuery::new().config_hash(hash))?)
        })?;
        let config = with_settings(team, &current, settings)?;
        let observation = Observation::new(current.clone(), records);
        let twin =
            Twin::fit(team_id, std::slice::from_ref(&observation)).map_err(|e| Error::NoTwin {
                team_id: team_id.to_string(),
                message: e.to_string(),
            })?;
        let fit = twin.check(seed);
        let point = twin.predict(&config, runs, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut samples: Vec<Prediction> = Vec::new();
        for b in 0..BOOTSTRAP_TWINS {
            let n = observation.runs.len();
            let resampled: Vec<_> = (0..n)
                .map(|_| observation.runs[rng.random_range(0..n)].clone())
                .collect();
            if let Ok(t) = Twin::fit(team_id, &[Observation::new(current.clone(), resampled)]) {
                samples.push(t.predict(&config, runs.min(1000), seed ^ b as u64));
            }
        }
        let mut intervals = IndexMap::new();
        let figures: [Figure; 6] = [
            ("mean_duration_seconds", |p| Some(p.mean_duration_seconds)),
            ("p95_duration_seconds", |p| Some(p.p95_duration_seconds)),
            ("success_rate", |p| Some(p.success_rate)),
            ("seconds_per_success", |p| p.seconds_per_success),
            ("tool_calls_per_run", |p| Some(p.tool_calls_per_run)),
            ("tokens_per_run", |p| p.tokens_per_run),
        ];
        for (name, get) in figures {
            let mut v: Vec<f64> = samples
                .iter()
                .filter_map(get)
                .filter(|x| x.is_finite())
                .collect();
            v.sort_by(f64::total_cmp);
            if let (Some(lo), Some(hi)) = (
                v.get((v.len() as f64 * 0.05) as usize),
                v.get(((v.len() as f64 * 0.95) as usize).min(v.len().saturating_sub(1))),
            ) {
                intervals.insert(name.to_string(), [*lo, *hi]);
            }
        }
        Ok(WhatIfReport {
            team_id: team_id.to_string(),
            current: twin.predict(&current, runs, seed),
            predicted: WhatIfPrediction {
                mean_duration_seconds: point.mean_duration_seconds,
                p95_duration_seconds: point.p95_duration_seconds,
                success_rate: point.success_rate,
                seconds_per_success: point.seconds_per_success,
                tool_calls_per_run: point.tool_calls_per_run,
                tokens_per_run: point.tokens_per_run,
                intervals,
            },
            config,
            objective: Objective::SecondsPerSuccess,
            fit,
            simulated: runner.is_simulated(),
        })
    }
}

/// `current` with `KEY=VALUE` settings applied.
fn with_settings(
    team: &TeamNode,
    current: &TeamConfig,
    settings: &[String],
) -> Result<TeamConfig, Error> {
    let mut cfg = current.clone();
    let bad = |setting: &str, message: String| Error::Setting {
        setting: setting.to_string(),
        message,
    };
    for s in settings {
        let (key, value) = s
            .split_once('=')
            .ok_or_else(|| bad(s, "expected KEY=VALUE".into()))?;
        let (key, value) = (key.trim(), value.trim());
        let count = |v: &str| -> Result<Option<u32>, Error> {
            match v {
                "none" => Ok(None),
                _ => v
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| bad(s, format!("`{v}` is not a whole number or `none`"))),
            }
        };
        match key {
            "team_formation" => {
                cfg.team_formation = value
                    .parse::<Formation>()
                    .map_err(|e| bad(s, e.to_string()))?;
            }
            "members" => {
                let n: usize = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=64).contains(n))
                    .ok_or_else(|| bad(s, format!("`{value}` is not a member count (1 to 64)")))?;
                let members = MemberInfo::of_team(team);
                let limits = TuningLimits {
                    max_members: Some(64),
                    ..TuningLimits::default()
                };
                let space = SearchSpace::new(&cfg, &members, &limits);
                if !space.sizes.contains(&n) {
                    return Err(bad(
                        s,
                        format!(
                            "the team can have {} members: only members with the same role and goal are interchangeable",
                            space
                                .sizes
                                .iter()
                                .map(usize::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                cfg = space.resized(n);
            }
            "tool_budget" => {
                let b = count(value)?;
                cfg.members.iter_mut().for_each(|m| m.tool_budget = b);
            }
            "timeout_seconds" => {
                cfg.timeout_seconds = match value {
                    "none" => None,
                    v => Some(
                        v.parse::<f64>()
                            .ok()
                            .filter(|t| t.is_finite() && *t > 0.0 && *t < 1e7)
                            .ok_or_else(|| {
                                bad(s, format!("`{v}` is not a timeout in seconds or `none`"))
                            })?,
                    ),
                };
            }
            "max_iterations" => {
                cfg.max_iterations = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| bad(s, format!("`{value}` is not a round count (1 to 1000)")))?;
            }
            other => {
                let member = other
                    .strip_prefix("members.")
                    .and_then(|r| r.strip_suffix(".tool_budget"))
                    .ok_or_else(|| {
                        bad(
                            s,
                            "keys: team_formation, members, tool_budget, members.ID.tool_budget, timeout_seconds, max_iterations".into(),
                        )
                    })?;
                let b = count(value)?;
                let m = cfg
                    .members
                    .iter_mut()
                    .find(|m| m.id == member)
                    .ok_or_else(|| bad(s, format!("the team has no member `{member}`")))?;
                m.tool_budget = b;
            }
        }
    }
    Ok(cfg)
}
