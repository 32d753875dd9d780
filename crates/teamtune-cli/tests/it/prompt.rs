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
