//! `formation_selection`: switch to a formation the team already ran clearly faster under
//! (observed means, Welch-tested), or away from consensus when it keeps needing extra rounds.
//! Running sequential members concurrently is [`super::Parallelization`]'s job.
//!
//! Reliability: a parallel team fails the whole run when one member fails; consensus retries
//! only the failed members. When members fail at random (not by timeout or budget), the
//! seconds per successful run under consensus are estimated from the observed member failure
//! rate and turn times ([`crate::evidence::retry_outlook`]); consensus is proposed when that
//! is at least 5% (the default A/B threshold) better than now.

use serde_json::json;
use teamtune_model::Formation;

use super::{Strategy, StrategyContext, object};
use crate::detect::MIN_EVIDENCE_RUNS;
use crate::evidence::{consensus_rounds, faster_formations, retry_outlook};
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
        if current == Formation::Consensus
            && let Some((rounds, n)) = consensus_rounds(ctx.records)
            && n >= MIN_EVIDENCE_RUNS
            && rounds > 1.0
        {
            out.push(Suggestion::new(
                SuggestionType::FormationSelection,
                format!(
                    "Switch formation from consensus to hierarchical: consensus needs {rounds:.1} rounds on average, a manager's synthesis needs one."
                ),
                current_config,
                object([("team_formation", json!(Formation::Hierarchical.as_str()))]),
                (1.0 - 1.0 / rounds) * 100.0,
                0.6,
                0.5,
                object([
                    ("estimate", json!("consensus_rounds")),
                    ("mean_consensus_rounds", json!(rounds)),
                    ("runs", json!(n)),
                ]),
            ));
        }
        out.extend(retry);
        out
    }
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
    use crate::baselines::Baselines;
    use crate::detect::analyze;
    use crate::evidence::tests::sequential_run;
    use crate::run_sample::RunSample;
    use crate::summary::Summary;

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
        let baselines = Baselines::default();
        let insights = analyze(records, &baselines);
        let summary = Summary::of(records);
        FormationSelection.suggest(&StrategyContext {
            insights: &insights,
            records,
            summary: &summary,
            config,
            baselines: &baselines,
        })
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
}
