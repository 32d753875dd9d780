//! `benchmark --before A --after B`: both workflow files run N times each, interleaved on
//! shared seeds, and compared with the A/B statistics. Nothing is written but the runs.

use std::path::Path;

use indexmap::IndexMap;
use serde::Serialize;
use teamtune_analysis::{AbDecision, DecisionRules};
use teamtune_engine::HitlPolicy;
use teamtune_model::{TeamConfig, Variant, load_file};

use crate::ab::{AbPlan, ProgressFn, run_ab};
use crate::autotuner::{Access, Autotuner};
use crate::error::Error;
use crate::trial::{TrialRunner, WorkflowRunner};
use crate::workers::{JobSource, QueuedRunner};
use teamtune_model::WorkflowFile;

#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkReport {
    pub team_id: String,
    /// The two workflow files (the decision's `before` and `after` are their metrics).
    pub before_file: String,
    pub after_file: String,
    pub runs: u64,
    pub virtual_time: bool,
    /// The decision: `status`, `improvement_percentage`, the statistics and guardrails.
    #[serde(flatten)]
    pub decision: AbDecision,
}

impl Autotuner {
    #[allow(clippy::too_many_arguments)]
    pub fn benchmark(
        &self,
        before: &Path,
        after: &Path,
        team_id: Option<&str>,
        runs: u64,
        seed: u64,
        hitl: HitlPolicy,
        progress: ProgressFn<'_>,
    ) -> Result<BenchmarkReport, Error> {
        let a = load_file(before)?;
        let b = load_file(after)?;
        let team_id = match team_id {
            Some(t) => t.to_string(),
            None => only_team(&a)?,
        };
        let (wa, ta) = a.resolve_team(&team_id)?;
        let (wb, tb) = b.resolve_team(&team_id)?;
        let config_a = TeamConfig::of(ta);
        let config_b = TeamConfig::of(tb);
        let ra = WorkflowRunner::new(
            wa.clone(),
            before.display().to_string(),
            hitl,
            IndexMap::new(),
        )?;
        let rb = WorkflowRunner::new(
            wb.clone(),
            after.display().to_string(),
            hitl,
            IndexMap::new(),
        )?;
        let virtual_time = ra.is_simulated() && rb.is_simulated();
        let local = TwoFiles {
            before: ra,
            after: rb,
        };
        let mut runner: Box<dyn TrialRunner> = match self.trial_queue()? {
            None => Box::new(local),
            Some(queue) => {
                let source = |path: &Path, file: &WorkflowFile| JobSource {
                    file: path.display().to_string(),
                    text: file.source.clone(),
                };
                Box::new(QueuedRunner::new(
                    local,
                    queue,
                    (source(before, &a), source(after, &b)),
                    hitl,
                    IndexMap::new(),
                )?)
            }
        };
        let plan = AbPlan {
            team_id: team_id.clone(),
            runs,
            seed,
            rules: DecisionRules::default(),
            metric: teamtune_analysis::AbMetric::Duration,
        };
        let ab = self.using_store(Access::Create, |store| {
            run_ab(
                runner.as_mut(),
                (&config_a, &config_b),
                &plan,
                Some(store),
                progress,
            )
        })?;
        Ok(BenchmarkReport {
            team_id,
            before_file: before.display().to_string(),
            after_file: after.display().to_string(),
            runs,
            virtual_time,
            decision: ab.decision,
        })
    }
}

/// The two files of a benchmark as one runner: the baseline side runs `before`, the
/// candidate side `after`.
struct TwoFiles {
    before: WorkflowRunner,
    after: WorkflowRunner,
}

impl TrialRunner for TwoFiles {
    fn is_simulated(&self) -> bool {
        self.before.is_simulated() && self.after.is_simulated()
    }

    fn config_hash(&self, team_id: &str, config: &TeamConfig) -> Result<String, Error> {
        self.before.config_hash(team_id, config)
    }

    fn run(
        &mut self,
        team_id: &str,
        config: &TeamConfig,
        seeds: &[u64],
        variant: Option<Variant>,
    ) -> Result<Vec<teamtune_model::WorkflowRunRecord>, Error> {
        match variant {
            Some(Variant::Candidate) => self.after.run(team_id, config, seeds, variant),
            _ => self.before.run(team_id, config, seeds, variant),
        }
    }
}

/// The file's only team node, or an error saying there are none or several.
fn only_team(file: &WorkflowFile) -> Result<String, Error> {
    let mut teams = file.team_ids();
    match teams.len() {
        1 => Ok(teams.remove(0)),
        0 => Err(Error::NoTeam {
            path: file.path.clone(),
        }),
        _ => Err(Error::AmbiguousTeam {
            path: file.path.clone(),
            teams,
        }),
    }
}
