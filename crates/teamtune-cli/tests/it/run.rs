//! `teamtune run` on the bundled examples: determinism, virtual time, exit codes, HITL.

use crate::{json_lines, repo_root, stderr, stdout, teamtune};

fn strip_ids(mut v: serde_json::Value) -> serde_json::Value {
    let obj = v.as_object_mut().unwrap();
    for k in ["run_id", "start_time", "end_time"] {
        obj.remove(k);
    }
    for t in obj.get_mut("team_runs").unwrap().as_array_mut().unwrap() {
        let t = t.as_object_mut().unwrap();
        for k in ["run_id", "start_time", "end_time"] {
            t.remove(k);
        }
        for m in t
            .get_mut("member_metrics")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .values_mut()
        {
            let m = m.as_object_mut().unwrap();
            m.remove("start_time");
            m.remove("end_time");
        }
    }
    v
}

#[test]
fn same_seed_same_records_and_a_thousand_runs_are_quick() {
    let root = repo_root();
    let run = |seed: &str| {
        let out = teamtune(
            &root,
            &[
                "run",
                "examples/code-review.yaml",
                "--runs",
                "1000",
                "--seed",
                seed,
                "--json",
                "--no-store",
            ],
        );
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        json_lines(&out)
            .into_iter()
            .map(strip_ids)
            .collect::<Vec<_>>()
    };
    let a = run("1");
    assert_eq!(a.len(), 1000);
    assert_eq!(a, run("1"));
    assert_ne!(a, run("2"));
    assert!(a.iter().all(|r| r["virtual_time"] == true));
}

