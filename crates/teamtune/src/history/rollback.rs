//! Rollback: `rollback --index N` returns the file, byte for byte, to its state before entry
//! N, undoing N and every later change in effect, and records itself as a `rollback` entry
//! (pending first, then the atomic write, then the statuses).

use serde::Serialize;
use teamtune_store::{HistoryEntry, HistoryKind, HistoryStatus, NewHistoryEntry, Store};

use super::in_effect;
use super::reconcile::reconcile;
use crate::autotuner::{Access, Autotuner};
use crate::change_record::{self, RollbackRecord};
use crate::error::Error;

/// What a rollback did.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    pub team_id: String,
    pub file: String,
    /// The entry whose previous state was restored.
    pub restored_before_index: u64,
    /// History ids of the changes undone.
    pub undone: Vec<i64>,
    pub history_id: i64,
    pub automatic: bool,
}

/// What the auto-rollback check found.
impl Autotuner {
    /// Rolls back to the state before entry `index` (negative counts from the newest; -1 is
    /// the latest entry).
    pub fn rollback(
        &self,
        team_id: &str,
        index: i64,
        force: bool,
    ) -> Result<RollbackReport, Error> {
        self.using_store(Access::Existing, |store| {
            self.rollback_on(store, team_id, index, force)
        })
    }

    fn rollback_on(
        &self,
        store: &mut dyn Store,
        team_id: &str,
        index: i64,
        force: bool,
    ) -> Result<RollbackReport, Error> {
        reconcile(store, team_id)?;
        let entries = store.history(team_id)?;
        if entries.is_empty() {
            return Err(Error::NoHistory {
                team_id: team_id.to_string(),
            });
        }
        let n = entries.len() as i64;
        let i = if index < 0 { n + index } else { index };
        if !(0..n).contains(&i) {
            return Err(Error::HistoryIndex {
                team_id: team_id.to_string(),
                index,
                len: entries.len(),
            });
        }
        let target = &entries[i as usize];
        if !in_effect(target) {
            return Err(Error::NotInEffect {
                team_id: team_id.to_string(),
                index: i as usize,
                kind: target.kind.to_string(),
                status: target.status.to_string(),
            });
        }
        rollback_to(store, &entries, i as usize, force, false, None)
    }
}

/// Restores the file to its state before `entries[pos]`: history entry first (pending), then
/// the atomic write, then the statuses.
pub(super) fn rollback_to(
    store: &mut dyn Store,
    entries: &[HistoryEntry],
    pos: usize,
    force: bool,
    automatic: bool,
    note: Option<&str>,
) -> Result<RollbackReport, Error> {
    let target = &entries[pos];
    let path = &target.file_path;
    let newest = entries
        .iter()
        .rev()
        .find(|e| in_effect(e) && e.file_path == *path)
        .unwrap_or(target);
    let current = std::fs::read_to_string(path).map_err(|e| Error::Input {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if current != newest.new_content && !force {
        return Err(Error::FileChanged {
            path: path.clone(),
            when: format!(
                "since history entry {} wrote it (edited by hand?); refusing to roll back over it. Use --force to restore it anyway",
                newest.index
            ),
        });
    }
    let undone: Vec<i64> = entries[pos..]
        .iter()
        .filter(|e| in_effect(e) && e.file_path == *path)
        .map(|e| e.id)
        .collect();
    let entry = store.add_history(&NewHistoryEntry {
        team_id: target.team_id.clone(),
        kind: HistoryKind::Rollback,
        file_path: path.clone(),
        previous_content: current,
        new_content: target.previous_content.clone(),
        suggestion: None,
        result: change_record::write(&RollbackRecord {
            undoes: undone.clone(),
            restored_before_index: target.index,
            automatic,
        }),
        status: HistoryStatus::Pending,
        pre_change_seq: None,
        note: note.map(str::to_string).or_else(|| {
            Some(format!(
                "rolled back to the state before entry {}",
                target.index
            ))
        }),
    })?;
    crate::atomic_write(path, target.previous_content.as_bytes())?;
    for id in &undone {
        store.set_history_status(*id, &HistoryStatus::RolledBack, None)?;
    }
    store.set_history_status(entry.id, &HistoryStatus::Kept, None)?;
    Ok(RollbackReport {
        team_id: target.team_id.clone(),
        file: path.display().to_string(),
        restored_before_index: target.index,
        undone,
        history_id: entry.id,
        automatic,
    })
}
