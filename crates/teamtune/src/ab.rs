//! A/B runs: the baseline and the candidate configuration of a team run N times each,
//! interleaved, each pair on the same seed and inputs, every run recorded with its variant.
//! The decision (improvement, Welch, Mann-Whitney, bootstrap, guardrails) is the analysis
//! crate's.

use indexmap::IndexMap;
use serde_json::Value as Json;
use teamtune_analysis::{
    AbDecision, AbMetric, DecisionRules, RunOutcome, decide, decide_reliability,
};
use teamtune_engine::{Engine, HitlPolicy, RunOptions, run_seed};
use teamtune_model::{TeamRunRecord, Variant, WorkflowRunRecord};
use teamtune_store::MetricsStore;

use crate::error::Error;

/// What an A/B test runs with.
#[derive(Debug, Clone)]
pub struct AbPlan {
    pub team_id: String,
    pub runs: u64,
    pub seed: u64,
    pub hitl: HitlPolicy,
    pub inputs: IndexMap<String, Json>,
    pub rules: DecisionRules,
    /// What the test judges: duration (the default) or, for changes that trade time for
    /// reliability, the success rate.
    pub metric: AbMetric,
}

#[derive(Debug, Clone)]
pub struct AbOutcome {
    pub decision: AbDecision,
    pub baseline: Vec<TeamRunRecord>,
    pub candidate: Vec<TeamRunRecord>,
    pub virtual_time: bool,
}

/// Progress of a long operation, for the caller to render.
pub type ProgressFn<'a> = &'a mut dyn FnMut(u64, u64);

pub fn outcomes(records: &[TeamRunRecord]) -> Vec<RunOutcome> {
    records
        .iter()
        .map(|r| RunOutcome {
            duration_seconds: r.duration_seconds,
            success: r.success,
            tool_calls: r.total_tool_calls,
        })
        .collect()
}

fn team_records<'a>(
    run: &'a WorkflowRunRecord,
    team_id: &'a str,
) -> impl Iterator<Item = TeamRunRecord> + 'a {
    run.team_runs
        .iter()
        .filter(move |t| t.team_id == team_id)
        .cloned()
}

/// Runs the A/B test and records every run in `store` (when given).
pub fn run_ab(
    baseline: &Engine,
    candidate: &Engine,
    plan: &AbPlan,
    store: Option<&mut dyn MetricsStore>,
    progress: ProgressFn<'_>,
) -> Result<AbOutcome, Error> {
    let virtual_time =
        crate::batch::uses_virtual_time(baseline) && crate::batch::uses_virtual_time(candidate);
    let rt = if virtual_time {
        teamtune_engine::virtual_runtime()?
    } else {
        teamtune_engine::real_runtime()?
    };
    let mut base = Vec::new();
    let mut cand = Vec::new();
    let mut pending = Vec::new();
    let total = plan.runs * 2;
    rt.block_on(async {
        for i in 0..plan.runs {
            for (engine, variant) in [
                (baseline, Variant::Baseline),
                (candidate, Variant::Candidate),
            ] {
                let opts = RunOptions {
                    seed: run_seed(plan.seed, i),
                    inputs: plan.inputs.clone(),
                    hitl: plan.hitl,
                    responder: None,
                    events: None,
                    variant: Some(variant),
                    virtual_time,
                };
                let run = crate::batch::interruptible(engine.run(&opts), virtual_time).await?;
                let target = if variant == Variant::Baseline {
                    &mut base
                } else {
                    &mut cand
                };
                target.extend(team_records(&run, &plan.team_id));
                pending.push(run);
                progress(pending.len() as u64, total);
            }
        }
        Ok::<(), Error>(())
    })?;
    if let Some(store) = store {
        store.record_runs(&pending)?;
    }
    if base.is_empty() || cand.is_empty() {
        return Err(Error::Usage(format!(
            "team `{}` did not run in the A/B runs (baseline ran it {} times, candidate {} times); is it reachable with these inputs?",
            plan.team_id,
            base.len(),
            cand.len()
        )));
    }
    let decision = match plan.metric {
        AbMetric::Duration => decide(&outcomes(&base), &outcomes(&cand), &plan.rules, plan.seed),
        AbMetric::SuccessRate => {
            decide_reliability(&outcomes(&base), &outcomes(&cand), &plan.rules, plan.seed)
        }
    };
    Ok(AbOutcome {
        decision,
        baseline: base,
        candidate: cand,
        virtual_time,
    })
}
