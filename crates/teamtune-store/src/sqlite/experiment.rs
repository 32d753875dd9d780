//! [`ExperimentStore`] for [`SqliteStore`]. One running experiment per team is a partial
//! UNIQUE index, so two processes starting one at once cannot both succeed; a decision is an
//! `UPDATE ... WHERE status = 'running' AND share = ?` and its row, in one `BEGIN IMMEDIATE`
//! transaction, so it is recorded once whoever checks.

use std::path::PathBuf;

use rusqlite::{ErrorCode, OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteStore;
use crate::{
    DecisionAction, Experiment, ExperimentDecision, ExperimentStatus, ExperimentStore, NewDecision,
    NewExperiment, StoreError, StoredTeamRun,
};

const COLUMNS: &str = "id, team_id, file_path, created_at, status, share, ramp_json, control_hash, \
     control_config_json, candidate_hash, candidate_config_json, suggestion_json, rules_json, \
     start_seq, ended_at, history_index, note";

const DECISION_COLUMNS: &str = "id, experiment_id, created_at, action, share_before, share_after, \
     control_runs, candidate_runs, evidence_json, history_index, reason";

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// An experiment row before its JSON columns are parsed.
struct RawExperiment {
    e: Experiment,
    ramp: String,
    control: String,
    candidate: String,
    suggestion: Option<String>,
    rules: String,
    status: String,
}

fn raw_experiment(row: &Row<'_>) -> rusqlite::Result<RawExperiment> {
    let null = serde_json::Value::Null;
    Ok(RawExperiment {
        e: Experiment {
            id: row.get(0)?,
            team_id: row.get(1)?,
            file_path: PathBuf::from(row.get::<_, String>(2)?),
            created_at: row.get(3)?,
            status: ExperimentStatus::Running,
            share: row.get(5)?,
            ramp: Vec::new(),
            control_hash: row.get(7)?,
            control_config: null.clone(),
            candidate_hash: row.get(9)?,
            candidate_config: null.clone(),
            suggestion: None,
            rules: null,
            start_seq: row.get(13)?,
            ended_at: row.get(14)?,
            history_index: row
                .get::<_, Option<i64>>(15)?
                .and_then(|i| u64::try_from(i).ok()),
            note: row.get(16)?,
        },
        status: row.get(4)?,
        ramp: row.get(6)?,
        control: row.get(8)?,
        candidate: row.get(10)?,
        suggestion: row.get(11)?,
        rules: row.get(12)?,
    })
}

fn to_json(value: &impl serde::Serialize) -> String {
    // Values here are serde_json::Value and Vec<f64>, which always serialise.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

impl SqliteStore {
    fn parse_experiment(&self, raw: RawExperiment) -> Result<Experiment, StoreError> {
        let id = raw.e.id;
        let corrupt = |problem: String| StoreError::CorruptExperiment {
            path: self.path.clone(),
            id,
            problem,
        };
        let json = |field: &str, text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| corrupt(format!("{field}: {e}")))
        };
        let mut e = raw.e;
        e.status = raw.status.parse().map_err(corrupt)?;
        e.ramp = serde_json::from_str(&raw.ramp).map_err(|err| corrupt(format!("ramp: {err}")))?;
        e.control_config = json("control config", &raw.control)?;
        e.candidate_config = json("candidate config", &raw.candidate)?;
        e.suggestion = raw
            .suggestion
            .as_deref()
            .map(|s| json("suggestion", s))
            .transpose()?;
        e.rules = json("rules", &raw.rules)?;
        Ok(e)
    }

    fn query_experiments(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Experiment>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(self.err("preparing the experiment query"))?;
        let raws = stmt
            .query_map(args, raw_experiment)
            .map_err(self.err("reading experiments"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err("reading experiments"))?;
        raws.into_iter().map(|r| self.parse_experiment(r)).collect()
    }
}

impl ExperimentStore for SqliteStore {
    fn start_experiment(
        &mut self,
        experiment: &NewExperiment,
        reason: &str,
    ) -> Result<Experiment, StoreError> {
        // Through the store's one classifier, as every other write: a full disk or damaged
        // pages say so here too.
        let path = self.path.as_path();
        let err = |action| move |source| crate::error::sqlite_error(path, action, source);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("starting the experiment transaction"))?;
        let running: Option<i64> = tx
            .query_row(
                "SELECT id FROM experiments WHERE team_id = ?1 AND status = 'running'",
                params![experiment.team_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(err("looking for a running experiment"))?;
        if let Some(id) = running {
            return Err(StoreError::ExperimentRunning {
                path: path.to_path_buf(),
                team_id: experiment.team_id.clone(),
                id,
            });
        }
        let file_path = experiment
            .file_path
            .to_str()
            .ok_or_else(|| StoreError::NonUtf8Path {
                path: path.to_path_buf(),
                file: experiment.file_path.clone(),
            })?;
        let inserted = tx.execute(
            &format!(
                "INSERT INTO experiments (team_id, file_path, created_at, status, share, ramp_json, \
                 control_hash, control_config_json, candidate_hash, candidate_config_json, \
                 suggestion_json, rules_json, start_seq, note) \
                 VALUES (?1, ?2, {NOW}, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ),
            params![
                experiment.team_id,
                file_path,
                experiment.share,
                to_json(&experiment.ramp),
                experiment.control_hash,
                to_json(&experiment.control_config),
                experiment.candidate_hash,
                to_json(&experiment.candidate_config),
                experiment.suggestion.as_ref().map(to_json),
                to_json(&experiment.rules),
                experiment.start_seq,
                experiment.note,
            ],
        );
        match inserted {
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                return Err(StoreError::ExperimentRunning {
                    path: path.to_path_buf(),
                    team_id: experiment.team_id.clone(),
                    id: 0,
                });
            }
            other => other.map_err(err("recording the experiment"))?,
        };
        let id = tx.last_insert_rowid();
        insert_decision(
            &tx,
            id,
            &NewDecision {
                action: DecisionAction::Start,
                share_before: 0.0,
                share_after: experiment.share,
                control_runs: 0,
                candidate_runs: 0,
                evidence: None,
                history_index: None,
                reason: reason.to_owned(),
            },
        )
        .map_err(err("recording the start decision"))?;
        tx.commit().map_err(err("committing the experiment"))?;
        self.experiment(id)?
            .ok_or_else(|| StoreError::CorruptExperiment {
                path: self.path.clone(),
                id,
                problem: "not found right after it was stored".into(),
            })
    }

    fn experiment(&self, id: i64) -> Result<Option<Experiment>, StoreError> {
        Ok(self
            .query_experiments(
                &format!("SELECT {COLUMNS} FROM experiments WHERE id = ?1"),
                &[&id],
            )?
            .pop())
    }

    fn experiments(&self, team_id: Option<&str>) -> Result<Vec<Experiment>, StoreError> {
        match team_id {
            Some(team) => self.query_experiments(
                &format!("SELECT {COLUMNS} FROM experiments WHERE team_id = ?1 ORDER BY id DESC"),
                &[&team],
            ),
            None => self.query_experiments(
                &format!("SELECT {COLUMNS} FROM experiments ORDER BY id DESC"),
                &[],
            ),
        }
    }

    fn running_experiment(&self, team_id: &str) -> Result<Option<Experiment>, StoreError> {
        Ok(self
            .query_experiments(
                &format!(
                    "SELECT {COLUMNS} FROM experiments WHERE team_id = ?1 AND status = 'running'"
                ),
                &[&team_id],
            )?
            .pop())
    }

    fn decide_experiment(&mut self, id: i64, decision: &NewDecision) -> Result<bool, StoreError> {
        // Through the store's one classifier, as every other write: a full disk or damaged
        // pages say so here too.
        let path = self.path.as_path();
        let err = |action| move |source| crate::error::sqlite_error(path, action, source);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("starting the decision transaction"))?;
        let changed = match decision.action.ends_in() {
            Some(status) => tx.execute(
                &format!(
                    "UPDATE experiments SET status = ?1, share = ?2, ended_at = {NOW}, \
                     history_index = COALESCE(?3, history_index) \
                     WHERE id = ?4 AND status = 'running' AND share = ?5"
                ),
                params![
                    status.as_str(),
                    decision.share_after,
                    decision.history_index.and_then(|i| i64::try_from(i).ok()),
                    id,
                    decision.share_before
                ],
            ),
            None => tx.execute(
                "UPDATE experiments SET share = ?1 \
                 WHERE id = ?2 AND status = 'running' AND share = ?3",
                params![decision.share_after, id, decision.share_before],
            ),
        }
        .map_err(err("updating the experiment"))?;
        if changed == 0 {
            return Ok(false);
        }
        insert_decision(&tx, id, decision).map_err(err("recording the decision"))?;
        tx.commit().map_err(err("committing the decision"))?;
        Ok(true)
    }

    fn experiment_decisions(&self, id: i64) -> Result<Vec<ExperimentDecision>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {DECISION_COLUMNS} FROM experiment_decisions WHERE experiment_id = ?1 ORDER BY id"
            ))
            .map_err(self.err("preparing the decision query"))?;
        type Raw = (
            i64,
            i64,
            String,
            String,
            f64,
            f64,
            i64,
            i64,
            Option<String>,
            Option<i64>,
            String,
        );
        let rows: Vec<Raw> = stmt
            .query_map(params![id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ))
            })
            .map_err(self.err("reading decisions"))?
            .collect::<Result<_, _>>()
            .map_err(self.err("reading decisions"))?;
        rows.into_iter()
            .map(|r| {
                let corrupt = |problem: String| StoreError::CorruptExperiment {
                    path: self.path.clone(),
                    id,
                    problem: format!("decision {}: {problem}", r.0),
                };
                Ok(ExperimentDecision {
                    id: r.0,
                    experiment_id: r.1,
                    created_at: r.2,
                    action: r.3.parse().map_err(corrupt)?,
                    share_before: r.4,
                    share_after: r.5,
                    control_runs: u64::try_from(r.6).unwrap_or(0),
                    candidate_runs: u64::try_from(r.7).unwrap_or(0),
                    evidence: r
                        .8
                        .as_deref()
                        .map(serde_json::from_str)
                        .transpose()
                        .map_err(|e| corrupt(format!("evidence: {e}")))?,
                    history_index: r.9.and_then(|i| u64::try_from(i).ok()),
                    reason: r.10,
                })
            })
            .collect()
    }

    fn experiment_runs(&self, team_id: &str, id: i64) -> Result<Vec<StoredTeamRun>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, record_json FROM team_runs WHERE team_id = ?2 \
                 AND seq > COALESCE((SELECT start_seq FROM experiments WHERE id = ?1), 0) \
                 AND experiment_id = ?1 ORDER BY seq",
            )
            .map_err(self.err("preparing the experiment run query"))?;
        let rows: Vec<(i64, String)> = stmt
            .query_map(params![id, team_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err("reading experiment runs"))?
            .collect::<Result<_, _>>()
            .map_err(self.err("reading experiment runs"))?;
        rows.into_iter()
            .map(|(seq, json)| {
                serde_json::from_str(&json)
                    .map(|record| StoredTeamRun { seq, record })
                    .map_err(|source| StoreError::CorruptRecord {
                        path: self.path.clone(),
                        seq,
                        source,
                    })
            })
            .collect()
    }
}

