//! [`Autotuner::work`]: the worker's side. `slots` threads each claim one queued trial at a
//! time, make its run and record the result; one more thread renews the leases of the runs
//! in hand (and says the worker is alive) every third of the lease. A worker that dies
//! renews nothing: its leases run out and its runs go back to the queue. A stop request
//! (SIGINT, SIGTERM) cancels the runs in hand and gives their entries back at once.
//!
//! The store failing for a while (a server restarting) is reported and waited out; a
//! finished run's result is retried until it is recorded, or until a stop.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use teamtune_model::Variant;
use teamtune_store::{
    ClaimedTrial, Completion, PostgresStore, StoreLocation, TrialOutcome, TrialQueue,
};

use super::job::{JobRunners, TrialJob};
use crate::autotuner::Autotuner;
use crate::error::Error;
use crate::stop::stop_requested;

/// How a worker works.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerOptions {
    /// Its name in the queue (default: host name and process id).
    pub name: Option<String>,
    /// Trial runs it makes at once.
    pub slots: usize,
    /// How long a claimed run stays its own without a renewal.
    pub lease: Duration,
    /// How often an idle slot looks at the queue.
    pub poll: Duration,
}

impl WorkerOptions {
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
    pub const DEFAULT_POLL: Duration = Duration::from_millis(500);

    pub fn new(slots: usize) -> Self {
        WorkerOptions {
            name: None,
            slots,
            lease: Self::DEFAULT_LEASE,
            poll: Self::DEFAULT_POLL,
        }
    }
}

/// What a worker did, for its log.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerEvent {
    Started {
        name: String,
        store: String,
        slots: usize,
    },
    /// A slot claimed a queued trial run.
    Claimed {
        slot: usize,
        batch: i64,
        position: u64,
        attempt: u64,
        team_id: String,
        variant: Option<Variant>,
        seed: u64,
    },
    /// The run was made; `completion` says whether its result was recorded.
    Finished {
        slot: usize,
        batch: i64,
        position: u64,
        seconds: f64,
        success: bool,
        completion: Completion,
    },
    /// The run could not be made; the reason is its result.
    Failed {
        slot: usize,
        batch: i64,
        position: u64,
        message: String,
        completion: Option<Completion>,
    },
    /// A stop: the run in hand was cancelled and its entry given back.
    Released {
        slot: usize,
        batch: i64,
        position: u64,
    },
    /// The store failed; the worker waits and tries again.
    StoreTrouble { message: String },
}

/// What a worker did in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// The signal that stopped it.
    pub stopped_by: Option<crate::Signal>,
    /// Runs whose result it recorded.
    pub recorded: u64,
    /// Runs it could not make (their reason recorded).
    pub failed: u64,
    /// Results it dropped: another worker's was recorded first, or the batch was cancelled.
    pub dropped: u64,
}

