//! [`ExperimentStore`] for [`PostgresStore`]. One running experiment per team is a partial
//! unique index, as in SQLite; a decision is an `UPDATE ... WHERE status = 'running' AND
//! share = $n` and its row in one transaction under the write lock, so it is recorded once
//! whoever checks.

use std::path::PathBuf;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{NOW, PostgresStore, WRITE_LOCK};
use crate::{
    DecisionAction, Experiment, ExperimentDecision, ExperimentStore, NewDecision, NewExperiment,
    StoreError, StoredTeamRun,
};

const COLUMNS: &str = "id, team_id, file_path, created_at, status, share, ramp_json, control_hash, \
     control_config_json, candidate_hash, candidate_config_json, suggestion_json, rules_json, \
     start_seq, ended_at, history_index, note";

const DECISION_COLUMNS: &str = "id, experiment_id, created_at, action, share_before, share_after, \
     control_runs, candidate_runs, evidence_json, history_index, reason";

fn to_json(value: &impl serde::Serialize) -> String {
    // Values here are serde_json::Value and Vec<f64>, which always serialise.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

fn index(i: Option<u64>) -> Option<i64> {
    i.and_then(|i| i64::try_from(i).ok())
}

impl PostgresStore {
    fn experiment_row(&self, row: &Row) -> Result<Experiment, StoreError> {
        let id: i64 = row.get(0);
        let corrupt = |problem: String| StoreError::CorruptExperiment {
            path: self.path().to_path_buf(),
            id,
            problem,
        };
        let json = |field: &str, text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| corrupt(format!("{field}: {e}")))
        };
        let status: String = row.get(4);
        let ramp: String = row.get(6);
        let suggestion: Option<String> = row.get(11);
        Ok(Experiment {
            id,
            team_id: row.get(1),
            file_path: PathBuf::from(row.get::<_, String>(2)),
            created_at: row.get(3),
            status: status.parse().map_err(corrupt)?,
            share: row.get(5),
            ramp: serde_json::from_str(&ramp).map_err(|e| corrupt(format!("ramp: {e}")))?,
            control_hash: row.get(7),
            control_config: json("control config", row.get(8))?,
            candidate_hash: row.get(9),
            candidate_config: json("candidate config", row.get(10))?,
            suggestion: suggestion
                .as_deref()
                .map(|s| json("suggestion", s))
                .transpose()?,
            rules: json("rules", row.get(12))?,
            start_seq: row.get(13),
            ended_at: row.get(14),
            history_index: row
                .get::<_, Option<i64>>(15)
                .and_then(|i| u64::try_from(i).ok()),
            note: row.get(16),
        })
    }

    async fn experiments_where(
        &self,
        client: &impl GenericClient,
        filter: &str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Experiment>, StoreError> {
        let rows = client
            .query(&format!("SELECT {COLUMNS} FROM experiments {filter}"), args)
            .await
            .map_err(self.err("reading experiments"))?;
        rows.iter().map(|r| self.experiment_row(r)).collect()
    }

    async fn insert_decision(
        &self,
        client: &impl GenericClient,
        id: i64,
        d: &NewDecision,
    ) -> Result<(), StoreError> {
        client
            .execute(
                &format!(
                    "INSERT INTO experiment_decisions (experiment_id, created_at, action, \
                     share_before, share_after, control_runs, candidate_runs, evidence_json, \
                     history_index, reason) VALUES ($1, {NOW}, $2, $3, $4, $5, $6, $7, $8, $9)"
                ),
                &[
                    &id,
                    &d.action.as_str(),
                    &d.share_before,
                    &d.share_after,
                    &i64::try_from(d.control_runs).unwrap_or(i64::MAX),
                    &i64::try_from(d.candidate_runs).unwrap_or(i64::MAX),
                    &d.evidence.as_ref().map(to_json),
                    &index(d.history_index),
                    &d.reason,
                ],
            )
            .await
            .map_err(self.err("recording the decision"))?;
        Ok(())
    }
}