fn insert_decision(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    d: &NewDecision,
) -> rusqlite::Result<usize> {
    tx.execute(
        &format!(
            "INSERT INTO experiment_decisions (experiment_id, created_at, action, share_before, \
             share_after, control_runs, candidate_runs, evidence_json, history_index, reason) \
             VALUES (?1, {NOW}, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ),
        params![
            id,
            d.action.as_str(),
            d.share_before,
            d.share_after,
            i64::try_from(d.control_runs).unwrap_or(i64::MAX),
            i64::try_from(d.candidate_runs).unwrap_or(i64::MAX),
            d.evidence.as_ref().map(to_json),
            d.history_index.and_then(|i| i64::try_from(i).ok()),
            d.reason,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricsStore;

    fn new(team: &str) -> NewExperiment {
        NewExperiment {
            team_id: team.into(),
            file_path: PathBuf::from("/tmp/w.yaml"),
            share: 0.2,
            ramp: vec![0.5],
            control_hash: "a".into(),
            control_config: serde_json::json!({"team_formation": "sequential"}),
            candidate_hash: "b".into(),
            candidate_config: serde_json::json!({"team_formation": "parallel"}),
            suggestion: None,
            rules: serde_json::json!({}),
            start_seq: None,
            note: None,
        }
    }

    fn decision(action: DecisionAction, before: f64, after: f64) -> NewDecision {
        NewDecision {
            action,
            share_before: before,
            share_after: after,
            control_runs: 8,
            candidate_runs: 2,
            evidence: Some(serde_json::json!({"status": "passed"})),
            history_index: None,
            reason: "because".into(),
        }
    }

    #[test]
    fn one_running_experiment_per_team() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let e = s.start_experiment(&new("t"), "by hand").unwrap();
        assert_eq!(e.status, ExperimentStatus::Running);
        assert_eq!(e.ramp, vec![0.5]);
        let err = s.start_experiment(&new("t"), "again").unwrap_err();
        assert!(
            matches!(err, StoreError::ExperimentRunning { id, .. } if id == e.id),
            "{err}"
        );
        s.start_experiment(&new("other"), "another team").unwrap();
        assert_eq!(s.running_experiment("t").unwrap().unwrap().id, e.id);
        assert_eq!(s.experiments(None).unwrap().len(), 2);
        assert_eq!(s.experiments(Some("t")).unwrap().len(), 1);
    }

    #[test]
    fn a_decision_is_recorded_once() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let e = s.start_experiment(&new("t"), "by hand").unwrap();
        assert!(
            s.decide_experiment(e.id, &decision(DecisionAction::RaiseShare, 0.2, 0.5))
                .unwrap()
        );
        // A second process that saw the old share decides nothing.
        assert!(
            !s.decide_experiment(e.id, &decision(DecisionAction::RaiseShare, 0.2, 0.5))
                .unwrap()
        );
        assert!(
            s.decide_experiment(e.id, &decision(DecisionAction::Promote, 0.5, 0.5))
                .unwrap()
        );
        assert!(
            !s.decide_experiment(e.id, &decision(DecisionAction::Abort, 0.5, 0.5))
                .unwrap()
        );
        let e = s.experiment(e.id).unwrap().unwrap();
        assert_eq!(e.status, ExperimentStatus::Promoted);
        assert!(e.ended_at.is_some());
        let actions: Vec<DecisionAction> = s
            .experiment_decisions(e.id)
            .unwrap()
            .into_iter()
            .map(|d| d.action)
            .collect();
        assert_eq!(
            actions,
            [
                DecisionAction::Start,
                DecisionAction::RaiseShare,
                DecisionAction::Promote
            ]
        );
        // The team may start another one now.
        s.start_experiment(&new("t"), "next").unwrap();
        assert!(s.experiment_runs("t", e.id).unwrap().is_empty());
        assert_eq!(s.team_run_count("t").unwrap(), 0);
    }
}
