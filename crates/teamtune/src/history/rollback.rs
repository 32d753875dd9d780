//! Rollback: `rollback --index N` returns the file, byte for byte, to its state before entry
//! N, whatever N's kind or status, undoing every change from N on that is still in effect,
//! and records itself as a `rollback` entry (pending first, then the atomic write, then the
//! statuses). A file that was deleted is restored with `--force`.

use serde::Serialize;
use teamtune_store::{HistoryEntry, HistoryKind, HistoryStatus, NewHistoryEntry, Store};

use super::reconcile::reconcile;
use crate::autotuner::{Access, Autotuner};
use crate::change_record::{self, RollbackRecord};
use crate::error::Error;

/// What a rollback did. Entries are named by their history index, as `teamtune history`
/// lists them.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    pub team_id: String,
    pub file: String,
    /// The entry whose previous state was restored.
    pub restored_before_index: u64,
    /// History indexes of the changes undone.
    pub undone: Vec<u64>,
    /// The history index of the rollback entry itself.
    pub history_index: u64,
    pub automatic: bool,
}

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
        rollback_to(store, &entries, i as usize, force, false, None)
    }
}

/// Whether the file still holds what `e` wrote: a kept or verified change of either kind.
fn in_effect(e: &HistoryEntry) -> bool {
    e.status.in_effect()
}

/// What the file should hold now: what the newest entry that wrote it left there (a change
/// undone later was followed by the rollback that undid it), else the file as it was before
/// its first entry.
fn expected_content<'a>(entries: &'a [HistoryEntry], path: &std::path::Path) -> &'a str {
    let of_file = || entries.iter().filter(|e| e.file_path == path);
    let written = |e: &&HistoryEntry| {
        e.status.in_effect()
            || (e.kind == HistoryKind::Apply && e.status == HistoryStatus::RolledBack)
    };
    match of_file().rev().find(written) {
        Some(e) => &e.new_content,
        None => of_file().next().map_or("", |e| e.previous_content.as_str()),
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
    let current = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Error::Input {
                path: path.clone(),
                message: e.to_string(),
            });
        }
    };
    let undone: Vec<&HistoryEntry> = entries[pos..]
        .iter()
        .filter(|e| in_effect(e) && e.file_path == *path)
        .collect();
    let expected = expected_content(entries, path);
    match current.as_deref() {
        None if !force => {
            return Err(Error::FileChanged {
                path: path.clone(),
                when: "since the history recorded it: it was deleted. Use --force to restore it"
                    .into(),
            });
        }
        Some(text) if text != expected && !force => {
            return Err(Error::FileChanged {
                path: path.clone(),
                when: "since teamtune last wrote it (edited by hand?); refusing to roll back over it. Use --force to restore it anyway".into(),
            });
        }
        Some(text) if text == target.previous_content => {
            return Err(Error::NothingToRollBack {
                team_id: target.team_id.clone(),
                index: target.index,
            });
        }
        _ => {}
    }
    let undone_indexes: Vec<u64> = undone.iter().map(|e| e.index).collect();
    let entry = store.add_history(&NewHistoryEntry {
        team_id: target.team_id.clone(),
        kind: HistoryKind::Rollback,
        file_path: path.clone(),
        previous_content: current.unwrap_or_default(),
        new_content: target.previous_content.clone(),
        suggestion: None,
        result: change_record::write(&RollbackRecord {
            undone: undone_indexes.clone(),
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
    for e in &undone {
        store.set_history_status(e.id, &HistoryStatus::RolledBack, None)?;
    }
    store.set_history_status(entry.id, &HistoryStatus::Kept, None)?;
    Ok(RollbackReport {
        team_id: target.team_id.clone(),
        file: path.display().to_string(),
        restored_before_index: target.index,
        undone: undone_indexes,
        history_index: entry.index,
        automatic,
    })
}
