//! Deciding an experiment on the runs so far. The sequential test of `apply --auto`
//! ([`teamtune_analysis::SequentialTest`]: anytime-valid, with non-inferiority guardrails) is
//! fed pairs: the k-th control run with the k-th candidate run, in the order the store
//! recorded them. Live runs share no seed, so a pair's two runs are independent draws; the
//! paired test stays valid for them (its variance then includes both arms' whole variance),
//! it just gains nothing from pairing. With a share below one half the control runs beyond
//! the candidate's count wait for partners: the test moves at the pace of the candidate
//! runs, which is what a small share costs.
//!
//! Each check replays every pair from the first, so its verdict is the first stop of one
//! fixed sequence (the store's order), whenever and however often it is looked at; and a
//! decision is written only if the experiment is still in the state it was judged in, so two
//! checkers, or a checker killed and restarted, record it once.

use serde::Serialize;
use teamtune_analysis::{
    AbStatus, Look, ObjectiveEstimate, SequentialDecision, SequentialGuardrail, SequentialRules,
    SequentialTest, Suggestion,
};
use teamtune_model::{TeamConfig, load_file};
use teamtune_store::{
    DecisionAction, Experiment, ExperimentStatus, HistoryKind, HistoryStatus, NewDecision, Store,
    StoreError,
};

use super::{find, runs_by_side};
use crate::apply::{ApplyMode, ApplyOptions, Current, OptimizationResult};
use crate::autotuner::{Access, Autotuner};
use crate::change_record::{self, ApplyRecord};
use crate::error::Error;

/// Candidate runs at one share before the share may go up a step.
pub const RAMP_STEP_CANDIDATE_RUNS: u64 = 10;

/// What a check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentVerdict {
    /// No decision yet: runs go on joining it.
    Continue,
    /// The guardrails held for a step: the candidate's share went up.
    RaiseShare,
    /// The candidate won: it was written into the file, with a history entry.
    Promote,
    /// A guardrail broke, or the candidate is significantly worse: nothing was written.
    Abort,
    /// No meaningful difference, or none found within the test's largest size.
    Inconclusive,
    /// The file's team is no longer the experiment's control: it cannot be judged.
    Stop,
    /// The experiment had already ended (its status says how).
    Ended,
}

impl ExperimentVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentVerdict::Continue => "continue",
            ExperimentVerdict::RaiseShare => "raise_share",
            ExperimentVerdict::Promote => "promote",
            ExperimentVerdict::Abort => "abort",
            ExperimentVerdict::Inconclusive => "inconclusive",
            ExperimentVerdict::Stop => "stop",
            ExperimentVerdict::Ended => "ended",
        }
    }

    fn action(self) -> Option<DecisionAction> {
        match self {
            ExperimentVerdict::RaiseShare => Some(DecisionAction::RaiseShare),
            ExperimentVerdict::Promote => Some(DecisionAction::Promote),
            ExperimentVerdict::Abort => Some(DecisionAction::Abort),
            ExperimentVerdict::Inconclusive => Some(DecisionAction::Inconclusive),
            ExperimentVerdict::Stop => Some(DecisionAction::Stop),
            ExperimentVerdict::Continue | ExperimentVerdict::Ended => None,
        }
    }
}

/// `experiment check --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentCheck {
    pub experiment_id: i64,
    pub team_id: String,
    pub verdict: ExperimentVerdict,
    /// The experiment's status after the check.
    pub status: ExperimentStatus,
    /// The candidate's share after the check.
    pub share: f64,
    pub control_runs: u64,
    pub candidate_runs: u64,
    /// Pairs the test looked at (control and candidate runs matched in recorded order).
    pub pairs: u64,
    pub reason: String,
    /// The test's verdict, when it stopped.
    pub decision: Option<SequentialDecision>,
    /// The objective and the guardrails at this look.
    pub estimate: Option<ObjectiveEstimate>,
    pub guardrails: Vec<SequentialGuardrail>,
    /// The history entry of the promotion.
    pub history_index: Option<u64>,
    /// This check wrote the decision into the store (false for `continue`, for an ended
    /// experiment, and when another process recorded the same decision first).
    pub recorded: bool,
}

/// The test replayed on the pairs so far.
struct Replay {
    stopped: Option<SequentialDecision>,
    estimate: ObjectiveEstimate,
    guardrails: Vec<SequentialGuardrail>,
    pairs: u64,
}

