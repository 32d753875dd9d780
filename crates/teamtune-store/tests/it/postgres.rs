//! What only the PostgreSQL store has to get right: URLs, connecting, the password never
//! shown, another application's schema, versions, read-only use, migrating, and copying an
//! SQLite store into it.

use std::sync::{Arc, Barrier};

use teamtune_model::Variant;
use teamtune_store::{
    DecisionAction, ExperimentStore, HistoryKind, HistoryStatus, HistoryStore, MetricsStore,
    NewDecision, NewExperiment, NewHistoryEntry, PostgresStore, PostgresUrl, RunQuery, SqliteStore,
    Store, StoreError, StoreLocation,
};

use crate::backends::postgres;
use crate::support::single_team_run;

const PASSWORD: &str = "pw-canary-7731";

fn url(text: &str) -> PostgresUrl {
    text.parse().unwrap()
}

/// `url` with the canary password in its userinfo.
fn with_password(url: &str) -> String {
    url.replacen("://postgres@", &format!("://postgres:{PASSWORD}@"), 1)
}

fn assert_no_password(err: &StoreError) {
    let text = format!("{err} {err:?}");
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
}

#[test]
fn a_bad_url_is_the_users_error_and_never_shows_the_password() {
    for bad in [
        format!("postgres://u:{PASSWORD}@h:99999/db"),
        format!("postgres://u:{PASSWORD}@h/db?sslmode=maybe"),
        format!("postgresql://u:{PASSWORD}@/db"),
    ] {
        let err = StoreLocation::parse(bad.as_ref()).unwrap_err();
        assert!(matches!(err, StoreError::BadUrl { .. }), "{err}");
        assert!(err.is_bad_store());
        assert_no_password(&err);
    }
}

#[test]
fn an_unreachable_server_is_a_clear_error_without_the_password() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!("postgres://me:{PASSWORD}@127.0.0.1:{port}/db?connect_timeout=5");
    let err = PostgresStore::open(&url(&text)).unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err}");
    assert!(err.is_bad_store());
    assert!(
        err.to_string()
            .starts_with(&format!("postgres://me@127.0.0.1:{port}/db")),
        "{err}"
    );
    assert_no_password(&err);
}

