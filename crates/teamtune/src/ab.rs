//! A/B runs: the baseline and the candidate configuration of a team run N times each,
//! interleaved, each pair on the same seed and inputs, every run recorded with its variant.
//! The runs are the [`TrialRunner`]'s to make: one after another here, or at once on
//! workers; either way the pairs, their seeds and their order are the same, so is the
//! verdict.
//! The decision (improvement, Welch, Mann-Whitney, bootstrap, guardrails) is the analysis
//! crate's.

use teamtune_analysis::{
    AbDecision, AbMetric, DecisionRules, Look, RunOutcome, SequentialDecision, SequentialRules,
    SequentialTest, decide, decide_reliability,
};
use teamtune_engine::run_seed;
use teamtune_model::{TeamConfig, TeamRunRecord, Variant, WorkflowRunRecord};
use teamtune_store::Store;

use crate::error::Error;
use crate::trial::{Trial, TrialRunner};

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

/// The trials of A/B pairs `pairs` (baseline then candidate, pair `i` on seed
/// `run_seed(seed, i)`).
fn pair_trials(
    base: &TeamConfig,
    candidate: &TeamConfig,
    seed: u64,
    pairs: std::ops::Range<u64>,
) -> Vec<Trial> {
    pairs
        .flat_map(|i| {
            let seed = run_seed(seed, i);
            [(base, Variant::Baseline), (candidate, Variant::Candidate)].map(|(config, v)| Trial {
                config: config.clone(),
                seed,
                variant: Some(v),
            })
        })
        .collect()
}

/// Runs the A/B test (all pairs handed to `runner` at once, each pair on one seed, the
/// baseline first) and records every run in `store` (when given), even when a run fails
/// part way.
pub fn run_ab(
    runner: &mut dyn TrialRunner,
    configs: (&TeamConfig, &TeamConfig),
    plan: &AbPlan,
    store: Option<&mut dyn Store>,
    progress: ProgressFn<'_>,
) -> Result<AbOutcome, Error> {
    let virtual_time = runner.is_simulated();
    let total = plan.runs * 2;
    let trials = pair_trials(configs.0, configs.1, plan.seed, 0..plan.runs);
    let batch = runner.run_trials(&plan.team_id, &trials, &mut |done| progress(done, total));
    let mut base = Vec::new();
    let mut cand = Vec::new();
    for (trial, record) in trials.iter().zip(&batch.records) {
        let target = if trial.variant == Some(Variant::Baseline) {
            &mut base
        } else {
            &mut cand
        };
        target.extend(team_records(record, &plan.team_id));
    }
    if let Some(store) = store {
        store.record_runs(&batch.records)?;
    }
    if let Some(e) = batch.error {
        return Err(e);
    }
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
/// the sequential test stops or `rules.max_pairs` is reached. Pairs are asked of `runner`
/// [`parallelism`](TrialRunner::parallelism) at a time and looked at in order; pairs made
/// past the one the test stopped at are dropped, so the verdict, and the runs recorded, are
/// those of one pair at a time. Every run kept is recorded in `store`, even when a run fails
/// part way.
pub fn run_sequential_ab(
    runner: &mut dyn TrialRunner,
    configs: (&TeamConfig, &TeamConfig),
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
    let max_pairs = rules.max_pairs as u64;
    let total = max_pairs * 2;
    let window = runner.parallelism().max(1) as u64;
    let mut ran = || -> Result<Option<SequentialDecision>, Error> {
        let mut next = 0;
        while next < max_pairs {
            let pairs = next..(next + window).min(max_pairs);
            next = pairs.end;
            let trials = pair_trials(configs.0, configs.1, seed, pairs);
            let made_before = pending.len() as u64;
            let batch = runner.run_trials(team_id, &trials, &mut |done| {
                progress(made_before + done, total)
            });
            let mut records = batch.records.into_iter();
            for _ in 0..trials.len() / 2 {
                let mut pair = [None, None];
                for (k, slot) in pair.iter_mut().enumerate() {
                    let Some(record) = records.next() else {
                        // The batch stopped inside this pair: what ran is kept.
                        return Err(batch.error.unwrap_or_else(|| Error::TeamDidNotRun {
                            team_id: team_id.to_string(),
                            baseline: base.len(),
                            candidate: cand.len(),
                        }));
                    };
                    let team: Vec<TeamRunRecord> = team_records(&record, team_id).collect();
                    *slot = team.first().map(RunOutcome::from_record);
                    if k == 0 {
                        base.extend(team);
                    } else {
                        cand.extend(team);
                    }
                    pending.push(record);
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
            if let Some(e) = batch.error {
                return Err(e);
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
