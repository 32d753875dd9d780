//! [`MetricsStore`] for [`PostgresStore`]. A batch of workflow runs is one transaction of a
//! few statements whatever its size: the team runs' sequence numbers are drawn first (in
//! order, under the write lock, so they follow commit order), then each table's rows go in
//! as arrays (`INSERT ... SELECT * FROM UNNEST(...)`). Reads parse the stored JSON, as the
//! SQLite store's do.

use std::collections::HashSet;
use std::io::Write;

use teamtune_model::{TeamRunRecord, WorkflowRunRecord};
use tokio_postgres::types::ToSql;

use super::{NOW, PostgresStore, WRITE_LOCK};
use crate::export::ExportWriter;
use crate::metrics::{SqlArg, inherit_from_run};
use crate::{ExportFormat, MetricsStore, RunQuery, StoreError, StoredTeamRun};

const INSERT_WORKFLOW_RUNS: &str = "INSERT INTO workflow_runs (run_id, workflow, file, seed, \
     success, duration_seconds, start_time, end_time, error, variant, virtual_time, recorded_at, \
     inputs_json, outputs_json) SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], \
     $4::text[], $5::bool[], $6::float8[], $7::text[], $8::text[], $9::text[], $10::text[], \
     $11::bool[], $12::text[], $13::text[], $14::text[])";

const INSERT_TEAM_RUNS: &str = "INSERT INTO team_runs (seq, run_id, team_id, workflow, formation, \
     member_count, success, duration_seconds, total_tool_calls, config_hash, variant, start_time, \
     record_json, experiment_id) SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], \
     $4::text[], $5::text[], $6::int8[], $7::bool[], $8::float8[], $9::int8[], $10::text[], \
     $11::text[], $12::text[], $13::text[], $14::int8[])";

const INSERT_MEMBER_RUNS: &str = "INSERT INTO member_runs (team_run_seq, member_id, role, success, \
     duration_seconds, tool_calls_used, error_message) SELECT * FROM UNNEST($1::int8[], \
     $2::text[], $3::text[], $4::bool[], $5::float8[], $6::int8[], $7::text[])";

/// Rows read per round trip by an export.
const EXPORT_PAGE: i64 = 1000;

/// The columns of one batch, one vector per column.
#[derive(Default)]
struct WorkflowColumns {
    run_id: Vec<String>,
    workflow: Vec<String>,
    file: Vec<String>,
    seed: Vec<String>,
    success: Vec<bool>,
    duration: Vec<f64>,
    start: Vec<String>,
    end: Vec<String>,
    error: Vec<Option<String>>,
    variant: Vec<Option<String>>,
    virtual_time: Vec<bool>,
    recorded_at: Vec<String>,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

#[derive(Default)]
struct TeamColumns {
    seq: Vec<i64>,
    run_id: Vec<String>,
    team_id: Vec<String>,
    workflow: Vec<Option<String>>,
    formation: Vec<String>,
    member_count: Vec<i64>,
    success: Vec<bool>,
    duration: Vec<f64>,
    tool_calls: Vec<i64>,
    config_hash: Vec<Option<String>>,
    variant: Vec<Option<String>>,
    start: Vec<Option<String>>,
    json: Vec<String>,
    experiment_id: Vec<Option<i64>>,
}

#[derive(Default)]
struct MemberColumns {
    seq: Vec<i64>,
    member_id: Vec<String>,
    role: Vec<String>,
    success: Vec<bool>,
    duration: Vec<f64>,
    tool_calls: Vec<i64>,
    error: Vec<Option<String>>,
}

impl PostgresStore {
    fn int(&self, value: u64, field: &'static str, run_id: &str) -> Result<i64, StoreError> {
        i64::try_from(value).map_err(|_| StoreError::OutOfRange {
            path: self.path().to_path_buf(),
            run_id: run_id.to_string(),
            field,
            value,
        })
    }

    fn json(&self, run_id: &str, value: &impl serde::Serialize) -> Result<String, StoreError> {
        serde_json::to_string(value).map_err(|source| StoreError::Serialize {
            path: self.path().to_path_buf(),
            run_id: run_id.to_string(),
            source,
        })
    }