/// The machine's name, for worker names and the queue's owners.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Sleeps `d`, or less when a stop is requested meanwhile.
fn pause(d: Duration) {
    let end = Instant::now() + d;
    while stop_requested().is_none() {
        let now = Instant::now();
        if now >= end {
            return;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

/// The longest wait between tries while the store fails.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

struct Slot<'a> {
    index: usize,
    name: &'a str,
    queue: PostgresStore,
    opts: &'a WorkerOptions,
    on_event: &'a (dyn Fn(&WorkerEvent) + Sync),
    summary: &'a Mutex<WorkerSummary>,
}

impl Slot<'_> {
    fn event(&self, e: WorkerEvent) {
        (self.on_event)(&e);
    }

    fn count(&self, completion: Option<Completion>, failed: bool) {
        let mut s = self.summary.lock().unwrap_or_else(|p| p.into_inner());
        match completion {
            Some(Completion::Recorded) if failed => s.failed += 1,
            Some(Completion::Recorded) => s.recorded += 1,
            Some(_) => s.dropped += 1,
            None => {}
        }
    }

    fn work(mut self) {
        let mut runners = JobRunners::default();
        let mut backoff = Duration::from_secs(1);
        while stop_requested().is_none() {
            match self.queue.claim(self.name, self.opts.lease) {
                Ok(Some(claimed)) => {
                    backoff = Duration::from_secs(1);
                    if !self.make(&claimed, &mut runners) {
                        return;
                    }
                }
                Ok(None) => pause(self.opts.poll),
                Err(e) => {
                    self.event(WorkerEvent::StoreTrouble {
                        message: e.to_string(),
                    });
                    pause(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Makes a claimed run and records its result; `false` when the worker is stopping.
    fn make(&mut self, claimed: &ClaimedTrial, runners: &mut JobRunners) -> bool {
        let (batch, position) = (claimed.batch_id, claimed.position);
        let job = match TrialJob::parse(&claimed.job) {
            Ok(job) => job,
            Err(message) => {
                let completion = self.complete(claimed, TrialOutcome::Failed(&message));
                self.count(completion, true);
                self.event(WorkerEvent::Failed {
                    slot: self.index,
                    batch,
                    position,
                    message,
                    completion,
                });
                return true;
            }
        };
        self.event(WorkerEvent::Claimed {
            slot: self.index,
            batch,
            position,
            attempt: claimed.attempt,
            team_id: job.team_id.clone(),
            variant: job.variant,
            seed: job.seed,
        });
        let start = Instant::now();
        match runners.run(&job) {
            Err(Error::Interrupted { .. }) => {
                let _ = self.queue.release(claimed, self.name);
                self.event(WorkerEvent::Released {
                    slot: self.index,
                    batch,
                    position,
                });
                false
            }
            Ok(record) => {
                let json = serde_json::to_string(&record).unwrap_or_default();
                let completion = self.complete(claimed, TrialOutcome::Record(&json));
                self.count(completion, false);
                if let Some(completion) = completion {
                    self.event(WorkerEvent::Finished {
                        slot: self.index,
                        batch,
                        position,
                        seconds: start.elapsed().as_secs_f64(),
                        success: record.success,
                        completion,
                    });
                }
                true
            }
            Err(e) => {
                let message = e.to_string();
                let completion = self.complete(claimed, TrialOutcome::Failed(&message));
                self.count(completion, true);
                self.event(WorkerEvent::Failed {
                    slot: self.index,
                    batch,
                    position,
                    message,
                    completion,
                });
                true
            }
        }
    }

    /// Records a result, trying again while the store fails; `None` when a stop came first
    /// (the lease runs out and another worker makes the run).
    fn complete(
        &mut self,
        claimed: &ClaimedTrial,
        outcome: TrialOutcome<'_>,
    ) -> Option<Completion> {
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.queue.complete(claimed, self.name, outcome) {
                Ok(c) => return Some(c),
                Err(e) => {
                    self.event(WorkerEvent::StoreTrouble {
                        message: e.to_string(),
                    });
                    if stop_requested().is_some() {
                        return None;
                    }
                    pause(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

impl Autotuner {
    /// Works as a trial worker of the autotuner's PostgreSQL store until a stop is
    /// requested ([`stop_on_signals`](crate::stop_on_signals)); the summary names the
    /// signal. Each event goes to `on_event` as it happens (from the worker's threads).
    pub fn work(
        &self,
        opts: &WorkerOptions,
        on_event: &(dyn Fn(&WorkerEvent) + Sync),
    ) -> Result<WorkerSummary, Error> {
        let Some(StoreLocation::Postgres(url)) = self.location() else {
            return Err(Error::Workers {
                problem: format!(
                    "a worker needs a PostgreSQL store, not {}",
                    self.store_location()
                ),
            });
        };
        let slots = opts.slots.max(1);
        let store = PostgresStore::open_with(url, slots + 2)?;
        let host = host_name();
        let pid = std::process::id();
        let name = opts.name.clone().unwrap_or_else(|| format!("{host}-{pid}"));
        let lease = opts.lease.max(Duration::from_millis(100));
        // Registering is the first write: a store that cannot take it is said at once.
        store
            .clone()
            .heartbeat(&name, &host, pid, slots as u32, lease)?;
        on_event(&WorkerEvent::Started {
            name: name.clone(),
            store: url.to_string(),
            slots,
        });
        let summary = Mutex::new(WorkerSummary::default());
        let slots_done = AtomicBool::new(false);
        std::thread::scope(|s| {
            let mut heart = store.clone();
            let (name, host, slots_done) = (&name, &host, &slots_done);
            s.spawn(move || {
                while !slots_done.load(Ordering::Relaxed) {
                    let next = Instant::now() + lease / 3;
                    while Instant::now() < next && !slots_done.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    if slots_done.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Err(e) = heart.heartbeat(name, host, pid, slots as u32, lease) {
                        on_event(&WorkerEvent::StoreTrouble {
                            message: e.to_string(),
                        });
                    }
                }
            });
            let workers: Vec<_> = (0..slots)
                .map(|index| {
                    let slot = Slot {
                        index,
                        name,
                        queue: store.clone(),
                        opts,
                        on_event,
                        summary: &summary,
                    };
                    s.spawn(move || slot.work())
                })
                .collect();
            for w in workers {
                let _ = w.join();
            }
            slots_done.store(true, Ordering::Relaxed);
        });
        let _ = store.clone().retire(&name);
        let mut summary = *summary.lock().unwrap_or_else(|p| p.into_inner());
        summary.stopped_by = stop_requested();
        Ok(summary)
    }
}
