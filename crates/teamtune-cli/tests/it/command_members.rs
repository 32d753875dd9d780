//! Command members: real processes, killed with their children at the timeout and on a
//! signal; a member's answer is complete when its own process exits.

use std::time::{Duration, Instant};

use crate::{json_lines, stderr, stdout, teamtune, write};

#[test]
fn a_hanging_member_is_killed_with_its_children_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("child-alive");
    let script = write(
        dir.path(),
        "hang.sh",
        &format!(
            "#!/bin/sh\n(sleep 3; touch {}) &\nsleep 30\n",
            marker.display()
        ),
    );
    let f = write(
        dir.path(),
        "hang.yaml",
        &format!(
            r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: parallel
        members:
          - id: sleeper
            command: ["sh", "{}"]
            timeout_seconds: 1
          - id: quick
            command: ["echo", "done"]
"#,
            script.display()
        ),
    );
    let start = Instant::now();
    let out = teamtune(
        dir.path(),
        &["run", f.to_str().unwrap(), "--json", "--no-store"],
    );
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        took < Duration::from_secs(10),
        "the member was not killed at its timeout ({took:?})"
    );
    let t = &json_lines(&out)[0]["team_runs"][0];
    assert_eq!(t["member_metrics"]["sleeper"]["error_message"], "timeout");
    assert_eq!(t["member_metrics"]["quick"]["success"], true);
    std::thread::sleep(Duration::from_secs(4));
    assert!(!marker.exists(), "the member's child survived the kill");
}

#[test]
fn exit_codes_stderr_and_reported_tool_calls() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "cmd.yaml",
        r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: sequential
        members:
          - id: reporter
            command: ["sh", "-c", "cat >/dev/null; echo '{\"output\": 42, \"tool_calls\": 3, \"tools_used\": [\"grep\"]}'"]
            tool_budget: 5
          - id: greedy
            command: ["sh", "-c", "echo '{\"output\": 1, \"tool_calls\": 9}'"]
            tool_budget: 5
          - id: broken
            command: ["sh", "-c", "echo 'it broke' >&2; exit 3"]
"#,
    );
    let out = teamtune(
        dir.path(),
        &["run", f.to_str().unwrap(), "--json", "--no-store"],
    );
    assert_eq!(out.status.code(), Some(1));
    let m = &json_lines(&out)[0]["team_runs"][0]["member_metrics"];
    assert_eq!(m["reporter"]["success"], true);
    assert_eq!(m["reporter"]["tool_calls_used"], 3);
    assert_eq!(m["greedy"]["error_message"], "tool budget exhausted");
    assert_eq!(m["broken"]["error_message"], "exited with code 3: it broke");
}

#[test]
fn ctrl_c_cancels_the_run_and_kills_member_processes() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("survivor");
    let started = dir.path().join("started");
    let script = write(
        dir.path(),
        "slow.sh",
        &format!(
            "#!/bin/sh\n(sleep 3; touch {}) &\ntouch {}\nsleep 30\n",
            marker.display(),
            started.display()
        ),
    );
    let f = write(
        dir.path(),
        "slow.yaml",
        &format!(
            "workflows:\n  w:\n    nodes:\n      - id: crew\n        type: team\n        members:\n          - id: slow\n            command: [\"sh\", \"{}\"]\n",
            script.display()
        ),
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args(["run", f.to_str().unwrap(), "--no-store"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the member is running (its handler is installed by then).
    let begin = Instant::now();
    while !started.exists() && begin.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(started.exists(), "the member started");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "teamtune stopped promptly"
    );
    assert_eq!(out.status.code(), Some(130), "SIGINT exits 128 + 2");
    assert!(String::from_utf8_lossy(&out.stderr).contains("SIGINT: stopped after 0 of 1 run"));
    std::thread::sleep(Duration::from_secs(4));
    assert!(!marker.exists(), "the member's child survived Ctrl-C");
}

/// Whether process `pid` still runs (a zombie has ended: only its exit status is left).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or("");
        state != "Z" && state != "X"
    })
}

/// Cleans up after a failed test: kills each process and the group it may lead.
fn kill_all(pids: &[u32]) {
    for p in pids {
        for target in [p.to_string(), format!("-{p}")] {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &target])
                .status();
        }
    }
}

