//! `parallelization`: a sequential or pipeline team whose member times add up runs its
//! members at once (`parallel`), or under a manager (`hierarchical`) when it has an
//! `is_manager` member or more than six members. The improvement is predicted from the
//! member timings (slowest member plus the observed overhead). A big sequential team without
//! timings gets a hierarchical suggestion with a constant estimate.
//!
//! Reliability: parallel and hierarchical teams fail the whole run when one member fails, as
//! sequential and pipeline teams do; consensus retries only the failed members. When members
//! fail at random (not by timeout or budget), the seconds per successful run (mean duration /
//! success rate) are compared: the concurrent target at today's success rate against
//! consensus at its predicted success rate, with the expected cost of its retry rounds
//! ([`crate::evidence::retry_outlook`]); consensus is proposed when it is at least 10% better.

use serde_json::json;
use teamtune_model::Formation;

use crate::detect::{MIN_CONCURRENCY_SAVING, MIN_EVIDENCE_RUNS};
use crate::evidence::{RetryOutlook, concurrency_evidence, retry_outlook};
use crate::strategy::estimate::predict_duration;
use crate::strategy::{Strategy, StrategyContext, manager_of, object};
use crate::suggestion::{Suggestion, SuggestionType};

#[derive(Debug, Clone, Copy, Default)]
pub struct Parallelization;

/// Teams larger than this go hierarchical rather than fully parallel.
const MAX_FLAT_PARALLEL: usize = 6;

/// How much better (in seconds per successful run) consensus must look than the concurrent
/// target before it is proposed instead: 10%, because the retry model (independent random
/// failures, one turn per retry round) is rougher than the timing model, and the plain
/// concurrent formation is the simpler change.
const CONSENSUS_MARGIN: f64 = 0.9;

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
            if let Some(s) = consensus_instead(
                ctx,
                current,
                target,
                predicted,
                e.predicted_duration,
                e.mean_duration,
            ) {
                return vec![s];
            }
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

