//! The [`ExperimentStore`] trait: live experiments. An experiment holds a candidate
//! configuration of a team and the share of the team's own runs that use it; `teamtune run`
//! reads the running one, labels each run it joins with the experiment's id and a variant,
//! and the decisions taken on those runs (share raised, promoted, aborted, ...) are kept with
//! their evidence, one row each. The SQLite implementation is in `sqlite/experiment.rs`.
//!
//! State changes are conditional on the state they start from (a decision on a running
//! experiment is recorded only if it is still running), so two processes checking the same
//! experiment record a decision once, and a restarted one finds it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{StoreError, StoredTeamRun};

/// Where an experiment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentStatus {
    /// Runs join it.
    Running,
    /// The candidate was written into the workflow file.
    Promoted,
    /// A guardrail broke or the candidate was significantly worse; nothing was written.
    Aborted,
    /// The test reached its largest size without a decision; nothing was written.
    Inconclusive,
    /// Stopped by hand (`experiment stop`), or because the workflow file's team changed.
    Stopped,
}

impl ExperimentStatus {
    pub const ALL: [ExperimentStatus; 5] = [
        ExperimentStatus::Running,
        ExperimentStatus::Promoted,
        ExperimentStatus::Aborted,
        ExperimentStatus::Inconclusive,
        ExperimentStatus::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentStatus::Running => "running",
            ExperimentStatus::Promoted => "promoted",
            ExperimentStatus::Aborted => "aborted",
            ExperimentStatus::Inconclusive => "inconclusive",
            ExperimentStatus::Stopped => "stopped",
        }
    }
}

impl fmt::Display for ExperimentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExperimentStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExperimentStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown experiment status '{s}'"))
    }
}

/// What a recorded decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionAction {
    /// The experiment started.
    Start,
    /// The guardrails held: the candidate's share went up a step.
    RaiseShare,
    Promote,
    Abort,
    /// No decision at the test's largest size.
    Inconclusive,
    Stop,
}

impl DecisionAction {
    pub const ALL: [DecisionAction; 6] = [
        DecisionAction::Start,
        DecisionAction::RaiseShare,
        DecisionAction::Promote,
        DecisionAction::Abort,
        DecisionAction::Inconclusive,
        DecisionAction::Stop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionAction::Start => "start",
            DecisionAction::RaiseShare => "raise_share",
            DecisionAction::Promote => "promote",
            DecisionAction::Abort => "abort",
            DecisionAction::Inconclusive => "inconclusive",
            DecisionAction::Stop => "stop",
        }
    }

    /// The status an experiment ends in after this action; `None` for actions that leave it
    /// running.
    pub fn ends_in(self) -> Option<ExperimentStatus> {
        match self {
            DecisionAction::Start | DecisionAction::RaiseShare => None,
            DecisionAction::Promote => Some(ExperimentStatus::Promoted),
            DecisionAction::Abort => Some(ExperimentStatus::Aborted),
            DecisionAction::Inconclusive => Some(ExperimentStatus::Inconclusive),
            DecisionAction::Stop => Some(ExperimentStatus::Stopped),
        }
    }
}

impl fmt::Display for DecisionAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DecisionAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DecisionAction::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown experiment decision '{s}'"))
    }
}

/// An experiment to store. The configurations and the test's rules are the caller's JSON:
/// the store keeps them as given.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExperiment {
    pub team_id: String,
    /// The workflow file the candidate is promoted into.
    pub file_path: PathBuf,
    /// The share of the team's runs that use the candidate at first, in (0, 1).
    pub share: f64,
    /// The shares the candidate steps up through while its guardrails hold.
    pub ramp: Vec<f64>,
    pub control_hash: String,
    pub control_config: serde_json::Value,
    pub candidate_hash: String,
    pub candidate_config: serde_json::Value,
    /// The suggestion the candidate came from, if any.
    pub suggestion: Option<serde_json::Value>,
    /// The test's rules, fixed at the start.
    pub rules: serde_json::Value,
    /// The team's newest run when the experiment started: its runs come later.
    pub start_seq: Option<i64>,
    pub note: Option<String>,
}

/// A stored experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    pub id: i64,
    pub team_id: String,
    pub file_path: PathBuf,
    pub created_at: String,
    pub status: ExperimentStatus,
    /// The candidate's share now.
    pub share: f64,
    pub ramp: Vec<f64>,
    pub control_hash: String,
    pub control_config: serde_json::Value,
    pub candidate_hash: String,
    pub candidate_config: serde_json::Value,
    pub suggestion: Option<serde_json::Value>,
    pub rules: serde_json::Value,
    pub start_seq: Option<i64>,
    pub ended_at: Option<String>,
    /// The history entry of the promotion.
    pub history_index: Option<u64>,
    pub note: Option<String>,
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    pub action: DecisionAction,
    pub share_before: f64,
    pub share_after: f64,
    pub control_runs: u64,
    pub candidate_runs: u64,
    /// What the decision was taken on (the test's verdict, its interval and guardrails).
    pub evidence: Option<serde_json::Value>,
    pub history_index: Option<u64>,
    pub reason: String,
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentDecision {
    pub id: i64,
    pub experiment_id: i64,
    pub created_at: String,
    pub action: DecisionAction,
    pub share_before: f64,
    pub share_after: f64,
    pub control_runs: u64,
    pub candidate_runs: u64,
    pub evidence: Option<serde_json::Value>,
    pub history_index: Option<u64>,
    pub reason: String,
}

/// Where experiments are kept. Object safe.
pub trait ExperimentStore {
    /// Stores a running experiment and its `start` decision in one transaction. Fails with
    /// [`StoreError::ExperimentRunning`] when the team already has a running one.
    fn start_experiment(
        &mut self,
        experiment: &NewExperiment,
        reason: &str,
    ) -> Result<Experiment, StoreError>;

    fn experiment(&self, id: i64) -> Result<Option<Experiment>, StoreError>;

    /// Every experiment, newest first; only `team_id`'s when given.
    fn experiments(&self, team_id: Option<&str>) -> Result<Vec<Experiment>, StoreError>;

    /// The team's running experiment, if any.
    fn running_experiment(&self, team_id: &str) -> Result<Option<Experiment>, StoreError>;

    /// Records `decision` if the experiment is still running with the share the decision
    /// starts from, and moves the experiment on (a new share, or the status the action ends
    /// in), in one transaction. Returns `false`, recording nothing, when another process
    /// decided first.
    fn decide_experiment(&mut self, id: i64, decision: &NewDecision) -> Result<bool, StoreError>;

    /// The experiment's decisions, oldest first.
    fn experiment_decisions(&self, id: i64) -> Result<Vec<ExperimentDecision>, StoreError>;

    /// The runs of team `team_id` labelled with experiment `id`, oldest first.
    fn experiment_runs(&self, team_id: &str, id: i64) -> Result<Vec<StoredTeamRun>, StoreError>;
}
