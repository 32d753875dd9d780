//! `tool_budget`: on `excessive_tool_usage`, cut each member's `tool_budget` to the p95 of
//! the calls it made in successful runs plus 20% headroom; the saving is estimated from the
//! calls that would no longer be made, converted to seconds with the slope of run duration
//! over tool calls in the team's history. Without per-member calls it falls back to Victor's
//! 70% cut (a constant estimate). On `budget_exhaustion_failures`, raise the budgets that ran
//! out (and `total_tool_budget` when the team hit it); that gain is in success rate.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Strategy, StrategyContext, members_value, object};
use crate::detect::MIN_EVIDENCE_RUNS;
use crate::run_sample::{FailureKind, RunSample};
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
        let mut out = Vec::new();
        if ctx.has_insight("excessive_tool_usage") {
            out.extend(reduce(ctx));
        }
        if ctx.has_insight("budget_exhaustion_failures") {
            out.extend(raise(ctx));
        }
        out
    }
}

fn successful_calls(records: &[RunSample], member: &str) -> Vec<f64> {
    records
        .iter()
        .flat_map(|r| r.members.iter())
        .filter(|m| &*m.member_id == member && m.success)
        .map(|m| m.tool_calls_used as f64)
        .collect()
}

fn reduce(ctx: &StrategyContext<'_>) -> Option<Suggestion> {
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
                    .as_deref()
                    .is_some_and(|e| FailureKind::of_message(e) == FailureKind::BudgetExhausted)
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
        .with_priority(Priority::High),
    )
}
