//! Command members: real processes, killed with their children at the timeout.

use std::time::{Duration, Instant};

use crate::{json_lines, stderr, teamtune, write};

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
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    std::thread::sleep(Duration::from_secs(4));
    assert!(!marker.exists(), "the member's child survived Ctrl-C");
}
