//! Live experiments and `watch`, on simulated live traffic: `teamtune run` processes on the
//! sequential audit team (four independent members) while experiments run.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::{repo_root, stderr, stdout, teamtune, write};

const TEAM: &str = "audit_team";

/// A scratch directory with the audit workflow and a store holding `runs` of its own runs.
/// The team never fails here: which run lands on which side depends on its id, drawn at
/// random, and a chance failure among a few candidate runs would hold a decision back.
fn setup(runs: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo_root().join("examples/sequential-audit.yaml")).unwrap();
    assert!(text.contains("failure_rate: 0.01"));
    std::fs::write(
        dir.path().join("w.yaml"),
        text.replace("failure_rate: 0.01", "failure_rate: 0.0"),
    )
    .unwrap();
    if runs > 0 {
        let o = teamtune(
            dir.path(),
            &[
                "run",
                "w.yaml",
                "--runs",
                &runs.to_string(),
                "--seed",
                "1",
                "--store",
                "s.db",
            ],
        );
        // Exit 1: one of the runs failed (the team fails 1% of the time).
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    }
    dir
}

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).expect("JSON on stdout")
}

fn start(dir: &Path, candidate: &str, extra: &[&str]) -> std::process::Output {
    write(dir, "c.json", candidate);
    let mut args = vec![
        "experiment",
        "start",
        "--team-id",
        TEAM,
        "--config",
        "w.yaml",
        "--candidate",
        "c.json",
        "--store",
        "s.db",
    ];
    args.extend_from_slice(extra);
    teamtune(dir, &args)
}

fn run(dir: &Path, runs: u32, seed: u32) {
    let o = teamtune(
        dir,
        &[
            "run",
            "w.yaml",
            "--runs",
            &runs.to_string(),
            "--seed",
            &seed.to_string(),
            "--store",
            "s.db",
        ],
    );
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        stderr(&o)
    );
}

fn show(dir: &Path, id: i64) -> Value {
    json(&teamtune(
        dir,
        &[
            "experiment",
            "show",
            &id.to_string(),
            "--json",
            "--store",
            "s.db",
        ],
    ))
}

