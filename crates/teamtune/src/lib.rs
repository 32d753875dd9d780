//! teamtune, the library: run agent-team workflows, record every team run, analyse the
//! history, and (see [`Autotuner`]) suggest, prove and keep better team configurations.
//!
//! The pieces: [`teamtune_model`] (workflow files and records), [`teamtune_engine`]
//! (execution), [`teamtune_store`] (SQLite store), [`teamtune_analysis`] (detectors,
//! strategies, statistics), [`teamtune_metrics`] (metrics file reading). This crate
//! orchestrates them; [`run_batch`] is the entry point for running a workflow many times.

mod ab;
mod apply;
mod autotuner;
mod batch;
mod benchmark;
mod error;
mod fs;
mod history;
mod inputs;

pub use ab::{AbOutcome, AbPlan, outcomes, run_ab};
pub use apply::{
    ApplyMode, ApplyObserver, ApplyOptions, Choice, FailPoint, OptimizationResult, Quiet,
};
pub use autotuner::{AnalysisReport, Autotuner, MetricsSource, SuggestionReport};
pub use batch::{BatchOptions, BatchSummary, run_batch, uses_virtual_time};
pub use benchmark::BenchmarkReport;
pub use error::Error;
pub use fs::atomic_write;
pub use history::{CheckReport, RollbackReport};
pub use inputs::{parse_input_pair, read_inputs_file};

pub use teamtune_analysis as analysis;
pub use teamtune_engine as engine;
pub use teamtune_metrics as metrics;
pub use teamtune_model as model;
pub use teamtune_store as store;
