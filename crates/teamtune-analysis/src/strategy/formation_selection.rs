//! `formation_selection`: switch to a formation the team already ran clearly faster under
//! (observed means, Welch-tested), or from consensus to hierarchical when it keeps needing
//! extra rounds and its own member turn times say a manager's plan, the slowest worker and the
//! synthesis would take less ([`crate::evidence::hierarchy_outlook`]).
//! Running sequential members concurrently is [`super::Parallelization`]'s job.
//!
//! Reliability: a parallel team fails the whole run when one member fails; consensus retries
//! only the failed members. When members fail at random (not by timeout or budget), the
//! seconds per successful run under consensus are estimated from the observed member failure
//! rate and turn times ([`crate::evidence::retry_outlook`]); consensus is proposed when that
//! is at least 5% (the default A/B threshold) better than now.

use serde_json::json;
use teamtune_model::Formation;

use crate::ab::decision::DecisionRules;
use crate::detect::MIN_EVIDENCE_RUNS;
use crate::evidence::{consensus_rounds, faster_formations, hierarchy_outlook, retry_outlook};
use crate::strategy::estimate::member_seconds_per_call;
use crate::strategy::{Strategy, StrategyContext, manager_of, object};
use crate::suggestion::{Suggestion, SuggestionType};

#[derive(Debug, Clone, Copy, Default)]
pub struct FormationSelection;

impl Strategy for FormationSelection {
    fn name(&self) -> &str {
        "formation_selection"
    }

    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
        let retry = retry_instead_of_parallel(ctx);
        if !ctx.has_insight("suboptimal_formation_") {
            return retry.into_iter().collect();
        }
        let current = ctx.config.team_formation;
        let current_config = object([("team_formation", json!(current.as_str()))]);
        let mut out = Vec::new();
        if let Some(best) = faster_formations(ctx.records, current.as_str(), MIN_EVIDENCE_RUNS)
            .into_iter()
            .find(|f| f.formation.parse::<Formation>().is_ok())
        {
            out.push(Suggestion::new(
                SuggestionType::FormationSelection,
                format!(
                    "Switch formation from {current} to {}: this team's runs took {:.1}s as {} ({} runs) against {:.1}s as {current} ({} runs).",
                    best.formation, best.mean_duration, best.formation, best.runs, best.current_mean_duration, best.current_runs
                ),
                current_config.clone(),
                object([("team_formation", json!(best.formation))]),
                best.improvement * 100.0,
                if best.p_value < 0.01 { 0.85 } else { 0.75 },
                0.3,
                object([
                    ("estimate", json!("observed_history")),
                    ("current_formation", json!(current.as_str())),
                    ("suggested_formation", json!(best.formation)),
                    ("p_value", json!(best.p_value)),
                    ("runs", json!(best.runs)),
                ]),
            ));
        }
        if current == Formation::Consensus {
            out.extend(hierarchy_instead_of_consensus(ctx, current_config));
        }
        out.extend(retry);
        out
    }
}

/// Consensus -> hierarchical for a consensus team that keeps needing extra rounds, when the
/// team's own single-round runs say a manager's plan + the slowest worker + the synthesis is
/// faster by at least the default A/B threshold ([`hierarchy_outlook`]), not worse per
/// successful run (hierarchical retries nothing) and inside the success-rate guardrail. Extra rounds alone do not make it faster: the plan and the synthesis are two more
/// turns in a row.
fn hierarchy_instead_of_consensus(
    ctx: &StrategyContext<'_>,
    current_config: serde_json::Map<String, serde_json::Value>,
) -> Option<Suggestion> {
    let (rounds, n) = consensus_rounds(ctx.records)?;
    if n < MIN_EVIDENCE_RUNS || rounds <= 1.0 {
        return None;
    }
    let manager = manager_of(ctx.config)?;
    let spc = member_seconds_per_call(ctx.records).map(|s| s.0);
    let o = hierarchy_outlook(ctx.records, &manager.id, ctx.config.members.len(), spc)?;
    let gain = o.duration_gain_percent();
    let (now, predicted) = (
        o.observed_seconds_per_success(),
        o.predicted_seconds_per_success(),
    );
    let drop_points = (o.observed_success_rate - o.predicted_success_rate) * 100.0;
    if o.replayed_runs < MIN_EVIDENCE_RUNS
        || gain < DecisionRules::default().threshold_percent
        || predicted > now
        || drop_points > DecisionRules::default().max_success_rate_drop_points
    {
        return None;
    }
    Some(Suggestion::new(
        SuggestionType::FormationSelection,
        format!(
            "Switch formation from consensus to hierarchical: consensus needs {rounds:.1} rounds on average; replaying its single-round runs with '{}' as manager, a run takes {:.1}s (plan {:.1}s + slowest worker {:.1}s + synthesis {:.1}s) against {:.1}s now, {predicted:.1}s per successful run against {now:.1}s.",
            manager.id,
            o.predicted_duration,
            o.mean_plan_seconds,
            o.mean_slowest_worker_seconds,
            o.mean_synthesis_seconds,
            o.observed_mean_duration,
        ),
        current_config,
        object([("team_formation", json!(Formation::Hierarchical.as_str()))]),
        gain,
        0.65,
        0.5,
        object([
            (
                "estimate",
                json!("member_timings (plan + slowest worker + synthesis)"),
            ),
            ("mean_consensus_rounds", json!(rounds)),
            ("manager", json!(manager.id)),
            ("predicted_mean_duration", json!(o.predicted_duration)),
            ("observed_mean_duration", json!(o.observed_mean_duration)),
            ("predicted_success_rate", json!(o.predicted_success_rate)),
            ("observed_success_rate", json!(o.observed_success_rate)),
            ("predicted_seconds_per_success", json!(predicted)),
            ("observed_seconds_per_success", json!(now)),
            ("member_failure_rate", json!(o.member_failure_rate)),
            ("replayed_runs", json!(o.replayed_runs)),
            ("runs", json!(o.runs)),
        ]),
    ))
}

