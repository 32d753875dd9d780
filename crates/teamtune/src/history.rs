//! The change history: listing, rollback, crash reconciliation and the auto-rollback check.
//!
//! Entries are numbered from 0 (oldest) per team. An `apply` entry in effect is `kept` (or
//! `verified` once the auto-rollback check has passed it). `rollback --index N` returns the
//! file, byte for byte, to its state before entry N, undoing N and every later change in
//! effect, and records itself as a `rollback` entry.

use serde::Serialize;
use teamtune_analysis::{
    AbDecision, AbMetric, AbStatus, DecisionRules, decide, decide_reliability,
};
use teamtune_store::{
    HistoryEntry, HistoryKind, HistoryStatus, NewHistoryEntry, RunQuery, Store, VariantFilter,
};

use crate::ab::outcomes;
use crate::autotuner::{Access, Autotuner};
use crate::change_record::{self, ApplyRecord, RollbackRecord};
use crate::error::Error;

/// Pre-change runs the auto-rollback check compares against (the most recent ones).
const PRE_CHANGE_WINDOW: u64 = 100;

fn in_effect(e: &HistoryEntry) -> bool {
    e.kind == HistoryKind::Apply && e.status.in_effect()
}

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

/// What the auto-rollback check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Fewer runs since the change than the check needs.
    Waiting,
    /// The runs since the change hold up; the change stays.
    Verified,
    /// The change regressed and the file was restored.
    RolledBack,
    /// The change regressed and the file could NOT be restored.
    Regressed,
    /// Auto-rollback is off for this change.
    Disabled,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Waiting => "waiting",
            CheckStatus::Verified => "verified",
            CheckStatus::RolledBack => "rolled_back",
            CheckStatus::Regressed => "regressed",
            CheckStatus::Disabled => "disabled",
        }
    }

    /// The change regressed (whether or not the file could be restored).
    pub fn is_regression(self) -> bool {
        matches!(self, CheckStatus::RolledBack | CheckStatus::Regressed)
    }
}

/// What a rollback did.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    pub team_id: String,
    pub file: String,
    /// The entry whose previous state was restored.
    pub restored_before_index: u64,
    /// History ids of the changes undone.
    pub undone: Vec<i64>,
    pub history_id: i64,
    pub automatic: bool,
}

/// What the auto-rollback check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub team_id: String,
    pub history_index: u64,
    pub status: CheckStatus,
    pub message: String,
    pub post_change_runs: u64,
    pub needed_runs: u64,
    pub decision: Option<AbDecision>,
    pub rollback: Option<RollbackReport>,
}

