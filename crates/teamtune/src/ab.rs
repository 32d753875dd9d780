//! A/B runs: the baseline and the candidate configuration of a team run N times each,
//! interleaved, each pair on the same seed and inputs, every run recorded with its variant.
//! The decision (improvement, Welch, Mann-Whitney, bootstrap, guardrails) is the analysis
//! crate's.

use teamtune_analysis::{
    AbDecision, AbMetric, DecisionRules, Look, RunOutcome, SequentialDecision, SequentialRules,
    SequentialTest, decide, decide_reliability,
};
use teamtune_engine::run_seed;
use teamtune_model::{TeamRunRecord, Variant, WorkflowRunRecord};
use teamtune_store::Store;

use crate::error::Error;

/// What an A/B test runs with.
#[derive(Debug, Clone)]
pub struct AbPlan {
    pub team_id: String,
    pub runs: u64,
    pub seed: u64,
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
    records.iter().map(RunOutcome::from_record).collect()
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

/// Runs one side of an A/B test: the workflow once per seed, with the team in the
/// variant's configuration.
pub type ArmRunner<'a> =
    &'a mut dyn FnMut(Variant, &[u64]) -> Result<Vec<WorkflowRunRecord>, Error>;

/// Runs the A/B test (pairs interleaved, each pair on one seed) and records every run in
/// `store` (when given), even when a run fails part way.
pub fn run_ab(
    run: ArmRunner<'_>,
    virtual_time: bool,
    plan: &AbPlan,
    store: Option<&mut dyn Store>,
    progress: ProgressFn<'_>,
) -> Result<AbOutcome, Error> {
    let mut base = Vec::new();
    let mut cand = Vec::new();
    let mut pending = Vec::new();
    let total = plan.runs * 2;
    let mut ran = || -> Result<(), Error> {
        for i in 0..plan.runs {
            let seed = [run_seed(plan.seed, i)];
            for variant in [Variant::Baseline, Variant::Candidate] {
                for record in run(variant, &seed)? {
                    let target = if variant == Variant::Baseline {
                        &mut base
                    } else {
                        &mut cand
                    };
                    target.extend(team_records(&record, &plan.team_id));
                    pending.push(record);
                }
                progress(pending.len() as u64, total);
            }
        }
        Ok(())
    };
    let outcome = ran();
    if let Some(store) = store {
        store.record_runs(&pending)?;
    }
    outcome?;
    if base.is_empty() || cand.is_empty() {
        return Err(Error::TeamDidNotRun {
            team_id: plan.team_id.clone(),
            baseline: base.len(),
            candidate: cand.len(),
        });
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

/// A sequential A/B test's runs and verdict.
#[derive(Debug, Clone)]
pub struct SequentialOutcome {
    pub decision: SequentialDecision,
    pub baseline: Vec<TeamRunRecord>,
    pub candidate: Vec<TeamRunRecord>,
}

/// Runs pairs (baseline then candidate, on one seed each) and looks after every pair, until
/// the sequential test stops or `rules.max_pairs` is reached. Every run is recorded in
/// `store`, even when a run fails part way.
pub fn run_sequential_ab(
    run: ArmRunner<'_>,
    team_id: &str,
    seed: u64,
    rules: SequentialRules,
    store: &mut dyn Store,
    progress: ProgressFn<'_>,
) -> Result<SequentialOutcome, Error> {
    let mut test = SequentialTest::new(rules).map_err(|e| Error::Config {
        team_id: team_id.to_string(),
        message: e.to_string(),
    })?;
    let mut base = Vec::new();
    let mut cand = Vec::new();
    let mut pending = Vec::new();
    let total = rules.max_pairs as u64 * 2;
    let mut ran = || -> Result<Option<SequentialDecision>, Error> {
        for i in 0..rules.max_pairs as u64 {
            let seeds = [run_seed(seed, i)];
            let mut pair = [None, None];
            for (k, variant) in [Variant::Baseline, Variant::Candidate]
                .into_iter()
                .enumerate()
            {
                for record in run(variant, &seeds)? {
                    let team: Vec<TeamRunRecord> = team_records(&record, team_id).collect();
                    if let Some(t) = team.first() {
                        pair[k] = Some(RunOutcome::from_record(t));
                    }
                    if variant == Variant::Baseline {
                        base.extend(team);
                    } else {
                        cand.extend(team);
                    }
                    pending.push(record);
                }
                progress(pending.len() as u64, total);
            }
            let [Some(b), Some(c)] = pair else {
                return Err(Error::TeamDidNotRun {
                    team_id: team_id.to_string(),
                    baseline: base.len(),
                    candidate: cand.len(),
                });
            };
            if let Look::Stop(decision) = test.push(b, c) {
                return Ok(Some(*decision));
            }
        }
        Ok(None)
    };
    let outcome = ran();
    store.record_runs(&pending)?;
    let decision = match outcome? {
        Some(d) => d,
        None => test.finish(),
    };
    Ok(SequentialOutcome {
        decision,
        baseline: base,
        candidate: cand,
    })
}
