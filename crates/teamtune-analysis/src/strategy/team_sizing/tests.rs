//! Tests of [`TeamSizing`]: the replayed cut (with and without its budget raise) and the
//! replayed growth, on synthetic consensus and parallel runs.

use std::sync::Arc;

use teamtune_model::{MemberConfig, TeamConfig};

use serde_json::json;

use super::grow::{GROW_MARGIN_PERCENT, MAX_GROWN_MEMBERS};
use super::shrink::BUDGET_HEADROOM;
use super::*;
use crate::run_sample::{MemberSample, RunSample};

fn team(formation: Formation, n: usize, budget: u32) -> TeamConfig {
    TeamConfig {
        team_formation: formation,
        timeout_seconds: Some(900.0),
        total_tool_budget: None,
        max_iterations: 3,
        members: (1..=n)
            .map(|i| MemberConfig {
                id: format!("m{i}"),
                role: "researcher".into(),
                tool_budget: Some(budget),
                timeout_seconds: None,
                is_manager: false,
            })
            .collect(),
    }
}

/// Consensus runs of `n` members sharing 24 calls of 1 s; each turn is `think` (varying
/// from 2 to 20 s) + calls + `coordination` x (n - 1). Every third run needs two rounds.
fn consensus_runs(n: usize, coordination: f64) -> Vec<RunSample> {
    (0..30)
        .map(|i| {
            let mut r = RunSample::new("team");
            r.formation = Arc::from("consensus");
            r.member_count = n as u32;
            let calls = 24 / n as u64;
            r.members = (0..n)
                .map(|j| {
                    let think = 2.0 + ((i * 7 + j * 11) % 10) as f64 * 2.0;
                    MemberSample {
                        member_id: Arc::from(format!("m{}", j + 1).as_str()),
                        role: Arc::from("researcher"),
                        success: true,
                        duration_seconds: think
                            + calls as f64
                            + coordination * (n - 1) as f64
                            + (j % 2) as f64 * 0.5,
                        tool_calls_used: calls + (j % 2) as u64,
                        error_message: None,
                    }
                })
                .collect();
            let round = r
                .members
                .iter()
                .map(|m| m.duration_seconds)
                .fold(0.0, f64::max);
            let rounds = if i % 3 == 0 { 2 } else { 1 };
            r.consensus_rounds = Some(rounds);
            r.duration_seconds = round * f64::from(rounds);
            r.total_tool_calls = r.members.iter().map(|m| m.tool_calls_used).sum();
            r
        })
        .collect()
}

fn suggestions(records: &[RunSample], config: &TeamConfig) -> Vec<Suggestion> {
    crate::strategy::run_alone(&TeamSizing, records, config)
}

#[test]
fn coordinating_consensus_team_is_cut_from_its_own_turns() {
    let cfg = team(Formation::Consensus, 8, 20);
    let found = suggestions(&consensus_runs(8, 3.0), &cfg);
    let s = found
        .iter()
        .find(|s| s.metadata["estimate"] == "member_turn_replay")
        .expect("a replayed sizing");
    let kept = s.suggested_config["members"].as_array().unwrap();
    // 24 calls shared by k members under a budget of 20: at least 2 members.
    assert!((2..=4).contains(&kept.len()), "{s:#?}");
    assert_eq!(kept[0]["id"], "m1");
    let low = s.metadata["improvement_without_coordination"]
        .as_f64()
        .unwrap();
    let high = s.metadata["improvement_with_full_floor_as_coordination"]
        .as_f64()
        .unwrap();
    assert!(
        low <= s.expected_improvement && s.expected_improvement <= high,
        "{s:#?}"
    );
    assert!(s.expected_improvement > 10.0, "{s:#?}");
}

#[test]
fn budget_limits_how_far_a_team_shrinks() {
    // 24 shared calls under a budget of 7: four members at least.
    let cfg = team(Formation::Consensus, 8, 7);
    let found = suggestions(&consensus_runs(8, 3.0), &cfg);
    if let Some(s) = found
        .iter()
        .find(|s| s.metadata["estimate"] == "member_turn_replay")
    {
        assert!(s.suggested_config["members"].as_array().unwrap().len() >= 4);
    }
}

fn replayed(found: &[Suggestion]) -> Option<&Suggestion> {
    found
        .iter()
        .find(|s| s.metadata["estimate"] == "member_turn_replay")
}

