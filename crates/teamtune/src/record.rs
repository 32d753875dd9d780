//! Running a workflow and recording every run: the one place "run a batch and record it"
//! is written. `teamtune run`, the baseline history `apply` records before it suggests, and
//! the benchmark's history all come through [`Autotuner::run`] or [`Recorder`].

use std::path::Path;

use teamtune_engine::Engine;
use teamtune_model::WorkflowRunRecord;
use teamtune_store::Store;

use crate::autotuner::{Access, Autotuner};
use crate::batch::{BatchOptions, BatchSummary, run_batch};
use crate::error::Error;
use crate::experiment::{ExperimentJoin, live_split};
use crate::history::CheckReport;

/// Runs are written to the store in batches of this many (one transaction each).
const STORE_BATCH: usize = 500;

/// What one member's part of a recorded team run takes in the store, team and run rows
/// shared out, rounded up: measured on the bundled examples (5,000 to 20,000 simulated runs
/// each), 670 to 1,510 bytes.
pub const STORE_BYTES_PER_MEMBER_RUN: u64 = 1_500;

/// A workflow of a file, checked and ready to run.
pub struct Runnable {
    pub(crate) engine: Engine,
    /// The file's warnings, as `path:line:col: message`.
    warnings: Vec<String>,
    /// The file as given, as the run records name it.
    pub(crate) label: String,
}

impl std::fmt::Debug for Runnable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runnable")
            .field("workflow", &self.engine.workflow().name)
            .finish()
    }
}

impl Runnable {
    /// Every member is simulated: runs take virtual time.
    pub fn is_simulated(&self) -> bool {
        self.engine.is_simulated()
    }

    /// Members on the simulator only because they name no provider or command.
    pub fn implicitly_simulated(&self) -> Vec<String> {
        self.engine.implicitly_simulated()
    }

    /// Roughly how many bytes recording `runs` runs adds to the store: each team node's
    /// members times [`STORE_BYTES_PER_MEMBER_RUN`], once per run (a team on a loop may run
    /// more often; a branch not taken records less).
    pub fn estimated_store_bytes(&self, runs: u64) -> u64 {
        let members: u64 = self
            .engine
            .workflow()
            .teams()
            .map(|t| t.members.len() as u64)
            .sum();
        runs.saturating_mul(members)
            .saturating_mul(STORE_BYTES_PER_MEMBER_RUN)
    }

    /// What loads but deserves a word (Victor keys teamtune ignores), as
    /// `path:line:col: message`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The inputs the workflow reads (no node sets them) that `given` lacks, sorted.
    pub fn missing_inputs(
        &self,
        given: &indexmap::IndexMap<String, serde_json::Value>,
    ) -> Vec<String> {
        self.engine
            .inputs_read()
            .into_iter()
            .filter(|k| !given.contains_key(k))
            .collect()
    }

    /// The ids of the workflow's team nodes.
    pub fn team_ids(&self) -> Vec<String> {
        self.engine
            .workflow()
            .teams()
            .map(|t| t.id.clone())
            .collect()
    }
}

/// The file's warnings as `path:line:col: message`.
pub(crate) fn located_warnings(file: &teamtune_model::WorkflowFile) -> Vec<String> {
    file.warnings
        .iter()
        .map(|w| w.located(&file.path))
        .collect()
}

/// What [`Autotuner::run`] did.
#[derive(Debug)]
pub struct RunReport {
    pub batch: BatchSummary,
    /// Where the runs were recorded (`None` when they were not).
    pub store: Option<String>,
    /// The auto-rollback check of each team that ran, after recording (a check that could
    /// not be made carries its error).
    pub checks: Vec<(String, Result<Option<CheckReport>, Error>)>,
    /// The running experiments of the workflow's teams, and whether the runs joined them.
    pub experiments: Vec<ExperimentJoin>,
}

/// Writes runs to a store in batches as they come. A batch that fails is rolled back whole;
/// the error says how many runs earlier batches recorded, so what is reported as recorded
/// is in the store.
pub(crate) struct Recorder<'a> {
    store: &'a mut dyn Store,
    pending: Vec<WorkflowRunRecord>,
    recorded: u64,
}

impl<'a> Recorder<'a> {
    pub fn new(store: &'a mut dyn Store) -> Self {
        Recorder {
            store,
            pending: Vec::new(),
            recorded: 0,
        }
    }

    pub fn push(&mut self, run: WorkflowRunRecord) -> Result<(), Error> {
        self.pending.push(run);
        if self.pending.len() >= STORE_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), Error> {
        if !self.pending.is_empty() {
            self.store
                .record_runs(&self.pending)
                .map_err(|source| Error::PartlyRecorded {
                    recorded: self.recorded,
                    lost: self.pending.len() as u64,
                    source: Box::new(source),
                })?;
            self.recorded += self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(())
    }
}

impl Autotuner {
    /// Loads workflow `workflow` (or the file's only one) of `path` for running.
    pub fn prepare(&self, path: &Path, workflow: Option<&str>) -> Result<Runnable, Error> {
        let file = teamtune_model::load_file(path)?;
        Ok(Runnable {
            engine: Engine::new(&file, workflow)?,
            warnings: located_warnings(&file),
            label: file.path.display().to_string(),
        })
    }

    /// Runs `opts.runs` runs, hands each to `each` as it ends, and (when `record`) records
    /// them in the store, each run of a team with a running experiment on the side its id
    /// falls on (see [`Autotuner::start_experiment`]), then checks each team's latest kept change for a regression
    /// (auto-rollback). Runs finished before an error or Ctrl-C are still recorded.
    pub fn run(
        &self,
        runnable: &Runnable,
        opts: &BatchOptions,
        record: bool,
        mut each: impl FnMut(&WorkflowRunRecord),
    ) -> Result<RunReport, Error> {
        if !record {
            let batch = run_batch(&runnable.engine, None, opts, |r| -> Result<(), Error> {
                each(&r);
                Ok(())
            })?;
            return Ok(RunReport {
                batch,
                store: None,
                checks: Vec::new(),
                experiments: Vec::new(),
            });
        }
        let mut experiments = Vec::new();
        let batch = self.using_store(Access::Create, |store| {
            let (split, joins) = live_split(store, runnable)?;
            experiments = joins;
            let mut recorder = Recorder::new(store);
            let result = run_batch(&runnable.engine, split.as_ref(), opts, |r| {
                each(&r);
                recorder.push(r)
            });
            recorder.flush()?;
            result
        })?;
        let checks = runnable
            .team_ids()
            .into_iter()
            .map(|team| {
                let check = self.check(&team);
                (team, check)
            })
            .collect();
        Ok(RunReport {
            batch,
            store: Some(self.store_location()),
            checks,
            experiments,
        })
    }

    /// Records runs made elsewhere (by another runner, or imported).
    pub fn record_runs(&self, runs: &[WorkflowRunRecord]) -> Result<(), Error> {
        self.using_store(Access::Create, |store| Ok(store.record_runs(runs)?))
    }
}
