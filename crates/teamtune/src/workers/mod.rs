//! Trial runs on many machines. With `--workers`, `apply` and `benchmark` hand their trial
//! runs to the PostgreSQL store's queue instead of running them here ([`QueuedRunner`], a
//! [`TrialRunner`](crate::TrialRunner) like any other) and wait for the results;
//! `teamtune worker` processes on any number of machines ([`Autotuner::work`]) claim the
//! queued runs one at a time with a lease, make them, and record each result once.
//!
//! A queue entry is a [`TrialJob`](job::TrialJob): the workflow file's text, the team, its
//! configuration, the seed and the A/B side, so a worker's run is the run the coordinator
//! would have made itself, and the verdict is the same as a local run's with the same seeds.
//!
//! [`Autotuner::work`]: crate::Autotuner::work

mod job;
mod queued;
mod worker;

pub(crate) use job::JobSource;
pub(crate) use queued::QueuedRunner;
pub use worker::{WorkerEvent, WorkerOptions, WorkerSummary};