fn has_setsid() -> bool {
    std::process::Command::new("sh")
        .args(["-c", "command -v setsid"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn sigterm_and_sighup_kill_every_member_process_and_exit_128_plus_the_signal() {
    let setsid = has_setsid();
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        // A background child in the member's group, one in a session of its own (out of
        // reach of a group kill), and the member's own process (its shell, then `sleep`).
        let escapee = if setsid {
            format!(
                "setsid sh -c 'echo $$ >> {0}; exec sleep 1000' &\n",
                pids.display()
            )
        } else {
            String::new()
        };
        let script = write(
            dir.path(),
            "spawner.sh",
            &format!(
                "#!/bin/sh\nsleep 1000 &\necho $! >> {0}\n{escapee}echo $$ >> {0}\nexec sleep 1000\n",
                pids.display()
            ),
        );
        let f = write(
            dir.path(),
            "spawn.yaml",
            &format!(
                "workflows:\n  w:\n    nodes:\n      - id: crew\n        type: team\n        members:\n          - id: spawner\n            command: [\"sh\", \"{}\"]\n",
                script.display()
            ),
        );
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_teamtune"))
            .args(["run", f.to_str().unwrap(), "--no-store"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let expected = if setsid { 3 } else { 2 };
        let read_pids = || -> Vec<u32> {
            std::fs::read_to_string(&pids)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect()
        };
        let begin = Instant::now();
        while read_pids().len() < expected && begin.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let members = read_pids();
        assert_eq!(members.len(), expected, "the member started its children");
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let begin = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if begin.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let begin = Instant::now();
        while members.iter().any(|&p| alive(p)) && begin.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let survivors: Vec<u32> = members.iter().copied().filter(|&p| alive(p)).collect();
        kill_all(&survivors);
        let err = child
            .wait_with_output()
            .map(|o| stderr(&o))
            .unwrap_or_default();
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(code),
            "SIG{signal} exits {code}: {err}"
        );
        assert!(
            survivors.is_empty(),
            "SIG{signal} left member processes {survivors:?} of {members:?} running"
        );
        assert!(
            err.contains(&format!("SIG{signal}: stopped after 0 of 1 run")),
            "{err}"
        );
    }
}

#[test]
fn a_member_that_answered_is_done_when_its_process_exits() {
    let dir = tempfile::tempdir().unwrap();
    let bg = dir.path().join("bg-pid");
    let escaped = dir.path().join("escaped-pid");
    // Each member answers, then leaves a child holding its stdout; the second one's child
    // is in a session of its own, where a group kill does not reach it.
    let escapee = if has_setsid() {
        format!(
            r#"
          - id: escaper
            command: ["sh", "-c", "echo escaped; setsid sh -c 'echo $$ > {}; exec sleep 100' &"]"#,
            escaped.display()
        )
    } else {
        String::new()
    };
    let f = write(
        dir.path(),
        "bg.yaml",
        &format!(
            r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: parallel
        timeout_seconds: 3
        members:
          - id: answerer
            command: ["sh", "-c", "echo answer; sleep 100 & echo $! > {}"]{escapee}
"#,
            bg.display()
        ),
    );
    let start = Instant::now();
    let out = teamtune(
        dir.path(),
        &["run", f.to_str().unwrap(), "--json", "--no-store"],
    );
    let took = start.elapsed();
    let pids: Vec<u32> = [&bg, &escaped]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok()?.trim().parse().ok())
        .collect();
    let survivors: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    kill_all(&survivors);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let t = &json_lines(&out)[0]["team_runs"][0];
    assert_eq!(t["success"], true, "{t}");
    for m in t["member_metrics"].as_object().unwrap().values() {
        assert_eq!(m["success"], true, "{m}");
        assert_eq!(m["error_message"], serde_json::Value::Null);
    }
    assert!(
        took < Duration::from_secs(3),
        "the turn waited for the children ({took:?})"
    );
    assert!(
        survivors.is_empty(),
        "the members' children outlived the run: {survivors:?}"
    );
}

#[test]
fn the_cause_of_every_failed_member_is_in_the_human_output() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "fail.yaml",
        r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: parallel
        members:
          - id: broken
            command: ["sh", "-c", "echo oops >&2; exit 3"]
          - id: missing
            command: ["/nonexistent/bin"]
          - id: fine
            command: ["echo", "hi"]
"#,
    );
    let one = teamtune(dir.path(), &["run", f.to_str().unwrap(), "--no-store"]);
    assert_eq!(one.status.code(), Some(1));
    let text = stdout(&one);
    assert!(
        text.contains("member broken failed: exited with code 3: oops"),
        "{text}"
    );
    assert!(
        text.contains("member missing failed: cannot run `/nonexistent/bin`"),
        "{text}"
    );
    assert!(!text.contains("member fine"), "{text}");
    // A batch too long to show each run sums the causes up.
    let many = teamtune(
        dir.path(),
        &["run", f.to_str().unwrap(), "--no-store", "--runs", "7"],
    );
    let text = stdout(&many);
    assert!(
        text.contains("crew/broken failed in 7 of 7 runs: exited with code 3: oops"),
        "{text}"
    );
    assert!(
        text.contains("crew/missing failed in 7 of 7 runs: cannot run `/nonexistent/bin`"),
        "{text}"
    );
}

#[test]
fn an_interrupted_apply_keeps_the_baseline_runs_that_finished() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let ended = dir.path().join("ended");
    let store = dir.path().join("t.db");
    let f = write(
        dir.path(),
        "slow.yaml",
        &format!(
            r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        members:
          - id: worker
            command: ["sh", "-c", "echo x >> {}; sleep 0.2; echo x >> {}; echo done"]
            tool_budget: 5
"#,
            started.display(),
            ended.display()
        ),
    );
    let lines = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    // `apply` records the team's baseline history first (20 runs here): stop it part way.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args(["apply", "--team-id", "crew", "--auto", "--config"])
        .arg(&f)
        .arg("--store")
        .arg(&store)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let begin = Instant::now();
    while lines(&started) < 4 && begin.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let export = teamtune(
        dir.path(),
        &[
            "metrics",
            "export",
            "--team-id",
            "crew",
            "--store",
            store.to_str().unwrap(),
            "--format",
            "jsonl",
        ],
    );
    let recorded = stdout(&export).lines().count();
    let finished = lines(&ended);
    assert!(
        (3..=finished).contains(&recorded),
        "{recorded} baseline runs recorded; {finished} finished: {}",
        stderr(&export)
    );
}
