//! The [`TrialQueue`] trait: trial runs shared out to workers on other machines. A
//! coordinator (`apply --workers`, `benchmark --workers`) queues a batch of trial runs, each
//! described by a job the store keeps as text; workers claim one entry at a time with a
//! lease they renew while it runs, and record one result per entry; the coordinator
//! collects the results and closes the batch.
//!
//! A worker that dies stops renewing: once its lease has run out the entry is claimable
//! again. A coordinator says it is still waiting ([`TrialQueue::still_waiting`]); the runs
//! of one not heard from for [`ABANDONED_AFTER`] are not claimed (nobody would read their
//! results) until it is heard from again. A result is recorded exactly once even when a run is retried: results are keyed
//! by the entry, so the second finisher of an entry records nothing
//! ([`Completion::AlreadyRecorded`]). Only the PostgreSQL store has a queue
//! (`postgres/queue.rs`).

use std::time::Duration;

use crate::StoreError;

/// How long a coordinator may go without saying it is still waiting before workers stop
/// claiming its runs.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(60);

/// An entry a worker claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedTrial {
    pub entry_id: i64,
    pub batch_id: i64,
    /// Its place in the batch, from 0.
    pub position: u64,
    /// 1 for the first claim; more when an earlier worker lost its lease.
    pub attempt: u64,
    /// The job, as the coordinator queued it.
    pub job: String,
}

/// What a worker's run of an entry gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialOutcome<'a> {
    /// The run's record, as the coordinator will read it.
    Record(&'a str),
    /// Why the run could not be made.
    Failed(&'a str),
}

/// What became of a worker's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    Recorded,
    /// Another worker (which claimed the entry after this one's lease ran out) recorded it
    /// first: this result is dropped.
    AlreadyRecorded,
    /// The coordinator gave up the batch (stopped or failed): the result is dropped.
    Cancelled,
}

/// A result of a batch, for the coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedTrial {
    pub position: u64,
    /// The record, or why the run failed.
    pub outcome: Result<String, String>,
    pub worker: String,
    pub attempt: u64,
}

/// A worker that renewed its leases lately.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSeen {
    pub name: String,
    pub host: String,
    pub pid: u32,
    /// Trial runs it makes at once.
    pub slots: u32,
    pub seconds_since_seen: f64,
}

/// A queue of trial runs shared by a coordinator and workers. Object safe.
pub trait TrialQueue: Send {
    /// Queues `jobs` as one batch (entry `i` at position `i`) and returns the batch id.
    /// `owner` names the coordinator, for people looking at the queue. Batches closed (or
    /// abandoned by their coordinator) more than a day ago are deleted.
    fn enqueue(&mut self, owner: &str, jobs: &[String]) -> Result<i64, StoreError>;

    /// Claims the oldest entry that is queued or whose lease ran out, of a batch whose
    /// coordinator is still waiting, leased to `worker` for `lease`; `None` when there is
    /// none.
    fn claim(&mut self, worker: &str, lease: Duration) -> Result<Option<ClaimedTrial>, StoreError>;

    /// Extends every lease `worker` holds by `lease` from now, and says it is alive (with
    /// `host`, `pid` and `slots`, for [`workers`](Self::workers)). Returns how many leases it
    /// holds.
    fn heartbeat(
        &mut self,
        worker: &str,
        host: &str,
        pid: u32,
        slots: u32,
        lease: Duration,
    ) -> Result<u64, StoreError>;

    /// Records the result of a claimed entry, unless it has one already or its batch was
    /// cancelled.
    fn complete(
        &mut self,
        claimed: &ClaimedTrial,
        worker: &str,
        outcome: TrialOutcome<'_>,
    ) -> Result<Completion, StoreError>;

    /// Gives a claimed entry back at once (a worker told to stop), for another worker.
    fn release(&mut self, claimed: &ClaimedTrial, worker: &str) -> Result<(), StoreError>;

    /// Forgets a worker that stops.
    fn retire(&mut self, worker: &str) -> Result<(), StoreError>;

    /// The coordinator of batch `batch_id` says it is still waiting for the results.
    fn still_waiting(&mut self, batch_id: i64) -> Result<(), StoreError>;

    /// The results of batch `batch_id` whose positions are not in `known`.
    fn results(&self, batch_id: i64, known: &[u64]) -> Result<Vec<FinishedTrial>, StoreError>;

    /// Ends a batch: `cancelled` drops the entries not finished (and any result still to
    /// come); otherwise the batch is done with.
    fn close_batch(&mut self, batch_id: i64, cancelled: bool) -> Result<(), StoreError>;

    /// The workers seen within `within`, by name.
    fn workers(&self, within: Duration) -> Result<Vec<WorkerSeen>, StoreError>;
}
