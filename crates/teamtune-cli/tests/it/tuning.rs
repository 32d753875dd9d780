//! analyze, suggest, apply, history, rollback and compare through the binary.

use crate::{repo_root, stderr, stdout, teamtune};

#[test]
fn analyze_matches_the_reference_on_the_victor_fixture() {
    let root = repo_root();
    let fixture = root.join("crates/teamtune-metrics/tests/fixtures/victor-fixture-metrics.json");
    let expected: serde_json::Value =
        serde_json::from_str(
            &std::fs::read_to_string(root.join(
                "crates/teamtune-metrics/tests/fixtures/victor-fixture-expected-insights.json",
            ))
            .unwrap(),
        )
        .unwrap();
    for team in ["test_team", "slow_team"] {
        let out = teamtune(
            &root,
            &[
                "analyze",
                "--team-id",
                team,
                "--metrics",
                fixture.to_str().unwrap(),
                "--baselines",
                "victor",
                "--json",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(report["team_id"], team);
        let got: Vec<&serde_json::Value> = report["insights"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                !i["bottleneck"]
                    .as_str()
                    .unwrap()
                    .starts_with("suboptimal_formation")
            })
            .collect();
        let want = expected["teams"][team].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{team}: {got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g["bottleneck"], w["bottleneck"]);
            for k in [
                "severity",
                "current_value",
                "baseline_value",
                "impact_magnitude",
            ] {
                assert!(
                    (g[k].as_f64().unwrap() - w[k].as_f64().unwrap()).abs() < 1e-6,
                    "{team} {k}"
                );
            }
        }
    }
}

