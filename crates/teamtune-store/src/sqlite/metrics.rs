//! [`MetricsStore`] for [`SqliteStore`]. A batch of workflow runs is written in one
//! `BEGIN IMMEDIATE` transaction with cached prepared statements: one row per workflow run,
//! one per team run (its full record as JSON plus flat copies of the fields queries filter
//! on) and one per member. Reads parse the JSON so callers get exactly what was recorded.

use std::io::Write;
use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{ErrorCode, Transaction, TransactionBehavior, ffi, params, params_from_iter};
use teamtune_model::{TeamRunRecord, Variant, WorkflowRunRecord};

use super::SqliteStore;
use crate::export::ExportWriter;
use crate::metrics::{SqlArg, inherit_from_run};
use crate::{ExportFormat, MetricsStore, RunQuery, StoreError, StoredTeamRun};

const INSERT_WORKFLOW_RUN: &str = "INSERT INTO workflow_runs (run_id, workflow, file, seed, success, \
     duration_seconds, start_time, end_time, error, variant, virtual_time, recorded_at, inputs_json, \
     outputs_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

const INSERT_TEAM_RUN: &str = "INSERT INTO team_runs (run_id, team_id, workflow, formation, member_count, \
     success, duration_seconds, total_tool_calls, config_hash, variant, start_time, record_json, \
     experiment_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

const INSERT_MEMBER_RUN: &str = "INSERT INTO member_runs (team_run_seq, member_id, role, success, \
     duration_seconds, tool_calls_used, error_message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