#[test]
fn a_missing_database_or_tls_the_server_lacks_is_a_connect_error() {
    let Some(db) = postgres("a_missing_database_or_tls_the_server_lacks_is_a_connect_error") else {
        return;
    };
    let server = teamtune_test_postgres::server("missing database").unwrap();
    let missing = with_password(&server.url_of("no_such_database_here"));
    let err = PostgresStore::open(&url(&missing)).unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert_no_password(&err);

    // A checked certificate the test server cannot show (it has no TLS, or a self-signed
    // certificate the system does not trust): no connection.
    let sep = if db.contains('?') { '&' } else { '?' };
    let tls = with_password(&format!("{db}{sep}sslmode=verify-full"));
    let err = PostgresStore::open(&url(&tls)).unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err}");
    assert_no_password(&err);

    let root = format!("{db}{sep}sslmode=require&sslrootcert=/nonexistent/ca.pem");
    let err = PostgresStore::open(&url(&root)).unwrap_err();
    assert!(matches!(err, StoreError::Tls { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}

#[test]
#[allow(clippy::print_stderr)] // says the test is skipped
fn tls_with_the_servers_certificate_is_used_and_verified() {
    let Some(db) = postgres("tls_with_the_servers_certificate_is_used_and_verified") else {
        return;
    };
    let server = teamtune_test_postgres::server("tls").unwrap();
    let Some(cert) = server.root_cert() else {
        let required = std::env::var(teamtune_test_postgres::REQUIRE_ENV).is_ok_and(|v| v == "1");
        assert!(
            !required,
            "the test server has no TLS: give its certificate in {}",
            teamtune_test_postgres::ROOT_CERT_ENV
        );
        eprintln!("skipped the TLS test: the test server has no TLS (no openssl)");
        return;
    };
    let sep = if db.contains('?') { '&' } else { '?' };
    let verified = format!(
        "{db}{sep}sslmode=verify-full&sslrootcert={}&application_name=teamtune-tls-test",
        cert.display()
    );
    let mut store = PostgresStore::open(&url(&verified)).unwrap();
    store
        .record_runs(&[single_team_run("r0", "a", 0, None)])
        .unwrap();
    assert_eq!(store.team_run_count("a").unwrap(), 1);
    // The store's pooled connection is there to ask about.
    assert_eq!(
        server.psql(
            &db,
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = 'teamtune-tls-test'"
        ),
        "t",
        "the connection is encrypted"
    );
    // Checked against the system's roots instead, the self-signed certificate is refused.
    let untrusted = with_password(&format!("{db}{sep}sslmode=verify-ca"));
    let err = PostgresStore::open(&url(&untrusted)).unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    assert_no_password(&err);
    // `require` encrypts without checking it, as libpq's does.
    let unchecked = format!("{db}{sep}sslmode=require&application_name=teamtune-tls-require");
    let store = PostgresStore::open(&url(&unchecked)).unwrap();
    assert_eq!(store.team_run_count("a").unwrap(), 1);
    assert_eq!(
        server.psql(
            &db,
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = 'teamtune-tls-require'"
        ),
        "t"
    );
}

#[test]
fn another_applications_schema_is_left_alone() {
    let Some(db) = postgres("another_applications_schema_is_left_alone") else {
        return;
    };
    let server = teamtune_test_postgres::server("foreign").unwrap();
    server.psql(&db, "CREATE TABLE customers (id int)");
    let err = PostgresStore::open(&url(&db)).unwrap_err();
    assert!(matches!(err, StoreError::ForeignSchema { .. }), "{err}");
    assert!(err.is_bad_store());
    assert!(err.to_string().contains("customers"), "{err}");
    assert_eq!(
        server.psql(
            &db,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ),
        "1",
        "nothing was added"
    );
}

#[test]
fn a_newer_schema_is_refused_and_reading_needs_this_builds_schema() {
    let Some(db) = postgres("a_newer_schema_is_refused_and_reading_needs_this_builds_schema")
    else {
        return;
    };
    let server = teamtune_test_postgres::server("versions").unwrap();
    assert!(PostgresStore::open_read_only(&url(&db)).unwrap().is_none());
    assert!(PostgresStore::open_existing(&url(&db)).unwrap().is_none());
    assert_eq!(
        server.psql(
            &db,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ),
        "0",
        "reading created nothing"
    );

    drop(PostgresStore::open(&url(&db)).unwrap());
    server.psql(
        &db,
        "UPDATE teamtune_schema SET version = 99 WHERE part = 'store'",
    );
    let err = PostgresStore::open(&url(&db)).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    assert!(err.is_bad_store());
    server.psql(
        &db,
        "UPDATE teamtune_schema SET version = 1 WHERE part = 'store'",
    );
    let err = PostgresStore::open_read_only(&url(&db)).unwrap_err();
    assert!(
        matches!(&err, StoreError::NotReadable { problem, .. } if problem.contains("store migrate")),
        "{err}"
    );
}

#[test]
fn a_read_only_store_reads_but_does_not_write() {
    let Some(db) = postgres("a_read_only_store_reads_but_does_not_write") else {
        return;
    };
    let mut store = PostgresStore::open(&url(&db)).unwrap();
    store
        .record_runs(&[single_team_run("r0", "a", 0, None)])
        .unwrap();
    let mut reader = PostgresStore::open_read_only(&url(&db)).unwrap().unwrap();
    assert_eq!(reader.team_run_count("a").unwrap(), 1);
    let err = reader
        .record_runs(&[single_team_run("r1", "a", 1, None)])
        .unwrap_err();
    assert!(matches!(err, StoreError::Permission { .. }), "{err}");
    assert_eq!(store.team_run_count("a").unwrap(), 1);
}

#[test]
fn migrating_is_once_whoever_opens_first() {
    let Some(db) = postgres("migrating_is_once_whoever_opens_first") else {
        return;
    };
    let target = Arc::new(url(&db));
    let start = Arc::new(Barrier::new(4));
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let (target, start) = (Arc::clone(&target), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                PostgresStore::open(&target).map(drop)
            })
        })
        .collect();
    for t in opened {
        t.join().unwrap().unwrap();
    }
    let report = PostgresStore::migrate(&target).unwrap();
    assert_eq!(
        (report.from_version, report.to_version),
        (
            PostgresStore::schema_version(),
            SqliteStore::schema_version()
        )
    );
    assert_eq!(report.queue_from_version, report.queue_to_version);
    let server = teamtune_test_postgres::server("migrate").unwrap();
    assert_eq!(
        server.psql(
            &db,
            "SELECT part || '=' || version FROM teamtune_schema ORDER BY part"
        ),
        format!("store={}\ntrial_queue=1", SqliteStore::schema_version())
    );
}

