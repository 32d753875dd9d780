//! `--hitl prompt` asks in a real terminal: the test drives the binary inside tmux, reads the
//! question off the screen and answers it with keystrokes.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::repo_root;

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux is installed (.ci/run installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_for(what: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if what() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn a_human_answers_the_gate_in_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let session = format!("teamtune-test-{}", std::process::id());
    let out = dir.path().join("out.txt");
    let code = dir.path().join("code.txt");
    let script = format!(
        "cd {} && {} run examples/staged-pipeline.yaml --seed 3 --input version=9 --no-store > {}; echo $? > {}",
        repo_root().display(),
        env!("CARGO_BIN_EXE_teamtune"),
        out.display(),
        code.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "160",
        "-y",
        "40",
        &script,
    ]);
    let asked =
        wait_for(|| tmux(&["capture-pane", "-p", "-t", &session]).contains("Publish release 9?"));
    if asked {
        tmux(&["send-keys", "-t", &session, "y"]);
    }
    let finished = wait_for(|| {
        code.exists()
            && !std::fs::read_to_string(&code)
                .unwrap_or_default()
                .trim()
                .is_empty()
    });
    let screen = tmux(&["capture-pane", "-p", "-t", &session]);
    tmux(&["kill-session", "-t", &session]);
    assert!(asked, "the gate's question was shown: {screen}");
    assert!(finished, "the run finished after the answer: {screen}");
    assert_eq!(std::fs::read_to_string(&code).unwrap().trim(), "0");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("1 succeeded")
    );
}

/// Interactive `apply` shows each A/B result as soon as its test ends, before it asks about
/// the next suggestion (not only after `q`).
#[test]
fn interactive_apply_shows_each_result_before_the_next_question() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.yaml");
    std::fs::copy(repo_root().join("examples/sequential-audit.yaml"), &file).unwrap();
    let store = dir.path().join("t.db");
    let out = crate::teamtune(
        dir.path(),
        &[
            "run",
            "audit.yaml",
            "--runs",
            "30",
            "--seed",
            "1",
            "--store",
            store.to_str().unwrap(),
        ],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let session = format!("teamtune-apply-{}", std::process::id());
    let code = dir.path().join("code.txt");
    let script = format!(
        "cd {} && {} apply --interactive --team-id audit_team --config audit.yaml --store t.db > out.txt; echo $? > {}",
        dir.path().display(),
        env!("CARGO_BIN_EXE_teamtune"),
        code.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "60",
        &script,
    ]);
    let screen = || tmux(&["capture-pane", "-p", "-S", "-200", "-t", &session]);
    let asked = wait_for(|| screen().contains("apply? [y]es"));
    tmux(&["send-keys", "-t", &session, "y", "Enter"]);
    // The result, then the next question, while apply is still running.
    let shown = wait_for(|| {
        let s = screen();
        s.contains(" 1. KEPT ") && s.matches("apply? [y]es").count() >= 2
    });
    let still_running = !code.exists();
    let seen = screen();
    tmux(&["send-keys", "-t", &session, "q", "Enter"]);
    let finished = wait_for(|| code.exists());
    tmux(&["kill-session", "-t", &session]);
    assert!(asked, "{seen}");
    assert!(
        shown && still_running,
        "the result came before the next question: {seen}"
    );
    assert!(seen.contains("measured improvement"), "{seen}");
    assert!(finished);
}
