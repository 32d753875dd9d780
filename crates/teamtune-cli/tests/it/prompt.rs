//! `--hitl prompt` asks in a real terminal: the test drives the binary inside tmux, reads the
//! question off the screen and answers it with keystrokes. Without a terminal the answer is
//! a line of stdin.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::{json_lines, repo_root, stderr};

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

fn screen(session: &str) -> String {
    tmux(&["capture-pane", "-p", "-t", session])
}

#[test]
fn a_gate_in_a_terminal_takes_a_whole_yes_or_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let session = format!("teamtune-test-{}", std::process::id());
    let out = dir.path().join("out.txt");
    let code = dir.path().join("code.txt");
    // After teamtune, the shell would run whatever reached it: it says so on the screen.
    let script = format!(
        "cd {} && {} run examples/staged-pipeline.yaml --seed 3 --input version=9 --no-store > {}; echo $? > {}; read leftover; echo \"shell got: $leftover\"; sleep 30",
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
    let finished = || {
        !std::fs::read_to_string(&code)
            .unwrap_or_default()
            .trim()
            .is_empty()
    };
    let asked = wait_for(|| screen(&session).contains("Publish release 9? [y/n]"));
    // A word that starts with y is not a yes: the gate asks again and the run waits.
    let mut asked_again = false;
    if asked {
        tmux(&["send-keys", "-t", &session, "maybe", "Enter"]);
        asked_again = wait_for(|| screen(&session).contains("answer yes, y, no or n"));
    }
    let waited = !finished();
    if asked_again {
        tmux(&["send-keys", "-t", &session, "y", "Enter"]);
    }
    let done = wait_for(finished);
    let shown = screen(&session);
    tmux(&["kill-session", "-t", &session]);
    assert!(asked, "the gate's question was shown: {shown}");
    assert!(asked_again, "`maybe` was refused: {shown}");
    assert!(waited, "`maybe` did not answer the gate: {shown}");
    assert!(done, "the run finished after `y`: {shown}");
    assert!(
        !shown.contains("shell got: be"),
        "keys leaked to the shell: {shown}"
    );
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

/// Runs the staged pipeline with `--hitl prompt` and `input` on stdin (not a terminal).
fn answered_from_stdin(input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args([
            "run",
            "examples/staged-pipeline.yaml",
            "--seed",
            "3",
            "--input",
            "version=1.2",
            "--no-store",
            "--json",
            "--hitl",
            "prompt",
        ])
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn without_a_terminal_the_answer_is_a_line_of_stdin() {
    let yes = answered_from_stdin(b"y\n");
    assert_eq!(yes.status.code(), Some(0), "{}", stderr(&yes));
    assert!(stderr(&yes).contains("Publish release 1.2? [y/n]"));
    assert_eq!(json_lines(&yes)[0]["success"], true);

    let no = answered_from_stdin(b"no\n");
    assert_eq!(no.status.code(), Some(1));
    let error = json_lines(&no)[0]["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("rejected at HITL gate `approval`"),
        "{error}"
    );

    // A line that is not an answer is refused and the next one is read.
    let retried = answered_from_stdin(b"maybe\nYES\n");
    assert_eq!(retried.status.code(), Some(0), "{}", stderr(&retried));
    assert!(stderr(&retried).contains("`maybe`: answer yes, y, no or n"));

    // No answer at all: stderr says why, and the gate's fallback (abort) fails the run.
    let empty = answered_from_stdin(b"");
    assert_eq!(empty.status.code(), Some(1));
    let err = stderr(&empty);
    assert!(
        err.contains("gate `approval` gets no answer") && err.contains("has ended"),
        "{err}"
    );
    let error = json_lines(&empty)[0]["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("no answer at HITL gate `approval`"),
        "{error}"
    );
}