#[test]
fn a_cut_that_outgrows_the_budget_raises_it_too() {
    // 24 shared calls: three members make 8 each per round, and a consensus member that
    // failed retries on what is left; a budget of 20 covers two of its three rounds.
    let cfg = team(Formation::Consensus, 8, 20);
    let found = suggestions(&consensus_runs(8, 3.0), &cfg);
    let s = replayed(&found).expect("a replayed sizing");
    assert_eq!(s.metadata["budgets_raised"], true, "{s:#?}");
    let raised = s.metadata["raised_tool_budget"].as_u64().unwrap();
    let kept = s.suggested_config["members"].as_array().unwrap();
    let k = kept.len() as u64;
    // At least every round's share, never below the current budget.
    assert!(raised > 20 && raised >= 3 * 24 / k, "{s:#?}");
    let p95 = s.metadata["predicted_member_calls_p95"].as_f64().unwrap();
    assert_eq!(raised, (p95 * BUDGET_HEADROOM).ceil() as u64);
    assert!(
        s.metadata["predicted_success_rate_with_current_budgets"]
            .as_f64()
            .unwrap()
            < s.metadata["predicted_success_rate"].as_f64().unwrap()
    );
    assert_eq!(
        s.metadata["raised_tool_budgets"].as_object().unwrap().len(),
        kept.len()
    );
    assert!(
        s.description
            .contains("Raise the kept members' tool budgets")
    );
    let applied = crate::strategy::apply_suggestion(&cfg, s).unwrap();
    assert_eq!(applied.members.len(), kept.len());
    assert!(
        applied
            .members
            .iter()
            .all(|m| m.tool_budget == Some(raised as u32))
    );
    assert_eq!(applied.members[0].id, "m1");
}

