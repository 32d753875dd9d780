//! `teamtune store copy`: an SQLite store's whole content into an empty PostgreSQL store,
//! row for row, in one PostgreSQL transaction read from one SQLite snapshot. Ids, sequence
//! numbers and history indexes are kept as they were (history entries and experiments name
//! run seqs), and the PostgreSQL sequences are moved past them, so the copy goes on as the
//! original would have.

use rusqlite::types::Value;
use serde::Serialize;
use tokio_postgres::types::ToSql;

use super::{PostgresStore, WRITE_LOCK};
use crate::{SqliteStore, StoreError};

/// A column's type on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Real,
    Bool,
}

/// A table to copy: its columns in order, its key (for a stable order), and its identity
/// column, if any.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    order_by: &'static str,
    identity: Option<&'static str>,
}

use Kind::{Bool, Int, Real, Text};

/// Every table of the store, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "workflow_runs",
        columns: &[
            ("run_id", Text),
            ("workflow", Text),
            ("file", Text),
            ("seed", Text),
            ("success", Bool),
            ("duration_seconds", Real),
            ("start_time", Text),
            ("end_time", Text),
            ("error", Text),
            ("variant", Text),
            ("virtual_time", Bool),
            ("recorded_at", Text),
            ("inputs_json", Text),
            ("outputs_json", Text),
        ],
        order_by: "run_id",
        identity: None,
    },
    Table {
        name: "team_runs",
        columns: &[
            ("seq", Int),
            ("run_id", Text),
            ("team_id", Text),
            ("workflow", Text),
            ("formation", Text),
            ("member_count", Int),
            ("success", Bool),
            ("duration_seconds", Real),
            ("total_tool_calls", Int),
            ("config_hash", Text),
            ("variant", Text),
            ("start_time", Text),
            ("record_json", Text),
            ("experiment_id", Int),
        ],
        order_by: "seq",
        identity: Some("seq"),
    },
    Table {
        name: "member_runs",
        columns: &[
            ("team_run_seq", Int),
            ("member_id", Text),
            ("role", Text),
            ("success", Bool),
            ("duration_seconds", Real),
            ("tool_calls_used", Int),
            ("error_message", Text),
        ],
        order_by: "team_run_seq, member_id",
        identity: None,
    },
    Table {
        name: "history",
        columns: &[
            ("id", Int),
            ("team_id", Text),
            ("idx", Int),
            ("created_at", Text),
            ("kind", Text),
            ("file_path", Text),
            ("previous_content", Text),
            ("new_content", Text),
            ("suggestion_json", Text),
            ("result_json", Text),
            ("status", Text),
            ("pre_change_seq", Int),
            ("note", Text),
        ],
        order_by: "id",
        identity: Some("id"),
    },
    Table {
        name: "experiments",
        columns: &[
            ("id", Int),
            ("team_id", Text),
            ("file_path", Text),
            ("created_at", Text),
            ("status", Text),
            ("share", Real),
            ("ramp_json", Text),
            ("control_hash", Text),
            ("control_config_json", Text),
            ("candidate_hash", Text),
            ("candidate_config_json", Text),
            ("suggestion_json", Text),
            ("rules_json", Text),
            ("start_seq", Int),
            ("ended_at", Text),
            ("history_index", Int),
            ("note", Text),
        ],
        order_by: "id",
        identity: Some("id"),
    },
    Table {
        name: "experiment_decisions",
        columns: &[
            ("id", Int),
            ("experiment_id", Int),
            ("created_at", Text),
            ("action", Text),
            ("share_before", Real),
            ("share_after", Real),
            ("control_runs", Int),
            ("candidate_runs", Int),
            ("evidence_json", Text),
            ("history_index", Int),
            ("reason", Text),
        ],
        order_by: "id",
        identity: Some("id"),
    },
];

/// Rows sent per statement.
const CHUNK: usize = 2000;

/// What `store copy` copied: rows per table, in copy order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub from: String,
    pub to: String,
    pub tables: Vec<TableCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCount {
    pub table: String,
    pub rows: u64,
}

/// One column of a chunk, typed for PostgreSQL.
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

impl Column {
    fn new(kind: Kind) -> Column {
        match kind {
            Text => Column::Text(Vec::new()),
            Int => Column::Int(Vec::new()),
            Real => Column::Real(Vec::new()),
            Bool => Column::Bool(Vec::new()),
        }
    }

    /// Adds `value`; `false` when SQLite holds a value of another type.
    fn push(&mut self, value: Value) -> bool {
        match (self, value) {
            (Column::Text(v), Value::Null) => v.push(None),
            (Column::Int(v), Value::Null) => v.push(None),
            (Column::Real(v), Value::Null) => v.push(None),
            (Column::Bool(v), Value::Null) => v.push(None),
            (Column::Text(v), Value::Text(t)) => v.push(Some(t)),
            (Column::Int(v), Value::Integer(i)) => v.push(Some(i)),
            (Column::Real(v), Value::Real(r)) => v.push(Some(r)),
            (Column::Real(v), Value::Integer(i)) => v.push(Some(i as f64)),
            (Column::Bool(v), Value::Integer(i)) => v.push(Some(i != 0)),
            _ => return false,
        }
        true
    }

