//! The auto-rollback check of a team's latest kept change: once enough runs of the new
//! config are recorded, they are compared with the runs before the change (by the metric the
//! change was kept for); a regression rolls the change back, else it is marked `verified`.

use serde::Serialize;
use teamtune_analysis::{AbDecision, AbStatus, DecisionRules, decide, decide_reliability};
use teamtune_store::{
    HistoryKind, HistoryStatus, HistoryStore, MetricsStore, RunQuery, VariantFilter,
};

use super::rollback::{RollbackReport, rollback_to};
use super::{VERIFIED, reconcile};
use crate::ab::outcomes;
use crate::autotuner::Autotuner;
use crate::error::Error;

/// Pre-change runs the auto-rollback check compares against (the most recent ones).
const PRE_CHANGE_WINDOW: u64 = 100;

/// What the auto-rollback check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub team_id: String,
    pub history_index: u64,
    /// waiting | verified | rolled_back | disabled
    pub status: String,
    pub message: String,
    pub post_change_runs: u64,
    pub needed_runs: u64,
    pub decision: Option<AbDecision>,
    pub rollback: Option<RollbackReport>,
}

impl Autotuner {
    /// The auto-rollback check of the team's latest kept change.
    pub fn check(&self, team_id: &str) -> Result<Option<CheckReport>, Error> {
        let mut store = self.existing_store()?;
        reconcile(&mut store, team_id)?;
        let entries = store.history(team_id)?;
        let Some(pos) = entries
            .iter()
            .rposition(|e| e.kind == HistoryKind::Apply && e.status == HistoryStatus::Kept)
        else {
            return Ok(None);
        };
        let entry = &entries[pos];
        let r = entry.result.clone().unwrap_or_default();
        let needed = r
            .get("auto_rollback_runs")
            .and_then(|v| v.as_u64())
            .unwrap_or(10);
        let mut report = CheckReport {
            team_id: team_id.to_string(),
            history_index: entry.index,
            status: String::new(),
            message: String::new(),
            post_change_runs: 0,
            needed_runs: needed,
            decision: None,
            rollback: None,
        };
        if r.get("auto_rollback").and_then(|v| v.as_bool()) == Some(false) {
            report.status = "disabled".into();
            report.message = "auto-rollback is off for this change".into();
            return Ok(Some(report));
        }
        let (Some(old_hash), Some(new_hash)) = (
            r.get("old_config_hash").and_then(|v| v.as_str()),
            r.get("new_config_hash").and_then(|v| v.as_str()),
        ) else {
            return Ok(None);
        };
        let apply_seq = r.get("apply_seq").and_then(|v| v.as_i64()).unwrap_or(0);
        let mut post_q = RunQuery::new().after_seq(apply_seq).config_hash(new_hash);
        post_q.variant = VariantFilter::Unlabelled;
        let post: Vec<_> = store
            .team_runs(team_id, &post_q)?
            .into_iter()
            .take(needed as usize)
            .collect();
        report.post_change_runs = post.len() as u64;
        if (post.len() as u64) < needed {
            report.status = "waiting".into();
            report.message = format!("{} of {needed} runs recorded since the change", post.len());
            return Ok(Some(report));
        }
        let pre: Vec<_> = store
            .stored_team_runs(
                team_id,
                &RunQuery::new()
                    .config_hash(old_hash)
                    .limit(PRE_CHANGE_WINDOW * 4),
            )?
            .into_iter()
            .filter(|s| s.seq <= apply_seq)
            .map(|s| s.record)
            .collect();
        let pre = &pre[pre.len().saturating_sub(PRE_CHANGE_WINDOW as usize)..];
        if pre.len() < 2 {
            report.status = VERIFIED.into();
            report.message = "too few pre-change runs to compare; the change stays".into();
            store.set_history_status(
                entry.id,
                &HistoryStatus::Other(VERIFIED.into()),
                Some(&report.message),
            )?;
            return Ok(Some(report));
        }
        let threshold = r
            .get("threshold_percent")
            .and_then(|v| v.as_f64())
            .unwrap_or(5.0);
        let rules = DecisionRules {
            threshold_percent: threshold,
            ..DecisionRules::default()
        };
        // Judge the change by what it was kept for: a reliability change is expected to
        // lengthen runs, so its later runs are held to the success-rate rules.
        let decision = if r.get("ab_metric").and_then(|v| v.as_str()) == Some("success_rate") {
            decide_reliability(&outcomes(pre), &outcomes(&post), &rules, entry.id as u64)
        } else {
            decide(&outcomes(pre), &outcomes(&post), &rules, entry.id as u64)
        };
        if decision.status == AbStatus::Failed {
            report.status = "rolled_back".into();
            report.message = format!(
                "the change regressed after it was kept: {}",
                decision.reason
            );
            let rb = rollback_to(
                &mut store,
                &entries,
                pos,
                false,
                true,
                Some(&report.message),
            );
            match rb {
                Ok(rb) => report.rollback = Some(rb),
                Err(e) => {
                    report.status = "regressed".into();
                    report.message = format!("{}; the file was NOT restored: {e}", report.message);
                }
            }
        } else {
            report.status = VERIFIED.into();
            report.message = format!(
                "{} runs after the change hold up: {}",
                post.len(),
                decision.reason
            );
            store.set_history_status(
                entry.id,
                &HistoryStatus::Other(VERIFIED.into()),
                Some(&report.message),
            )?;
        }
        report.decision = Some(decision);
        Ok(Some(report))
    }
}