/// Consensus instead of `target` when members fail at random and retrying them makes the
/// seconds per successful run at least 10% lower. `target_duration` is the predicted duration
/// under `target`, `concurrent_duration` the slowest member plus overhead (consensus's first
/// round), `observed` the current mean duration.
fn consensus_instead(
    ctx: &StrategyContext<'_>,
    current: Formation,
    target: Formation,
    target_duration: f64,
    concurrent_duration: f64,
    observed: f64,
) -> Option<Suggestion> {
    let o: RetryOutlook = retry_outlook(
        ctx.records,
        current.as_str(),
        ctx.config.members.len(),
        ctx.config.max_iterations,
    )?;
    if o.random_failures == 0 || o.success_rate <= 0.0 || ctx.config.max_iterations < 2 {
        return None;
    }
    let now = observed / o.success_rate;
    let as_target = target_duration / o.success_rate;
    let consensus_duration = concurrent_duration + o.expected_retry_seconds;
    let as_consensus = consensus_duration / o.predicted_success_rate.max(f64::EPSILON);
    if as_consensus >= as_target * CONSENSUS_MARGIN {
        return None;
    }
    let improvement = (1.0 - as_consensus / now) * 100.0;
    if improvement <= 1.0 {
        return None;
    }
    Some(Suggestion::new(
        SuggestionType::Parallelization,
        format!(
            "Run the members as a consensus team ({current} -> consensus): they do not need one another's output in order, and {:.1}% of member turns fail at random, which fails the whole run today ({:.0}% success) and would as {target}; consensus retries only the failed members. Predicted {:.1}s per successful run ({consensus_duration:.1}s at {:.1}% success) against {now:.1}s now and {as_target:.1}s as {target}.",
            o.member_failure_rate * 100.0,
            o.success_rate * 100.0,
            as_consensus,
            o.predicted_success_rate * 100.0,
        ),
        object([("team_formation", json!(current.as_str()))]),
        object([("team_formation", json!(Formation::Consensus.as_str()))]),
        improvement,
        if current == Formation::Pipeline {
            0.65
        } else {
            0.75
        },
        if current == Formation::Pipeline {
            0.6
        } else {
            0.4
        },
        object([
            ("estimate", json!("member_timings x member_failure_rate")),
            ("metric", json!("seconds_per_successful_run")),
            ("current_formation", json!(current.as_str())),
            ("suggested_formation", json!("consensus")),
            ("alternative_formation", json!(target.as_str())),
            ("member_failure_rate", json!(o.member_failure_rate)),
            ("observed_success_rate", json!(o.success_rate)),
            ("predicted_success_rate", json!(o.predicted_success_rate)),
            ("expected_retry_seconds", json!(o.expected_retry_seconds)),
            ("predicted_mean_duration", json!(consensus_duration)),
            ("observed_seconds_per_success", json!(now)),
            ("alternative_seconds_per_success", json!(as_target)),
            ("predicted_seconds_per_success", json!(as_consensus)),
            ("runs", json!(o.runs)),
        ]),
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use teamtune_model::{MemberConfig, TeamConfig};

    use super::*;

    use crate::evidence::tests::sequential_run;
    use crate::run_sample::RunSample;

    fn config(formation: Formation, n: usize) -> TeamConfig {
        TeamConfig {
            team_formation: formation,
            timeout_seconds: Some(900.0),
            total_tool_budget: None,
            max_iterations: 3,
            members: (1..=n)
                .map(|i| MemberConfig {
                    id: format!("m{i}"),
                    role: "worker".into(),
                    tool_budget: Some(20),
                    timeout_seconds: None,
                    is_manager: false,
                })
                .collect(),
        }
    }

    fn suggestions(records: &[RunSample], config: &TeamConfig) -> Vec<Suggestion> {
        crate::strategy::run_alone(&Parallelization, records, config)
    }

    /// 40 pipeline runs of 8 stages of 20 s; in every 4th run one stage fails at random and
    /// stops the pipeline.
    fn failing_pipeline() -> Vec<RunSample> {
        (0..40)
            .map(|i| {
                let mut r = sequential_run(&[20.0; 8], 1.0);
                r.formation = Arc::from("pipeline");
                if i % 4 == 0 {
                    let stop = 1 + i % 7;
                    r.members.truncate(stop + 1);
                    r.members[stop].success = false;
                    r.members[stop].error_message = Some("simulated failure".into());
                    r.success = false;
                    r.error = Some(format!("member m{}: simulated failure", stop + 1).into());
                    r.duration_seconds = 20.0 * (stop + 1) as f64 + 1.0;
                }
                r
            })
            .collect()
    }

    #[test]
    fn randomly_failing_pipeline_goes_consensus() {
        let found = suggestions(&failing_pipeline(), &config(Formation::Pipeline, 8));
        assert_eq!(found.len(), 1, "{found:#?}");
        let s = &found[0];
        assert_eq!(s.suggested_config["team_formation"], "consensus");
        assert_eq!(s.metadata["alternative_formation"], "hierarchical");
        assert_eq!(s.metadata["metric"], "seconds_per_successful_run");
        let p = s.metadata["predicted_success_rate"].as_f64().unwrap();
        assert!(p > 0.99, "{p}");
        // Now about 137 s per success (103 s at 75%); consensus about 21 s plus retries.
        assert!(s.expected_improvement > 75.0, "{s:#?}");
    }

    #[test]
    fn reliable_sequential_team_stays_parallel() {
        let runs: Vec<RunSample> = (0..5)
            .map(|_| sequential_run(&[30.0, 30.0, 30.0, 30.0], 1.0))
            .collect();
        let found = suggestions(&runs, &config(Formation::Sequential, 4));
        assert_eq!(found[0].suggested_config["team_formation"], "parallel");
    }

    #[test]
    fn timeouts_are_not_retried_away() {
        let mut runs = failing_pipeline();
        for r in runs.iter_mut().filter(|r| !r.success) {
            r.error = Some("timeout".into());
            for m in r.members.iter_mut().filter(|m| !m.success) {
                m.error_message = Some("timeout".into());
            }
        }
        let found = suggestions(&runs, &config(Formation::Pipeline, 8));
        assert_eq!(found[0].suggested_config["team_formation"], "hierarchical");
    }
}
