//! [`TrialQueue`] for [`PostgresStore`]. A claim takes the oldest claimable entry with
//! `FOR UPDATE SKIP LOCKED`, so workers never wait on each other's claims; leases are
//! timestamps of the server's clock, so workers on machines whose clocks disagree still
//! agree on when a lease ran out (and when a coordinator was last heard from). A completion locks the entry's row, then inserts the
//! result keyed by the entry: a second finisher finds the entry done (or, racing, the
//! primary key taken) and records nothing.

use std::time::Duration;

use tokio_postgres::Row;

use super::PostgresStore;
use crate::queue::ABANDONED_AFTER;
use crate::{
    ClaimedTrial, Completion, FinishedTrial, StoreError, TrialOutcome, TrialQueue, WorkerSeen,
};

const CLAIM: &str = "WITH next AS (SELECT id FROM trial_queue \
     WHERE (status = 'queued' OR (status = 'running' AND lease_until < now())) \
     AND batch_id IN (SELECT id FROM trial_batches WHERE status = 'open' \
         AND owner_seen > now() - $3 * interval '1 millisecond') \
     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
     UPDATE trial_queue q SET status = 'running', worker = $1, attempts = q.attempts + 1, \
     claimed_at = now(), lease_until = now() + $2 * interval '1 millisecond' \
     FROM next WHERE q.id = next.id \
     RETURNING q.id, q.batch_id, q.position, q.attempts, q.job_json";

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn claimed(row: &Row) -> ClaimedTrial {
    ClaimedTrial {
        entry_id: row.get(0),
        batch_id: row.get(1),
        position: unsigned(row.get(2)),
        attempt: unsigned(row.get(3)),
        job: row.get(4),
    }
}

