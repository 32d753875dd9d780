//! Record builders shared by the integration tests.

use teamtune_model::{MemberMetrics, TeamRunRecord, Variant, WorkflowRunRecord};

/// A team run of `members` members; `i` varies the numbers so records differ.
pub fn team_run(team_id: &str, members: usize, i: usize) -> TeamRunRecord {
    let member_metrics = (0..members)
        .map(|m| {
            let id = format!("m{m}");
            let metrics = MemberMetrics {
                member_id: id.clone(),
                role: if m == 0 {
                    "manager".into()
                } else {
                    "worker".into()
                },
                success: !(i + m).is_multiple_of(7),
                duration_seconds: 1.5 + i as f64 + m as f64 / 10.0,
                tool_calls_used: (i + m) as u64 % 9,
                tools_used: vec!["grep".into(), "read".into()],
                error_message: (i + m)
                    .is_multiple_of(7)
                    .then(|| "tool budget exhausted".to_string()),
                start_time: Some("2025-01-01T00:00:00Z".into()),
                end_time: Some("2025-01-01T00:00:05Z".into()),
                stop_cause: None,
                turns: Vec::new(),
            };
            (id, metrics)
        })
        .collect();
    TeamRunRecord {
        team_id: team_id.to_string(),
        formation: "parallel".into(),
        member_count: members as u32,
        success: !i.is_multiple_of(5),
        duration_seconds: 10.0 + i as f64,
        total_tool_calls: (i * members) as u64,
        unique_tools_used: vec!["grep".into(), "read".into()],
        start_time: Some("2025-01-01T00:00:00Z".into()),
        end_time: Some("2025-01-01T00:00:10Z".into()),
        consensus_achieved: None,
        consensus_rounds: None,
        member_metrics,
        run_id: None,
        workflow: None,
        config_hash: Some("cfg-a".into()),
        variant: None,
        experiment_id: None,
        tool_budget: Some(20),
        timeout_seconds: Some(300.0),
        error: None,
        stop_cause: None,
    }
}

/// A workflow run holding the given team runs.
pub fn workflow_run(run_id: &str, teams: Vec<TeamRunRecord>) -> WorkflowRunRecord {
    WorkflowRunRecord {
        run_id: run_id.to_string(),
        workflow: "review".into(),
        file: "flows/review.yaml".into(),
        seed: u64::MAX - 1,
        success: teams.iter().all(|t| t.success),
        duration_seconds: teams.iter().map(|t| t.duration_seconds).sum(),
        start_time: "2025-01-01T00:00:00Z".into(),
        end_time: "2025-01-01T00:01:00Z".into(),
        error: None,
        variant: None,
        virtual_time: true,
        inputs: Default::default(),
        outputs: Default::default(),
        team_runs: teams,
    }
}

/// A workflow run with one team run of team `team_id`, marked with `variant`.
pub fn single_team_run(
    run_id: &str,
    team_id: &str,
    i: usize,
    variant: Option<Variant>,
) -> WorkflowRunRecord {
    let mut run = workflow_run(run_id, vec![team_run(team_id, 3, i)]);
    run.variant = variant;
    run
}
