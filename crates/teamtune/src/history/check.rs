//! The auto-rollback check of a team's latest kept change: once enough runs of the new
//! config are recorded, they are compared with the runs before the change (by the metric the
//! change was kept for); a regression rolls the change back, else it is marked `verified`.

use serde::Serialize;
use teamtune_analysis::{
    AbDecision, AbMetric, AbStatus, DecisionRules, decide, decide_reliability,
};
use teamtune_store::{HistoryKind, HistoryStatus, RunQuery, Store, VariantFilter};

use super::reconcile::reconcile;
use super::rollback::{RollbackReport, rollback_to};
use crate::ab::outcomes;
use crate::autotuner::{Access, Autotuner};
use crate::change_record::{self, ApplyRecord};
use crate::error::Error;

/// Pre-change runs the auto-rollback check compares against (the most recent ones).
const PRE_CHANGE_WINDOW: u64 = 100;

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
    /// The auto-rollback check of the team's latest kept change.
    pub fn check(&self, team_id: &str) -> Result<Option<CheckReport>, Error> {
        self.using_store(Access::Existing, |store| self.check_on(store, team_id))
    }

    fn check_on(&self, store: &mut dyn Store, team_id: &str) -> Result<Option<CheckReport>, Error> {
        reconcile(store, team_id)?;
        let entries = store.history(team_id)?;
        super::listing::require_known(store, team_id, &entries)?;
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
