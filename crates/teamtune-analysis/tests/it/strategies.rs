//! Suggestions from realistic team histories, including the key acceptance case: a
//! sequential team of independent 30-second members should go parallel for ~70%.

use std::sync::Arc;

use serde_json::json;
use teamtune_analysis::strategy::{Strategy, StrategyContext};
use teamtune_analysis::{
    Baselines, MemberSample, Priority, RunSample, Suggestion, SuggestionType, analyze,
    apply_suggestion, default_strategies, suggest,
};
use teamtune_model::{Formation, MemberConfig, TeamConfig};

fn member(id: &str, secs: f64, calls: u64, ok: bool, error: Option<&str>) -> MemberSample {
    MemberSample {
        member_id: Arc::from(id),
        role: Arc::from("worker"),
        success: ok,
        duration_seconds: secs,
        tool_calls_used: calls,
        error_message: error.map(Into::into),
    }
}

fn config(formation: Formation, ids: &[&str], budget: Option<u32>) -> TeamConfig {
    TeamConfig {
        team_formation: formation,
        timeout_seconds: Some(600.0),
        total_tool_budget: None,
        max_iterations: 3,
        members: ids
            .iter()
            .map(|id| MemberConfig {
                id: (*id).into(),
                role: "worker".into(),
                tool_budget: budget,
                timeout_seconds: None,
                is_manager: false,
            })
            .collect(),
    }
}

/// Deterministic jitter in [-1, 1].
fn jitter(i: usize, j: usize) -> f64 {
    (((i * 7 + j * 13) % 11) as f64 - 5.0) / 5.0
}

fn sequential_history(runs: usize) -> Vec<RunSample> {
    (0..runs)
        .map(|i| {
            let mut r = RunSample::new("team");
            r.member_count = 4;
            r.members = (0..4)
                .map(|j| member(&format!("m{}", j + 1), 30.0 + jitter(i, j), 6, true, None))
                .collect();
            r.duration_seconds = r.members.iter().map(|m| m.duration_seconds).sum::<f64>() + 1.5;
            r.total_tool_calls = 24;
            r
        })
        .collect()
}

#[test]
fn independent_sequential_members_go_parallel() {
    let runs = sequential_history(10);
    let cfg = config(Formation::Sequential, &["m1", "m2", "m3", "m4"], Some(10));
    let insights = analyze(&runs, &Baselines::default());
    assert!(
        insights
            .iter()
            .any(|i| i.bottleneck == "suboptimal_formation_sequential"),
        "{insights:#?}"
    );
    let found = suggest(&runs, &cfg, &Baselines::default(), &default_strategies());
    let top = &found[0];
    assert_eq!(top.kind, SuggestionType::Parallelization, "{found:#?}");
    assert_eq!(top.suggested_config["team_formation"], "parallel");
    assert_eq!(top.current_config["team_formation"], "sequential");
    assert!(
        (65.0..=75.0).contains(&top.expected_improvement),
        "{}",
        top.expected_improvement
    );
    assert_eq!(top.metadata["estimate"], "member_timings");
    assert_eq!(top.priority, Priority::Critical);
    let applied = apply_suggestion(&cfg, top).unwrap();
    assert_eq!(applied.team_formation, Formation::Parallel);
    assert_eq!(applied.members, cfg.members);
}

#[test]
fn second_scale_durations_alone_do_not_flag_the_formation() {
    // Victor flags any team slower than 2x a millisecond benchmark; without member timings or
    // other formations there is no formation evidence.
    let runs: Vec<RunSample> = (0..10)
        .map(|i| {
            let mut r = RunSample::new("team");
            r.duration_seconds = 100.0 + i as f64;
            r
        })
        .collect();
    let insights = analyze(&runs, &Baselines::default());
    assert!(
        !insights
            .iter()
            .any(|i| i.bottleneck.starts_with("suboptimal_formation")),
        "{insights:#?}"
    );
}

#[test]
fn faster_formation_in_history_is_suggested() {
    let mut runs = Vec::new();
    for i in 0..6 {
        let mut r = RunSample::new("team");
        r.formation = Arc::from("parallel");
        r.duration_seconds = 40.0 + i as f64;
        runs.push(r);
    }
    for i in 0..6 {
        let mut r = RunSample::new("team");
        r.formation = Arc::from("consensus");
        r.duration_seconds = 90.0 + i as f64;
        runs.push(r);
    }
    let cfg = config(Formation::Consensus, &["a", "b"], None);
    let found = suggest(&runs, &cfg, &Baselines::default(), &default_strategies());
    let s = found
        .iter()
        .find(|s| s.kind == SuggestionType::FormationSelection)
        .expect("formation suggestion");
    assert_eq!(s.suggested_config["team_formation"], "parallel");
    assert!((s.expected_improvement - (1.0 - 42.5 / 92.5) * 100.0).abs() < 1e-9);
    assert_eq!(s.metadata["estimate"], "observed_history");
}

