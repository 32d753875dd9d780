//! Crash reconciliation: settles history entries left `pending` by an interrupted apply or
//! rollback, from what the file on disk shows. [`settled`] works on a listing in memory (for
//! commands that only read); [`reconcile`] writes the same settlement to the store.

use teamtune_store::{HistoryEntry, HistoryKind, HistoryStatus, Store};

use crate::change_record::{self, RollbackRecord};
use crate::error::Error;

/// One status change that settling an interrupted entry makes.
struct Settlement {
    id: i64,
    status: HistoryStatus,
    note: Option<&'static str>,
}

/// What the file on disk says about each `pending` entry: written (the apply is kept, the
/// rollback is kept and what it undid rolled back) or not (abandoned).
fn settlements(entries: &[HistoryEntry]) -> Result<Vec<Settlement>, Error> {
    let mut out = Vec::new();
    for e in entries
        .iter()
        .filter(|e| e.status == HistoryStatus::Pending)
    {
        let on_disk = std::fs::read_to_string(&e.file_path).ok();
        if on_disk.as_deref() != Some(e.new_content.as_str()) {
            out.push(Settlement {
                id: e.id,
                status: HistoryStatus::Abandoned,
                note: Some("interrupted before the file was written; the file was not changed"),
            });
            continue;
        }
        match e.kind {
            HistoryKind::Apply => out.push(Settlement {
                id: e.id,
                status: HistoryStatus::Kept,
                note: Some("settled after an interruption: the file was written"),
            }),
            HistoryKind::Rollback => {
                let record: RollbackRecord = change_record::read(e)?;
                for index in record.undone {
                    let undone = entries.iter().find(|u| u.index == index).ok_or_else(|| {
                        Error::CorruptHistory {
                            team_id: e.team_id.clone(),
                            index: e.index,
                            message: format!("it undoes entry {index}, which does not exist"),
                        }
                    })?;
                    out.push(Settlement {
                        id: undone.id,
                        status: HistoryStatus::RolledBack,
                        note: None,
                    });
                }
                out.push(Settlement {
                    id: e.id,
                    status: HistoryStatus::Kept,
                    note: Some("settled after an interruption: the file was restored"),
                });
            }
        }
    }
    Ok(out)
}

/// Settles the team's entries left `pending` by an interrupted apply or rollback, in the
/// store.
pub(crate) fn reconcile(store: &mut dyn Store, team_id: &str) -> Result<(), Error> {
    for s in settlements(&store.history(team_id)?)? {
        store.set_history_status(s.id, &s.status, s.note)?;
    }
    Ok(())
}

/// The listing as [`reconcile`] would leave it, without writing to the store.
pub(crate) fn settled(mut entries: Vec<HistoryEntry>) -> Result<Vec<HistoryEntry>, Error> {
    for s in settlements(&entries)? {
        if let Some(e) = entries.iter_mut().find(|e| e.id == s.id) {
            e.status = s.status;
            if let Some(note) = s.note {
                e.note = Some(note.to_string());
            }
        }
    }
    Ok(entries)
}