#[test]
fn a_budget_that_covers_the_cut_is_left_alone() {
    let cfg = team(Formation::Consensus, 8, 100);
    let found = suggestions(&consensus_runs(8, 3.0), &cfg);
    let s = replayed(&found).expect("a replayed sizing");
    assert_eq!(s.metadata["budgets_raised"], false, "{s:#?}");
    assert!(
        s.suggested_config["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["tool_budget"] == 100)
    );
}

#[test]
fn a_budget_the_members_spend_anyway_is_not_raised() {
    // Every member spends 3 calls of a budget of 3: usage follows the budget.
    let cfg = team(Formation::Consensus, 8, 3);
    let mut runs = consensus_runs(8, 3.0);
    for r in &mut runs {
        for m in &mut r.members {
            m.tool_calls_used = 3;
        }
    }
    let found = suggestions(&runs, &cfg);
    assert!(
        found
            .iter()
            .all(|s| s.metadata.get("budgets_raised") != Some(&json!(true))),
        "{found:#?}"
    );
}

#[test]
fn sequential_teams_are_not_replayed() {
    let mut cfg = team(Formation::Consensus, 8, 20);
    cfg.team_formation = Formation::Sequential;
    let mut runs = consensus_runs(8, 3.0);
    for r in &mut runs {
        r.formation = Arc::from("sequential");
    }
    assert!(
        suggestions(&runs, &cfg)
            .iter()
            .all(|s| s.metadata["estimate"] != "member_turn_replay")
    );
}

/// Parallel runs of `n` members sharing `calls` tool calls of `seconds_per_call`; each
/// turn is think (2 to 6.5 s) + its calls + `coordination` x (n - 1). The members' calls
/// spread by one around the equal share.
fn parallel_runs(n: usize, calls: u64, seconds_per_call: f64, coordination: f64) -> Vec<RunSample> {
    (0..30)
        .map(|i| {
            let mut r = RunSample::new("team");
            r.formation = Arc::from("parallel");
            r.member_count = n as u32;
            r.members = (0..n)
                .map(|j| {
                    let think = 2.0 + ((i * 7 + j * 11) % 10) as f64 * 0.5;
                    let used = (calls / n as u64 + ((i + j) % 3) as u64).saturating_sub(1);
                    MemberSample {
                        member_id: Arc::from(format!("m{}", j + 1).as_str()),
                        role: Arc::from("researcher"),
                        success: true,
                        duration_seconds: think
                            + used as f64 * seconds_per_call
                            + coordination * (n - 1) as f64,
                        tool_calls_used: used,
                        error_message: None,
                    }
                })
                .collect();
            r.duration_seconds = r
                .members
                .iter()
                .map(|m| m.duration_seconds)
                .fold(0.0, f64::max);
            r.total_tool_calls = r.members.iter().map(|m| m.tool_calls_used).sum();
            r
        })
        .collect()
}

fn grown(found: &[Suggestion]) -> Option<&Suggestion> {
    found
        .iter()
        .find(|s| s.metadata["estimate"] == "member_turn_replay_grown")
}

#[test]
fn team_whose_calls_dominate_grows() {
    let cfg = team(Formation::Parallel, 3, 50);
    let found = suggestions(&parallel_runs(3, 60, 2.0, 0.2), &cfg);
    let s = grown(&found).expect("a grown team");
    let members = s.suggested_config["members"].as_array().unwrap();
    assert!((4..=MAX_GROWN_MEMBERS).contains(&members.len()), "{s:#?}");
    let ids: Vec<&str> = members.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(&ids[..4], ["m1", "m2", "m3", "m3_2"]);
    assert_eq!(members[3]["tool_budget"], 50);
    assert_eq!(
        s.metadata["added_members"].as_array().unwrap().len(),
        members.len() - 3
    );
    let low = s.metadata["improvement_with_full_floor_as_coordination"]
        .as_f64()
        .unwrap();
    let high = s.metadata["improvement_without_coordination"]
        .as_f64()
        .unwrap();
    assert!(
        low <= s.expected_improvement && s.expected_improvement <= high,
        "{s:#?}"
    );
    assert!(
        high >= GROW_MARGIN_PERCENT && s.expected_improvement > 1.0,
        "{s:#?}"
    );
    assert!(
        s.metadata["coordination_upper_bound_seconds"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // What apply_suggestion makes of it: the old members first, then the clones.
    let applied = crate::strategy::apply_suggestion(&cfg, s).unwrap();
    assert_eq!(applied.members.len(), members.len());
    assert_eq!(applied.members[..3], cfg.members[..]);
}

#[test]
fn team_whose_coordination_dominates_does_not_grow() {
    let cfg = team(Formation::Parallel, 3, 50);
    let found = suggestions(&parallel_runs(3, 6, 1.0, 5.0), &cfg);
    assert!(grown(&found).is_none(), "{found:#?}");
}

#[test]
fn a_team_never_grows_beyond_eight() {
    let cfg = team(Formation::Consensus, 7, 100);
    let mut runs = parallel_runs(7, 280, 3.0, 0.0);
    for r in &mut runs {
        r.formation = Arc::from("consensus");
        r.consensus_rounds = Some(1);
    }
    let found = suggestions(&runs, &cfg);
    let s = grown(&found).expect("a grown team");
    assert_eq!(s.suggested_config["members"].as_array().unwrap().len(), 8);
    let cfg = team(Formation::Consensus, 8, 100);
    let mut runs = parallel_runs(8, 320, 3.0, 0.0);
    for r in &mut runs {
        r.formation = Arc::from("consensus");
        r.consensus_rounds = Some(1);
    }
    assert!(grown(&suggestions(&runs, &cfg)).is_none());
}

#[test]
fn added_ids_skip_ids_in_use() {
    let mut cfg = team(Formation::Parallel, 3, 40);
    cfg.members[0].id = "m3_2".into();
    let mut runs = parallel_runs(3, 60, 2.0, 0.2);
    for r in &mut runs {
        r.members[0].member_id = Arc::from("m3_2");
    }
    let found = suggestions(&runs, &cfg);
    let s = grown(&found).expect("a grown team");
    let ids: Vec<&str> = s.suggested_config["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(&ids[..4], ["m3_2", "m2", "m3", "m3_3"]);
}

#[test]
fn calls_that_follow_the_budget_do_not_grow_the_team() {
    // 20 calls each under a budget of 22: usage follows the budget, not the work.
    let cfg = team(Formation::Parallel, 3, 22);
    assert!(grown(&suggestions(&parallel_runs(3, 60, 2.0, 0.2), &cfg)).is_none());
}

#[test]
fn sequential_and_pipeline_teams_do_not_grow() {
    for formation in [
        Formation::Sequential,
        Formation::Pipeline,
        Formation::Hierarchical,
    ] {
        let cfg = team(formation, 3, 40);
        let mut runs = parallel_runs(3, 60, 2.0, 0.2);
        for r in &mut runs {
            r.formation = Arc::from(formation.as_str());
        }
        assert!(grown(&suggestions(&runs, &cfg)).is_none(), "{formation}");
    }
}