/// An SQLite store with runs of two teams, history and a decided experiment.
fn sqlite_with_everything(dir: &std::path::Path) -> SqliteStore {
    let mut s = SqliteStore::open(&dir.join("source.db")).unwrap();
    let runs: Vec<_> = (0..30)
        .map(|i| {
            let variant = [None, Some(Variant::Baseline), Some(Variant::Candidate)][i % 3];
            single_team_run(
                &format!("r{i}"),
                if i % 4 == 0 { "b" } else { "a" },
                i,
                variant,
            )
        })
        .collect();
    s.record_runs(&runs).unwrap();
    let entry = s
        .add_history(&NewHistoryEntry {
            team_id: "a".into(),
            kind: HistoryKind::Apply,
            file_path: "flows/review.yaml".into(),
            previous_content: "before\r\n".into(),
            new_content: "after\n".into(),
            suggestion: Some(serde_json::json!({"id": "s1"})),
            result: Some(serde_json::json!({"apply_seq": 12})),
            status: HistoryStatus::Pending,
            pre_change_seq: Some(12),
            note: None,
        })
        .unwrap();
    s.set_history_status(entry.id, &HistoryStatus::Kept, Some("kept"))
        .unwrap();
    let e = s
        .start_experiment(
            &NewExperiment {
                team_id: "a".into(),
                file_path: "flows/review.yaml".into(),
                share: 0.2,
                ramp: vec![0.5],
                control_hash: "x".into(),
                control_config: serde_json::json!({}),
                candidate_hash: "y".into(),
                candidate_config: serde_json::json!({"tool_budget": 3}),
                suggestion: None,
                rules: serde_json::json!({}),
                start_seq: Some(30),
                note: None,
            },
            "by hand",
        )
        .unwrap();
    s.decide_experiment(
        e.id,
        &NewDecision {
            action: DecisionAction::Abort,
            share_before: 0.2,
            share_after: 0.2,
            control_runs: 3,
            candidate_runs: 1,
            evidence: None,
            history_index: None,
            reason: "guardrail".into(),
        },
    )
    .unwrap();
    s
}

#[test]
fn a_copy_is_the_sqlite_store_row_for_row_and_goes_on_numbering_after_it() {
    let Some(db) =
        postgres("a_copy_is_the_sqlite_store_row_for_row_and_goes_on_numbering_after_it")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_with_everything(dir.path());
    let mut target = PostgresStore::open(&url(&db)).unwrap();
    let report = target.copy_from_sqlite(&source).unwrap();
    let rows: Vec<(&str, u64)> = report
        .tables
        .iter()
        .map(|t| (t.table.as_str(), t.rows))
        .collect();
    assert_eq!(
        rows,
        [
            ("workflow_runs", 30),
            ("team_runs", 30),
            ("member_runs", 90),
            ("history", 1),
            ("experiments", 1),
            ("experiment_decisions", 2)
        ]
    );
    for team in ["a", "b"] {
        assert_eq!(
            target.stored_team_runs(team, &RunQuery::new()).unwrap(),
            source.stored_team_runs(team, &RunQuery::new()).unwrap(),
            "team {team}: same records, same seqs"
        );
        assert_eq!(target.history(team).unwrap(), source.history(team).unwrap());
    }
    assert_eq!(
        target.experiments(None).unwrap(),
        source.experiments(None).unwrap()
    );
    assert_eq!(
        target.experiment_decisions(1).unwrap(),
        source.experiment_decisions(1).unwrap()
    );
    let mut export = (Vec::new(), Vec::new());
    for (store, out) in [
        (&target as &dyn Store, &mut export.0),
        (&source as &dyn Store, &mut export.1),
    ] {
        store
            .export_team_runs("a", teamtune_store::ExportFormat::Csv, out)
            .unwrap();
    }
    assert_eq!(export.0, export.1);

    // The copy goes on where the original was.
    target
        .record_runs(&[single_team_run("after", "a", 99, None)])
        .unwrap();
    assert_eq!(target.latest_seq("a").unwrap(), Some(31));
    let next = target
        .add_history(&NewHistoryEntry {
            team_id: "a".into(),
            kind: HistoryKind::Rollback,
            file_path: "flows/review.yaml".into(),
            previous_content: "after\n".into(),
            new_content: "before\r\n".into(),
            suggestion: None,
            result: None,
            status: HistoryStatus::Kept,
            pre_change_seq: None,
            note: None,
        })
        .unwrap();
    assert_eq!((next.id, next.index), (2, 1));

    // A second copy would collide with the first.
    let err = target.copy_from_sqlite(&source).unwrap_err();
    assert!(
        matches!(err, StoreError::CopyTargetNotEmpty { .. }),
        "{err}"
    );
    assert_eq!(
        target.team_run_count("a").unwrap(),
        source.team_run_count("a").unwrap() + 1
    );
}