/// Smallest gain in seconds per successful run for which parallel -> consensus is proposed.
const MIN_RETRY_GAIN_PERCENT: f64 = 5.0;

/// Parallel -> consensus for a team whose members fail at random: consensus's first round is
/// the parallel run, and failed members retry instead of failing the run.
fn retry_instead_of_parallel(ctx: &StrategyContext<'_>) -> Option<Suggestion> {
    let current = ctx.config.team_formation;
    if current != Formation::Parallel
        || ctx.config.members.len() < 2
        || ctx.config.max_iterations < 2
    {
        return None;
    }
    let o = retry_outlook(
        ctx.records,
        current.as_str(),
        ctx.config.members.len(),
        ctx.config.max_iterations,
    )?;
    let observed = ctx.summary.mean_duration_seconds?;
    if o.runs < MIN_EVIDENCE_RUNS || o.random_failures == 0 || o.success_rate <= 0.0 {
        return None;
    }
    let now = observed / o.success_rate;
    let duration = observed + o.expected_retry_seconds;
    let predicted = duration / o.predicted_success_rate.max(f64::EPSILON);
    let gain = (1.0 - predicted / now) * 100.0;
    if gain < MIN_RETRY_GAIN_PERCENT {
        return None;
    }
    Some(Suggestion::new(
        SuggestionType::FormationSelection,
        format!(
            "Switch formation from parallel to consensus: {:.1}% of member turns fail at random and each fails the whole run ({:.0}% success); consensus retries only the failed members. Predicted {predicted:.1}s per successful run ({duration:.1}s at {:.1}% success) against {now:.1}s now.",
            o.member_failure_rate * 100.0,
            o.success_rate * 100.0,
            o.predicted_success_rate * 100.0
        ),
        object([("team_formation", json!(current.as_str()))]),
        object([("team_formation", json!(Formation::Consensus.as_str()))]),
        gain,
        0.7,
        0.3,
        object([
            ("estimate", json!("member_failure_rate x member_timings")),
            ("metric", json!("seconds_per_successful_run")),
            ("member_failure_rate", json!(o.member_failure_rate)),
            ("observed_success_rate", json!(o.success_rate)),
            ("predicted_success_rate", json!(o.predicted_success_rate)),
            ("expected_retry_seconds", json!(o.expected_retry_seconds)),
            ("predicted_mean_duration", json!(duration)),
            ("observed_seconds_per_success", json!(now)),
            ("predicted_seconds_per_success", json!(predicted)),
            ("runs", json!(o.runs)),
        ]),
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use teamtune_model::{MemberConfig, TeamConfig};

    use super::*;

    use crate::evidence::tests::{consensus_run, sequential_run};
    use crate::run_sample::RunSample;

    fn parallel_team(n: usize) -> TeamConfig {
        TeamConfig {
            team_formation: Formation::Parallel,
            timeout_seconds: Some(600.0),
            total_tool_budget: None,
            max_iterations: 3,
            members: (1..=n)
                .map(|i| MemberConfig {
                    id: format!("m{i}"),
                    role: "worker".into(),
                    tool_budget: None,
                    timeout_seconds: None,
                    is_manager: false,
                })
                .collect(),
        }
    }

    /// 20 parallel runs of 4 members of 20 s; `failing` of them have one member fail with
    /// `error`.
    fn parallel_runs(failing: usize, error: &str) -> Vec<RunSample> {
        (0..20)
            .map(|i| {
                let mut r = sequential_run(&[20.0; 4], 0.0);
                r.formation = Arc::from("parallel");
                r.duration_seconds = 21.0;
                if i < failing {
                    r.success = false;
                    r.members[i % 4].success = false;
                    r.members[i % 4].error_message = Some(error.into());
                }
                r
            })
            .collect()
    }

    fn suggestions(records: &[RunSample], config: &TeamConfig) -> Vec<Suggestion> {
        crate::strategy::run_alone(&FormationSelection, records, config)
    }

    #[test]
    fn random_member_failures_make_consensus_worth_it() {
        // 5 of 80 member turns fail: 75% success now, about 99.9% with two retries.
        let found = suggestions(&parallel_runs(5, "simulated failure"), &parallel_team(4));
        let s = found
            .iter()
            .find(|s| s.suggested_config["team_formation"] == "consensus")
            .expect("consensus");
        // 28 s per success now; 21 s + about 5 s of retry rounds at ~100%: about 7.5%.
        assert!(
            s.expected_improvement > 5.0 && s.expected_improvement < 10.0,
            "{s:#?}"
        );
        assert_eq!(s.metadata["metric"], "seconds_per_successful_run");
    }

    #[test]
    fn rare_or_non_random_failures_keep_parallel() {
        // One failure in 20 runs: the retries would not pay 5%.
        assert!(suggestions(&parallel_runs(1, "simulated failure"), &parallel_team(4)).is_empty());
        // Timeouts are not helped by a retry.
        assert!(suggestions(&parallel_runs(5, "timeout"), &parallel_team(4)).is_empty());
    }

    fn consensus_team(n: usize) -> TeamConfig {
        TeamConfig {
            team_formation: Formation::Consensus,
            ..parallel_team(n)
        }
    }

    #[test]
    fn extra_rounds_alone_do_not_make_hierarchical_faster() {
        // Eight members of 32-45 s; a third of the runs need a second round (80 s). Under a
        // manager: plan 32 s + slowest worker 45 s + synthesis 32 s, slower than now.
        let runs: Vec<RunSample> = (0..20)
            .map(|i| {
                if i % 3 == 0 {
                    consensus_run(32.0, 45.0, 8, 2, 80.0)
                } else {
                    consensus_run(32.0, 45.0, 8, 1, 45.5)
                }
            })
            .collect();
        let found = suggestions(&runs, &consensus_team(8));
        assert!(
            !found
                .iter()
                .any(|s| s.suggested_config["team_formation"] == "hierarchical"),
            "{found:#?}"
        );
    }

    #[test]
    fn hierarchical_when_the_replay_says_it_is_faster() {
        // A quick manager (4 s) and a worker of 30 s agree in one round 10 times out of 12;
        // twice they argue for 3 rounds and 300 s and fail. Hierarchical: 4 + 30 + 4 + 0.5 s.
        let mut runs: Vec<RunSample> = (0..10)
            .map(|_| consensus_run(4.0, 30.0, 2, 1, 30.5))
            .collect();
        for _ in 0..2 {
            let mut r = consensus_run(4.0, 30.0, 2, 3, 300.0);
            r.success = false;
            r.members[1].success = false;
            r.members[1].error_message = Some("simulated failure".into());
            runs.push(r);
        }
        let found = suggestions(&runs, &consensus_team(2));
        let s = found
            .iter()
            .find(|s| s.suggested_config["team_formation"] == "hierarchical")
            .expect("hierarchical");
        assert!((s.metadata["predicted_mean_duration"].as_f64().unwrap() - 38.5).abs() < 1e-9);
        assert!((s.expected_improvement - (1.0 - 38.5 * 12.0 / 905.0) * 100.0).abs() < 1e-9);
        assert_eq!(s.metadata["manager"], "m1");
        // Fewer failures: the success-rate guardrail (each run is ~8 points) or the seconds per
        // success rule keeps consensus.
        let mut succeeded = runs.clone();
        for r in &mut succeeded[10..] {
            r.success = true;
            r.members[1].success = true;
        }
        assert!(
            !suggestions(&succeeded, &consensus_team(2))
                .iter()
                .any(|s| s.suggested_config["team_formation"] == "hierarchical")
        );
    }
}