fn replay(
    rules: SequentialRules,
    control: &[teamtune_analysis::RunOutcome],
    candidate: &[teamtune_analysis::RunOutcome],
    team_id: &str,
) -> Result<Replay, Error> {
    let mut test = SequentialTest::new(rules).map_err(|e| Error::Config {
        team_id: team_id.to_owned(),
        message: e.to_string(),
    })?;
    let mut stopped = None;
    for (b, c) in control.iter().zip(candidate) {
        if let Look::Stop(d) = test.push(*b, *c) {
            stopped = Some(*d);
            break;
        }
    }
    Ok(Replay {
        estimate: test.estimate(),
        guardrails: test.guardrails(),
        pairs: test.pairs() as u64,
        stopped,
    })
}

impl Autotuner {
    /// Judges experiment `id` on its runs so far and acts: promote (write the candidate into
    /// the file, with a history entry), abort, end inconclusive, raise the share a step, or
    /// let it run. Every decision is recorded with its evidence.
    pub fn check_experiment(&self, id: i64) -> Result<ExperimentCheck, Error> {
        self.using_store(Access::Existing, |store| {
            self.check_experiment_on(store, id)
        })
    }

    pub(crate) fn check_experiment_on(
        &self,
        store: &mut dyn Store,
        id: i64,
    ) -> Result<ExperimentCheck, Error> {
        let e = find(store, id)?;
        let (control, candidate) = runs_by_side(store, &e)?;
        let mut check = ExperimentCheck {
            experiment_id: id,
            team_id: e.team_id.clone(),
            verdict: ExperimentVerdict::Ended,
            status: e.status,
            share: e.share,
            control_runs: control.len() as u64,
            candidate_runs: candidate.len() as u64,
            pairs: 0,
            reason: String::new(),
            decision: None,
            estimate: None,
            guardrails: Vec::new(),
            history_index: e.history_index,
            recorded: false,
        };
        if e.status != ExperimentStatus::Running {
            check.reason = store
                .experiment_decisions(id)?
                .last()
                .map_or_else(String::new, |d| d.reason.clone());
            return Ok(check);
        }
        crate::history::reconcile(store, &e.team_id)?;
        let rules: SequentialRules = serde_json::from_value(e.rules.clone())
            .map_err(|err| corrupt(store, id, format!("rules: {err}")))?;
        let look = replay(rules, &control, &candidate, &e.team_id)?;
        check.pairs = look.pairs;
        check.estimate = Some(look.estimate.clone());
        check.guardrails = look.guardrails.clone();

        let file = load_file(&e.file_path)?;
        let (workflow, team) = file.resolve_team(&e.team_id)?;
        let on_file = team.config_hash();
        let (verdict, reason) = if on_file == e.candidate_hash {
            // A promotion wrote the file and was stopped before it was recorded.
            match promotion_entry(store, &e)? {
                Some(history_index) => {
                    check.history_index = Some(history_index);
                    (
                        ExperimentVerdict::Promote,
                        "the candidate was already written into the file (promotion completed after an interruption)".to_owned(),
                    )
                }
                None => (
                    ExperimentVerdict::Stop,
                    format!(
                        "{} already holds the candidate, written outside the experiment",
                        e.file_path.display()
                    ),
                ),
            }
        } else if on_file != e.control_hash {
            (
                ExperimentVerdict::Stop,
                format!(
                    "team `{}` in {} changed since the experiment started: runs no longer join it",
                    e.team_id,
                    e.file_path.display()
                ),
            )
        } else if let Some(d) = &look.stopped {
            let verdict = match d.status {
                AbStatus::Passed => ExperimentVerdict::Promote,
                AbStatus::Failed => ExperimentVerdict::Abort,
                _ => ExperimentVerdict::Inconclusive,
            };
            (verdict, d.reason.clone())
        } else {
            self.continue_or_raise(store, &e, &look, check.candidate_runs)?
        };
        check.verdict = verdict;
        check.reason = reason;
        check.decision = look.stopped.clone();

        let mut share_after = e.share;
        if verdict == ExperimentVerdict::Promote && check.history_index.is_none() {
            let candidate_cfg: TeamConfig = serde_json::from_value(e.candidate_config.clone())
                .map_err(|err| corrupt(store, id, format!("candidate config: {err}")))?;
            let suggestion: Suggestion = e
                .suggestion
                .clone()
                .and_then(|s| serde_json::from_value(s).ok())
                .ok_or_else(|| corrupt(store, id, "no readable suggestion".into()))?;
            let decision = look.stopped.as_ref();
            let mut opts = ApplyOptions::new(&e.team_id, &e.file_path, ApplyMode::Auto);
            opts.threshold_percent = rules.threshold_percent;
            let state = Current {
                text: file.source.clone(),
                workflow: workflow.clone(),
                config: TeamConfig::of(team),
                hash: e.control_hash.clone(),
            };
            let simulated = teamtune_engine::Engine::from_workflow(
                workflow.clone(),
                e.file_path.display().to_string(),
            )?
            .is_simulated();
            let mut suggestion = suggestion;
            suggestion.description = format!("{} (experiment {id})", suggestion.description);
            let mut result = OptimizationResult::untested(
                &opts,
                &state,
                &suggestion,
                candidate_cfg.clone(),
                simulated,
            );
            result.success = true;
            result.validation_status = AbStatus::Passed;
            result.improvement_percentage = decision.map(|d| d.improvement_percentage);
            result.reason = check.reason.clone();
            result.sequential = decision.map(|d| d.sequential);
            result.sequential_decision = decision.cloned();
            result.trial_runs = check.control_runs + check.candidate_runs;
            let history_index = self.write_change(
                store,
                &opts,
                &state,
                &candidate_cfg,
                &e.candidate_hash,
                &result,
            )?;
            check.history_index = Some(history_index);
        }
        if verdict == ExperimentVerdict::RaiseShare {
            share_after = next_share(&e).unwrap_or(e.share);
        }
        if let Some(action) = verdict.action() {
            check.recorded = store.decide_experiment(
                id,
                &NewDecision {
                    action,
                    share_before: e.share,
                    share_after,
                    control_runs: check.control_runs,
                    candidate_runs: check.candidate_runs,
                    evidence: serde_json::to_value(Evidence {
                        pairs: check.pairs,
                        decision: check.decision.as_ref(),
                        estimate: check.estimate.as_ref(),
                        guardrails: &check.guardrails,
                    })
                    .ok(),
                    history_index: check.history_index,
                    reason: check.reason.clone(),
                },
            )?;
            let now = find(store, id)?;
            check.status = now.status;
            check.share = now.share;
        }
        Ok(check)
    }

