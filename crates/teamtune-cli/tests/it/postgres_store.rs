//! `--store postgres://...`: the commands on a PostgreSQL store as on a file, the password
//! never in their output, a clear exit 2 for a URL or server that cannot be used, and
//! `store migrate` / `store copy`.

use std::path::Path;
use std::process::Output;

use crate::{repo_root, stderr, stdout, teamtune};

const PASSWORD: &str = "pw-canary-5519";

/// A fresh database's URL with the canary password in it (the throwaway server trusts
/// every login, so any password connects); `None` when there is no server.
fn database(test: &str) -> Option<String> {
    let server = teamtune_test_postgres::server(test)?;
    let url = server.fresh_database();
    Some(url.replacen("://postgres@", &format!("://postgres:{PASSWORD}@"), 1))
}

fn no_password(o: &Output) {
    for text in [stdout(o), stderr(o)] {
        assert!(!text.contains(PASSWORD), "the password leaked:\n{text}");
    }
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "exit {:?}\n{}\n{}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    no_password(&o);
    o
}

/// `run` exits 1 when a run failed (the simulated members fail now and then); it recorded
/// them all the same.
fn recorded(o: Output) -> Output {
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "exit {:?}\n{}",
        o.status.code(),
        stderr(&o)
    );
    no_password(&o);
    o
}

fn copy_example(dir: &Path) {
    std::fs::copy(
        repo_root().join("examples/sequential-audit.yaml"),
        dir.join("audit.yaml"),
    )
    .unwrap();
}

#[test]
fn a_team_is_run_tuned_and_rolled_back_on_postgresql() {
    let Some(url) = database("a_team_is_run_tuned_and_rolled_back_on_postgresql") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    let original = std::fs::read_to_string(dir.path().join("audit.yaml")).unwrap();
    let run = recorded(teamtune(
        dir.path(),
        &[
            "run",
            "audit.yaml",
            "--runs",
            "12",
            "--seed",
            "3",
            "--store",
            &url,
        ],
    ));
    assert!(
        stdout(&run).contains("recorded in postgres://postgres@"),
        "{}",
        stdout(&run)
    );

    let analyze = ok(teamtune(
        dir.path(),
        &[
            "analyze",
            "--team-id",
            "audit_team",
            "--store",
            &url,
            "--json",
        ],
    ));
    let report: serde_json::Value = serde_json::from_slice(&analyze.stdout).unwrap();
    assert_eq!(report["runs"], 12);

    let apply = ok(teamtune(
        dir.path(),
        &[
            "apply",
            "--team-id",
            "audit_team",
            "--config",
            "audit.yaml",
            "--auto",
            "--store",
            &url,
            "--json",
        ],
    ));
    let results: Vec<serde_json::Value> = serde_json::from_slice(&apply.stdout).unwrap();
    let kept = results
        .iter()
        .find(|r| r["history_index"].is_u64())
        .expect("a change was kept");
    assert_eq!(kept["validation_status"], "passed");
    assert_ne!(
        std::fs::read_to_string(dir.path().join("audit.yaml")).unwrap(),
        original
    );

    let history = ok(teamtune(
        dir.path(),
        &[
            "history",
            "--team-id",
            "audit_team",
            "--store",
            &url,
            "--json",
        ],
    ));
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(entries[0]["status"], "kept");

    ok(teamtune(
        dir.path(),
        &[
            "rollback",
            "--team-id",
            "audit_team",
            "--index",
            "0",
            "--store",
            &url,
        ],
    ));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("audit.yaml")).unwrap(),
        original,
        "byte for byte"
    );
    let export = ok(teamtune(
        dir.path(),
        &[
            "metrics",
            "export",
            "--team-id",
            "audit_team",
            "--store",
            &url,
            "--format",
            "jsonl",
        ],
    ));
    assert!(
        stdout(&export).lines().count() > 12,
        "the trial runs are recorded too"
    );
}

#[test]
fn the_store_url_may_come_from_the_environment() {
    let Some(url) = database("the_store_url_may_come_from_the_environment") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args(["run", "audit.yaml", "--runs", "2", "--seed", "1"])
        .current_dir(dir.path())
        .env("TEAMTUNE_STORE", &url)
        .output()
        .unwrap();
    recorded(run);
    assert!(
        !dir.path().join(".teamtune").exists(),
        "no SQLite file was made"
    );
    let history = ok(teamtune(
        dir.path(),
        &[
            "analyze",
            "--team-id",
            "audit_team",
            "--store",
            &url,
            "--json",
        ],
    ));
    let report: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(report["runs"], 2);
}

