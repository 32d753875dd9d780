//! [`QueuedRunner`]: the coordinator's side. Its trials become one batch of queue entries;
//! it then polls the batch's results, reporting each as it arrives, and returns the records
//! in the trials' order. A stop request (Ctrl-C) or a trial a worker could not make cancels
//! the batch: entries not yet claimed are dropped, results still to come are refused, and
//! the records in order before the first missing one are returned with the reason. While it
//! waits it says so every few seconds: workers stop taking the runs of a coordinator that
//! died.

use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde_json::Value as Json;
use teamtune_engine::HitlPolicy;
use teamtune_model::{TeamConfig, Variant, WorkflowRunRecord};
use teamtune_store::{PostgresStore, TrialQueue};

use super::job::{JobSource, TrialJob};
use crate::error::Error;
use crate::stop::stop_requested;
use crate::trial::{Trial, TrialBatch, TrialRunner};

/// How often the queue is looked at while waiting for results.
const POLL: Duration = Duration::from_millis(200);

/// How often the coordinator says it is still waiting (well within
/// [`ABANDONED_AFTER`](teamtune_store::ABANDONED_AFTER)).
const STILL_WAITING: Duration = Duration::from_secs(5);

/// Workers seen within this long count towards [`TrialRunner::parallelism`].
const ALIVE: Duration = Duration::from_secs(60);

/// A runner whose trials workers make. `local` answers what does not run anything (the
/// configuration hash, whether the members are simulated).
pub(crate) struct QueuedRunner<R> {
    local: R,
    queue: PostgresStore,
    /// The workflow of each side (the same file, except for a benchmark's two).
    baseline: JobSource,
    candidate: JobSource,
    hitl: HitlPolicy,
    inputs: IndexMap<String, Json>,
    /// Who queued the trials, for people looking at the queue.
    owner: String,
}

impl<R: TrialRunner> QueuedRunner<R> {
    /// Trials go to `queue`; baseline (and unlabelled) runs are of `baseline`'s workflow,
    /// candidate runs of `candidate`'s. Refuses HITL prompts: nobody answers them on a
    /// worker.
    pub fn new(
        local: R,
        queue: PostgresStore,
        sources: (JobSource, JobSource),
        hitl: HitlPolicy,
        inputs: IndexMap<String, Json>,
    ) -> Result<Self, Error> {
        if hitl == HitlPolicy::Prompt {
            return Err(Error::Workers {
                problem: "human-in-the-loop gates cannot be answered on a worker: use --hitl approve or --hitl reject".into(),
            });
        }
        Ok(QueuedRunner {
            local,
            queue,
            baseline: sources.0,
            candidate: sources.1,
            hitl,
            inputs,
            owner: format!("{}:{}", super::worker::host_name(), std::process::id()),
        })
    }

    fn jobs(&self, team_id: &str, trials: &[Trial]) -> Vec<String> {
        trials
            .iter()
            .map(|t| {
                let source = match t.variant {
                    Some(Variant::Candidate) => &self.candidate,
                    _ => &self.baseline,
                };
                TrialJob::new(
                    source,
                    team_id,
                    &t.config,
                    t.seed,
                    t.variant,
                    self.hitl,
                    &self.inputs,
                )
                .to_json()
            })
            .collect()
    }

    /// Waits for the batch's results: all of them, or, when it cannot finish, the records
    /// made before the first one missing and why.
    fn wait(&mut self, batch: i64, count: usize, done: &mut dyn FnMut(u64)) -> TrialBatch {
        let mut records: Vec<Option<WorkflowRunRecord>> = vec![None; count];
        let mut known: Vec<u64> = Vec::new();
        let stopped = |records: &mut Vec<Option<WorkflowRunRecord>>, error: Error| TrialBatch {
            records: records.iter_mut().map_while(Option::take).collect(),
            error: Some(error),
        };
        let mut next_poll = Instant::now();
        let mut next_word = Instant::now() + STILL_WAITING;
        loop {
            if let Some(signal) = stop_requested() {
                let _ = self.queue.close_batch(batch, true);
                return stopped(&mut records, Error::Interrupted { signal });
            }
            if Instant::now() < next_poll {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            next_poll = Instant::now() + POLL;
            if Instant::now() >= next_word {
                next_word = Instant::now() + STILL_WAITING;
                // A miss is made good by the next one; the results below say whether the
                // store is there at all.
                let _ = self.queue.still_waiting(batch);
            }
            let results = match self.queue.results(batch, &known) {
                Ok(r) => r,
                Err(e) => {
                    let _ = self.queue.close_batch(batch, true);
                    return stopped(&mut records, e.into());
                }
            };
            for result in results {
                known.push(result.position);
                let failed = |message: String| Error::TrialFailed {
                    batch,
                    position: result.position,
                    worker: result.worker.clone(),
                    message,
                };
                let record = match &result.outcome {
                    Ok(json) => serde_json::from_str::<WorkflowRunRecord>(json)
                        .map_err(|e| failed(format!("its record does not parse: {e}"))),
                    Err(message) => Err(failed(message.clone())),
                };
                match record {
                    Ok(r) => {
                        if let Some(slot) = records.get_mut(result.position as usize) {
                            *slot = Some(r);
                        }
                        done(known.len() as u64);
                    }
                    Err(e) => {
                        let _ = self.queue.close_batch(batch, true);
                        return stopped(&mut records, e);
                    }
                }
            }
            if known.len() >= count {
                // Every result is in: a batch left open is only tidied up a day later.
                let _ = self.queue.close_batch(batch, false);
                return TrialBatch {
                    records: records.into_iter().flatten().collect(),
                    error: None,
                };
            }
        }
    }
}

impl<R: TrialRunner> TrialRunner for QueuedRunner<R> {
    fn is_simulated(&self) -> bool {
        self.local.is_simulated()
    }

    fn config_hash(&self, team_id: &str, config: &TeamConfig) -> Result<String, Error> {
        self.local.config_hash(team_id, config)
    }

    fn run(
        &mut self,
        team_id: &str,
        config: &TeamConfig,
        seeds: &[u64],
        variant: Option<Variant>,
    ) -> Result<Vec<WorkflowRunRecord>, Error> {
        let trials: Vec<Trial> = seeds
            .iter()
            .map(|&seed| Trial {
                config: config.clone(),
                seed,
                variant,
            })
            .collect();
        let batch = self.run_trials(team_id, &trials, &mut |_| {});
        match batch.error {
            Some(e) => Err(e),
            None => Ok(batch.records),
        }
    }

    /// The trial runs the workers seen in the last minute make at once (at least 1).
    fn parallelism(&self) -> usize {
        let slots: u32 = self
            .queue
            .workers(ALIVE)
            .map(|w| w.iter().map(|w| w.slots).sum())
            .unwrap_or(1);
        (slots as usize).max(1)
    }

    fn run_trials(
        &mut self,
        team_id: &str,
        trials: &[Trial],
        done: &mut dyn FnMut(u64),
    ) -> TrialBatch {
        if trials.is_empty() {
            return TrialBatch {
                records: Vec::new(),
                error: None,
            };
        }
        let jobs = self.jobs(team_id, trials);
        let batch = match self.queue.enqueue(&self.owner, &jobs) {
            Ok(b) => b,
            Err(e) => {
                return TrialBatch {
                    records: Vec::new(),
                    error: Some(e.into()),
                };
            }
        };
        self.wait(batch, trials.len(), done)
    }
}