impl ExperimentStore for PostgresStore {
    fn start_experiment(
        &mut self,
        experiment: &NewExperiment,
        reason: &str,
    ) -> Result<Experiment, StoreError> {
        let file_path = experiment
            .file_path
            .to_str()
            .ok_or_else(|| StoreError::NonUtf8Path {
                path: self.path().to_path_buf(),
                file: experiment.file_path.clone(),
            })?;
        let running = |id| StoreError::ExperimentRunning {
            path: self.path().to_path_buf(),
            team_id: experiment.team_id.clone(),
            id,
        };
        self.block(async {
            let mut client = self.client().await?;
            let err = |action| self.err(action);
            let tx = client
                .transaction()
                .await
                .map_err(err("starting the experiment transaction"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .await
                .map_err(err("waiting for the write lock"))?;
            if let Some(row) = tx
                .query_opt(
                    "SELECT id FROM experiments WHERE team_id = $1 AND status = 'running'",
                    &[&experiment.team_id],
                )
                .await
                .map_err(err("looking for a running experiment"))?
            {
                return Err(running(row.get(0)));
            }
            let inserted = tx
                .query_one(
                    &format!(
                        "INSERT INTO experiments (team_id, file_path, created_at, status, share, \
                         ramp_json, control_hash, control_config_json, candidate_hash, \
                         candidate_config_json, suggestion_json, rules_json, start_seq, note) \
                         VALUES ($1, $2, {NOW}, 'running', $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                         $12) RETURNING id"
                    ),
                    &[
                        &experiment.team_id,
                        &file_path,
                        &experiment.share,
                        &to_json(&experiment.ramp),
                        &experiment.control_hash,
                        &to_json(&experiment.control_config),
                        &experiment.candidate_hash,
                        &to_json(&experiment.candidate_config),
                        &experiment.suggestion.as_ref().map(to_json),
                        &to_json(&experiment.rules),
                        &experiment.start_seq,
                        &experiment.note,
                    ],
                )
                .await;
            let id: i64 = match inserted {
                Ok(row) => row.get(0),
                Err(e) if super::error::violates(&e, "experiments_running") => {
                    return Err(running(0));
                }
                Err(e) => return Err(err("recording the experiment")(e)),
            };
            let start = NewDecision {
                action: DecisionAction::Start,
                share_before: 0.0,
                share_after: experiment.share,
                control_runs: 0,
                candidate_runs: 0,
                evidence: None,
                history_index: None,
                reason: reason.to_owned(),
            };
            self.insert_decision(&tx, id, &start).await?;
            let stored = self
                .experiments_where(&tx, "WHERE id = $1", &[&id])
                .await?
                .pop()
                .ok_or_else(|| StoreError::CorruptExperiment {
                    path: self.path().to_path_buf(),
                    id,
                    problem: "not found right after it was stored".into(),
                })?;
            tx.commit()
                .await
                .map_err(err("committing the experiment"))?;
            Ok(stored)
        })
    }

    fn experiment(&self, id: i64) -> Result<Option<Experiment>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            Ok(self
                .experiments_where(&client, "WHERE id = $1", &[&id])
                .await?
                .pop())
        })
    }

    fn experiments(&self, team_id: Option<&str>) -> Result<Vec<Experiment>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            match team_id {
                Some(team) => {
                    self.experiments_where(&client, "WHERE team_id = $1 ORDER BY id DESC", &[&team])
                        .await
                }
                None => {
                    self.experiments_where(&client, "ORDER BY id DESC", &[])
                        .await
                }
            }
        })
    }

    fn running_experiment(&self, team_id: &str) -> Result<Option<Experiment>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            Ok(self
                .experiments_where(
                    &client,
                    "WHERE team_id = $1 AND status = 'running'",
                    &[&team_id],
                )
                .await?
                .pop())
        })
    }

    fn decide_experiment(&mut self, id: i64, decision: &NewDecision) -> Result<bool, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let err = |action| self.err(action);
            let tx = client
                .transaction()
                .await
                .map_err(err("starting the decision transaction"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .await
                .map_err(err("waiting for the write lock"))?;
            let changed = match decision.action.ends_in() {
                Some(status) => {
                    tx.execute(
                        &format!(
                            "UPDATE experiments SET status = $1, share = $2, ended_at = {NOW}, \
                             history_index = COALESCE($3, history_index) \
                             WHERE id = $4 AND status = 'running' AND share = $5"
                        ),
                        &[
                            &status.as_str(),
                            &decision.share_after,
                            &index(decision.history_index),
                            &id,
                            &decision.share_before,
                        ],
                    )
                    .await
                }
                None => {
                    tx.execute(
                        "UPDATE experiments SET share = $1 \
                         WHERE id = $2 AND status = 'running' AND share = $3",
                        &[&decision.share_after, &id, &decision.share_before],
                    )
                    .await
                }
            }
            .map_err(err("updating the experiment"))?;
            if changed == 0 {
                return Ok(false);
            }
            self.insert_decision(&tx, id, decision).await?;
            tx.commit().await.map_err(err("committing the decision"))?;
            Ok(true)
        })
    }

    fn experiment_decisions(&self, id: i64) -> Result<Vec<ExperimentDecision>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {DECISION_COLUMNS} FROM experiment_decisions \
                         WHERE experiment_id = $1 ORDER BY id"
                    ),
                    &[&id],
                )
                .await
                .map_err(self.err("reading decisions"))?;
            rows.iter()
                .map(|r| {
                    let decision_id: i64 = r.get(0);
                    let corrupt = |problem: String| StoreError::CorruptExperiment {
                        path: self.path().to_path_buf(),
                        id,
                        problem: format!("decision {decision_id}: {problem}"),
                    };
                    let action: String = r.get(3);
                    let evidence: Option<String> = r.get(8);
                    Ok(ExperimentDecision {
                        id: decision_id,
                        experiment_id: r.get(1),
                        created_at: r.get(2),
                        action: action.parse().map_err(corrupt)?,
                        share_before: r.get(4),
                        share_after: r.get(5),
                        control_runs: u64::try_from(r.get::<_, i64>(6)).unwrap_or(0),
                        candidate_runs: u64::try_from(r.get::<_, i64>(7)).unwrap_or(0),
                        evidence: evidence
                            .as_deref()
                            .map(serde_json::from_str)
                            .transpose()
                            .map_err(|e| corrupt(format!("evidence: {e}")))?,
                        history_index: r
                            .get::<_, Option<i64>>(9)
                            .and_then(|i| u64::try_from(i).ok()),
                        reason: r.get(10),
                    })
                })
                .collect()
        })
    }

    fn experiment_runs(&self, team_id: &str, id: i64) -> Result<Vec<StoredTeamRun>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT seq, record_json FROM team_runs WHERE team_id = $2 \
                     AND seq > COALESCE((SELECT start_seq FROM experiments WHERE id = $1), 0) \
                     AND experiment_id = $1 ORDER BY seq",
                    &[&id, &team_id],
                )
                .await
                .map_err(self.err("reading experiment runs"))?;
            rows.iter()
                .map(|r| {
                    let seq: i64 = r.get(0);
                    serde_json::from_str(r.get(1))
                        .map(|record| StoredTeamRun { seq, record })
                        .map_err(|source| StoreError::CorruptRecord {
                            path: self.path().to_path_buf(),
                            seq,
                            source,
                        })
                })
                .collect()
        })
    }
}
