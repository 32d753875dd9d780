//! The twin through the binary: `whatif`, `apply --auto` with a sequential test and a
//! `tuning:` block, and bad input.

use serde_json::Value;

use crate::{stderr, stdout, teamtune, write};

/// Six interchangeable workers, one after another, with a loose timeout: the twin should
/// find running them at once much faster. The block keeps the team at 4 to 6 members.
const POOL: &str = r#"workflows:
  w:
    nodes:
      - id: pool_team
        type: team
        team_formation: sequential   # the formation line stays commented
        timeout_seconds: 900
        tuning: {fixed: [max_iterations], members: {min: 4, max: 6}}
        sim: {work_calls: 24, think_s: {median: 6, p95: 12}, call_latency_s: 1, coordination_s: 0.2, failure_rate: 0.01}
        members:
          - {id: worker_1, role: worker, goal: "Check your share", tool_budget: 12}
          - {id: worker_2, role: worker, goal: "Check your share", tool_budget: 12}
          - {id: worker_3, role: worker, goal: "Check your share", tool_budget: 12}
          - {id: worker_4, role: worker, goal: "Check your share", tool_budget: 12}
          - {id: worker_5, role: worker, goal: "Check your share", tool_budget: 12}
          - {id: lead, role: lead, goal: "Sign off the report", tool_budget: 12}
"#;