#[test]
fn an_unusable_url_or_server_is_exit_2_with_one_line_and_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cases = vec![
        (
            format!("postgres://me:{PASSWORD}@127.0.0.1:{port}/db"),
            "cannot connect to PostgreSQL",
        ),
        (
            format!("postgres://me:{PASSWORD}@h:notaport/db"),
            "not a usable PostgreSQL URL",
        ),
    ];
    if let Some(url) = database("an_unusable_url_or_server_is_exit_2") {
        let missing = format!("{}_missing", url.split('?').next().unwrap());
        cases.push((missing, "does not exist"));
    }
    for (url, says) in cases {
        for args in [
            vec!["analyze", "--team-id", "t", "--store", &url],
            vec!["history", "--team-id", "t", "--store", &url],
            vec!["store", "migrate", "--store", &url],
        ] {
            let o = teamtune(dir.path(), &args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            no_password(&o);
            let err = stderr(&o);
            assert!(err.contains(says), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
        }
    }
}

#[test]
fn reading_an_empty_database_says_there_is_no_store_and_creates_nothing() {
    let Some(url) = database("reading_an_empty_database_says_there_is_no_store") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let o = teamtune(dir.path(), &["analyze", "--team-id", "t", "--store", &url]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no store at postgres://postgres@"),
        "{}",
        stderr(&o)
    );
    no_password(&o);
    let server = teamtune_test_postgres::server("empty").unwrap();
    let plain = url.replacen(&format!(":{PASSWORD}@"), "@", 1);
    assert_eq!(
        server.psql(
            &plain,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ),
        "0"
    );
}

#[test]
fn store_migrate_then_copy_moves_a_history_into_postgresql() {
    let Some(url) = database("store_migrate_then_copy_moves_a_history_into_postgresql") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    let migrate = ok(teamtune(dir.path(), &["store", "migrate", "--store", &url]));
    assert!(
        stdout(&migrate).contains("schema version 0 -> 3, trial queue 0 -> 1"),
        "{}",
        stdout(&migrate)
    );
    let again = ok(teamtune(
        dir.path(),
        &["store", "migrate", "--store", &url, "--json"],
    ));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["from_version"], report["to_version"]);

    recorded(teamtune(
        dir.path(),
        &[
            "run",
            "audit.yaml",
            "--runs",
            "8",
            "--seed",
            "2",
            "--store",
            "s.db",
        ],
    ));
    ok(teamtune(
        dir.path(),
        &[
            "apply",
            "--team-id",
            "audit_team",
            "--config",
            "audit.yaml",
            "--auto",
            "--store",
            "s.db",
        ],
    ));
    let copy = ok(teamtune(
        dir.path(),
        &["store", "copy", "--from", "s.db", "--to", &url],
    ));
    assert!(
        stdout(&copy).starts_with("copied s.db into postgres://postgres@"),
        "{}",
        stdout(&copy)
    );

    for args in [
        vec![
            "metrics",
            "export",
            "--team-id",
            "audit_team",
            "--format",
            "csv",
        ],
        vec!["history", "--team-id", "audit_team", "--json"],
    ] {
        let mut from_file = args.clone();
        from_file.extend(["--store", "s.db"]);
        let mut from_db = args.clone();
        from_db.extend(["--store", url.as_str()]);
        assert_eq!(
            stdout(&ok(teamtune(dir.path(), &from_file))),
            stdout(&ok(teamtune(dir.path(), &from_db))),
            "{args:?}"
        );
    }
    let twice = teamtune(
        dir.path(),
        &["store", "copy", "--from", "s.db", "--to", &url],
    );
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        stderr(&twice).contains("already holds recorded runs"),
        "{}",
        stderr(&twice)
    );
    no_password(&twice);
    let backwards = teamtune(
        dir.path(),
        &["store", "copy", "--from", &url, "--to", "x.db"],
    );
    assert_eq!(backwards.status.code(), Some(2));
    assert!(stderr(&backwards).contains("--from must be an SQLite store file"));
    no_password(&backwards);
}
