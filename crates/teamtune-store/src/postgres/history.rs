//! [`HistoryStore`] for [`PostgresStore`]. An entry's per-team `index` is assigned in the
//! transaction that inserts it, under the write lock (and a UNIQUE constraint backs it), and
//! the commit waits for the server's write-ahead log (`synchronous_commit = on`): the caller
//! overwrites the workflow file right after.

use std::path::PathBuf;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{NOW, PostgresStore, WRITE_LOCK};
use crate::{HistoryEntry, HistoryStatus, HistoryStore, NewHistoryEntry, StoreError};

const COLUMNS: &str = "id, team_id, idx, created_at, kind, file_path, previous_content, \
     new_content, suggestion_json, result_json, status, pre_change_seq, note";

impl PostgresStore {
    fn entry(&self, row: &Row) -> Result<HistoryEntry, StoreError> {
        let id: i64 = row.get(0);
        let corrupt = |problem: String| StoreError::CorruptHistory {
            path: self.path().to_path_buf(),
            id,
            problem,
        };
        let json = |field: &str, text: Option<String>| {
            text.map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(|e| corrupt(format!("{field} is not valid JSON: {e}")))
        };
        let idx: i64 = row.get(2);
        let kind: String = row.get(4);
        let status: String = row.get(10);
        Ok(HistoryEntry {
            id,
            team_id: row.get(1),
            index: u64::try_from(idx).map_err(|_| corrupt(format!("negative index {idx}")))?,
            created_at: row.get(3),
            kind: kind.parse().map_err(corrupt)?,
            file_path: PathBuf::from(row.get::<_, String>(5)),
            previous_content: row.get(6),
            new_content: row.get(7),
            suggestion: json("suggestion_json", row.get(8))?,
            result: json("result_json", row.get(9))?,
            status: status.parse().map_err(corrupt)?,
            pre_change_seq: row.get(11),
            note: row.get(12),
        })
    }

    async fn read_entry(
        &self,
        client: &impl GenericClient,
        id: i64,
    ) -> Result<Option<HistoryEntry>, StoreError> {
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM history WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(self.err("reading a history entry"))?;
        row.map(|r| self.entry(&r)).transpose()
    }

    fn history_json(
        &self,
        entry: &NewHistoryEntry,
        field: &'static str,
        value: &Option<serde_json::Value>,
    ) -> Result<Option<String>, StoreError> {
        value
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|source| StoreError::HistoryJson {
                path: self.path().to_path_buf(),
                team_id: entry.team_id.clone(),
                field,
                source,
            })
    }
}

impl HistoryStore for PostgresStore {
    fn add_history(&mut self, entry: &NewHistoryEntry) -> Result<HistoryEntry, StoreError> {
        let file_path = entry
            .file_path
            .to_str()
            .ok_or_else(|| StoreError::NonUtf8Path {
                path: self.path().to_path_buf(),
                file: entry.file_path.clone(),
            })?;
        let suggestion = self.history_json(entry, "suggestion", &entry.suggestion)?;
        let result = self.history_json(entry, "result", &entry.result)?;
        self.block(async {
            let mut client = self.client().await?;
            let err = |action| self.err(action);
            let tx = client
                .transaction()
                .await
                .map_err(err("starting the history transaction"))?;
            tx.batch_execute("SET LOCAL synchronous_commit = on")
                .await
                .map_err(err("asking for a durable commit"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .await
                .map_err(err("waiting for the write lock"))?;
            let id: i64 = tx
                .query_one(
                    &format!(
                        "INSERT INTO history (team_id, idx, created_at, kind, file_path, \
                         previous_content, new_content, suggestion_json, result_json, status, \
                         pre_change_seq, note) VALUES ($1, (SELECT COALESCE(MAX(idx) + 1, 0) \
                         FROM history WHERE team_id = $1), {NOW}, $2, $3, $4, $5, $6, $7, $8, \
                         $9, $10) RETURNING id"
                    ),
                    &[
                        &entry.team_id,
                        &entry.kind.as_str(),
                        &file_path,
                        &entry.previous_content,
                        &entry.new_content,
                        &suggestion,
                        &result,
                        &entry.status.as_str(),
                        &entry.pre_change_seq,
                        &entry.note,
                    ],
                )
                .await
                .map_err(err("recording a history entry"))?
                .get(0);
            let stored = self
                .read_entry(&tx, id)
                .await?
                .ok_or(StoreError::HistoryNotFound {
                    path: self.path().to_path_buf(),
                    id,
                })?;
            tx.commit()
                .await
                .map_err(err("committing a history entry"))?;
            Ok(stored)
        })
    }

    fn history(&self, team_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!("SELECT {COLUMNS} FROM history WHERE team_id = $1 ORDER BY idx"),
                    &[&team_id],
                )
                .await
                .map_err(self.err("reading the history"))?;
            rows.iter().map(|r| self.entry(r)).collect()
        })
    }

    fn set_history_status(
        &mut self,
        id: i64,
        status: &HistoryStatus,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let changed = self.block(async {
            let mut client = self.client().await?;
            let err = |action| self.err(action);
            let tx = client
                .transaction()
                .await
                .map_err(err("starting the history transaction"))?;
            tx.batch_execute("SET LOCAL synchronous_commit = on")
                .await
                .map_err(err("asking for a durable commit"))?;
            let changed = tx
                .execute(
                    "UPDATE history SET status = $2, note = COALESCE($3, note) WHERE id = $1",
                    &[&id, &status.as_str(), &note],
                )
                .await
                .map_err(err("updating a history entry"))?;
            tx.commit()
                .await
                .map_err(err("committing a history entry"))?;
            Ok::<_, StoreError>(changed)
        })?;
        if changed == 0 {
            return Err(StoreError::HistoryNotFound {
                path: self.path().to_path_buf(),
                id,
            });
        }
        Ok(())
    }

    fn history_entry(&self, id: i64) -> Result<Option<HistoryEntry>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            self.read_entry(&client, id).await
        })
    }
}
