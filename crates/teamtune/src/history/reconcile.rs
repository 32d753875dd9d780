//! Crash reconciliation: settles history entries left `pending` by an interrupted apply or
//! rollback, from what the file on disk shows.

use teamtune_store::{HistoryKind, HistoryStatus, Store};

use crate::change_record::{self, RollbackRecord};
use crate::error::Error;

/// Settles entries left `pending` by an interrupted apply or rollback: the file shows which
/// step was reached.
pub(crate) fn reconcile(store: &mut dyn Store, team_id: &str) -> Result<(), Error> {
    for e in store.history(team_id)? {
        if e.status != HistoryStatus::Pending {
            continue;
        }
        let on_disk = std::fs::read_to_string(&e.file_path).ok();
        if on_disk.as_deref() == Some(e.new_content.as_str()) {
            match e.kind {
                HistoryKind::Apply => store.set_history_status(
                    e.id,
                    &HistoryStatus::Kept,
                    Some("settled after an interruption: the file was written"),
                )?,
                HistoryKind::Rollback => {
                    let record: RollbackRecord = change_record::read(&e)?;
                    for id in record.undoes {
                        store.set_history_status(id, &HistoryStatus::RolledBack, None)?;
                    }
                    store.set_history_status(
                        e.id,
                        &HistoryStatus::Kept,
                        Some("settled after an interruption: the file was restored"),
                    )?;
                }
            }
        } else {
            store.set_history_status(
                e.id,
                &HistoryStatus::Abandoned,
                Some("interrupted before the file was written; the file was not changed"),
            )?;
        }
    }
    Ok(())
}