impl Autotuner {
    pub fn history(&self, team_id: &str) -> Result<Vec<HistoryEntry>, Error> {
        self.using_store(Access::Existing, |store| {
            reconcile(store, team_id)?;
            Ok(store.history(team_id)?)
        })
    }

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
        let target = &entries[i as usize];
        if !in_effect(target) {
            return Err(Error::NotInEffect {
                team_id: team_id.to_string(),
                index: i as usize,
                kind: target.kind.to_string(),
                status: target.status.to_string(),
            });
        }
        rollback_to(store, &entries, i as usize, force, false, None)
    }

    /// The auto-rollback check of the team's latest kept change.
    pub fn check(&self, team_id: &str) -> Result<Option<CheckReport>, Error> {
        self.using_store(Access::Existing, |store| self.check_on(store, team_id))
    }

    fn check_on(&self, store: &mut dyn Store, team_id: &str) -> Result<Option<CheckReport>, Error> {
        reconcile(store, team_id)?;
        let entries = store.history(team_id)?;
        let Some(pos) = entries
            .iter()
            .rposition(|e| e.kind == HistoryKind::Apply && e.status == HistoryStatus::Kept)
        else {
            return Ok(None);
        };
        let entry = &entries[pos];
        let r: ApplyRecord = change_record::read(entry)?;
        let needed = r.auto_rollback_runs;
        let mut report = CheckReport {
            team_id: team_id.to_string(),
            history_index: entry.index,
            status: CheckStatus::Waiting,
            message: String::new(),
            post_change_runs: 0,
            needed_runs: needed,
            decision: None,
            rollback: None,
        };
        if !r.auto_rollback {
            report.status = CheckStatus::Disabled;
            report.message = "auto-rollback is off for this change".into();
            return Ok(Some(report));
        }
        // No run of the team before the change: every later run is the change's.
        let apply_seq = r.apply_seq.unwrap_or(0);
        let mut post_q = RunQuery::new()
            .after_seq(apply_seq)
            .config_hash(r.new_config_hash.clone());
        post_q.variant = VariantFilter::Unlabelled;
        let post: Vec<_> = store
            .team_runs(team_id, &post_q)?
            .into_iter()
            .take(needed as usize)
            .collect();
        report.post_change_runs = post.len() as u64;
        if (post.len() as u64) < needed {
            report.status = CheckStatus::Waiting;
            report.message = format!("{} of {needed} runs recorded since the change", post.len());
            return Ok(Some(report));
        }
        let pre: Vec<_> = store
            .stored_team_runs(
                team_id,
                &RunQuery::new()
                    .config_hash(r.old_config_hash.clone())
                    .limit(PRE_CHANGE_WINDOW * 4),
            )?
            .into_iter()
            .filter(|s| s.seq <= apply_seq)
            .map(|s| s.record)
            .collect();
        let pre = &pre[pre.len().saturating_sub(PRE_CHANGE_WINDOW as usize)..];
        if pre.len() < 2 {
            report.status = CheckStatus::Verified;
            report.message = "too few pre-change runs to compare; the change stays".into();
            store.set_history_status(entry.id, &HistoryStatus::Verified, Some(&report.message))?;
            return Ok(Some(report));
        }
        let rules = DecisionRules {
            threshold_percent: r.threshold_percent,
            ..DecisionRules::default()
        };
        // Judge the change by what it was kept for: a reliability change is expected to
        // lengthen runs, so its later runs are held to the success-rate rules.
        let decision = if r.ab_metric == AbMetric::SuccessRate {
            decide_reliability(&outcomes(pre), &outcomes(&post), &rules, entry.id as u64)
        } else {
            decide(&outcomes(pre), &outcomes(&post), &rules, entry.id as u64)
        };
        if decision.status == AbStatus::Failed {
            report.status = CheckStatus::RolledBack;
            report.message = format!(
                "the change regressed after it was kept: {}",
                decision.reason
            );
            let rb = rollback_to(store, &entries, pos, false, true, Some(&report.message));
            match rb {
                Ok(rb) => report.rollback = Some(rb),
                Err(e) => {
                    report.status = CheckStatus::Regressed;
                    report.message = format!("{}; the file was NOT restored: {e}", report.message);
                }
            }
        } else {
            report.status = CheckStatus::Verified;
            report.message = format!(
                "{} runs after the change hold up: {}",
                post.len(),
                decision.reason
            );
            store.set_history_status(entry.id, &HistoryStatus::Verified, Some(&report.message))?;
        }
        report.decision = Some(decision);
        Ok(Some(report))
    }
}

/// Restores the file to its state before `entries[pos]`: history entry first (pending), then
/// the atomic write, then the statuses.
fn rollback_to(
    store: &mut dyn Store,
    entries: &[HistoryEntry],
    pos: usize,
    force: bool,
    automatic: bool,
    note: Option<&str>,
) -> Result<RollbackReport, Error> {
    let target = &entries[pos];
    let path = &target.file_path;
    let newest = entries
        .iter()
        .rev()
        .find(|e| in_effect(e) && e.file_path == *path)
        .unwrap_or(target);
    let current = std::fs::read_to_string(path).map_err(|e| Error::Input {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if current != newest.new_content && !force {
        return Err(Error::FileChanged {
            path: path.clone(),
            when: format!(
                "since history entry {} wrote it (edited by hand?); refusing to roll back over it. Use --force to restore it anyway",
                newest.index
            ),
        });
    }
    let undone: Vec<i64> = entries[pos..]
        .iter()
        .filter(|e| in_effect(e) && e.file_path == *path)
        .map(|e| e.id)
        .collect();
    let entry = store.add_history(&NewHistoryEntry {
        team_id: target.team_id.clone(),
        kind: HistoryKind::Rollback,
        file_path: path.clone(),
        previous_content: current,
        new_content: target.previous_content.clone(),
        suggestion: None,
        result: change_record::write(&RollbackRecord {
            undoes: undone.clone(),
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
    for id in &undone {
        store.set_history_status(*id, &HistoryStatus::RolledBack, None)?;
    }
    store.set_history_status(entry.id, &HistoryStatus::Kept, None)?;
    Ok(RollbackReport {
        team_id: target.team_id.clone(),
        file: path.display().to_string(),
        restored_before_index: target.index,
        undone,
        history_id: entry.id,
        automatic,
    })
}
