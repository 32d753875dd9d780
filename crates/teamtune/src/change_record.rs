//! What a history entry's `result` holds, typed: written by `apply` and `rollback`, read by
//! the auto-rollback check and by recovery after an interruption. Serialized one way, for the
//! store, `history --json` and the Python package; a malformed record is an error naming the
//! entry, never a silent default.

use serde::{Deserialize, Serialize};
use teamtune_analysis::{AbMetric, AbStatus};
use teamtune_store::HistoryEntry;

use crate::error::Error;

/// The result of an applied change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyRecord {
    pub validation_status: AbStatus,
    pub improvement_percentage: Option<f64>,
    /// The team's configuration hash before and after the change.
    pub old_config_hash: String,
    pub new_config_hash: String,
    /// The store's newest run of the team when the change was written: later runs are the
    /// change's.
    pub apply_seq: Option<i64>,
    pub auto_rollback: bool,
    /// Runs after the change the auto-rollback check waits for.
    pub auto_rollback_runs: u64,
    pub threshold_percent: f64,
    /// What the A/B test judged; the auto-rollback check judges the same.
    pub ab_metric: AbMetric,
}

/// The result of a rollback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackRecord {
    /// History indexes (the team's, as `teamtune history` numbers them) of the entries this
    /// rollback undid.
    pub undone: Vec<u64>,
    pub restored_before_index: u64,
    /// Made by the auto-rollback check rather than by the user.
    pub automatic: bool,
}

/// The typed result of `entry`, of the kind the caller expects.
pub(crate) fn read<T: for<'de> Deserialize<'de>>(entry: &HistoryEntry) -> Result<T, Error> {
    let corrupt = |message: String| Error::CorruptHistory {
        team_id: entry.team_id.clone(),
        index: entry.index,
        message,
    };
    let value = entry
        .result
        .clone()
        .ok_or_else(|| corrupt("the entry has no result".into()))?;
    serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))
}

/// `record` as the JSON the store keeps.
pub(crate) fn write(record: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(record).ok()
}
