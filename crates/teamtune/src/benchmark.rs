//! `benchmark --before A --after B`: both workflow files run N times each, interleaved on
//! shared seeds, and compared with the A/B statistics. Nothing is written but the runs.

use std::path::Path;

use indexmap::IndexMap;
use serde::Serialize;
use teamtune_analysis::{AbDecision, DecisionRules};
use teamtune_engine::{Engine, HitlPolicy};
use teamtune_model::load_file;

use crate::ab::{AbPlan, ProgressFn, run_ab};
use crate::autotuner::Autotuner;
use crate::error::Error;

#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkReport {
    pub team_id: String,
    pub before: String,
    pub after: String,
    pub runs: u64,
    pub virtual_time: bool,
    pub improvement_percentage: f64,
    pub status: String,
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
            None => {
                let teams: Vec<String> = a
                    .workflows
                    .values()
                    .flat_map(|w| w.teams().map(|t| t.id.clone()))
                    .collect();
                match teams.as_slice() {
                    [one] => one.clone(),
                    [] => {
                        return Err(Error::Usage(format!(
                            "{} has no team node to compare",
                            before.display()
                        )));
                    }
                    _ => {
                        return Err(Error::Usage(format!(
                            "{} has several teams ({}); pick one with --team-id",
                            before.display(),
                            teams.join(", ")
                        )));
                    }
                }
            }
        };
        let (wa, _) = a
            .resolve_team(&team_id)
            .map_err(|e| Error::Usage(e.to_string()))?;
        let (wb, _) = b
            .resolve_team(&team_id)
            .map_err(|e| Error::Usage(e.to_string()))?;
        let ea = Engine::from_workflow(wa.clone(), before.display().to_string())?;
        let eb = Engine::from_workflow(wb.clone(), after.display().to_string())?;
        let plan = AbPlan {
            team_id: team_id.clone(),
            runs,
            seed,
            hitl,
            inputs: IndexMap::new(),
            rules: DecisionRules::default(),
            metric: teamtune_analysis::AbMetric::Duration,
        };
        let mut store = self.open_store()?;
        let ab = run_ab(&ea, &eb, &plan, Some(&mut store), progress)?;
        Ok(BenchmarkReport {
            team_id,
            before: before.display().to_string(),
            after: after.display().to_string(),
            runs,
            virtual_time: ab.virtual_time,
            improvement_percentage: ab.decision.improvement_percentage,
            status: ab.decision.status.as_str().to_string(),
            decision: ab.decision,
        })
    }
}