    /// The batch as columns; team and member rows get their sequence numbers from `seqs`.
    fn columns(
        &self,
        runs: &[WorkflowRunRecord],
        recorded_at: &str,
        seqs: &[i64],
    ) -> Result<(WorkflowColumns, TeamColumns, MemberColumns), StoreError> {
        let (mut w, mut t, mut m) = (
            WorkflowColumns::default(),
            TeamColumns::default(),
            MemberColumns::default(),
        );
        let mut seqs = seqs.iter().copied();
        for run in runs {
            w.run_id.push(run.run_id.clone());
            w.workflow.push(run.workflow.clone());
            w.file.push(run.file.clone());
            w.seed.push(run.seed.to_string());
            w.success.push(run.success);
            w.duration.push(run.duration_seconds);
            w.start.push(run.start_time.clone());
            w.end.push(run.end_time.clone());
            w.error.push(run.error.clone());
            w.variant.push(run.variant.map(|v| v.as_str().to_string()));
            w.virtual_time.push(run.virtual_time);
            w.recorded_at.push(recorded_at.to_string());
            w.inputs.push(self.json(&run.run_id, &run.inputs)?);
            w.outputs.push(self.json(&run.run_id, &run.outputs)?);
            for team in &run.team_runs {
                let record = inherit_from_run(team, run);
                let seq = seqs.next().ok_or_else(|| StoreError::Postgres {
                    location: self.url.to_string(),
                    action: "numbering team runs",
                    message: "fewer sequence numbers than team runs".into(),
                })?;
                t.seq.push(seq);
                t.run_id.push(run.run_id.clone());
                t.team_id.push(record.team_id.clone());
                t.workflow.push(record.workflow.clone());
                t.formation.push(record.formation.clone());
                t.member_count.push(i64::from(record.member_count));
                t.success.push(record.success);
                t.duration.push(record.duration_seconds);
                t.tool_calls.push(self.int(
                    record.total_tool_calls,
                    "total_tool_calls",
                    &run.run_id,
                )?);
                t.config_hash.push(record.config_hash.clone());
                t.variant
                    .push(record.variant.map(|v| v.as_str().to_string()));
                t.start.push(record.start_time.clone());
                t.json.push(self.json(&run.run_id, &*record)?);
                t.experiment_id.push(record.experiment_id);
                for (member_id, mm) in &record.member_metrics {
                    m.seq.push(seq);
                    m.member_id.push(member_id.clone());
                    m.role.push(mm.role.clone());
                    m.success.push(mm.success);
                    m.duration.push(mm.duration_seconds);
                    m.tool_calls.push(self.int(
                        mm.tool_calls_used,
                        "tool_calls_used",
                        &run.run_id,
                    )?);
                    m.error.push(mm.error_message.clone());
                }
            }
        }
        Ok((w, t, m))
    }

    fn parse_record(&self, seq: i64, json: &str) -> Result<TeamRunRecord, StoreError> {
        serde_json::from_str(json).map_err(|source| StoreError::CorruptRecord {
            path: self.path().to_path_buf(),
            seq,
            source,
        })
    }

    fn duplicate(&self, run_id: &str) -> StoreError {
        StoreError::DuplicateRun {
            path: self.path().to_path_buf(),
            run_id: run_id.to_string(),
        }
    }

