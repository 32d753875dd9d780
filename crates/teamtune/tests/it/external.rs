//! Teams without a workflow file: history from several inputs, suggestions for a described
//! configuration, and runs recorded from outside under its hash.

use teamtune::{
    Autotuner, BaselineChoice, Formation, MemberConfig, MetricsInput, MetricsSource, TeamConfig,
    TeamRunRecord, WorkflowRunRecord, external_config_hash,
};

const RECORD: &str = r#"{"team_id": "t", "formation": "sequential", "member_count": 5, "duration_seconds": 80, "total_tool_calls": 28}"#;

#[test]
fn several_inputs_read_as_one_history_and_errors_name_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    std::fs::write(&file, format!("[{RECORD}, {RECORD}]")).unwrap();
    let tuner =
        Autotuner::new(dir.path().join("s.db")).with_baseline_choice(BaselineChoice::Victor);
    let source = MetricsSource::Inputs(vec![
        MetricsInput::File(file.clone()),
        MetricsInput::Json {
            name: "metrics_history".into(),
            text: format!("{RECORD}\n{RECORD}\n"),
        },
    ]);
    assert_eq!(tuner.analyze("t", &source).unwrap().runs, 4);
    let bad = MetricsSource::Inputs(vec![
        MetricsInput::File(file),
        MetricsInput::Json {
            name: "metrics_history".into(),
            text: r#"[{"team_id": "t", "success": "no"}]"#.into(),
        },
    ]);
    let e = tuner.analyze("t", &bad).unwrap_err().to_string();
    assert!(
        e.starts_with("metrics_history: ") && e.contains(r#"record 0: field "success""#),
        "{e}"
    );
    assert_eq!(
        teamtune::count_metrics_records(&dir.path().join("m.json")).unwrap(),
        2
    );
}

fn member(id: &str) -> MemberConfig {
    MemberConfig {
        id: id.into(),
        role: "reviewer".into(),
        tool_budget: None,
        timeout_seconds: None,
        is_manager: false,
    }
}

fn run(i: usize, config: &TeamConfig, seconds: [f64; 3]) -> WorkflowRunRecord {
    let members = config
        .members
        .iter()
        .zip(seconds)
        .map(|(m, s)| {
            (
                m.id.clone(),
                teamtune::MemberMetrics {
                    member_id: m.id.clone(),
                    role: m.role.clone(),
                    success: true,
                    duration_seconds: s,
                    tool_calls_used: 2,
                    tools_used: Vec::new(),
                    error_message: None,
                    start_time: None,
                    end_time: None,
                    stop_cause: None,
                    turns: Vec::new(),
                },
            )
        })
        .collect();
    let team = TeamRunRecord {
        team_id: "py_team".into(),
        formation: "sequential".into(),
        member_count: 3,
        success: true,
        duration_seconds: seconds.iter().sum(),
        total_tool_calls: 6,
        unique_tools_used: Vec::new(),
        start_time: None,
        end_time: None,
        consensus_achieved: None,
        consensus_rounds: None,
        member_metrics: members,
        run_id: Some(format!("r{i}")),
        workflow: Some("python".into()),
        config_hash: Some(external_config_hash(config)),
        variant: None,
        experiment_id: None,
        tool_budget: None,
        timeout_seconds: None,
        error: None,
        stop_cause: None,
    };
    WorkflowRunRecord {
        run_id: format!("r{i}"),
        workflow: "python".into(),
        file: "team.py".into(),
        seed: 0,
        success: true,
        duration_seconds: team.duration_seconds,
        start_time: "2026-01-01T00:00:00Z".into(),
        end_time: "2026-01-01T00:00:10Z".into(),
        error: None,
        variant: None,
        virtual_time: false,
        inputs: Default::default(),
        outputs: Default::default(),
        team_runs: vec![team],
    }
}

#[test]
fn a_described_team_gets_suggestions_from_its_own_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let tuner = Autotuner::new(dir.path().join("s.db"));
    let config = TeamConfig {
        team_formation: Formation::Sequential,
        timeout_seconds: None,
        total_tool_budget: None,
        max_iterations: teamtune::DEFAULT_TEAM_MAX_ITERATIONS,
        members: vec![member("a"), member("b"), member("c")],
    };
    let older = TeamConfig {
        members: vec![member("a"), member("b")],
        ..config.clone()
    };
    let mut runs: Vec<WorkflowRunRecord> =
        (0..5).map(|i| run(i, &older, [1.0, 1.0, 1.0])).collect();
    runs.extend((5..25).map(|i| run(i, &config, [5.0, 6.0, 7.0 + (i % 3) as f64])));
    tuner.record_runs(&runs).unwrap();
    let report = tuner
        .suggest_for_config("py_team", Some(&config), &MetricsSource::Store)
        .unwrap();
    assert_eq!(
        report.runs, 20,
        "only the runs of the described configuration"
    );
    assert_eq!(report.config_hash, external_config_hash(&config));
    assert!(
        report.suggestions.iter().any(|s| s
            .suggested_config
            .get("team_formation")
            .and_then(|v| v.as_str())
            == Some("parallel")),
        "{:#?}",
        report.suggestions
    );
    // Without a configuration: the latest runs, and the configuration they describe.
    let latest = tuner
        .suggest_for_config("py_team", None, &MetricsSource::Store)
        .unwrap();
    assert_eq!(latest.runs, 20);
    let ids: Vec<&str> = latest
        .current_config
        .members
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
}
