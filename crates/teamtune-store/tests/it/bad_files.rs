//! Files that are not a teamtune store are refused with an error naming them and are left
//! as they were; damage is reported as corruption; a store that may not be written is still
//! read by a read-only open.

use std::path::Path;

use rusqlite::Connection;
use teamtune_store::{HistoryStore, MetricsStore, RunQuery, SqliteStore, StoreError};

use crate::support::single_team_run;

fn store_with_runs(path: &Path, runs: usize) {
    let mut store = SqliteStore::open(path).unwrap();
    let batch: Vec<_> = (0..runs)
        .map(|i| single_team_run(&format!("r{i}"), "t", i, None))
        .collect();
    store.record_runs(&batch).unwrap();
}

#[test]
fn random_bytes_and_text_are_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let random: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, bytes) in [
        ("random.db", random),
        (
            "flow.yaml",
            b"workflows:\n  w:\n    nodes: []\n".repeat(200),
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        for err in [
            SqliteStore::open(&path).unwrap_err(),
            SqliteStore::open_read_only(&path).unwrap_err(),
        ] {
            assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
            assert!(err.to_string().contains(name), "{err}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name} untouched");
    }
}

#[test]
fn another_applications_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
        conn.pragma_update(None, "user_version", 7).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    for err in [
        SqliteStore::open(&path).unwrap_err(),
        SqliteStore::open_read_only(&path).unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("notes.db") && text.contains("notes"),
            "{text}"
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "not a byte changed");
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 7);
}

#[test]
fn an_empty_file_becomes_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let err = SqliteStore::open_read_only(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotReadable { .. }), "{err}");
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.history("t").unwrap().is_empty());
}

#[test]
fn damaged_pages_are_reported_as_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.db");
    store_with_runs(&path, 300);
    let mut bytes = std::fs::read(&path).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    // Every b-tree page but the schema's gets an invalid page type.
    for start in (page..bytes.len()).step_by(page) {
        bytes[start] = 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    let store = SqliteStore::open_read_only(&path).unwrap();
    let err = store.team_runs("t", &RunQuery::new()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains("damaged.db: the store is corrupt"),
        "{err}"
    );
    let mut store = SqliteStore::open(&path).unwrap();
    let err = store
        .record_runs(&[single_team_run("new", "t", 1, None)])
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
}

#[test]
fn a_store_in_a_read_only_place_is_read_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    store_with_runs(&path, 5);
    // A read-only open changes nothing: no journal, no shared-memory file, same bytes.
    let before = std::fs::read(&path).unwrap();
    let store = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(store.team_runs("t", &RunQuery::new()).unwrap().len(), 5);
    let mut store = store;
    assert!(
        store
            .record_runs(&[single_team_run("new", "t", 9, None)])
            .is_err(),
        "read-only"
    );
    drop(store);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