    async fn record(&self, runs: &[WorkflowRunRecord]) -> Result<(), StoreError> {
        let mut seen = HashSet::new();
        if let Some(dup) = runs.iter().find(|r| !seen.insert(r.run_id.as_str())) {
            return Err(self.duplicate(&dup.run_id));
        }
        let mut client = self.client().await?;
        let err = |action| self.err(action);
        let tx = client
            .transaction()
            .await
            .map_err(err("starting the write transaction"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .await
            .map_err(err("waiting for the write lock"))?;
        let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
        if let Some(row) = tx
            .query_opt(
                "SELECT run_id FROM workflow_runs WHERE run_id = ANY($1) LIMIT 1",
                &[&ids],
            )
            .await
            .map_err(err("looking for runs already recorded"))?
        {
            return Err(self.duplicate(row.get(0)));
        }
        let recorded_at: String = tx
            .query_one(&format!("SELECT {NOW}"), &[])
            .await
            .map_err(err("reading the clock"))?
            .get(0);
        let teams: i64 = runs.iter().map(|r| r.team_runs.len() as i64).sum();
        let mut seqs: Vec<i64> = tx
            .query(
                "SELECT nextval(pg_get_serial_sequence('team_runs', 'seq')) \
                 FROM generate_series(1, $1::int8)",
                &[&teams],
            )
            .await
            .map_err(err("numbering team runs"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        seqs.sort_unstable();
        let (w, t, m) = self.columns(runs, &recorded_at, &seqs)?;
        let workflow_args: [&(dyn ToSql + Sync); 14] = [
            &w.run_id,
            &w.workflow,
            &w.file,
            &w.seed,
            &w.success,
            &w.duration,
            &w.start,
            &w.end,
            &w.error,
            &w.variant,
            &w.virtual_time,
            &w.recorded_at,
            &w.inputs,
            &w.outputs,
        ];
        tx.execute(INSERT_WORKFLOW_RUNS, &workflow_args)
            .await
            .map_err(err("recording workflow runs"))?;
        if !t.seq.is_empty() {
            let team_args: [&(dyn ToSql + Sync); 14] = [
                &t.seq,
                &t.run_id,
                &t.team_id,
                &t.workflow,
                &t.formation,
                &t.member_count,
                &t.success,
                &t.duration,
                &t.tool_calls,
                &t.config_hash,
                &t.variant,
                &t.start,
                &t.json,
                &t.experiment_id,
            ];
            tx.execute(INSERT_TEAM_RUNS, &team_args)
                .await
                .map_err(err("recording team runs"))?;
        }
        if !m.seq.is_empty() {
            let member_args: [&(dyn ToSql + Sync); 7] = [
                &m.seq,
                &m.member_id,
                &m.role,
                &m.success,
                &m.duration,
                &m.tool_calls,
                &m.error,
            ];
            tx.execute(INSERT_MEMBER_RUNS, &member_args)
                .await
                .map_err(err("recording member runs"))?;
        }
        tx.commit().await.map_err(err("committing recorded runs"))
    }

    async fn select(
        &self,
        team_id: &str,
        query: &RunQuery,
    ) -> Result<Vec<StoredTeamRun>, StoreError> {
        let (sql, args) = query.to_sql(team_id, '$');
        let args: Vec<Box<dyn ToSql + Sync + Send>> = args
            .into_iter()
            .map(|a| -> Box<dyn ToSql + Sync + Send> {
                match a {
                    SqlArg::Text(t) => Box::new(t),
                    SqlArg::Integer(i) => Box::new(i),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = args
            .iter()
            .map(|a| a.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = self.client().await?;
        let rows = client
            .query(&sql, &refs)
            .await
            .map_err(self.err("reading team runs"))?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.get(0);
                Ok(StoredTeamRun {
                    seq,
                    record: self.parse_record(seq, row.get(1))?,
                })
            })
            .collect()
    }

    async fn scalar_i64(
        &self,
        sql: &str,
        team_id: &str,
        action: &'static str,
    ) -> Result<Option<i64>, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_one(sql, &[&team_id])
            .await
            .map_err(self.err(action))?
            .get(0))
    }
}

impl MetricsStore for PostgresStore {
    fn record_runs(&mut self, runs: &[WorkflowRunRecord]) -> Result<(), StoreError> {
        if runs.is_empty() {
            return Ok(());
        }
        self.block(self.record(runs))
    }

    fn stored_team_runs(
        &self,
        team_id: &str,
        query: &RunQuery,
    ) -> Result<Vec<StoredTeamRun>, StoreError> {
        self.block(self.select(team_id, query))
    }

    fn team_run_count(&self, team_id: &str) -> Result<u64, StoreError> {
        let n = self.block(self.scalar_i64(
            "SELECT COUNT(*) FROM team_runs WHERE team_id = $1",
            team_id,
            "counting team runs",
        ))?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    fn latest_seq(&self, team_id: &str) -> Result<Option<i64>, StoreError> {
        self.block(self.scalar_i64(
            "SELECT MAX(seq) FROM team_runs WHERE team_id = $1",
            team_id,
            "reading the latest team run",
        ))
    }

    fn team_ids(&self) -> Result<Vec<String>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            Ok(client
                .query(
                    "SELECT DISTINCT team_id FROM team_runs ORDER BY team_id",
                    &[],
                )
                .await
                .map_err(self.err("listing teams"))?
                .iter()
                .map(|r| r.get(0))
                .collect())
        })
    }

    fn export_team_runs(
        &self,
        team_id: &str,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<u64, StoreError> {
        let write_err = |source| StoreError::ExportWrite {
            path: self.path().to_path_buf(),
            team_id: team_id.to_string(),
            source,
        };
        // Runs recorded after this point (their seqs are higher, writers being serialised)
        // are left out, so an export is never half of a batch.
        let Some(last) = self.latest_seq(team_id)? else {
            return ExportWriter::new(format, out)
                .and_then(ExportWriter::finish)
                .map_err(write_err);
        };
        let mut writer = ExportWriter::new(format, out).map_err(write_err)?;
        let mut after = i64::MIN;
        loop {
            let page: Vec<(i64, String)> = self.block(async {
                let client = self.client().await?;
                let rows = client
                    .query(
                        "SELECT seq, record_json FROM team_runs WHERE team_id = $1 \
                         AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
                        &[&team_id, &after, &last, &EXPORT_PAGE],
                    )
                    .await
                    .map_err(self.err("reading team runs for export"))?;
                Ok::<_, StoreError>(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            })?;
            let Some(&(seq, _)) = page.last() else {
                break;
            };
            after = seq;
            for (seq, json) in &page {
                writer
                    .write(&self.parse_record(*seq, json)?)
                    .map_err(write_err)?;
            }
        }
        writer.finish().map_err(write_err)
    }
}