fn recorded(dir: &std::path::Path) -> String {
    let f = write(dir, "pool.yaml", POOL);
    let out = teamtune(
        dir,
        &[
            "run",
            f.to_str().unwrap(),
            "--runs",
            "20",
            "--seed",
            "4",
            "--store",
            "t.db",
        ],
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    f.to_str().unwrap().to_string()
}

#[test]
fn whatif_predicts_with_intervals_and_says_what_it_stands_on() {
    let dir = tempfile::tempdir().unwrap();
    let f = recorded(dir.path());
    let args = [
        "whatif",
        "--team-id",
        "pool_team",
        "--config",
        &f,
        "--store",
        "t.db",
        "--json",
        "--set",
        "team_formation=parallel",
        "--set",
        "members=4",
        "--runs",
        "500",
    ];
    let out = teamtune(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["config"]["team_formation"], "parallel");
    let ids: Vec<&str> = v["config"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["worker_1", "worker_2", "worker_3", "lead"],
        "the lead stays"
    );
    assert_eq!(v["fit"]["ok"], true, "{v:#}");
    assert_eq!(v["simulated"], true);
    let p = &v["predicted"];
    let [lo, hi] = [0, 1].map(|i| p["intervals"]["mean_duration_seconds"][i].as_f64().unwrap());
    assert!(
        lo <= hi && p["mean_duration_seconds"].as_f64().unwrap() > 0.0,
        "{p:#}"
    );
    assert!(
        p["mean_duration_seconds"].as_f64().unwrap()
            < v["current"]["mean_duration_seconds"].as_f64().unwrap() / 2.0,
        "parallel is predicted much faster: {v:#}"
    );

    for (set, needle) in [
        ("members=0", "not a member count"),
        ("tool_budget=lots", "not a whole number"),
        ("colour=blue", "keys: team_formation"),
    ] {
        let out = teamtune(
            dir.path(),
            &[
                "whatif",
                "--team-id",
                "pool_team",
                "--config",
                &f,
                "--store",
                "t.db",
                "--set",
                set,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{set}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{set}: {}", stderr(&out));
    }
}

#[test]
fn apply_auto_proves_the_twins_change_sequentially_within_the_tuning_block() {
    let dir = tempfile::tempdir().unwrap();
    let f = recorded(dir.path());
    let out = teamtune(
        dir.path(),
        &[
            "apply",
            "--team-id",
            "pool_team",
            "--config",
            &f,
            "--store",
            "t.db",
            "--auto",
            "--max-trial-runs",
            "120",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let first = &results[0];
    assert_eq!(first["optimization"]["type"], "twin_search", "{results:#}");
    assert_eq!(first["validation_status"], "passed", "{first:#}");
    assert_eq!(first["objective"], "seconds_per_success");
    assert_eq!(first["simulated"], true);
    let runs_per_side = first["sequential"]["runs_per_side"].as_u64().unwrap();
    assert_eq!(first["trial_runs"].as_u64(), Some(2 * runs_per_side));
    let spent: u64 = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["trial_runs"].as_u64().unwrap())
        .sum();
    assert!(spent <= 120, "the trial budget holds: {spent}");
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.contains("# the formation line stays commented"),
        "{text}"
    );
    assert!(!text.contains("team_formation: sequential"), "{text}");
    let members = text.matches("role: ").count();
    assert!((4..=6).contains(&members), "{members} members: {text}");
    assert!(
        text.contains("id: lead"),
        "the lead is never dropped: {text}"
    );
}

#[test]
fn a_bad_tuning_block_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "bad.yaml",
        &POOL.replace("fixed: [max_iterations]", "fixed: [colour]"),
    );
    let out = teamtune(dir.path(), &["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.yaml:8:") && err.contains("tuning.fixed: `colour`"),
        "{err}"
    );
}

/// Three members that read every tool result back (tokens per call) and spend most of an
/// ample budget anyway: tokens per successful run fall when the budgets are cut.
const TOKENS: &str = r#"workflows:
  w:
    nodes:
      - id: chatty_team
        type: team
        team_formation: parallel
        timeout_seconds: 900
        sim: {work_calls: 12, over_explore: 0.8, think_s: 4, call_latency_s: 0.5, failure_rate: 0.01, prompt_tokens: 1500, tokens_per_call: 800, completion_tokens: 300}
        members:
          - {id: reader, role: reader, goal: "Read the change", tool_budget: 40}
          - {id: checker, role: checker, goal: "Check the tests", tool_budget: 40}
          - {id: writer, role: writer, goal: "Write the review", tool_budget: 40}
"#;

#[test]
fn apply_auto_minimises_tokens_when_asked_and_refuses_teams_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(d, "chatty.yaml", TOKENS);
    let f = f.to_str().unwrap();
    let ran = teamtune(
        d,
        &[
            "run", f, "--runs", "20", "--seed", "3", "--store", "t.db", "--json",
        ],
    );
    assert!(
        ran.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&ran)
    );
    let first: Value = serde_json::from_str(stdout(&ran).lines().next().unwrap()).unwrap();
    let turn = &first["team_runs"][0]["member_metrics"]["reader"]["turns"][0];
    let calls = turn["tool_calls"].as_u64().unwrap();
    assert_eq!(
        turn["tokens_in"].as_u64(),
        Some(1500 + 800 * calls),
        "{turn}"
    );
    assert_eq!(turn["tokens_out"], 300);

    let whatif = teamtune(
        d,
        &[
            "whatif",
            "--team-id",
            "chatty_team",
            "--config",
            f,
            "--store",
            "t.db",
            "--json",
            "--set",
            "tool_budget=8",
        ],
    );
    assert_eq!(whatif.status.code(), Some(0), "{}", stderr(&whatif));
    let w: Value = serde_json::from_str(&stdout(&whatif)).unwrap();
    let tokens = w["predicted"]["tokens_per_run"].as_f64().unwrap();
    assert!(tokens < 3.0 * (1800.0 + 800.0 * 8.0) + 1.0, "{w}");
    assert!(
        w["predicted"]["intervals"]["tokens_per_run"].is_array(),
        "{w}"
    );

    let out = teamtune(
        d,
        &[
            "apply",
            "--team-id",
            "chatty_team",
            "--config",
            f,
            "--store",
            "t.db",
            "--auto",
            "--objective",
            "tokens",
            "--max-trial-runs",
            "120",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let first = &results[0];
    assert_eq!(first["objective"], "tokens_per_success", "{results:#}");
    assert_eq!(first["validation_status"], "passed", "{first:#}");
    assert!(
        first["sequential_decision"]["reason"]
            .as_str()
            .unwrap()
            .contains("tokens per successful run"),
        "{first:#}"
    );
    let text = std::fs::read_to_string(f).unwrap();
    assert!(!text.contains("tool_budget: 40"), "{text}");

    // The pool team's members report no tokens: tuning them for tokens is refused.
    let pool = recorded(d);
    let out = teamtune(
        d,
        &[
            "apply",
            "--team-id",
            "pool_team",
            "--config",
            &pool,
            "--store",
            "t.db",
            "--auto",
            "--objective",
            "tokens",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("team `pool_team`: no run reports tokens"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}
