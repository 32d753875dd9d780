//! `tool_budget`: on `excessive_tool_usage`, cut each member's `tool_budget` to the p95 of
//! the calls it made in successful runs plus 20% headroom; the saving is estimated from the
//! calls that would no longer be made, converted to seconds with the slope of run duration
//! over tool calls in the team's history. Without per-member calls it falls back to Victor's
//! 70% cut (a constant estimate). On `budget_exhaustion_failures`, raise the budgets that ran
//! out (and `total_tool_budget` when the team hit it); that gain is in success rate.
//!
//! Over-exploration: when a member's calls follow its budget rather than its need (even its
//! lightest successful runs use at least half the budget, or it uses 80% on average, and no
//! run of the team ever failed by budget exhaustion), the p95 of calls made says nothing
//! about the need, so the budget is cut to half the calls of its lightest runs (p10). The
//! saving assumes calls scale with the budget; seconds per call come from the members' own
//! duration over calls, and the run duration is re-predicted with the formation's model
//! (slowest member for concurrent formations, the sum for sequential ones). The A/B test
//! guards against a cut below the real need.

use std::collections::BTreeMap;

use serde_json::json;

use crate::detect::MIN_EVIDENCE_RUNS;
use crate::run_sample::{FailureKind, RunSample};
use crate::strategy::estimate::{
    any_budget_exhausted, budget_following_usage, formation_duration, member_seconds_per_call,
    successful_calls,
};
use crate::strategy::{Strategy, StrategyContext, manager_of, members_value, object};
use crate::suggestion::{Priority, Suggestion, SuggestionType};
use crate::summary::{mean, p95, ratio};

#[derive(Debug, Clone, Copy, Default)]
pub struct ToolBudget;

/// Headroom over the p95 of observed calls.
const HEADROOM: f64 = 1.2;

impl Strategy for ToolBudget {
    fn name(&self) -> &str {
        "tool_budget"
    }

    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
        // Never both: when budgets run out the need is real, and cutting them would only
        // fail more runs.
        if ctx.has_insight("budget_exhaustion_failures") {
            raise(ctx).into_iter().collect()
        } else if ctx.has_insight("excessive_tool_usage") || !budget_driven(ctx).is_empty() {
            reduce(ctx).into_iter().collect()
        } else {
            Vec::new()
        }
    }
}

