//! The change history after interruptions: rollback to before any entry whatever its
//! status, temporary files of killed processes cleared, a deleted file restored with
//! `--force`; one history number everywhere; unknown teams are errors.

use std::path::Path;

use serde_json::Value;

use crate::{chmod, repo_root, stderr, stdout, teamtune, teamtune_unprivileged};

const GO_SEQUENTIAL: &str = r#"[{"id": "go-sequential", "type": "formation_selection",
  "priority": "high", "description": "one reviewer after another",
  "current_config": {"team_formation": "parallel"},
  "suggested_config": {"team_formation": "sequential"},
  "expected_improvement": 10, "confidence": 0.9, "risk_level": 0.1, "metadata": {}}]"#;

/// `wf/code-review.yaml`, a store `st/s.db` with a few runs, and the suggestion
/// `go.json`; returns the original workflow text.
fn setup(dir: &Path) -> String {
    std::fs::create_dir(dir.join("wf")).unwrap();
    std::fs::create_dir(dir.join("st")).unwrap();
    let original = std::fs::read_to_string(repo_root().join("examples/code-review.yaml")).unwrap();
    std::fs::write(dir.join("wf/code-review.yaml"), &original).unwrap();
    std::fs::write(dir.join("go.json"), GO_SEQUENTIAL).unwrap();
    let out = teamtune(
        dir,
        &[
            "run",
            "wf/code-review.yaml",
            "--runs",
            "3",
            "--store",
            "st/s.db",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    original
}

fn apply_args() -> Vec<&'static str> {
    vec![
        "apply",
        "--team-id",
        "review_team",
        "--config",
        "wf/code-review.yaml",
        "--store",
        "st/s.db",
        "--suggestion",
        "go.json",
        "--no-ab-test",
    ]
}

fn history(dir: &Path) -> Vec<Value> {
    let out = teamtune(
        dir,
        &[
            "history",
            "--team-id",
            "review_team",
            "--store",
            "st/s.db",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn rollback_returns_to_before_an_abandoned_entry_and_every_number_is_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let original = setup(d);
    // An apply whose history entry is written but whose file write fails (the workflow's
    // directory is not writable for this user): the entry is left pending.
    chmod(d, 0o755);
    chmod(&d.join("st"), 0o777);
    chmod(&d.join("st/s.db"), 0o666);
    let out = teamtune_unprivileged(d, &apply_args());
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "the file could not be written: {}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("wf/code-review.yaml")).unwrap(),
        original
    );
    let listed = history(d);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "abandoned", "{listed:#?}");
    assert!(listed[0].get("id").is_none(), "one number: the index");

    // The same change again, this time written: entry 1, reported as such.
    let out = teamtune(d, &apply_args());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("history entry 1 (teamtune rollback --index 1 to undo)"),
        "{}",
        stdout(&out)
    );
    let listed = history(d);
    let numbers: Vec<_> = listed
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [0, 1]);
    assert_eq!(listed[1]["status"], "kept");
    let table = stdout(&teamtune(
        d,
        &["history", "--team-id", "review_team", "--store", "st/s.db"],
    ));
    assert!(
        table.contains("  0  ") && table.contains("  1  "),
        "{table}"
    );

    // Back to before the abandoned entry 0: the file as it was before entry 1 too.
    let out = teamtune(
        d,
        &[
            "rollback",
            "--team-id",
            "review_team",
            "--store",
            "st/s.db",
            "--index",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("(undid 1 change); recorded as history entry 2"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("wf/code-review.yaml")).unwrap(),
        original
    );
    let statuses: Vec<_> = history(d).iter().map(|e| e["status"].clone()).collect();
    assert_eq!(statuses, ["abandoned", "rolled_back", "kept"]);
    // Nothing left to undo.
    let out = teamtune(
        d,
        &[
            "rollback",
            "--team-id",
            "review_team",
            "--store",
            "st/s.db",
            "--index",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to roll back"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_next_apply_removes_temp_files_of_dead_processes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = d.join(format!("wf/.code-review.yaml.teamtune-{dead}.tmp"));
    let alive = d.join(format!(
        "wf/.code-review.yaml.teamtune-{}.tmp",
        std::process::id()
    ));
    std::fs::write(&stale, "half a file").unwrap();
    std::fs::write(&alive, "a write in progress").unwrap();
    let mut args = apply_args();
    args.push("--dry-run");
    let out = teamtune(d, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stale.exists(), "the dead process's file is gone");
    assert!(alive.exists(), "a live process's file is left alone");
    assert!(
        stderr(&out).contains("removed 1 temporary file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rollback_force_restores_a_deleted_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let original = setup(d);
    let out = teamtune(d, &apply_args());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::remove_file(d.join("wf/code-review.yaml")).unwrap();
    let rollback = ["rollback", "--team-id", "review_team", "--store", "st/s.db"];
    let out = teamtune(d, &rollback);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("deleted") && stderr(&out).contains("--force"),
        "{}",
        stderr(&out)
    );
    let mut forced = rollback.to_vec();
    forced.push("--force");
    let out = teamtune(d, &forced);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(d.join("wf/code-review.yaml")).unwrap(),
        original
    );
}

#[test]
fn history_and_check_of_an_unknown_team_exit_2_naming_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    for command in ["history", "check"] {
        let out = teamtune(
            d,
            &[command, "--team-id", "reveiw_team", "--store", "st/s.db"],
        );
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no runs of team `reveiw_team`")
                && stderr(&out).contains("review_team"),
            "{command}: {}",
            stderr(&out)
        );
        // A known team without changes is fine.
        let out = teamtune(
            d,
            &[command, "--team-id", "review_team", "--store", "st/s.db"],
        );
        assert_eq!(out.status.code(), Some(0), "{command}: {}", stderr(&out));
    }
}