#[test]
fn start_list_show_stop_and_one_running_experiment_per_team() {
    let dir = setup(10);
    let d = dir.path();
    let o = start(
        d,
        r#"{"team_formation": "parallel"}"#,
        &["--json", "--share", "0.3"],
    );
    let started = json(&o);
    assert_eq!(started["id"], 1);
    assert_eq!(started["status"], "running");
    assert_eq!(started["share"], 0.3);
    assert_eq!(started["decisions"][0]["action"], "start");

    let again = start(d, r#"{"team_formation": "parallel"}"#, &[]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already has a running experiment (1)"),
        "{}",
        stderr(&again)
    );

    let list = json(&teamtune(
        d,
        &["experiment", "list", "--json", "--store", "s.db"],
    ));
    assert_eq!(list.as_array().unwrap().len(), 1);

    let o = teamtune(d, &["experiment", "stop", "1", "--store", "s.db"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = show(d, 1);
    assert_eq!(shown["status"], "stopped");
    let actions: Vec<&str> = shown["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["start", "stop"]);
    // Stopping twice, an unknown id, bad shares and no change at all are the user's input.
    for args in [
        vec!["experiment", "stop", "1", "--store", "s.db"],
        vec!["experiment", "show", "9", "--store", "s.db"],
    ] {
        let o = teamtune(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    for (candidate, extra) in [
        (r#"{"team_formation": "parallel"}"#, vec!["--share", "1.5"]),
        (
            r#"{"team_formation": "parallel"}"#,
            vec!["--share", "0.3", "--ramp", "0.2"],
        ),
        (r#"{"team_formation": "sequential"}"#, vec![]),
        (r#"{"formation": "parallel"}"#, vec![]),
        ("[1]", vec![]),
    ] {
        let o = start(d, candidate, &extra);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{candidate} {extra:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn concurrent_runs_share_the_split_and_leave_the_file_alone() {
    let dir = setup(0);
    let d = dir.path();
    let before = std::fs::read_to_string(d.join("w.yaml")).unwrap();
    assert!(
        start(d, r#"{"team_formation": "parallel"}"#, &["--share", "0.2"])
            .status
            .success()
    );
    let children: Vec<Child> = (0..4)
        .map(|seed| {
            Command::new(env!("CARGO_BIN_EXE_teamtune"))
                .args([
                    "run",
                    "w.yaml",
                    "--runs",
                    "75",
                    "--seed",
                    &seed.to_string(),
                    "--store",
                    "s.db",
                    "--json",
                ])
                .current_dir(d)
                .env_remove("TEAMTUNE_STORE")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut labelled = 0;
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
        assert!(stderr(&o).contains("is in experiment 1"), "{}", stderr(&o));
        for line in stdout(&o).lines() {
            let run: Value = serde_json::from_str(line).unwrap();
            let team = &run["team_runs"][0];
            assert_eq!(team["experiment_id"], 1);
            let formation = team["formation"].as_str().unwrap();
            match team["variant"].as_str().unwrap() {
                "candidate" => assert_eq!(formation, "parallel"),
                "baseline" => assert_eq!(formation, "sequential"),
                other => panic!("variant {other}"),
            }
            labelled += 1;
        }
    }
    assert_eq!(labelled, 300);
    assert_eq!(std::fs::read_to_string(d.join("w.yaml")).unwrap(), before);
    let shown = show(d, 1);
    let (control, candidate) = (
        shown["control_runs"].as_u64().unwrap(),
        shown["candidate_runs"].as_u64().unwrap(),
    );
    assert_eq!(control + candidate, 300);
    let share = candidate as f64 / 300.0;
    // Binomial sd at n = 300, p = 0.2: 0.023; four sds either way.
    assert!((0.11..=0.29).contains(&share), "realised share {share}");
    // Experiment runs are trial runs: the team's own history does not count them.
    let o = teamtune(
        d,
        &[
            "analyze",
            "--team-id",
            TEAM,
            "--config",
            "w.yaml",
            "--store",
            "s.db",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("has no runs of"), "{}", stderr(&o));
}

#[test]
fn a_planted_improvement_is_promoted_into_the_file_with_a_history_entry() {
    let dir = setup(20);
    let d = dir.path();
    assert!(
        start(d, r#"{"team_formation": "parallel"}"#, &["--share", "0.2"])
            .status
            .success()
    );
    run(d, 10, 2);
    let early = json(&teamtune(
        d,
        &["experiment", "check", "1", "--json", "--store", "s.db"],
    ));
    assert_eq!(early["verdict"], "continue", "{early}");
    assert_eq!(early["recorded"], false);
    run(d, 150, 3);
    let c = json(&teamtune(
        d,
        &["experiment", "check", "1", "--json", "--store", "s.db"],
    ));
    assert_eq!(c["verdict"], "promote", "{c}");
    assert_eq!(c["status"], "promoted");
    assert_eq!(c["recorded"], true);
    assert_eq!(c["decision"]["status"], "passed");
    assert!(
        c["decision"]["improvement_percentage"].as_f64().unwrap() > 30.0,
        "{c}"
    );
    let text = std::fs::read_to_string(d.join("w.yaml")).unwrap();
    assert!(
        text.contains("team_formation: parallel   # each auditor"),
        "{text}"
    );
    let history = json(&teamtune(
        d,
        &["history", "--team-id", TEAM, "--json", "--store", "s.db"],
    ));
    let entry = &history[0];
    assert_eq!(entry["kind"], "apply");
    assert_eq!(entry["status"], "kept");
    assert_eq!(entry["index"], c["history_index"]);
    assert!(
        entry["note"].as_str().unwrap().contains("(experiment 1)"),
        "{entry}"
    );
    // A second check says it ended and records nothing more.
    let again = json(&teamtune(
        d,
        &["experiment", "check", "1", "--json", "--store", "s.db"],
    ));
    assert_eq!(again["verdict"], "ended");
    assert_eq!(show(d, 1)["decisions"].as_array().unwrap().len(), 2);
    // Runs no longer join it: the file's team is the candidate now.
    run(d, 3, 4);
    assert_eq!(show(d, 1)["candidate_runs"], c["candidate_runs"]);
}

#[test]
fn a_planted_regression_is_aborted_without_being_written() {
    let dir = setup(20);
    let d = dir.path();
    let before = std::fs::read_to_string(d.join("w.yaml")).unwrap();
    // Four 30-second audits in sequence cannot finish in 100 seconds: every run fails.
    assert!(
        start(d, r#"{"timeout_seconds": 100}"#, &["--share", "0.2"])
            .status
            .success()
    );
    run(d, 120, 5);
    let c = json(&teamtune(
        d,
        &["experiment", "check", "1", "--json", "--store", "s.db"],
    ));
    assert_eq!(c["verdict"], "abort", "{c}");
    assert_eq!(c["status"], "aborted");
    assert_eq!(c["history_index"], Value::Null);
    assert_eq!(std::fs::read_to_string(d.join("w.yaml")).unwrap(), before);
    let history = json(&teamtune(
        d,
        &["history", "--team-id", TEAM, "--json", "--store", "s.db"],
    ));
    assert!(history.as_array().unwrap().is_empty());
}

#[test]
fn the_share_steps_up_while_the_guardrails_hold() {
    let dir = setup(20);
    let d = dir.path();
    // Slightly longer timeouts change nothing the test could see: the guardrails hold, and
    // the objective does not settle before the share steps up.
    assert!(
        start(
            d,
            r#"{"timeout_seconds": 900}"#,
            &["--share", "0.1", "--ramp", "0.25,0.5"]
        )
        .status
        .success()
    );
    // 10 candidate runs are needed before a step; at a 10% share 200 runs give about 20.
    run(d, 200, 11);
    let c = json(&teamtune(
        d,
        &["experiment", "check", "1", "--json", "--store", "s.db"],
    ));
    assert!(c["candidate_runs"].as_u64().unwrap() >= 10, "{c}");
    assert_eq!(c["verdict"], "raise_share", "{c}");
    assert_eq!(c["share"], 0.25);
    let shown = show(d, 1);
    assert_eq!(shown["share"], 0.25);
    assert_eq!(shown["decisions"][1]["action"], "raise_share");
}

fn spawn_watch(dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args([
            "watch",
            "--team-id",
            TEAM,
            "--config",
            "w.yaml",
            "--every-runs",
            "10",
            "--poll",
            "50ms",
            "--json",
            "--store",
            "s.db",
        ])
        .current_dir(dir)
        .env_remove("TEAMTUNE_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn events(o: &std::process::Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn watch_once_starts_then_promotes_an_experiment() {
    let dir = setup(20);
    let d = dir.path();
    let watch = |d: &Path| {
        teamtune(
            d,
            &[
                "watch",
                "--team-id",
                TEAM,
                "--config",
                "w.yaml",
                "--once",
                "--json",
                "--store",
                "s.db",
            ],
        )
    };
    let o = watch(d);
    assert!(o.status.success(), "{}", stderr(&o));
    let ev = events(&o);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["event"], "started");
    let id = ev[0]["experiment_id"].as_i64().unwrap();
    run(d, 200, 7);
    let o = watch(d);
    let ev = events(&o);
    assert_eq!(ev[0]["event"], "promoted", "{ev:?}");
    assert_eq!(ev[0]["experiment_id"], id);
    assert!(
        ev[0]["check"]["decision"]["improvement_percentage"]
            .as_f64()
            .unwrap()
            > 20.0
    );
    // After the promotion the change is watched for regressions before anything new.
    let o = watch(d);
    assert!(events(&o).is_empty(), "{}", stdout(&o));
    run(d, 12, 8);
    // `run` checked the kept change after recording (as it does for every change) ...
    let history = json(&teamtune(
        d,
        &["history", "--team-id", TEAM, "--json", "--store", "s.db"],
    ));
    assert_eq!(history[0]["status"], "verified", "{history}");
    // ... and the loop moves on: the next candidate, or nothing left to try.
    let ev = events(&watch(d));
    assert!(
        ev.len() == 1 && ["started", "no_candidate"].contains(&ev[0]["event"].as_str().unwrap()),
        "{ev:?}"
    );
}

#[test]
fn killing_watch_and_restarting_it_loses_no_decision_and_duplicates_none() {
    let dir = setup(20);
    let d = dir.path();
    let mut seen = Vec::new();
    let mut w = spawn_watch(d);
    wait_for(|| show_opt(d, 1).is_some());
    run(d, 40, 9);
    // Killed hard, mid-experiment.
    w.kill().unwrap();
    seen.extend(events(&w.wait_with_output().unwrap()));
    run(d, 160, 10);
    let w = spawn_watch(d);
    wait_for(|| show_opt(d, 1).is_some_and(|e| e["status"] != "running"));
    // SIGTERM ends it cleanly, with the shell's exit code for the signal.
    let pid = w.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let o = w.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
    seen.extend(events(&o));
    let decisions = show(d, 1)["decisions"].as_array().unwrap().clone();
    let actions: Vec<&str> = decisions
        .iter()
        .map(|d| d["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["start", "promote"], "{decisions:?}");
    let printed: Vec<&str> = seen.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(printed, ["started", "promoted"], "{seen:?}");
}

fn show_opt(dir: &Path, id: i64) -> Option<Value> {
    let o = teamtune(
        dir,
        &[
            "experiment",
            "show",
            &id.to_string(),
            "--json",
            "--store",
            "s.db",
        ],
    );
    o.status
        .success()
        .then(|| serde_json::from_str(&stdout(&o)).unwrap())
}
