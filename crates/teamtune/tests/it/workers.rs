//! The coordinator's side of trial workers, against a worker that misbehaves: a run it could
//! not make, or a result that is not a record, fails the test with the worker's name and
//! cancels the rest of the batch.

use std::time::{Duration, Instant};

use teamtune::{Autotuner, Error, HitlPolicy, StoreLocation};
use teamtune_store::{PostgresStore, TrialOutcome, TrialQueue};

const AUDIT: &str = "workflows:\n  audit:\n    nodes:\n      - id: t\n        type: team\n        \
    team_formation: sequential\n        sim: {work_calls: 4, think_s: 2, failure_rate: 0}\n        \
    members: [{id: a}, {id: b}]\n";

/// Runs a benchmark with workers in a thread while `worker` plays the only worker; returns
/// the benchmark's error.
fn benchmark_against(
    test: &str,
    worker: impl FnOnce(&mut PostgresStore),
) -> Option<(Error, String)> {
    let server = teamtune_test_postgres::server(test)?;
    let url = server.fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.yaml");
    std::fs::write(&file, AUDIT).unwrap();
    let location = StoreLocation::parse(url.as_ref()).unwrap();
    let coordinator = {
        let (location, file) = (location.clone(), file.clone());
        std::thread::spawn(move || {
            Autotuner::at(location).with_workers(true).benchmark(
                &file,
                &file,
                None,
                5,
                1,
                HitlPolicy::Approve,
                &mut |_, _| {},
            )
        })
    };
    let mut queue = PostgresStore::open(&url.parse().unwrap()).unwrap();
    worker(&mut queue);
    let err = coordinator.join().unwrap().unwrap_err();
    let statuses = server.psql(
        &url,
        "SELECT status, count(*) FROM trial_queue GROUP BY status ORDER BY status",
    );
    Some((err, statuses))
}

/// Claims an entry, waiting for the coordinator to queue them.
fn claim(queue: &mut PostgresStore) -> teamtune_store::ClaimedTrial {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(c) = queue.claim("rogue", Duration::from_secs(60)).unwrap() {
            return c;
        }
        assert!(Instant::now() < deadline, "nothing was queued");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_run_a_worker_could_not_make_fails_the_test_and_cancels_the_batch() {
    let Some((err, statuses)) = benchmark_against(
        "a_run_a_worker_could_not_make_fails_the_test_and_cancels_the_batch",
        |queue| {
            let c = claim(queue);
            queue
                .complete(
                    &c,
                    "rogue",
                    TrialOutcome::Failed("no `sleep` on this machine"),
                )
                .unwrap();
        },
    ) else {
        return;
    };
    assert!(
        matches!(&err, Error::TrialFailed { position: 0, worker, message, .. }
            if worker == "rogue" && message == "no `sleep` on this machine"),
        "{err}"
    );
    assert!(!err.is_user_error());
    assert_eq!(statuses, "cancelled|9\nfailed|1");
}

#[test]
fn a_result_that_is_not_a_record_fails_the_test() {
    let Some((err, statuses)) =
        benchmark_against("a_result_that_is_not_a_record_fails_the_test", |queue| {
            let c = claim(queue);
            queue
                .complete(&c, "rogue", TrialOutcome::Record("{\"not\": \"a record\"}"))
                .unwrap();
        })
    else {
        return;
    };
    assert!(
        err.to_string().contains("its record does not parse"),
        "{err}"
    );
    assert_eq!(statuses, "cancelled|9\ndone|1");
}