impl MetricsStore for SqliteStore {
    fn record_runs(&mut self, runs: &[WorkflowRunRecord]) -> Result<(), StoreError> {
        if runs.is_empty() {
            return Ok(());
        }
        let path = self.path.as_path();
        let err = |action| move |source| crate::error::sqlite_error(path, action, source);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("starting the write transaction"))?;
        insert_runs(&tx, path, runs)?;
        tx.commit().map_err(err("committing recorded runs"))
    }

    fn stored_team_runs(
        &self,
        team_id: &str,
        query: &RunQuery,
    ) -> Result<Vec<StoredTeamRun>, StoreError> {
        let (sql, args) = select_team_runs(team_id, query);
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(self.err("preparing the team run query"))?;
        let mut rows = stmt
            .query(params_from_iter(args))
            .map_err(self.err("reading team runs"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(self.err("reading team runs"))? {
            let seq: i64 = row.get(0).map_err(self.err("reading team runs"))?;
            let json: String = row.get(1).map_err(self.err("reading team runs"))?;
            out.push(StoredTeamRun {
                seq,
                record: self.parse_record(seq, &json)?,
            });
        }
        Ok(out)
    }

    fn team_run_count(&self, team_id: &str) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM team_runs WHERE team_id = ?1")
            .and_then(|mut s| s.query_row([team_id], |r| r.get(0)))
            .map_err(self.err("counting team runs"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn latest_seq(&self, team_id: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached("SELECT MAX(seq) FROM team_runs WHERE team_id = ?1")
            .and_then(|mut s| s.query_row([team_id], |r| r.get(0)))
            .map_err(self.err("reading the latest team run"))
    }

    fn team_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT team_id FROM team_runs ORDER BY team_id")
            .map_err(self.err("listing teams"))?;
        let ids = stmt
            .query_map([], |r| r.get(0))
            .map_err(self.err("listing teams"))?;
        ids.collect::<Result<_, _>>()
            .map_err(self.err("listing teams"))
    }

    fn export_team_runs(
        &self,
        team_id: &str,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<u64, StoreError> {
        let write_err = |source| StoreError::ExportWrite {
            path: self.path.clone(),
            team_id: team_id.to_string(),
            source,
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, record_json FROM team_runs WHERE team_id = ?1 ORDER BY seq",
            )
            .map_err(self.err("preparing the export"))?;
        // One statement is one read snapshot: runs recorded meanwhile are not half-exported.
        let mut rows = stmt
            .query([team_id])
            .map_err(self.err("reading team runs for export"))?;
        let mut writer = ExportWriter::new(format, out).map_err(write_err)?;
        while let Some(row) = rows
            .next()
            .map_err(self.err("reading team runs for export"))?
        {
            let seq: i64 = row
                .get(0)
                .map_err(self.err("reading team runs for export"))?;
            let json: String = row
                .get(1)
                .map_err(self.err("reading team runs for export"))?;
            writer
                .write(&self.parse_record(seq, &json)?)
                .map_err(write_err)?;
        }
        writer.finish().map_err(write_err)
    }
}

impl SqliteStore {
    fn parse_record(&self, seq: i64, json: &str) -> Result<TeamRunRecord, StoreError> {
        serde_json::from_str(json).map_err(|source| StoreError::CorruptRecord {
            path: self.path.clone(),
            seq,
            source,
        })
    }
}

fn insert_runs(
    tx: &Transaction<'_>,
    path: &Path,
    runs: &[WorkflowRunRecord],
) -> Result<(), StoreError> {
    let err = |action| move |source| crate::error::sqlite_error(path, action, source);
    // One timestamp per batch: the batch is one transaction, so it was recorded at one moment.
    let recorded_at: String = tx
        .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |r| {
            r.get(0)
        })
        .map_err(err("reading the clock"))?;
    let mut insert_workflow = tx
        .prepare_cached(INSERT_WORKFLOW_RUN)
        .map_err(err("preparing inserts"))?;
    let mut insert_team = tx
        .prepare_cached(INSERT_TEAM_RUN)
        .map_err(err("preparing inserts"))?;
    let mut insert_member = tx
        .prepare_cached(INSERT_MEMBER_RUN)
        .map_err(err("preparing inserts"))?;

    for run in runs {
        let as_json = |map| {
            serde_json::to_string(map).map_err(|source| StoreError::Serialize {
                path: path.to_path_buf(),
                run_id: run.run_id.clone(),
                source,
            })
        };
        let (inputs, outputs) = (as_json(&run.inputs)?, as_json(&run.outputs)?);
        insert_workflow
            .execute(params![
                run.run_id,
                run.workflow,
                run.file,
                run.seed.to_string(),
                run.success,
                run.duration_seconds,
                run.start_time,
                run.end_time,
                run.error,
                run.variant.map(Variant::as_str),
                run.virtual_time,
                recorded_at,
                inputs,
                outputs,
            ])
            .map_err(|source| {
                if is_primary_key_violation(&source) {
                    StoreError::DuplicateRun {
                        path: path.to_path_buf(),
                        run_id: run.run_id.clone(),
                    }
                } else {
                    crate::error::sqlite_error(path, "recording a workflow run", source)
                }
            })?;

        for team in &run.team_runs {
            let record = inherit_from_run(team, run);
            let int = |field, value| to_i64(value, field, &run.run_id, path);
            let json = serde_json::to_string(&*record).map_err(|source| StoreError::Serialize {
                path: path.to_path_buf(),
                run_id: run.run_id.clone(),
                source,
            })?;
            insert_team
                .execute(params![
                    run.run_id,
                    record.team_id,
                    record.workflow,
                    record.formation,
                    record.member_count,
                    record.success,
                    record.duration_seconds,
                    int("total_tool_calls", record.total_tool_calls)?,
                    record.config_hash,
                    record.variant.map(Variant::as_str),
                    record.start_time,
                    json,
                    record.experiment_id,
                ])
                .map_err(err("recording a team run"))?;
            let seq = tx.last_insert_rowid();
            for (member_id, m) in &record.member_metrics {
                insert_member
                    .execute(params![
                        seq,
                        member_id,
                        m.role,
                        m.success,
                        m.duration_seconds,
                        int("tool_calls_used", m.tool_calls_used)?,
                        m.error_message,
                    ])
                    .map_err(err("recording a member run"))?;
            }
        }
    }
    Ok(())
}

fn to_i64(value: u64, field: &'static str, run_id: &str, path: &Path) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange {
        path: path.to_path_buf(),
        run_id: run_id.to_string(),
        field,
        value,
    })
}

fn is_primary_key_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error().is_some_and(|f| {
        f.code == ErrorCode::ConstraintViolation
            && f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    })
}

/// The SQL and arguments for a [`RunQuery`], as SQLite binds them.
fn select_team_runs(team_id: &str, query: &RunQuery) -> (String, Vec<Value>) {
    let (sql, args) = query.to_sql(team_id, '?');
    let args = args
        .into_iter()
        .map(|a| match a {
            SqlArg::Text(t) => Value::Text(t),
            SqlArg::Integer(i) => Value::Integer(i),
        })
        .collect();
    (sql, args)
}
