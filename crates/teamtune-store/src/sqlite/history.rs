//! [`HistoryStore`] for [`SqliteStore`]. An entry's per-team `index` is assigned inside the
//! same `BEGIN IMMEDIATE` transaction that inserts it (and a UNIQUE constraint backs it), so
//! concurrent writers cannot hand out the same number. Writes commit with
//! `synchronous = FULL`: the caller overwrites the workflow file right after, and the entry
//! holding the old file must survive a power cut that happens then.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{SqliteStore, pragma_err};
use crate::{HistoryEntry, HistoryStatus, HistoryStore, NewHistoryEntry, StoreError};

const COLUMNS: &str = "id, team_id, idx, created_at, kind, file_path, previous_content, new_content, \
     suggestion_json, result_json, status, pre_change_seq, note";

impl HistoryStore for SqliteStore {
    fn add_history(&mut self, entry: &NewHistoryEntry) -> Result<HistoryEntry, StoreError> {
        let file_path = entry
            .file_path
            .to_str()
            .ok_or_else(|| StoreError::NonUtf8Path {
                path: self.path.clone(),
                file: entry.file_path.clone(),
            })?;
        let to_json = |field, value: &Option<serde_json::Value>| {
            value
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|source| StoreError::HistoryJson {
                    path: self.path.clone(),
                    team_id: entry.team_id.clone(),
                    field,
                    source,
                })
        };
        let suggestion_json = to_json("suggestion", &entry.suggestion)?;
        let result_json = to_json("result", &entry.result)?;

        self.with_full_sync(|conn, path| {
            let err = |action| move |source| crate::error::sqlite_error(path, action, source);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err("starting the history transaction"))?;
            tx.execute(
                "INSERT INTO history (team_id, idx, created_at, kind, file_path, previous_content, \
                 new_content, suggestion_json, result_json, status, pre_change_seq, note) \
                 VALUES (?1, (SELECT COALESCE(MAX(idx) + 1, 0) FROM history WHERE team_id = ?1), \
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    entry.team_id,
                    entry.kind.as_str(),
                    file_path,
                    entry.previous_content,
                    entry.new_content,
                    suggestion_json,
                    result_json,
                    entry.status.as_str(),
                    entry.pre_change_seq,
                    entry.note,
                ],
            )
            .map_err(err("recording a history entry"))?;
            let id = tx.last_insert_rowid();
            let stored = read_entry(&tx, path, id)?.ok_or(StoreError::HistoryNotFound {
                path: path.to_path_buf(),
                id,
            })?;
            tx.commit().map_err(err("committing a history entry"))?;
            Ok(stored)
        })
    }

    fn history(&self, team_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let err = self.err("reading the history");
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM history WHERE team_id = ?1 ORDER BY idx"
            ))
            .map_err(&err)?;
        let rows = stmt
            .query_map([team_id], RawEntry::from_row)
            .map_err(&err)?;
        let mut out = Vec::new();
        for raw in rows {
            out.push(raw.map_err(&err)?.into_entry(&self.path)?);
        }
        Ok(out)
    }

    fn set_history_status(
        &mut self,
        id: i64,
        status: &HistoryStatus,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let changed = self.with_full_sync(|conn, path| {
            conn.execute(
                "UPDATE history SET status = ?2, note = COALESCE(?3, note) WHERE id = ?1",
                params![id, status.as_str(), note],
            )
            .map_err(|source| crate::error::sqlite_error(path, "updating a history entry", source))
        })?;
        if changed == 0 {
            return Err(StoreError::HistoryNotFound {
                path: self.path.clone(),
                id,
            });
        }
        Ok(())
    }

    fn history_entry(&self, id: i64) -> Result<Option<HistoryEntry>, StoreError> {
        read_entry(&self.conn, &self.path, id)
    }
}

impl SqliteStore {
    /// Runs `f` with `synchronous = FULL`, restoring NORMAL afterwards even if `f` fails.
    fn with_full_sync<T>(
        &mut self,
        f: impl FnOnce(&mut Connection, &Path) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(pragma_err(&self.path, "synchronous"))?;
        let result = f(&mut self.conn, &self.path);
        let restored = self
            .conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(pragma_err(&self.path, "synchronous"));
        let value = result?;
        restored?;
        Ok(value)
    }
}

fn read_entry(conn: &Connection, path: &Path, id: i64) -> Result<Option<HistoryEntry>, StoreError> {
    let raw = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM history WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], RawEntry::from_row).optional())
        .map_err(|source| crate::error::sqlite_error(path, "reading a history entry", source))?;
    raw.map(|r| r.into_entry(path)).transpose()
}

/// A history row as SQLite holds it, before the text columns are parsed.
struct RawEntry {
    id: i64,
    team_id: String,
    idx: i64,
    created_at: String,
    kind: String,
    file_path: String,
    previous_content: String,
    new_content: String,
    suggestion_json: Option<String>,
    result_json: Option<String>,
    status: String,
    pre_change_seq: Option<i64>,
    note: Option<String>,
}