#[test]
fn bad_metrics_name_the_record_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, needle) in [
        (
            "s.json",
            r#"[{"team_id": "t", "duration_seconds": 5}, {"team_id": "t", "success": "false"}]"#,
            "record 1: field \"success\"",
        ),
        (
            "d.jsonl",
            "{\"team_id\": \"t\", \"duration_seconds\": \"5\"}\n",
            "record 0: field \"duration_seconds\"",
        ),
        (
            "n.json",
            r#"[{"team_id": "t", "duration_seconds": NaN}]"#,
            "record 0",
        ),
        ("x.json", r#"[{"team_id": "t"}, 7]"#, "record 1"),
        (
            "t.json",
            r#"[{"team_id": "t", "duration_seconds": 5},"#,
            "record 1",
        ),
        ("e.json", "", "empty"),
    ] {
        let p = crate::write(dir.path(), name, text);
        let out = teamtune(
            dir.path(),
            &[
                "analyze",
                "--team-id",
                "t",
                "--metrics",
                p.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(stderr(&out).contains(needle), "{name}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn suggest_apply_history_rollback_round_trip() {
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root.join("examples/sequential-audit.yaml")).unwrap();
    let file = crate::write(dir.path(), "audit.yaml", &original);
    let f = file.to_str().unwrap();
    let db = dir.path().join("t.db");
    let store = db.to_str().unwrap();
    let out = teamtune(
        dir.path(),
        &["run", f, "--runs", "30", "--seed", "1", "--store", store],
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );

    let out = teamtune(
        dir.path(),
        &[
            "suggest",
            "--team-id",
            "audit_team",
            "--config",
            f,
            "--store",
            store,
            "--json",
            "--output",
            "s.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // The twin's joint change comes first, with what it stands on; then the rules'.
    let twin = &report["suggestions"][0];
    assert_eq!(twin["type"], "twin_search", "{report:#}");
    assert_eq!(twin["metadata"]["fit"]["ok"], true);
    assert_eq!(twin["metadata"]["objective"], "seconds_per_success");
    let first = report["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] != "twin_search")
        .unwrap();
    assert_eq!(
        first["suggested_config"]["team_formation"], "parallel",
        "{report:#}"
    );
    let expected = first["expected_improvement"].as_f64().unwrap();
    assert!(
        (60.0..80.0).contains(&expected),
        "about 70% from the member timings: {expected}"
    );
    assert_eq!(first["metadata"]["estimate"], "member_timings");
    let id = first["id"].as_str().unwrap().to_string();

    let out = teamtune(
        dir.path(),
        &[
            "apply",
            "--team-id",
            "audit_team",
            "--config",
            f,
            "--store",
            store,
            "--suggestion",
            "s.json",
            "--pick",
            &id,
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        original,
        "dry run writes nothing"
    );

    let out = teamtune(
        dir.path(),
        &[
            "apply",
            "--team-id",
            "audit_team",
            "--config",
            f,
            "--store",
            store,
            "--suggestion",
            "s.json",
            "--pick",
            &id,
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let r = &results[0];
    assert_eq!(r["validation_status"], "passed");
    for k in [
        "before_metrics",
        "after_metrics",
        "statistics",
        "guardrails",
        "rollback_config",
        "history_index",
    ] {
        assert!(!r[k].is_null(), "result has {k}");
    }
    assert!(r["statistics"]["welch"]["p_value"].as_f64().unwrap() < 0.05);
    let edited = std::fs::read_to_string(&file).unwrap();
    assert!(
        edited.contains("team_formation: parallel   # each auditor waits for the previous one")
    );
    let changed: Vec<_> = original
        .lines()
        .zip(edited.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed.len(),
        1,
        "only the formation line changed: {changed:?}"
    );

    let out = teamtune(
        dir.path(),
        &[
            "history",
            "--team-id",
            "audit_team",
            "--store",
            store,
            "--json",
        ],
    );
    let history: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(history[0]["status"], "kept");

    let out = teamtune(
        dir.path(),
        &["rollback", "--team-id", "audit_team", "--store", store],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        original,
        "restored byte for byte"
    );
    let out = teamtune(
        dir.path(),
        &[
            "rollback",
            "--team-id",
            "audit_team",
            "--store",
            store,
            "--index",
            "7",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("out of range"));

    // A worsening suggestion: back to sequential after going parallel.
    let worse = serde_json::json!({"suggestions": [{
        "id": "formation_selection-test", "type": "formation_selection", "priority": "high",
        "description": "go sequential", "current_config": {"team_formation": "parallel"},
        "suggested_config": {"team_formation": "sequential"}, "expected_improvement": 10.0,
        "confidence": 0.9, "risk_level": 0.1, "metadata": {}
    }]});
    std::fs::write(dir.path().join("worse.json"), worse.to_string()).unwrap();
    let parallel = original.replace("team_formation: sequential", "team_formation: parallel");
    std::fs::write(&file, &parallel).unwrap();
    let out = teamtune(
        dir.path(),
        &[
            "apply",
            "--team-id",
            "audit_team",
            "--config",
            f,
            "--store",
            store,
            "--suggestion",
            "worse.json",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "not applied: {}", stderr(&out));
    let results: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(results[0]["validation_status"], "failed");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        parallel,
        "never written"
    );
}

#[test]
fn compare_prints_the_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let a = crate::write(dir.path(), "a.json", "[10, 11, 12, 13, 12, 11]");
    let b = crate::write(dir.path(), "b.json", "[7, 8, 8, 9, 7, 8]");
    let out = teamtune(
        dir.path(),
        &[
            "compare",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let c: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for k in ["n_a", "n_b", "mean_a", "mean_b", "improvement_percentage"] {
        assert!(c[k].is_number(), "{k}");
    }
    assert!(c["welch"]["p_value"].as_f64().unwrap() < 0.01);
    assert!(c["mann_whitney"]["u"].is_number() && c["bootstrap"]["ci_low"].is_number());
    let bad = crate::write(dir.path(), "bad.json", "[1, \"x\"]");
    let out = teamtune(
        dir.path(),
        &["compare", a.to_str().unwrap(), bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("element 1"));
}

/// The human report, pinned (no colour: stdout is not a terminal).
#[test]
fn analyze_report_reads_as_documented() {
    let root = repo_root();
    let fixture = root.join("crates/teamtune-metrics/tests/fixtures/victor-fixture-metrics.json");
    let out = teamtune(
        &root,
        &[
            "analyze",
            "--team-id",
            "test_team",
            "--metrics",
            fixture.to_str().unwrap(),
            "--baselines",
            "victor",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let expected = "\
== teamtune analyze: team test_team (4 runs) ==
read: every record of the metrics file
baselines: Victor's fixed figures (30 s mean, 60 s p95, 95% success, 15 tool calls)
 1. slow_execution  [██████████] 1.00/1.0
    current 86.25 vs baseline 30  (impact 1.00; team, formation)
    Average execution time (86.2s) is 187.5% above baseline. Consider optimizing formation or reducing team size.
 2. high_latency_outliers  [██████████] 1.00/1.0
    current 120 vs baseline 60  (impact 0.80; team)
    P95 latency (120.0s) exceeds baseline by 100.0%. Consider timeout optimization.
 3. excessive_tool_usage  [█████░░░░░] 0.55/1.0
    current 28.75 vs baseline 15  (impact 0.37; tool_budget)
    Average tool calls (28.8) is significantly above baseline. Consider reducing tool budget to improve cost efficiency.
 4. low_success_rate  [██░░░░░░░░] 0.21/1.0
    current 0.75 vs baseline 0.95  (impact 0.21; team, tool_budget)
    Success rate (75.0%) is below baseline. Check for timeouts, errors, or insufficient tool budgets.
";
    assert_eq!(stdout(&out), expected);
    assert!(
        !stdout(&out).contains('\x1b'),
        "no colour codes off a terminal"
    );
}

/// `analyze` reads the team's own runs of one configuration, says which, and widens only when
/// asked: after a hand edit and a benchmark, the default is the 10 runs of the new file.
#[test]
fn analyze_reads_the_current_configuration_unless_asked() {
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root.join("examples/sequential-audit.yaml")).unwrap();
    let old = crate::write(dir.path(), "old.yaml", &original);
    let new = crate::write(
        dir.path(),
        "new.yaml",
        &original.replace("team_formation: sequential", "team_formation: parallel"),
    );
    let db = dir.path().join("t.db");
    let store = db.to_str().unwrap();
    for (file, runs) in [(&old, "20"), (&new, "10")] {
        let out = teamtune(
            dir.path(),
            &[
                "run",
                file.to_str().unwrap(),
                "--runs",
                runs,
                "--seed",
                "1",
                "--store",
                store,
            ],
        );
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
    }
    let out = teamtune(
        dir.path(),
        &[
            "benchmark",
            "--before",
            old.to_str().unwrap(),
            "--after",
            new.to_str().unwrap(),
            "--runs",
            "4",
            "--store",
            store,
            "--json",
        ],
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    let analyze = |extra: &[&str]| {
        let mut args = vec![
            "analyze",
            "--team-id",
            "audit_team",
            "--store",
            store,
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = teamtune(dir.path(), &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()
    };
    let latest = analyze(&[]);
    assert_eq!(latest["runs"], 10);
    assert_eq!(latest["scope"]["hash_from"], "latest_run");
    assert_eq!(latest["scope"]["left_out"], 28);
    let of_old = analyze(&["--config", old.to_str().unwrap()]);
    assert_eq!(of_old["runs"], 20);
    assert_eq!(of_old["scope"]["hash_from"], "config_file");
    assert_eq!(
        analyze(&["--config", old.to_str().unwrap(), "--include-trials"])["runs"],
        24
    );
    assert_eq!(analyze(&["--all-configs"])["runs"], 30);
    assert_eq!(analyze(&["--all-configs", "--include-trials"])["runs"], 38);

    let out = teamtune(
        dir.path(),
        &["analyze", "--team-id", "audit_team", "--store", store],
    );
    assert!(
        stdout(&out).contains("read: configuration ")
            && stdout(&out).contains("(of its latest run); 28 other runs left out"),
        "{}",
        stdout(&out)
    );

    // The default baseline is the team's own history: the 20 sequential runs. The parallel
    // configuration is faster than that, so it is not "slow" (Victor's fixed 30 s says it is).
    let own = analyze(&[]);
    assert_eq!(own["baselines"]["source"], "own_history");
    assert_eq!(own["baselines"]["runs"], 20);
    let names = |r: &serde_json::Value| -> Vec<String> {
        r["insights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["bottleneck"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !names(&own).contains(&"slow_execution".to_string()),
        "{own:#}"
    );
    let victor = analyze(&["--baselines", "victor"]);
    assert!(names(&victor).contains(&"slow_execution".to_string()));
    // The old configuration against the new one's history is slow.
    let old_vs_new = analyze(&["--config", old.to_str().unwrap()]);
    assert!(
        names(&old_vs_new).contains(&"slow_execution".to_string()),
        "{old_vs_new:#}"
    );
}
