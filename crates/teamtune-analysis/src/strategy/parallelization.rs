//! `parallelization`: a sequential or pipeline team whose member times add up runs its
//! members at once (`parallel`), or under a manager (`hierarchical`) when it has an
//! `is_manager` member or more than six members. The improvement is predicted from the
//! member timings (slowest member plus the observed overhead). A big sequential team without
//! timings gets a hierarchical suggestion with a constant estimate.

use serde_json::json;
use teamtune_model::Formation;

use super::{Strategy, StrategyContext, manager_of, object, predict_duration};
use crate::detect::{MIN_CONCURRENCY_SAVING, MIN_EVIDENCE_RUNS};
use crate::evidence::concurrency_evidence;
use crate::suggestion::{Suggestion, SuggestionType};

#[derive(Debug, Clone, Copy, Default)]
pub struct Parallelization;

/// Teams larger than this go hierarchical rather than fully parallel.
const MAX_FLAT_PARALLEL: usize = 6;

impl Strategy for Parallelization {
    fn name(&self) -> &str {
        "parallelization"
    }

    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
        let current = ctx.config.team_formation;
        if !matches!(current, Formation::Sequential | Formation::Pipeline)
            || ctx.config.members.len() < 2
        {
            return Vec::new();
        }
        let has_manager = ctx.config.members.iter().any(|m| m.is_manager);
        let target = if has_manager || ctx.config.members.len() > MAX_FLAT_PARALLEL {
            Formation::Hierarchical
        } else {
            Formation::Parallel
        };
        let pipeline = current == Formation::Pipeline;
        let risk = if pipeline { 0.6 } else { 0.35 };
        let current_config = object([("team_formation", json!(current.as_str()))]);
        let suggested_config = object([("team_formation", json!(target.as_str()))]);
        let evidence = concurrency_evidence(ctx.records, current.as_str())
            .filter(|e| e.runs >= MIN_EVIDENCE_RUNS && e.mean_saving >= MIN_CONCURRENCY_SAVING);
        if let Some(e) = evidence {
            let manager = manager_of(ctx.config).map(|m| m.id.as_str());
            let prediction = if target == Formation::Parallel {
                None
            } else {
                predict_duration(ctx.records, current, target, manager, &|_| true)
            };
            let (predicted, improvement) = match prediction {
                Some(p) => (p.predicted, p.improvement_percent()),
                None => (e.predicted_duration, e.improvement * 100.0),
            };
            if improvement <= 1.0 {
                return Vec::new();
            }
            let metadata = object([
                ("estimate", json!("member_timings")),
                ("runs", json!(e.runs)),
                ("observed_mean_duration", json!(e.mean_duration)),
                ("predicted_mean_duration", json!(predicted)),
                ("mean_member_sum", json!(e.mean_member_sum)),
                ("mean_member_max", json!(e.mean_member_max)),
                ("mean_overhead", json!(e.mean_overhead)),
                ("current_formation", json!(current.as_str())),
                ("suggested_formation", json!(target.as_str())),
            ]);
            let caveat = if pipeline {
                " Pipeline stages read the previous stage's output: check they can run independently."
            } else {
                ""
            };
            return vec![Suggestion::new(
                SuggestionType::Parallelization,
                format!(
                    "Run the members {} instead of one after another ({current} -> {target}): the slowest member takes {:.1}s of the {:.1}s the members add up to, so a run should take about {predicted:.1}s instead of {:.1}s.{caveat}",
                    if target == Formation::Parallel {
                        "concurrently"
                    } else {
                        "as parallel workers under a manager"
                    },
                    e.mean_member_max,
                    e.mean_member_sum,
                    e.mean_duration
                ),
                current_config,
                suggested_config,
                improvement,
                if pipeline { 0.65 } else { 0.8 },
                risk,
                metadata,
            )];
        }
        let big_and_slow = ctx.config.members.len() > MAX_FLAT_PARALLEL
            && (ctx.has_insight("oversized_team") || ctx.has_insight("slow_execution"))
            && ctx.records.iter().all(|r| r.timed_members().count() < 2);
        if big_and_slow && !pipeline {
            return vec![Suggestion::new(
                SuggestionType::Parallelization,
                format!(
                    "Split the {}-member sequential team into parallel workers under a manager (hierarchical). No member timings were recorded, so the estimate is a constant.",
                    ctx.config.members.len()
                ),
                current_config,
                object([("team_formation", json!(Formation::Hierarchical.as_str()))]),
                30.0,
                0.6,
                0.4,
                object([("estimate", json!("constant"))]),
            )];
        }
        Vec::new()
    }
}
