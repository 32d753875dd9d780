//! Several writers on one store at once must lose nothing. Each writer has its own
//! connection, opened on a store that does not exist yet, so the race also covers creating
//! the file (or tables), switching SQLite to WAL and migrating the schema.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::thread;

use teamtune_store::{
    HistoryStatus, NewHistoryEntry, PostgresStore, PostgresUrl, RunQuery, SqliteStore, Store,
};

use crate::support::single_team_run;

const WRITERS: usize = 4;
const RUNS_PER_WRITER: usize = 200;
const BATCH: usize = 10;
const HISTORY_PER_WRITER: usize = 5;

/// One writer's share: its runs in batches, interleaved with history entries.
fn write_share(path: &Path, writer: usize) {
    write_share_to(&mut SqliteStore::open(path).unwrap(), writer);
}

fn write_share_to(store: &mut dyn Store, writer: usize) {
    let runs: Vec<_> = (0..RUNS_PER_WRITER)
        .map(|i| single_team_run(&format!("w{writer}-r{i}"), "shared", i, None))
        .collect();
    for (b, batch) in runs.chunks(BATCH).enumerate() {
        store.record_runs(batch).unwrap();
        if b < HISTORY_PER_WRITER {
            store
                .add_history(&NewHistoryEntry {
                    team_id: "shared".into(),
                    kind: teamtune_store::HistoryKind::Apply,
                    file_path: "flows/review.yaml".into(),
                    previous_content: format!("w{writer} b{b} before"),
                    new_content: format!("w{writer} b{b} after"),
                    suggestion: None,
                    result: None,
                    status: HistoryStatus::Pending,
                    pre_change_seq: store.latest_seq("shared").unwrap(),
                    note: None,
                })
                .unwrap();
        }
    }
}

fn assert_nothing_lost(path: &Path) {
    assert_nothing_lost_in(&SqliteStore::open(path).unwrap());
}

fn assert_nothing_lost_in(store: &dyn Store) {
    let total = WRITERS * RUNS_PER_WRITER;
    assert_eq!(store.team_run_count("shared").unwrap(), total as u64);

    let got: BTreeSet<String> = store
        .team_runs("shared", &RunQuery::new())
        .unwrap()
        .into_iter()
        .map(|r| r.run_id.unwrap())
        .collect();
    let expected: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| (0..RUNS_PER_WRITER).map(move |i| format!("w{w}-r{i}")))
        .collect();
    assert_eq!(got, expected);

    // Each batch is one transaction, so a writer's batch of 10 is contiguous in seq order.
    let stored = store.stored_team_runs("shared", &RunQuery::new()).unwrap();
    for chunk in stored.chunks(BATCH) {
        let writer = |r: &teamtune_store::StoredTeamRun| {
            r.record
                .run_id
                .clone()
                .unwrap()
                .split('-')
                .next()
                .map(String::from)
        };
        assert!(
            chunk.iter().all(|r| writer(r) == writer(&chunk[0])),
            "a batch was interleaved"
        );
    }

    let history = store.history("shared").unwrap();
    assert_eq!(history.len(), WRITERS * HISTORY_PER_WRITER);
    assert!(
        history.iter().enumerate().all(|(i, e)| e.index == i as u64),
        "history indexes have gaps or repeats"
    );
}

#[test]
fn four_threads_with_own_connections_lose_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("nested/store.db"));
    let start = Arc::new(Barrier::new(WRITERS));
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (path, start) = (Arc::clone(&path), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                write_share(&path, w);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_nothing_lost(&path);
}

#[test]
fn four_threads_on_postgres_lose_no_record_and_keep_batches_in_commit_order() {
    let Some(url) = crate::backends::postgres(
        "four_threads_on_postgres_lose_no_record_and_keep_batches_in_commit_order",
    ) else {
        return;
    };
    let url: Arc<PostgresUrl> = Arc::new(url.parse().unwrap());
    let start = Arc::new(Barrier::new(WRITERS));
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (url, start) = (Arc::clone(&url), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                write_share_to(&mut PostgresStore::open(&url).unwrap(), w);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_nothing_lost_in(&PostgresStore::open(&url).unwrap());
}

const CHILD_PATH_ENV: &str = "TEAMTUNE_STORE_TEST_CHILD_PATH";
const CHILD_WRITER_ENV: &str = "TEAMTUNE_STORE_TEST_CHILD_WRITER";

/// Runs in a child process started by `four_processes_lose_no_record`; ignored otherwise.
#[test]
#[ignore = "child process of four_processes_lose_no_record"]
fn child_writer() {
    let (Ok(path), Ok(writer)) = (
        std::env::var(CHILD_PATH_ENV),
        std::env::var(CHILD_WRITER_ENV),
    ) else {
        return;
    };
    write_share(Path::new(&path), writer.parse().unwrap());
}

#[test]
fn four_processes_lose_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..WRITERS)
        .map(|w| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "concurrency::child_writer",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(CHILD_PATH_ENV, &path)
                .env(CHILD_WRITER_ENV, w.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("1 passed"), "child ran no test:\n{stdout}");
    }
    assert_nothing_lost(&path);
}