#[test]
fn every_example_runs() {
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("t.db");
    for (file, extra) in [
        ("examples/code-review.yaml", vec!["--runs", "20"]),
        (
            "examples/research-team.yaml",
            vec!["--runs", "5", "--input", "topic=caching"],
        ),
        (
            "examples/staged-pipeline.yaml",
            vec!["--runs", "5", "--hitl", "approve", "--input", "version=1.0"],
        ),
        ("examples/repo-stats.yaml", vec![]),
    ] {
        let mut args = vec!["run", file, "--store", store.to_str().unwrap()];
        args.extend(extra);
        let out = teamtune(&root, &args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{file}: {}",
            stderr(&out)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(" succeeded ("),
            "{file}"
        );
    }
    let out = teamtune(
        &root,
        &["run", "examples/repo-stats.yaml", "--json", "--no-store"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = &json_lines(&out)[0];
    let lines = r["team_runs"][0]["member_metrics"]["line_counter"]["tool_calls_used"]
        .as_u64()
        .unwrap();
    assert!(
        lines > 10,
        "the line counter read the repository's Rust files"
    );
}

#[test]
fn hitl_policies_decide_the_gate_and_no_tty_applies_the_fallback() {
    let root = repo_root();
    let go = |policy: &str| {
        teamtune(
            &root,
            &[
                "run",
                "examples/staged-pipeline.yaml",
                "--seed",
                "3",
                "--json",
                "--no-store",
                "--hitl",
                policy,
                "--input",
                "version=2",
            ],
        )
    };
    let approved = go("approve");
    assert_eq!(approved.status.code(), Some(0), "{}", stderr(&approved));
    let rejected = go("reject");
    assert_eq!(rejected.status.code(), Some(1));
    assert!(
        json_lines(&rejected)[0]["error"]
            .as_str()
            .unwrap()
            .contains("rejected at HITL gate `approval`")
    );
    // prompt without a terminal: the gate's fallback (abort) applies, no prompt is shown.
    let prompted = go("prompt");
    assert_eq!(prompted.status.code(), Some(1));
    assert!(
        json_lines(&prompted)[0]["error"]
            .as_str()
            .unwrap()
            .contains("fallback: abort")
    );
}

#[test]
fn bad_inputs_exit_2() {
    let root = repo_root();
    let out = teamtune(&root, &["run", "examples/does-not-exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does-not-exist.yaml"));
    let out = teamtune(
        &root,
        &["run", "examples/code-review.yaml", "--input", "novalue"],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = teamtune(&root, &["run", "examples/code-review.yaml", "--runs", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = teamtune(
        &root,
        &[
            "run",
            "examples/code-review.yaml",
            "--inputs-file",
            "README.md",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("README.md"));
}

/// Without `--seed` a seed is drawn, printed, and repeats the runs when given back.
#[test]
fn a_drawn_seed_is_printed_and_repeats_the_runs() {
    let root = repo_root();
    let file = root.join("examples/code-review.yaml");
    let f = file.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", f, "--runs", "3", "--no-store", "--json"];
        args.extend_from_slice(extra);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_teamtune"))
            .args(&args)
            .current_dir(&root)
            .env_remove("TEAMTUNE_SEED")
            .env_remove("TEAMTUNE_STORE")
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        out
    };
    let durations = |o: &std::process::Output| -> Vec<f64> {
        json_lines(o)
            .iter()
            .map(|r| r["duration_seconds"].as_f64().unwrap())
            .collect()
    };
    let (a, b) = (run(&[]), run(&[]));
    assert_ne!(durations(&a), durations(&b), "plain runs differ");
    let seed = stderr(&a).split_whitespace().nth(1).unwrap().to_string();
    assert!(stderr(&a).starts_with(&format!("seed {seed} (drawn at random")));
    assert_eq!(durations(&run(&["--seed", &seed])), durations(&a));
    assert!(!stderr(&run(&["--seed", "7"])).contains("drawn"));
}

/// A single run shows what its nodes wrote; `--json` has the inputs and outputs whole.
#[test]
fn a_run_shows_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::write(
        dir.path(),
        "w.yaml",
        "workflows:\n  w:\n    nodes:\n      - id: count\n        type: transform\n        transform:\n          total: \"{{ n }}\"\n          label: done\n",
    );
    let f = file.to_str().unwrap();
    let out = teamtune(
        dir.path(),
        &["run", f, "--input", "n=1.10", "--no-store", "--seed", "1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("  outputs:\n"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("    label: done\n"),
        "{}",
        stdout(&out)
    );
    let out = teamtune(
        dir.path(),
        &[
            "run",
            f,
            "--input",
            "n=1.10",
            "--no-store",
            "--seed",
            "1",
            "--json",
        ],
    );
    let record = &json_lines(&out)[0];
    assert_eq!(record["outputs"]["label"], "done");
    assert!(record["inputs"]["n"].is_string() || record["inputs"]["n"].is_number());
    assert!(
        record["outputs"].get("n").is_none(),
        "inputs are not outputs"
    );
}

#[test]
fn verbose_log_shows_a_failed_team_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    // continue_on_error (the default): the walk goes on after the team fails.
    let f = crate::write(
        dir.path(),
        "v.yaml",
        r#"workflows:
  w:
    nodes:
      - id: design_team
        type: team
        members:
          - id: broken
            command: ["sh", "-c", "exit 3"]
        next: [after]
      - id: after
        type: team
        members:
          - id: fine
            command: ["echo", "hi"]
"#,
    );
    let out = teamtune(
        dir.path(),
        &["run", f.to_str().unwrap(), "--no-store", "-v"],
    );
    let log = stderr(&out);
    assert!(log.contains("team design_team FAILED"), "{log}");
    assert!(log.contains("< design_team FAILED"), "{log}");
    assert!(!log.contains("< design_team ok"), "{log}");
    assert!(log.contains("< after ok"), "{log}");
}

/// `teamtune run` in the background with both streams read as they come; stderr lines go to
/// the returned channel.
struct Background {
    child: std::process::Child,
    stderr_lines: std::sync::mpsc::Receiver<String>,
    stdout: std::thread::JoinHandle<String>,
}

fn in_background(dir: &std::path::Path, args: &[&str]) -> Background {
    use std::io::{BufRead, Read};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args(args)
        .current_dir(dir)
        .env_remove("TEAMTUNE_STORE")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, stderr_lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    Background {
        child,
        stderr_lines,
        stdout,
    }
}

#[test]
fn ctrl_c_stops_a_long_batch_with_every_finished_run_recorded() {
    use std::time::{Duration, Instant};
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("t.db");
    let mut run = in_background(
        &root,
        &[
            "run",
            "examples/research-team.yaml",
            "--input",
            "topic=caching",
            "--runs",
            "100000",
            "--json",
            "--store",
            store.to_str().unwrap(),
        ],
    );
    // Outside a terminal, progress comes as a line every few seconds on stderr; once one
    // has come, the batch is well under way.
    let mut err = Vec::new();
    let begin = Instant::now();
    let mut progressed = false;
    while !progressed && begin.elapsed() < Duration::from_secs(60) {
        if let Ok(line) = run.stderr_lines.recv_timeout(Duration::from_millis(200)) {
            progressed = line.contains(" of 100,000 runs (") && line.contains("/s, eta ");
            err.push(line);
        }
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &run.child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = run.child.wait().unwrap();
    let stdout = run.stdout.join().unwrap();
    // The rest of stderr, up to its end.
    err.extend(run.stderr_lines.iter());
    let err = err.join("\n");
    assert!(progressed, "a progress line came: {err}");
    assert_eq!(status.code(), Some(130), "{err}");
    // 100,000 runs of 8 members are over the warning threshold.
    assert!(
        err.contains("warning: 100,000 runs will add about 1.2 GB to the store"),
        "{err}"
    );
    let summary = err
        .lines()
        .find_map(|l| l.strip_prefix("teamtune: SIGINT: stopped after "))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    let (n, rest) = summary.split_once(" of ").unwrap();
    let n: usize = n.replace(',', "").parse().unwrap();
    assert!(
        rest.starts_with("100,000 runs, all recorded in "),
        "{summary}"
    );
    assert!(n > 0 && n < 100_000, "{summary}");
    // stdout holds the runs' JSON and nothing else: no progress there.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), n, "one JSON line per finished run");
    assert!(lines.iter().all(|l| l.starts_with('{')));
    let export = teamtune(
        &root,
        &[
            "metrics",
            "export",
            "--team-id",
            "research_team",
            "--store",
            store.to_str().unwrap(),
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(
        crate::stdout(&export).lines().count(),
        n,
        "the store holds exactly the finished team runs"
    );
}