    fn continue_or_raise(
        &self,
        store: &dyn Store,
        e: &Experiment,
        look: &Replay,
        candidate_runs: u64,
    ) -> Result<(ExperimentVerdict, String), Error> {
        let waiting = format!(
            "no decision yet after {} pairs: seconds per successful run {:+.1}% (between {:+.1}% and {:+.1}%)",
            look.pairs,
            look.estimate.improvement_percentage,
            look.estimate.ci_low,
            look.estimate.ci_high
        );
        let Some(next) = next_share(e) else {
            return Ok((ExperimentVerdict::Continue, waiting));
        };
        let since_step = store
            .experiment_decisions(e.id)?
            .iter()
            .rev()
            .find(|d| matches!(d.action, DecisionAction::Start | DecisionAction::RaiseShare))
            .map_or(0, |d| d.candidate_runs);
        let at_this_share = candidate_runs.saturating_sub(since_step);
        let harmless = look.guardrails.iter().all(|g| g.acceptable);
        if at_this_share >= RAMP_STEP_CANDIDATE_RUNS && harmless {
            Ok((
                ExperimentVerdict::RaiseShare,
                format!(
                    "guardrails held over {at_this_share} candidate runs at {:.0}%: share raised to {:.0}%",
                    e.share * 100.0,
                    next * 100.0
                ),
            ))
        } else {
            Ok((ExperimentVerdict::Continue, waiting))
        }
    }
}

/// What a recorded decision was taken on.
#[derive(Serialize)]
struct Evidence<'a> {
    pairs: u64,
    decision: Option<&'a SequentialDecision>,
    estimate: Option<&'a ObjectiveEstimate>,
    guardrails: &'a [SequentialGuardrail],
}

/// The next share of the experiment's ramp above its current one.
fn next_share(e: &Experiment) -> Option<f64> {
    e.ramp.iter().copied().find(|s| *s > e.share)
}

/// The history entry that wrote the experiment's candidate into the file, if one did.
fn promotion_entry(store: &dyn Store, e: &Experiment) -> Result<Option<u64>, Error> {
    for entry in store.history(&e.team_id)?.iter().rev() {
        if entry.kind != HistoryKind::Apply
            || !matches!(entry.status, HistoryStatus::Kept | HistoryStatus::Verified)
        {
            continue;
        }
        let r: ApplyRecord = change_record::read(entry)?;
        if r.new_config_hash == e.candidate_hash && r.old_config_hash == e.control_hash {
            return Ok(Some(entry.index));
        }
    }
    Ok(None)
}

fn corrupt(store: &dyn Store, id: i64, problem: String) -> Error {
    StoreError::CorruptExperiment {
        path: store.location().into(),
        id,
        problem,
    }
    .into()
}