impl RawEntry {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawEntry> {
        Ok(RawEntry {
            id: row.get(0)?,
            team_id: row.get(1)?,
            idx: row.get(2)?,
            created_at: row.get(3)?,
            kind: row.get(4)?,
            file_path: row.get(5)?,
            previous_content: row.get(6)?,
            new_content: row.get(7)?,
            suggestion_json: row.get(8)?,
            result_json: row.get(9)?,
            status: row.get(10)?,
            pre_change_seq: row.get(11)?,
            note: row.get(12)?,
        })
    }

    fn into_entry(self, path: &Path) -> Result<HistoryEntry, StoreError> {
        let id = self.id;
        let corrupt = |problem: String| StoreError::CorruptHistory {
            path: path.to_path_buf(),
            id,
            problem,
        };
        let json = |field: &str, text: Option<String>| {
            text.map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(|e| corrupt(format!("{field} is not valid JSON: {e}")))
        };
        Ok(HistoryEntry {
            id,
            index: u64::try_from(self.idx)
                .map_err(|_| corrupt(format!("negative index {}", self.idx)))?,
            kind: self.kind.parse().map_err(corrupt)?,
            suggestion: json("suggestion_json", self.suggestion_json)?,
            result: json("result_json", self.result_json)?,
            team_id: self.team_id,
            created_at: self.created_at,
            file_path: PathBuf::from(self.file_path),
            previous_content: self.previous_content,
            new_content: self.new_content,
            status: self.status.parse().map_err(corrupt)?,
            pre_change_seq: self.pre_change_seq,
            note: self.note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HistoryKind;
    use serde_json::json;

    fn entry(team: &str, before: &str, after: &str) -> NewHistoryEntry {
        NewHistoryEntry {
            team_id: team.to_string(),
            kind: HistoryKind::Apply,
            file_path: PathBuf::from("flows/review.yaml"),
            previous_content: before.to_string(),
            new_content: after.to_string(),
            suggestion: Some(json!({"id": "s1", "type": "team_sizing"})),
            result: None,
            status: HistoryStatus::Pending,
            pre_change_seq: Some(42),
            note: None,
        }
    }

    #[test]
    fn entries_are_numbered_per_team_from_zero() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let a0 = store.add_history(&entry("a", "1", "2")).unwrap();
        let b0 = store.add_history(&entry("b", "x", "y")).unwrap();
        let a1 = store.add_history(&entry("a", "2", "3")).unwrap();
        assert_eq!((a0.index, b0.index, a1.index), (0, 0, 1));
        let history = store.history("a").unwrap();
        assert_eq!(
            history
                .iter()
                .map(|e| e.new_content.as_str())
                .collect::<Vec<_>>(),
            ["2", "3"]
        );
    }

    #[test]
    fn stored_entry_round_trips_every_field() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let new = entry("a", "# comment\nkeep: me\n", "keep: you\n");
        let stored = store.add_history(&new).unwrap();
        assert_eq!(stored.kind, HistoryKind::Apply);
        assert_eq!(stored.file_path, new.file_path);
        assert_eq!(stored.previous_content, new.previous_content);
        assert_eq!(stored.suggestion, new.suggestion);
        assert_eq!(stored.pre_change_seq, Some(42));
        assert!(
            stored.created_at.ends_with('Z') && stored.created_at.contains('T'),
            "{}",
            stored.created_at
        );
        assert_eq!(store.history_entry(stored.id).unwrap(), Some(stored));
        assert_eq!(store.history_entry(9999).unwrap(), None);
    }

    #[test]
    fn status_update_keeps_note_unless_given() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let mut new = entry("a", "1", "2");
        new.note = Some("first".into());
        let id = store.add_history(&new).unwrap().id;
        store
            .set_history_status(id, &HistoryStatus::Kept, None)
            .unwrap();
        let e = store.history_entry(id).unwrap().unwrap();
        assert_eq!(
            (e.status, e.note.as_deref()),
            (HistoryStatus::Kept, Some("first"))
        );
        store
            .set_history_status(id, &HistoryStatus::RolledBack, Some("p95 +80%"))
            .unwrap();
        let e = store.history_entry(id).unwrap().unwrap();
        assert_eq!(
            (e.status, e.note.as_deref()),
            (HistoryStatus::RolledBack, Some("p95 +80%"))
        );
    }

    #[test]
    fn unknown_id_is_an_error() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let err = store
            .set_history_status(7, &HistoryStatus::Kept, None)
            .unwrap_err();
        assert!(
            matches!(err, StoreError::HistoryNotFound { id: 7, .. }),
            "{err}"
        );
    }

    #[test]
    fn corrupt_kind_is_reported_with_the_entry_id() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let id = store.add_history(&entry("a", "1", "2")).unwrap().id;
        store
            .conn
            .execute("UPDATE history SET kind = 'explode' WHERE id = ?1", [id])
            .unwrap();
        let err = store.history("a").unwrap_err();
        assert!(matches!(err, StoreError::CorruptHistory { .. }), "{err}");
        assert!(err.to_string().contains("explode"), "{err}");
    }
}