#[test]
fn slow_member_is_dropped() {
    let runs: Vec<RunSample> = (0..6)
        .map(|i| {
            let mut r = RunSample::new("team");
            r.formation = Arc::from("pipeline");
            r.member_count = 3;
            r.members = vec![
                member("fast1", 10.0 + jitter(i, 0), 3, true, None),
                member("fast2", 11.0 + jitter(i, 1), 3, true, None),
                member("slowpoke", 60.0 + jitter(i, 2), 3, true, None),
            ];
            r.duration_seconds = r.members.iter().map(|m| m.duration_seconds).sum();
            r
        })
        .collect();
    let cfg = config(Formation::Pipeline, &["fast1", "fast2", "slowpoke"], None);
    let insights = analyze(&runs, &Baselines::default());
    let slow = insights
        .iter()
        .find(|i| i.bottleneck == "slow_member")
        .expect("slow_member");
    assert_eq!(slow.affected_components, ["member:slowpoke"]);
    let found = suggest(&runs, &cfg, &Baselines::default(), &default_strategies());
    let s = found
        .iter()
        .find(|s| s.kind == SuggestionType::MemberSelection)
        .expect("member selection");
    let ids: Vec<&str> = s.suggested_config["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["fast1", "fast2"]);
    assert!(s.expected_improvement > 60.0, "{s:#?}");
    let applied = apply_suggestion(&cfg, s).unwrap();
    assert_eq!(applied.members.len(), 2);
}

#[test]
fn failing_member_and_budget_exhaustion() {
    let runs: Vec<RunSample> = (0..10)
        .map(|i| {
            let mut r = RunSample::new("team");
            r.member_count = 3;
            let broke = i % 2 == 0;
            r.members = vec![
                member("a", 10.0, 4, true, None),
                member(
                    "b",
                    10.0,
                    if broke { 8 } else { 5 },
                    !broke,
                    broke.then_some("tool budget exhausted"),
                ),
                member("c", 10.0, 4, true, None),
            ];
            r.success = !broke;
            r.error = broke.then(|| "tool budget exhausted".into());
            r.duration_seconds = 31.0;
            r.total_tool_calls = r.members.iter().map(|m| m.tool_calls_used).sum();
            r
        })
        .collect();
    let insights = analyze(&runs, &Baselines::default());
    let names: Vec<&str> = insights.iter().map(|i| i.bottleneck.as_str()).collect();
    assert!(names.contains(&"budget_exhaustion_failures"), "{names:?}");
    assert!(names.contains(&"failing_member"), "{names:?}");
    assert!(names.contains(&"low_success_rate"), "{names:?}");
    let cfg = config(Formation::Sequential, &["a", "b", "c"], Some(8));
    let found = suggest(&runs, &cfg, &Baselines::default(), &default_strategies());
    let raise = found
        .iter()
        .find(|s| {
            s.kind == SuggestionType::ToolBudget && s.metadata["reason"] == "budget_exhaustion"
        })
        .expect("raise budget");
    assert_eq!(raise.priority, Priority::High);
    let applied = apply_suggestion(&cfg, raise).unwrap();
    assert_eq!(applied.members[1].tool_budget, Some(12));
    assert_eq!(applied.members[0].tool_budget, Some(8));

    // Against a low tool-call baseline, Victor's rule fires too: its advice must not say to
    // cut the budgets that run out, and no suggestion cuts them.
    let low = Baselines {
        avg_tool_calls: 5.0,
        ..Baselines::default()
    };
    let insights = analyze(&runs, &low);
    let excessive = insights
        .iter()
        .find(|i| i.bottleneck == "excessive_tool_usage")
        .expect("fires against 5 calls");
    assert!(
        !excessive.recommendation.contains("reducing tool budget"),
        "{}",
        excessive.recommendation
    );
    let found = suggest(&runs, &cfg, &low, &default_strategies());
    assert!(
        !found
            .iter()
            .any(|s| s.kind == SuggestionType::ToolBudget
                && s.metadata["reason"] != "budget_exhaustion"),
        "{found:#?}"
    );
}

#[test]
fn timeouts_from_hangs_lower_the_timeout() {
    let runs: Vec<RunSample> = (0..20)
        .map(|i| {
            let mut r = RunSample::new("team");
            if i % 5 == 0 {
                r.success = false;
                r.error = Some("timeout".into());
                r.duration_seconds = 600.0;
            } else {
                r.duration_seconds = 20.0 + i as f64 * 0.5;
            }
            r
        })
        .collect();
    let cfg = config(Formation::Parallel, &["a", "b"], None);
    let found = suggest(&runs, &cfg, &Baselines::default(), &default_strategies());
    let s = found
        .iter()
        .find(|s| s.kind == SuggestionType::TimeoutTuning)
        .expect("timeout");
    let t = s.suggested_config["timeout_seconds"].as_f64().unwrap();
    assert!(t < 60.0 && t > 29.0, "{t}");
    assert_eq!(s.current_config["timeout_seconds"], 600.0);
    assert!(s.expected_improvement > 50.0, "{s:#?}");
}

#[test]
fn over_exploring_members_get_smaller_budgets() {
    let runs: Vec<RunSample> = (0..12)
        .map(|i| {
            let mut r = RunSample::new("team");
            r.formation = Arc::from("parallel");
            r.members = (0..3)
                .map(|j| {
                    member(
                        &format!("m{j}"),
                        10.0,
                        8 + ((i * (j + 1)) % 4) as u64,
                        true,
                        None,
                    )
                })
                .collect();
            r.total_tool_calls = r.members.iter().map(|m| m.tool_calls_used).sum();
            r.duration_seconds = 5.0 + r.total_tool_calls as f64;
            r
        })
        .collect();
    let cfg = config(Formation::Parallel, &["m0", "m1", "m2"], Some(30));
    let found = suggest(&runs, &cfg, &Baselines::default(), &default_strategies());
    let s = found
        .iter()
        .find(|s| s.kind == SuggestionType::ToolBudget)
        .expect("tool budget");
    assert_eq!(s.suggested_config["members"][0]["tool_budget"], json!(14));
    assert_eq!(s.metadata["estimate"], "tool_call_slope");
}

#[test]
fn victor_fixture_team_gets_constant_sizing_estimate() {
    // slow_team: 8 members, oversized, no member timings.
    let runs: Vec<RunSample> = [150.0, 281.0, 291.0]
        .iter()
        .map(|d| {
            let mut r = RunSample::new("slow_team");
            r.formation = Arc::from("consensus");
            r.member_count = 8;
            r.duration_seconds = *d;
            r.total_tool_calls = 50;
            r
        })
        .collect();
    let ids = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"];
    let cfg = config(Formation::Consensus, &ids, Some(10));
    let found = suggest(&runs, &cfg, &Baselines::default(), &default_strategies());
    let sizing = found
        .iter()
        .find(|s| s.kind == SuggestionType::TeamSizing)
        .expect("sizing");
    assert_eq!(
        sizing.suggested_config["members"].as_array().unwrap().len(),
        5
    );
    assert_eq!(sizing.metadata["estimate"], "constant");
    assert!(found.iter().all(|s| s.confidence >= 0.6));
    // Ranked: priority first, then expected x confidence.
    for pair in found.windows(2) {
        assert!(
            pair[0].priority < pair[1].priority
                || (pair[0].priority == pair[1].priority
                    && pair[0].expected_improvement * pair[0].confidence
                        >= pair[1].expected_improvement * pair[1].confidence)
        );
    }
}

#[test]
fn ids_are_stable_and_custom_strategies_plug_in() {
    struct AlwaysTimeout;
    impl Strategy for AlwaysTimeout {
        fn name(&self) -> &str {
            "always_timeout"
        }
        fn suggest(&self, _ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
            let mut suggested = serde_json::Map::new();
            suggested.insert("timeout_seconds".into(), json!(42.0));
            vec![Suggestion::new(
                SuggestionType::TimeoutTuning,
                "fixed".into(),
                serde_json::Map::new(),
                suggested,
                3.0,
                0.9,
                0.1,
                serde_json::Map::new(),
            )]
        }
    }
    let runs = vec![RunSample::new("t")];
    let cfg = config(Formation::Parallel, &["a"], None);
    let strategies: Vec<Box<dyn Strategy>> = vec![Box::new(AlwaysTimeout)];
    let a = suggest(&runs, &cfg, &Baselines::default(), &strategies);
    let b = suggest(&runs, &cfg, &Baselines::default(), &strategies);
    assert_eq!(a[0].id, b[0].id);
    assert!(a[0].id.starts_with("timeout_tuning-"));
    assert_eq!(
        apply_suggestion(&cfg, &a[0]).unwrap().timeout_seconds,
        Some(42.0)
    );
    let json = serde_json::to_value(&a[0]).unwrap();
    assert_eq!(json["type"], "timeout_tuning");
    assert_eq!(json["priority"], "low");
}
