//! The [`HistoryStore`] trait: the change history. Each applied or
//! rolled-back change is one [`HistoryEntry`] holding the whole workflow file before and after,
//! so a rollback can restore it byte for byte. Entries are numbered per team from 0, oldest
//! first, as `teamtune history` lists them.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// A suggestion was written into the workflow file.
    Apply,
    /// The file was returned to an earlier state.
    Rollback,
}

impl HistoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryKind::Apply => "apply",
            HistoryKind::Rollback => "rollback",
        }
    }
}

impl fmt::Display for HistoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HistoryKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "apply" => Ok(HistoryKind::Apply),
            "rollback" => Ok(HistoryKind::Rollback),
            other => Err(format!("unknown history kind '{other}'")),
        }
    }
}

/// Where a change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryStatus {
    /// Recorded, file not yet written or A/B/auto-rollback verdict still open.
    Pending,
    /// The change is in effect.
    Kept,
    /// The change is in effect and the auto-rollback check found no regression.
    Verified,
    /// The change was undone (by `rollback` or auto-rollback).
    RolledBack,
    /// The change was tried and not kept (A/B failed or inconclusive).
    Rejected,
    /// Interrupted before the file was written; the file was not changed.
    Abandoned,
}

impl HistoryStatus {
    pub const ALL: [HistoryStatus; 6] = [
        HistoryStatus::Pending,
        HistoryStatus::Kept,
        HistoryStatus::Verified,
        HistoryStatus::RolledBack,
        HistoryStatus::Rejected,
        HistoryStatus::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryStatus::Pending => "pending",
            HistoryStatus::Kept => "kept",
            HistoryStatus::Verified => "verified",
            HistoryStatus::RolledBack => "rolled_back",
            HistoryStatus::Rejected => "rejected",
            HistoryStatus::Abandoned => "abandoned",
        }
    }

    /// Whether the change is in effect (kept, verified or not).
    pub fn in_effect(self) -> bool {
        matches!(self, HistoryStatus::Kept | HistoryStatus::Verified)
    }
}

impl FromStr for HistoryStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HistoryStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown history status '{s}'"))
    }
}

impl fmt::Display for HistoryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A history entry to record; the store assigns `id`, `index` and `created_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHistoryEntry {
    pub team_id: String,
    pub kind: HistoryKind,
    /// The workflow file that was (or is about to be) changed.
    pub file_path: PathBuf,
    /// The whole file before the change.
    pub previous_content: String,
    /// The whole file after the change.
    pub new_content: String,
    /// The suggestion that was applied (rollbacks: usually `None`).
    pub suggestion: Option<serde_json::Value>,
    /// The A/B result or rollback details.
    pub result: Option<serde_json::Value>,
    pub status: HistoryStatus,
    /// The team's newest run seq at apply time, so auto-rollback reads only later runs.
    pub pre_change_seq: Option<i64>,
    pub note: Option<String>,
}

/// A recorded history entry.
///
/// It serializes as `teamtune history --json` lists it: `index`, `created_at`, `kind`, `file`,
/// `suggestion`, `result`, `status` and `note`. The index is the one number users see; the
/// store-wide id, the team (listings are per team), the whole file before and after, and the
/// run seq stay out: they are the store's bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// Store-wide id, for [`HistoryStore::set_history_status`]; never shown to users.
    #[serde(skip_serializing)]
    pub id: i64,
    #[serde(skip_serializing)]
    pub team_id: String,
    /// 0-based position in the team's history, oldest first.
    pub index: u64,
    /// When it was recorded, RFC 3339 UTC with milliseconds.
    pub created_at: String,
    pub kind: HistoryKind,
    #[serde(rename = "file")]
    pub file_path: PathBuf,
    #[serde(skip_serializing)]
    pub previous_content: String,
    #[serde(skip_serializing)]
    pub new_content: String,
    pub suggestion: Option<serde_json::Value>,
    pub result: Option<serde_json::Value>,
    pub status: HistoryStatus,
    #[serde(skip_serializing)]
    pub pre_change_seq: Option<i64>,
    pub note: Option<String>,
}

/// Where the change history is kept. Every write is committed durably (fsync) before the
/// method returns, so the caller may write the workflow file right after.
pub trait HistoryStore {
    /// Records an entry as the team's newest and returns it as stored.
    fn add_history(&mut self, entry: &NewHistoryEntry) -> Result<HistoryEntry, StoreError>;

    /// The team's entries, oldest first (`index` 0, 1, ...).
    fn history(&self, team_id: &str) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Sets an entry's status; `Some(note)` replaces its note, `None` keeps it. Fails with
    /// [`StoreError::HistoryNotFound`] for an unknown id.
    fn set_history_status(
        &mut self,
        id: i64,
        status: &HistoryStatus,
        note: Option<&str>,
    ) -> Result<(), StoreError>;

    /// One entry by id, `None` if there is none.
    fn history_entry(&self, id: i64) -> Result<Option<HistoryEntry>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_text() {
        for s in HistoryStatus::ALL {
            assert_eq!(s.as_str().parse::<HistoryStatus>(), Ok(s));
        }
        assert!("dry_run".parse::<HistoryStatus>().is_err());
    }

    #[test]
    fn status_serialises_as_plain_string() {
        assert_eq!(
            serde_json::to_string(&HistoryStatus::RolledBack).unwrap(),
            "\"rolled_back\""
        );
        let s: HistoryStatus = serde_json::from_str("\"kept\"").unwrap();
        assert_eq!(s, HistoryStatus::Kept);
    }

    #[test]
    fn entry_serialises_as_listed_without_the_file_contents() {
        let entry = HistoryEntry {
            id: 7,
            team_id: "t".into(),
            index: 0,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            kind: HistoryKind::Apply,
            file_path: PathBuf::from("team.yaml"),
            previous_content: "before".into(),
            new_content: "after".into(),
            suggestion: None,
            result: Some(serde_json::json!({"validation_status": "passed"})),
            status: HistoryStatus::Kept,
            pre_change_seq: Some(3),
            note: None,
        };
        let v = serde_json::to_value(&entry).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "created_at",
                "file",
                "index",
                "kind",
                "note",
                "result",
                "status",
                "suggestion"
            ]
        );
        assert_eq!(v["file"], "team.yaml");
        assert_eq!(v["kind"], "apply");
        assert_eq!(v["status"], "kept");
    }

    #[test]
    fn kind_parses_its_names() {
        assert_eq!("apply".parse::<HistoryKind>(), Ok(HistoryKind::Apply));
        assert_eq!("rollback".parse::<HistoryKind>(), Ok(HistoryKind::Rollback));
        assert!("other".parse::<HistoryKind>().is_err());
    }
}
