//! Store files teamtune cannot use are refused with exit 2 and a message naming them, and
//! left as they were; a store the user may not write is still read by the commands that
//! only read.

use std::path::Path;

use crate::{chmod, repo_root, stderr, stdout, teamtune, teamtune_unprivileged};

/// Every command that opens the store, on `store`.
fn commands(store: &str) -> Vec<Vec<String>> {
    let review = repo_root().join("examples/code-review.yaml");
    let review = review.to_str().unwrap();
    [
        vec!["analyze", "--team-id", "review_team"],
        vec!["history", "--team-id", "review_team"],
        vec!["metrics", "export", "--team-id", "review_team"],
        vec!["run", review, "--runs", "2"],
        vec![
            "apply",
            "--team-id",
            "review_team",
            "--config",
            review,
            "--auto",
            "--dry-run",
        ],
    ]
    .into_iter()
    .map(|args| {
        let mut v: Vec<String> = args.into_iter().map(String::from).collect();
        v.extend(["--store".to_string(), store.to_string()]);
        v
    })
    .collect()
}

fn run(dir: &Path, args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    teamtune(dir, &args)
}

#[test]
fn random_bytes_and_yaml_exit_2_naming_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let random: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let yaml = std::fs::read(repo_root().join("examples/code-review.yaml")).unwrap();
    for (name, bytes) in [("random.db", random), ("flow.yaml", yaml)] {
        std::fs::write(dir.path().join(name), &bytes).unwrap();
        for args in commands(name) {
            let out = run(dir.path(), &args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "{name}: not a teamtune store: the file is not an SQLite database"
                )),
                "{args:?}: {err}"
            );
        }
        assert_eq!(
            std::fs::read(dir.path().join(name)).unwrap(),
            bytes,
            "{name} untouched"
        );
    }
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('ada');",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    for args in commands("app.db") {
        let out = run(dir.path(), &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("app.db: not a teamtune store: an SQLite database of another application (tables: contacts)"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "no table added, no version set"
    );
}

#[test]
fn a_store_with_damaged_pages_is_reported_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let out = teamtune(
        dir.path(),
        &[
            "run",
            repo_root()
                .join("examples/code-review.yaml")
                .to_str()
                .unwrap(),
            "--runs",
            "200",
            "--store",
            "damaged.db",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = dir.path().join("damaged.db");
    let mut bytes = std::fs::read(&path).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    for start in (page..bytes.len()).step_by(page) {
        bytes[start] = 0xff; // not a b-tree page type
    }
    std::fs::write(&path, &bytes).unwrap();
    for args in commands("damaged.db") {
        if args[0] == "apply" {
            continue; // a dry run with the twin reads the same runs as analyze
        }
        let out = run(dir.path(), &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("damaged.db: the store is corrupt"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("FOREIGN KEY"), "{err}");
    }
}

#[test]
fn a_read_only_store_is_read_by_the_commands_that_only_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    chmod(d, 0o755);
    std::fs::create_dir(d.join("ro")).unwrap();
    let out = teamtune(
        d,
        &[
            "run",
            repo_root()
                .join("examples/code-review.yaml")
                .to_str()
                .unwrap(),
            "--runs",
            "12",
            "--store",
            "ro/s.db",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let store = d.join("ro/s.db");
    let before = std::fs::read(&store).unwrap();
    // First a read-only file in a writable directory, then a read-only directory.
    for (file_mode, dir_mode) in [(0o444, 0o777), (0o644, 0o555)] {
        chmod(&store, file_mode);
        chmod(&d.join("ro"), dir_mode);
        for args in [
            &["analyze", "--team-id", "review_team", "--store", "ro/s.db"][..],
            &["history", "--team-id", "review_team", "--store", "ro/s.db"][..],
            &[
                "metrics",
                "export",
                "--team-id",
                "review_team",
                "--store",
                "ro/s.db",
                "--format",
                "jsonl",
            ][..],
        ] {
            let out = teamtune_unprivileged(d, args);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{args:?} with the file {file_mode:o}, the directory {dir_mode:o}: {}",
                stderr(&out)
            );
            if args[0] == "metrics" {
                assert_eq!(stdout(&out).lines().count(), 12);
            }
        }
        assert_eq!(std::fs::read(&store).unwrap(), before, "nothing written");
    }
    chmod(&d.join("ro"), 0o755);
}