    fn clear(&mut self) {
        match self {
            Column::Text(v) => v.clear(),
            Column::Int(v) => v.clear(),
            Column::Real(v) => v.clear(),
            Column::Bool(v) => v.clear(),
        }
    }

    fn sql_type(&self) -> &'static str {
        match self {
            Column::Text(_) => "text[]",
            Column::Int(_) => "int8[]",
            Column::Real(_) => "float8[]",
            Column::Bool(_) => "bool[]",
        }
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Column::Text(v) => v,
            Column::Int(v) => v,
            Column::Real(v) => v,
            Column::Bool(v) => v,
        }
    }
}

impl PostgresStore {
    /// Copies every row of `from` into this store, which must be empty (its tables were
    /// created by [`open`](Self::open)). All or nothing.
    pub fn copy_from_sqlite(&mut self, from: &SqliteStore) -> Result<CopyReport, StoreError> {
        let source = from.path();
        let sqlite_err = |action| move |e| crate::error::sqlite_error(source, action, e);
        // One read transaction: the copy is of one moment of the source.
        let conn = from.connection();
        conn.execute_batch("BEGIN")
            .map_err(sqlite_err("starting to read the store"))?;
        let copied = self.copy_tables(from);
        // Ending a read transaction cannot lose anything.
        let _ = conn.execute_batch("COMMIT");
        copied
    }

    fn copy_tables(&self, from: &SqliteStore) -> Result<CopyReport, StoreError> {
        let source = from.path();
        let sqlite_err = |action| move |e| crate::error::sqlite_error(source, action, e);
        let err = |action| self.err(action);
        // SQLite is read here, on the caller's thread; each PostgreSQL statement is one call
        // on the store's runtime, all in one transaction.
        let mut client = self.block(self.client())?;
        let tx = self
            .block(client.transaction())
            .map_err(err("starting the copy"))?;
        self.block(tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]))
            .map_err(err("waiting for the write lock"))?;
        for (table, what) in [
            ("workflow_runs", "recorded runs"),
            ("history", "history entries"),
            ("experiments", "experiments"),
        ] {
            let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
            let any: bool = self
                .block(tx.query_one(&sql, &[]))
                .map_err(err("checking the target is empty"))?
                .get(0);
            if any {
                return Err(StoreError::CopyTargetNotEmpty {
                    location: self.url.to_string(),
                    what: what.into(),
                });
            }
        }
        let mut counts = Vec::new();
        for table in TABLES {
            let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
            let mut stmt = from
                .connection()
                .prepare(&format!(
                    "SELECT {} FROM {} ORDER BY {}",
                    names.join(", "),
                    table.name,
                    table.order_by
                ))
                .map_err(sqlite_err("reading the store to copy"))?;
            let mut rows = stmt
                .query([])
                .map_err(sqlite_err("reading the store to copy"))?;
            let mut columns: Vec<Column> =
                table.columns.iter().map(|(_, k)| Column::new(*k)).collect();
            let placeholders: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("${}::{}", i + 1, c.sql_type()))
                .collect();
            let insert = format!(
                "INSERT INTO {} ({}) SELECT * FROM UNNEST({})",
                table.name,
                names.join(", "),
                placeholders.join(", ")
            );
            let (mut pending, mut total) = (0usize, 0u64);
            loop {
                let row = rows
                    .next()
                    .map_err(sqlite_err("reading the store to copy"))?;
                let done = row.is_none();
                if let Some(row) = row {
                    for (i, (name, _)) in table.columns.iter().enumerate() {
                        let value: Value = row
                            .get(i)
                            .map_err(sqlite_err("reading the store to copy"))?;
                        if !columns[i].push(value) {
                            return Err(StoreError::NotReadable {
                                path: source.to_path_buf(),
                                problem: format!(
                                    "table {}, column {name}: a value of an unexpected type",
                                    table.name
                                ),
                            });
                        }
                    }
                    pending += 1;
                }
                if pending > 0 && (pending == CHUNK || done) {
                    let args: Vec<&(dyn ToSql + Sync)> =
                        columns.iter().map(Column::as_sql).collect();
                    self.block(tx.execute(&insert, &args))
                        .map_err(err("copying rows"))?;
                    total += pending as u64;
                    pending = 0;
                    columns.iter_mut().for_each(Column::clear);
                }
                if done {
                    break;
                }
            }
            if let Some(id) = table.identity {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', '{id}'), \
                     COALESCE((SELECT MAX({id}) FROM {0}), 0) + 1, false)",
                    table.name
                );
                self.block(tx.execute(&sql, &[]))
                    .map_err(err("moving the id sequence past the copied rows"))?;
            }
            counts.push(TableCount {
                table: table.name.to_string(),
                rows: total,
            });
        }
        self.block(tx.commit())
            .map_err(err("committing the copy"))?;
        Ok(CopyReport {
            from: source.display().to_string(),
            to: self.url.to_string(),
            tables: counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_of_the_sqlite_schema_is_copied() {
        let store = SqliteStore::open_in_memory().unwrap();
        let tables: Vec<String> = store
            .connection()
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut copied: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        copied.sort_unstable();
        assert_eq!(tables, copied, "a table the copy does not know");
        for table in TABLES {
            let columns: Vec<String> = store
                .connection()
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    table.name
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let known: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
            assert_eq!(columns, known, "columns of {}", table.name);
        }
    }
}