/// Members whose calls follow their budget (see the module docs), with the budget, the p10
/// and the mean of their calls in successful runs. Empty when any run of the team failed by
/// budget exhaustion: then the budget binds somewhere and the need is real.
fn budget_driven(ctx: &StrategyContext<'_>) -> BTreeMap<String, DrivenUsage> {
    let mut out = BTreeMap::new();
    if any_budget_exhausted(ctx.records) {
        return out;
    }
    for m in &ctx.config.members {
        let Some(usage) = budget_following_usage(ctx.records, m) else {
            continue;
        };
        let proposed = ((usage.lightest / 2.0).ceil() as u32).max(1);
        if proposed < usage.budget {
            out.insert(
                m.id.clone(),
                DrivenUsage {
                    budget: usage.budget,
                    proposed,
                    lightest: usage.lightest,
                    mean_calls: usage.mean_calls,
                },
            );
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
struct DrivenUsage {
    budget: u32,
    proposed: u32,
    lightest: f64,
    mean_calls: f64,
}

fn reduce(ctx: &StrategyContext<'_>) -> Option<Suggestion> {
    let driven = budget_driven(ctx);
    if !driven.is_empty() {
        return reduce_budget_driven(ctx, &driven);
    }
    let members = &ctx.config.members;
    let mut new_budgets: BTreeMap<String, u32> = BTreeMap::new();
    let mut had_evidence = false;
    for m in members {
        let Some(budget) = m.tool_budget else {
            continue;
        };
        let calls = successful_calls(ctx.records, &m.id);
        if calls.len() < MIN_EVIDENCE_RUNS {
            continue;
        }
        had_evidence = true;
        let proposed = (p95(&calls).unwrap_or(0.0) * HEADROOM).ceil().max(1.0) as u32;
        if proposed < budget {
            new_budgets.insert(m.id.clone(), proposed);
        }
    }
    let current_config = object([("members", members_value(members))]);
    if new_budgets.is_empty() {
        if had_evidence {
            // The members' own calls say the budgets are not loose.
            return None;
        }
        // No per-member evidence: Victor's constant cut.
        if !members.iter().any(|m| m.tool_budget.is_some()) {
            return None;
        }
        let cut: Vec<_> = members
            .iter()
            .cloned()
            .map(|mut m| {
                m.tool_budget = m.tool_budget.map(|b| ((f64::from(b) * 0.7) as u32).max(1));
                m
            })
            .collect();
        return Some(Suggestion::new(
            SuggestionType::ToolBudget,
            "Reduce every member's tool budget by 30% (no per-member tool calls were recorded, so the estimate is a constant).".into(),
            current_config,
            object([("members", members_value(&cut))]),
            10.0,
            0.6,
            0.3,
            object([("reason", json!("cost_optimization")), ("estimate", json!("constant"))]),
        ));
    }
    let changed: Vec<_> = members
        .iter()
        .cloned()
        .map(|mut m| {
            if let Some(b) = new_budgets.get(&m.id) {
                m.tool_budget = Some(*b);
            }
            m
        })
        .collect();
    // Calls per run before and after the cut, over runs with member calls.
    let mut before = Vec::new();
    let mut saved = Vec::new();
    for r in ctx.records.iter().filter(|r| !r.members.is_empty()) {
        let total: f64 = r.members.iter().map(|m| m.tool_calls_used as f64).sum();
        let after: f64 = r
            .members
            .iter()
            .map(|m| {
                let calls = m.tool_calls_used as f64;
                new_budgets
                    .get(&*m.member_id)
                    .map_or(calls, |b| calls.min(f64::from(*b)))
            })
            .sum();
        before.push(total);
        saved.push(total - after);
    }
    let calls_before = mean(&before).unwrap_or(0.0);
    let calls_saved = mean(&saved).unwrap_or(0.0);
    let saved_share = if calls_before > 0.0 {
        calls_saved / calls_before
    } else {
        0.0
    };
    let slope = seconds_per_call(ctx.records);
    let mean_duration = ctx.summary.mean_duration_seconds.unwrap_or(0.0);
    let (expected, estimate, metric) = match slope {
        Some(s) if mean_duration > 0.0 => (
            (s * calls_saved / mean_duration * 100.0).min(90.0),
            "tool_call_slope",
            "duration",
        ),
        _ => (saved_share * 100.0, "tool_calls_saved", "tool_calls"),
    };
    let description = format!(
        "Cut tool budgets to the p95 of calls made in successful runs plus 20%: {}. About {:.1} of {:.1} calls per run would no longer be made.",
        new_budgets
            .iter()
            .map(|(id, b)| {
                let old = members
                    .iter()
                    .find(|m| &m.id == id)
                    .and_then(|m| m.tool_budget)
                    .unwrap_or(0);
                format!("{id} {old} -> {b}")
            })
            .collect::<Vec<_>>()
            .join(", "),
        calls_saved,
        calls_before
    );
    Some(Suggestion::new(
        SuggestionType::ToolBudget,
        description,
        current_config,
        object([("members", members_value(&changed))]),
        expected,
        0.7,
        0.3,
        object([
            ("reason", json!("over_exploration")),
            ("estimate", json!(estimate)),
            ("metric", json!(metric)),
            ("tool_calls_saved_per_run", json!(calls_saved)),
            ("tool_calls_saved_percent", json!(saved_share * 100.0)),
            ("seconds_per_call", json!(slope)),
        ]),
    ))
}

/// The cut for members whose usage follows the budget. Each member's calls are assumed to
/// scale with its budget; the run duration is re-predicted from the members' times, each
/// shortened by the calls saved times the seconds per call.
fn reduce_budget_driven(
    ctx: &StrategyContext<'_>,
    driven: &BTreeMap<String, DrivenUsage>,
) -> Option<Suggestion> {
    let members = &ctx.config.members;
    let (latency, latency_source) = member_seconds_per_call(ctx.records)?;
    let formation = ctx.config.team_formation;
    let manager = manager_of(ctx.config).map(|m| m.id.as_str());
    let mut observed = Vec::new();
    let mut predicted = Vec::new();
    let mut saved_calls = Vec::new();
    for r in ctx
        .records
        .iter()
        .filter(|r| &*r.formation == formation.as_str() && r.duration_seconds > 0.0)
    {
        let mut before: Vec<(&str, f64)> = Vec::new();
        let mut after: Vec<(&str, f64)> = Vec::new();
        let mut saved = 0.0;
        for m in r.timed_members() {
            let calls = m.tool_calls_used as f64;
            let cut = driven.get(&*m.member_id).map_or(0.0, |u| {
                let scaled = calls * f64::from(u.proposed) / f64::from(u.budget);
                (calls - scaled.min(f64::from(u.proposed))).max(0.0)
            });
            saved += cut;
            before.push((&m.member_id, m.duration_seconds));
            after.push((&m.member_id, (m.duration_seconds - cut * latency).max(0.0)));
        }
        if before.is_empty() {
            continue;
        }
        let gain = formation_duration(formation, &before, manager)
            - formation_duration(formation, &after, manager);
        observed.push(r.duration_seconds);
        predicted.push((r.duration_seconds - gain).max(0.0));
        saved_calls.push(saved);
    }
    let (Some(before), Some(after)) = (mean(&observed), mean(&predicted)) else {
        return None;
    };
    let expected = if before > 0.0 {
        (1.0 - after / before) * 100.0
    } else {
        0.0
    };
    let changed: Vec<_> = members
        .iter()
        .cloned()
        .map(|mut m| {
            if let Some(u) = driven.get(&m.id) {
                m.tool_budget = Some(u.proposed);
            }
            m
        })
        .collect();
    let notes: Vec<String> = driven
        .iter()
        .map(|(id, u)| {
            format!(
                "{id} {} -> {} (lightest runs {:.0} calls, mean {:.1})",
                u.budget, u.proposed, u.lightest, u.mean_calls
            )
        })
        .collect();
    let usage: BTreeMap<&str, serde_json::Value> = driven
        .iter()
        .map(|(id, u)| {
            (
                id.as_str(),
                json!({
                    "budget": u.budget,
                    "proposed": u.proposed,
                    "p10_calls": u.lightest,
                    "mean_calls": u.mean_calls,
                    "mean_share_of_budget": u.mean_calls / f64::from(u.budget),
                }),
            )
        })
        .collect();
    Some(Suggestion::new(
        SuggestionType::ToolBudget,
        format!(
            "Members spend most of their tool budget in every run and no run ever ran out, so the budget drives their usage, not the need: cut budgets to half the calls of their lightest runs ({}). About {:.1} calls per run would no longer be made; runs should take about {after:.1}s instead of {before:.1}s.",
            notes.join(", "),
            mean(&saved_calls).unwrap_or(0.0),
        ),
        object([("members", members_value(members))]),
        object([("members", members_value(&changed))]),
        expected,
        0.7,
        0.35,
        object([
            ("reason", json!("budget_driven_usage")),
            (
                "estimate",
                json!("calls_scale_with_budget x member_seconds_per_call"),
            ),
            ("metric", json!("duration")),
            ("seconds_per_call", json!(latency)),
            ("seconds_per_call_source", json!(latency_source)),
            ("tool_calls_saved_per_run", json!(mean(&saved_calls))),
            ("observed_mean_duration", json!(before)),
            ("predicted_mean_duration", json!(after)),
            ("runs", json!(observed.len())),
            ("usage", json!(usage)),
        ]),
    ))
}

/// Least-squares slope of run duration over total tool calls; `None` without spread in the
/// calls or with a non-positive slope.
fn seconds_per_call(records: &[RunSample]) -> Option<f64> {
    let points: Vec<(f64, f64)> = records
        .iter()
        .filter(|r| r.duration_seconds > 0.0 && r.total_tool_calls > 0)
        .map(|r| (r.total_tool_calls as f64, r.duration_seconds))
        .collect();
    if points.len() < MIN_EVIDENCE_RUNS {
        return None;
    }
    let mx = mean(&points.iter().map(|p| p.0).collect::<Vec<_>>())?;
    let my = mean(&points.iter().map(|p| p.1).collect::<Vec<_>>())?;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0 && sxy > 0.0).then(|| sxy / sxx)
}

fn raise(ctx: &StrategyContext<'_>) -> Option<Suggestion> {
    let members = &ctx.config.members;
    let failed: Vec<&RunSample> = ctx
        .records
        .iter()
        .filter(|r| !r.success && r.failed_by(FailureKind::BudgetExhausted))
        .collect();
    let exhausted: Vec<&str> = failed
        .iter()
        .flat_map(|r| r.members.iter())
        .filter(|m| {
            !m.success
                && m.error_message
                    .as_ref()
                    .is_some_and(|e| e.kind() == FailureKind::BudgetExhausted)
        })
        .map(|m| &*m.member_id)
        .collect();
    let mut changed = members.clone();
    let mut notes = Vec::new();
    for m in &mut changed {
        let Some(budget) = m.tool_budget else {
            continue;
        };
        if !exhausted.contains(&m.id.as_str()) {
            continue;
        }
        let from_successes =
            p95(&successful_calls(ctx.records, &m.id)).map_or(0.0, |p| (p * HEADROOM).ceil());
        let raised = (f64::from(budget) * 1.5).ceil().max(from_successes) as u32;
        notes.push(format!("{} {budget} -> {raised}", m.id));
        m.tool_budget = Some(raised);
    }
    let total_hit = ctx.config.total_tool_budget.filter(|total| {
        failed
            .iter()
            .any(|r| r.total_tool_calls >= u64::from(*total))
    });
    let mut suggested = object([]);
    let mut current = object([]);
    if !notes.is_empty() {
        current.insert("members".into(), members_value(members));
        suggested.insert("members".into(), members_value(&changed));
    }
    if let Some(total) = total_hit {
        let raised = (f64::from(total) * 1.5).ceil() as u32;
        notes.push(format!("total_tool_budget {total} -> {raised}"));
        current.insert("total_tool_budget".into(), json!(total));
        suggested.insert("total_tool_budget".into(), json!(raised));
    }
    if suggested.is_empty() {
        return None;
    }
    let share = ratio(failed.len(), ctx.records.len());
    Some(
        Suggestion::new(
            SuggestionType::ToolBudget,
            format!(
                "Raise the tool budgets that ran out ({}): {:.0}% of runs failed with \"tool budget exhausted\".",
                notes.join(", "),
                share * 100.0
            ),
            current,
            suggested,
            share * 100.0,
            0.75,
            0.2,
            object([
                ("reason", json!("budget_exhaustion")),
                ("estimate", json!("failed_runs")),
                ("metric", json!("success_rate")),
                ("failed_runs", json!(failed.len())),
            ]),
        )
        .with_priority(Priority::High)
        .judged_on_success_rate(),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use teamtune_model::{Formation, MemberConfig, TeamConfig};

    use super::*;
    use crate::baselines::Baselines;

    use crate::run_sample::MemberSample;
    use crate::summary::Summary;

    fn team(budget: u32) -> TeamConfig {
        TeamConfig {
            team_formation: Formation::Parallel,
            timeout_seconds: Some(600.0),
            total_tool_budget: None,
            max_iterations: 3,
            members: (0..3)
                .map(|j| MemberConfig {
                    id: format!("m{j}"),
                    role: "reviewer".into(),
                    tool_budget: Some(budget),
                    timeout_seconds: None,
                    is_manager: false,
                })
                .collect(),
        }
    }

    /// Parallel runs whose members need `need(i, j)` calls and spend `explore` of the rest
    /// of `budget` anyway, at 1.5 s per call plus 4-8 s of thought.
    fn runs(budget: u32, explore: f64, need: impl Fn(usize, usize) -> u64) -> Vec<RunSample> {
        (0..20)
            .map(|i| {
                let mut r = RunSample::new("team");
                r.formation = Arc::from("parallel");
                r.member_count = 3;
                r.members = (0..3)
                    .map(|j| {
                        let n = need(i, j);
                        let calls = n + (explore * (u64::from(budget) - n) as f64) as u64;
                        MemberSample {
                            member_id: Arc::from(format!("m{j}").as_str()),
                            role: Arc::from("reviewer"),
                            success: true,
                            duration_seconds: 4.0
                                + ((i * 3 + j * 5) % 5) as f64
                                + 1.5 * calls as f64,
                            tool_calls_used: calls,
                            error_message: None,
                        }
                    })
                    .collect();
                r.total_tool_calls = r.members.iter().map(|m| m.tool_calls_used).sum();
                r.duration_seconds = r
                    .members
                    .iter()
                    .map(|m| m.duration_seconds)
                    .fold(0.0, f64::max)
                    + 0.5;
                r
            })
            .collect()
    }

    fn suggestions(records: &[RunSample], config: &TeamConfig) -> Vec<Suggestion> {
        crate::strategy::run_alone(&ToolBudget, records, config)
    }

    #[test]
    fn budget_driven_usage_gets_a_real_cut() {
        // Need about 8 calls, budget 60, 60% of the rest spent anyway: about 39 calls.
        let records = runs(60, 0.6, |i, j| 6 + ((i + 2 * j) % 5) as u64);
        let found = suggestions(&records, &team(60));
        let s = found
            .iter()
            .find(|s| s.metadata["reason"] == "budget_driven_usage")
            .expect("a budget-driven cut");
        let budget = s.suggested_config["members"][0]["tool_budget"]
            .as_u64()
            .unwrap();
        // p10 of calls is about 37: half of it.
        assert!((17..=20).contains(&budget), "{budget}");
        // About 39 -> 12 calls of 1.5 s out of a ~66 s run.
        assert!(
            s.expected_improvement > 25.0 && s.expected_improvement < 75.0,
            "{s:#?}"
        );
        let latency = s.metadata["seconds_per_call"].as_f64().unwrap();
        // The slope is noisy when calls barely vary; the duration-per-call cap bounds it.
        assert!((0.8..=1.75).contains(&latency), "{latency}");
    }

    #[test]
    fn need_driven_usage_keeps_the_p95_rule() {
        // Calls spread from 2 to 14 under a budget of 16: the need, not the budget.
        let records = runs(16, 0.0, |i, j| 2 + ((i * 5 + j * 3) % 13) as u64);
        assert!(
            budget_driven(&StrategyContext {
                insights: &[],
                records: &records,
                summary: &Summary::of(&records),
                config: &team(16),
                baselines: &Baselines::default(),
            })
            .is_empty()
        );
        assert!(
            suggestions(&records, &team(16))
                .iter()
                .all(|s| s.metadata["reason"] != "budget_driven_usage")
        );
    }

    #[test]
    fn budget_exhaustion_means_the_need_is_real() {
        let mut records = runs(60, 0.6, |i, j| 6 + ((i + 2 * j) % 5) as u64);
        records[3].success = false;
        records[3].members[1].success = false;
        records[3].members[1].error_message = Some("tool budget exhausted".into());
        assert!(
            suggestions(&records, &team(60))
                .iter()
                .all(|s| s.metadata["reason"] != "budget_driven_usage")
        );
    }
}
