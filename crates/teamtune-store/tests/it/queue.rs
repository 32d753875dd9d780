//! The trial queue: claims never overlap, a lost lease gives the entry to another worker,
//! and whoever finishes an entry first records its one result.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use teamtune_store::{Completion, PostgresStore, TrialOutcome, TrialQueue};

use crate::backends::postgres;

fn queue(test: &str) -> Option<PostgresStore> {
    postgres(test).map(|db| PostgresStore::open(&db.parse().unwrap()).unwrap())
}

fn jobs(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{{\"job\":{i}}}")).collect()
}

const LONG: Duration = Duration::from_secs(60);

#[test]
fn entries_are_claimed_in_order_and_recorded_once() {
    let Some(mut q) = queue("entries_are_claimed_in_order_and_recorded_once") else {
        return;
    };
    let batch = q.enqueue("test", &jobs(3)).unwrap();
    let a = q.claim("w1", LONG).unwrap().unwrap();
    let b = q.claim("w2", LONG).unwrap().unwrap();
    assert_eq!((a.batch_id, a.position, a.attempt), (batch, 0, 1));
    assert_eq!((b.position, b.job.as_str()), (1, "{\"job\":1}"));

    assert_eq!(
        q.complete(&a, "w1", TrialOutcome::Record("{\"r\":0}"))
            .unwrap(),
        Completion::Recorded
    );
    assert_eq!(
        q.complete(&a, "w1", TrialOutcome::Record("{\"r\":0}"))
            .unwrap(),
        Completion::AlreadyRecorded
    );
    assert_eq!(
        q.complete(&b, "w2", TrialOutcome::Failed("member crashed"))
            .unwrap(),
        Completion::Recorded
    );
    let results = q.results(batch, &[]).unwrap();
    let got: Vec<(u64, Result<String, String>)> = results
        .into_iter()
        .map(|r| (r.position, r.outcome))
        .collect();
    assert_eq!(
        got,
        [
            (0, Ok("{\"r\":0}".to_string())),
            (1, Err("member crashed".to_string()))
        ]
    );
    assert!(q.results(batch, &[0, 1]).unwrap().is_empty());
}

#[test]
fn a_lost_lease_gives_the_entry_to_another_worker_and_the_first_result_wins() {
    let Some(mut q) =
        queue("a_lost_lease_gives_the_entry_to_another_worker_and_the_first_result_wins")
    else {
        return;
    };
    let batch = q.enqueue("test", &jobs(2)).unwrap();
    let first = q.claim("slow", Duration::from_millis(50)).unwrap().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let retry = q.claim("fast", LONG).unwrap().unwrap();
    assert_eq!(
        (retry.entry_id, retry.attempt),
        (first.entry_id, 2),
        "the expired entry comes first"
    );
    assert_eq!(
        q.complete(&retry, "fast", TrialOutcome::Record("{\"by\":\"fast\"}"))
            .unwrap(),
        Completion::Recorded
    );
    // The slow worker finishes too: its result is dropped.
    assert_eq!(
        q.complete(&first, "slow", TrialOutcome::Record("{\"by\":\"slow\"}"))
            .unwrap(),
        Completion::AlreadyRecorded
    );
    let results = q.results(batch, &[]).unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        (results[0].worker.as_str(), results[0].attempt),
        ("fast", 2)
    );
}

#[test]
fn a_heartbeat_keeps_the_lease_and_says_the_worker_is_alive() {
    let Some(mut q) = queue("a_heartbeat_keeps_the_lease_and_says_the_worker_is_alive") else {
        return;
    };
    q.enqueue("test", &jobs(2)).unwrap();
    let held = q.claim("w1", Duration::from_millis(200)).unwrap().unwrap();
    assert_eq!(q.heartbeat("w1", "host-a", 42, 3, LONG).unwrap(), 1);
    std::thread::sleep(Duration::from_millis(300));
    let next = q.claim("w2", LONG).unwrap().unwrap();
    assert_ne!(
        next.entry_id, held.entry_id,
        "the renewed lease still holds"
    );
    let seen = q.workers(Duration::from_secs(30)).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].name.as_str(), seen[0].host.as_str()),
        ("w1", "host-a")
    );
    assert_eq!((seen[0].pid, seen[0].slots), (42, 3));
    q.retire("w1").unwrap();
    assert!(q.workers(Duration::from_secs(30)).unwrap().is_empty());
}

#[test]
fn a_released_entry_is_claimed_again_and_a_cancelled_batch_records_nothing() {
    let Some(mut q) =
        queue("a_released_entry_is_claimed_again_and_a_cancelled_batch_records_nothing")
    else {
        return;
    };
    let batch = q.enqueue("test", &jobs(2)).unwrap();
    let a = q.claim("w1", LONG).unwrap().unwrap();
    q.release(&a, "w1").unwrap();
    let again = q.claim("w2", LONG).unwrap().unwrap();
    assert_eq!((again.entry_id, again.attempt), (a.entry_id, 2));
    q.close_batch(batch, true).unwrap();
    assert_eq!(
        q.complete(&again, "w2", TrialOutcome::Record("{}"))
            .unwrap(),
        Completion::Cancelled
    );
    assert_eq!(q.claim("w3", LONG).unwrap(), None, "nothing left to claim");
    assert!(q.results(batch, &[]).unwrap().is_empty());
}

#[test]
fn the_runs_of_a_coordinator_not_heard_from_are_not_claimed() {
    let Some(db) = postgres("the_runs_of_a_coordinator_not_heard_from_are_not_claimed") else {
        return;
    };
    let server = teamtune_test_postgres::server("abandoned").unwrap();
    let mut q = PostgresStore::open(&db.parse().unwrap()).unwrap();
    let batch = q.enqueue("test", &jobs(2)).unwrap();
    server.psql(
        &db,
        &format!(
            "UPDATE trial_batches SET owner_seen = now() - interval '{} seconds'",
            teamtune_store::ABANDONED_AFTER.as_secs() + 1
        ),
    );
    assert_eq!(q.claim("w1", LONG).unwrap(), None, "nobody waits for these");
    q.still_waiting(batch).unwrap();
    let c = q.claim("w1", LONG).unwrap().unwrap();
    assert_eq!(c.batch_id, batch);
}

#[test]
fn eight_workers_claim_every_entry_exactly_once() {
    let Some(q) = queue("eight_workers_claim_every_entry_exactly_once") else {
        return;
    };
    const ENTRIES: usize = 200;
    let mut setup = q.clone();
    let batch = setup.enqueue("test", &jobs(ENTRIES)).unwrap();
    let claims = Arc::new(Mutex::new(BTreeMap::<u64, usize>::new()));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (mut q, claims) = (q.clone(), Arc::clone(&claims));
            std::thread::spawn(move || {
                let name = format!("w{w}");
                while let Some(c) = q.claim(&name, LONG).unwrap() {
                    *claims.lock().unwrap().entry(c.position).or_default() += 1;
                    let record = format!("{{\"position\":{}}}", c.position);
                    assert_eq!(
                        q.complete(&c, &name, TrialOutcome::Record(&record))
                            .unwrap(),
                        Completion::Recorded
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let claims = claims.lock().unwrap();
    assert_eq!(claims.len(), ENTRIES);
    assert!(
        claims.values().all(|&n| n == 1),
        "an entry was claimed twice"
    );
    let results = setup.results(batch, &[]).unwrap();
    assert_eq!(results.len(), ENTRIES);
    assert!(
        results
            .iter()
            .all(|r| r.outcome == Ok(format!("{{\"position\":{}}}", r.position)))
    );
    setup.close_batch(batch, false).unwrap();
}