impl TrialQueue for PostgresStore {
    fn enqueue(&mut self, owner: &str, jobs: &[String]) -> Result<i64, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let err = |action| self.err(action);
            let tx = client
                .transaction()
                .await
                .map_err(err("starting to queue trial runs"))?;
            tx.execute(
                "DELETE FROM trial_batches WHERE (status <> 'open' \
                 AND closed_at < now() - interval '1 day') \
                 OR (status = 'open' AND owner_seen < now() - interval '1 day')",
                &[],
            )
            .await
            .map_err(err("deleting old batches"))?;
            let batch: i64 = tx
                .query_one(
                    "INSERT INTO trial_batches (owner, trials) VALUES ($1, $2) RETURNING id",
                    &[&owner, &(jobs.len() as i64)],
                )
                .await
                .map_err(err("queuing trial runs"))?
                .get(0);
            let positions: Vec<i64> = (0..jobs.len() as i64).collect();
            tx.execute(
                "INSERT INTO trial_queue (batch_id, position, job_json) \
                 SELECT $1, * FROM UNNEST($2::int8[], $3::text[])",
                &[&batch, &positions, &jobs],
            )
            .await
            .map_err(err("queuing trial runs"))?;
            tx.commit().await.map_err(err("queuing trial runs"))?;
            Ok(batch)
        })
    }

    fn claim(&mut self, worker: &str, lease: Duration) -> Result<Option<ClaimedTrial>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let row = client
                .query_opt(CLAIM, &[&worker, &millis(lease), &millis(ABANDONED_AFTER)])
                .await
                .map_err(self.err("claiming a trial run"))?;
            Ok(row.as_ref().map(claimed))
        })
    }

    fn heartbeat(
        &mut self,
        worker: &str,
        host: &str,
        pid: u32,
        slots: u32,
        lease: Duration,
    ) -> Result<u64, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let err = |action| self.err(action);
            client
                .execute(
                    "INSERT INTO trial_workers (name, host, pid, slots) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (name) DO UPDATE SET last_seen = now(), slots = EXCLUDED.slots",
                    &[&worker, &host, &i64::from(pid), &i64::from(slots)],
                )
                .await
                .map_err(err("saying the worker is alive"))?;
            let held = client
                .execute(
                    "UPDATE trial_queue SET lease_until = now() + $2 * interval '1 millisecond' \
                     WHERE worker = $1 AND status = 'running'",
                    &[&worker, &millis(lease)],
                )
                .await
                .map_err(err("renewing leases"))?;
            Ok(held)
        })
    }

    fn complete(
        &mut self,
        claimed: &ClaimedTrial,
        worker: &str,
        outcome: TrialOutcome<'_>,
    ) -> Result<Completion, StoreError> {
        let (record, error) = match outcome {
            TrialOutcome::Record(r) => (Some(r), None),
            TrialOutcome::Failed(e) => (None, Some(e)),
        };
        self.block(async {
            let mut client = self.client().await?;
            let err = |action| self.err(action);
            let tx = client
                .transaction()
                .await
                .map_err(err("recording a trial result"))?;
            let status: Option<String> = tx
                .query_opt(
                    "SELECT status FROM trial_queue WHERE id = $1 FOR UPDATE",
                    &[&claimed.entry_id],
                )
                .await
                .map_err(err("recording a trial result"))?
                .map(|r| r.get(0));
            match status.as_deref() {
                // Deleted with its batch: as good as cancelled.
                None | Some("cancelled") => return Ok(Completion::Cancelled),
                Some("done" | "failed") => return Ok(Completion::AlreadyRecorded),
                Some(_) => {}
            }
            let inserted = tx
                .execute(
                    "INSERT INTO trial_results (entry_id, worker, attempt, record_json, error) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (entry_id) DO NOTHING",
                    &[
                        &claimed.entry_id,
                        &worker,
                        &(claimed.attempt as i64),
                        &record,
                        &error,
                    ],
                )
                .await
                .map_err(err("recording a trial result"))?;
            if inserted == 0 {
                return Ok(Completion::AlreadyRecorded);
            }
            tx.execute(
                "UPDATE trial_queue SET status = $2, lease_until = NULL WHERE id = $1",
                &[
                    &claimed.entry_id,
                    &if error.is_some() { "failed" } else { "done" },
                ],
            )
            .await
            .map_err(err("recording a trial result"))?;
            tx.commit().await.map_err(err("recording a trial result"))?;
            Ok(Completion::Recorded)
        })
    }

    fn release(&mut self, claimed: &ClaimedTrial, worker: &str) -> Result<(), StoreError> {
        self.block(async {
            let client = self.client().await?;
            client
                .execute(
                    "UPDATE trial_queue SET status = 'queued', worker = NULL, lease_until = NULL \
                     WHERE id = $1 AND worker = $2 AND status = 'running'",
                    &[&claimed.entry_id, &worker],
                )
                .await
                .map_err(self.err("giving a trial run back"))?;
            Ok(())
        })
    }

    fn retire(&mut self, worker: &str) -> Result<(), StoreError> {
        self.block(async {
            let client = self.client().await?;
            client
                .execute("DELETE FROM trial_workers WHERE name = $1", &[&worker])
                .await
                .map_err(self.err("retiring the worker"))?;
            Ok(())
        })
    }

    fn still_waiting(&mut self, batch_id: i64) -> Result<(), StoreError> {
        self.block(async {
            let client = self.client().await?;
            client
                .execute(
                    "UPDATE trial_batches SET owner_seen = now() WHERE id = $1",
                    &[&batch_id],
                )
                .await
                .map_err(self.err("saying the coordinator is waiting"))?;
            Ok(())
        })
    }

    fn results(&self, batch_id: i64, known: &[u64]) -> Result<Vec<FinishedTrial>, StoreError> {
        let known: Vec<i64> = known.iter().map(|&p| p as i64).collect();
        self.block(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT q.position, r.record_json, r.error, r.worker, r.attempt \
                     FROM trial_results r JOIN trial_queue q ON q.id = r.entry_id \
                     WHERE q.batch_id = $1 AND NOT (q.position = ANY($2)) ORDER BY q.position",
                    &[&batch_id, &known],
                )
                .await
                .map_err(self.err("reading trial results"))?;
            Ok(rows
                .iter()
                .map(|r| {
                    let record: Option<String> = r.get(1);
                    let error: Option<String> = r.get(2);
                    FinishedTrial {
                        position: unsigned(r.get(0)),
                        outcome: match record {
                            Some(record) => Ok(record),
                            None => Err(error.unwrap_or_default()),
                        },
                        worker: r.get(3),
                        attempt: unsigned(r.get(4)),
                    }
                })
                .collect())
        })
    }

    fn close_batch(&mut self, batch_id: i64, cancelled: bool) -> Result<(), StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let err = |action| self.err(action);
            let tx = client.transaction().await.map_err(err("closing a batch"))?;
            tx.execute(
                "UPDATE trial_batches SET status = $2, closed_at = now() WHERE id = $1",
                &[&batch_id, &if cancelled { "cancelled" } else { "closed" }],
            )
            .await
            .map_err(err("closing a batch"))?;
            if cancelled {
                tx.execute(
                    "UPDATE trial_queue SET status = 'cancelled', lease_until = NULL \
                     WHERE batch_id = $1 AND status IN ('queued', 'running')",
                    &[&batch_id],
                )
                .await
                .map_err(err("cancelling a batch"))?;
            }
            tx.commit().await.map_err(err("closing a batch"))?;
            Ok(())
        })
    }

    fn workers(&self, within: Duration) -> Result<Vec<WorkerSeen>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT name, host, pid, slots, \
                     EXTRACT(EPOCH FROM now() - last_seen)::float8 FROM trial_workers \
                     WHERE last_seen > now() - $1 * interval '1 millisecond' ORDER BY name",
                    &[&millis(within)],
                )
                .await
                .map_err(self.err("listing workers"))?;
            Ok(rows
                .iter()
                .map(|r| WorkerSeen {
                    name: r.get(0),
                    host: r.get(1),
                    pid: u32::try_from(r.get::<_, i64>(2)).unwrap_or(0),
                    slots: u32::try_from(r.get::<_, i64>(3)).unwrap_or(0),
                    seconds_since_seen: r.get(4),
                })
                .collect())
        })
    }
}
