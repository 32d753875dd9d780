//! The store: four `teamtune run` processes writing at once lose no record; export formats.

use std::process::Command;

use crate::{repo_root, stderr, stdout, teamtune};

#[test]
fn four_concurrent_runs_lose_no_record() {
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let children: Vec<_> = (0..4)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_teamtune"))
                .args([
                    "run",
                    "examples/code-review.yaml",
                    "--runs",
                    "300",
                    "--seed",
                ])
                .arg(i.to_string())
                .arg("--store")
                .arg(&db)
                .current_dir(&root)
                .output()
        })
        .collect();
    for c in children {
        let c = c.unwrap();
        assert!(
            c.status.code().is_some_and(|x| x <= 1),
            "{}",
            String::from_utf8_lossy(&c.stderr)
        );
    }
    let out = teamtune(
        &root,
        &[
            "metrics",
            "export",
            "--team-id",
            "review_team",
            "--store",
            db.to_str().unwrap(),
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1200);
    let csv = teamtune(
        &root,
        &[
            "metrics",
            "export",
            "--team-id",
            "review_team",
            "--store",
            db.to_str().unwrap(),
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        stdout(&csv).lines().count(),
        1201,
        "header + one row per run"
    );
    let json_file = dir.path().join("out.json");
    let out = teamtune(
        &root,
        &[
            "metrics",
            "export",
            "--team-id",
            "review_team",
            "--store",
            db.to_str().unwrap(),
            "--output",
            json_file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    assert_eq!(all.len(), 1200);
    let unknown = teamtune(
        &root,
        &[
            "metrics",
            "export",
            "--team-id",
            "nobody",
            "--store",
            db.to_str().unwrap(),
        ],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("review_team"),
        "names the teams it has"
    );
}

#[test]
fn a_reader_that_goes_away_loses_no_record() {
    use std::io::BufRead;
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pipe.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args([
            "run",
            "examples/code-review.yaml",
            "--runs",
            "3000",
            "--json",
            "--store",
        ])
        .arg(&db)
        .current_dir(&root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: later writes hit a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&first).is_ok());
    assert!(out.status.code().is_some(), "not killed by a signal");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let export = teamtune(
        &root,
        &[
            "metrics",
            "export",
            "--team-id",
            "review_team",
            "--store",
            db.to_str().unwrap(),
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(stdout(&export).lines().count(), 3000);
}

#[test]
fn reading_commands_do_not_create_a_store() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["analyze", "--team-id", "t"],
        vec!["metrics", "export", "--team-id", "t"],
        vec!["history", "--team-id", "t"],
        vec!["rollback", "--team-id", "t"],
    ] {
        let out = teamtune(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("no store at .teamtune/teamtune.db"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        !dir.path().join(".teamtune").exists(),
        "nothing was created"
    );
}
