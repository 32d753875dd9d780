//! teamtune, the library: run agent-team workflows, record every team run, analyse the
//! history, and (see [`Autotuner`]) suggest, prove and keep better team configurations.
//!
//! This crate is the facade over the model, engine, store and analysis crates: callers (the
//! CLI, the benchmark, the Python package) use [`Autotuner`] and the types re-exported here,
//! never the lower crates. Principal operations: [`Autotuner::validate`],
//! [`Autotuner::prepare`] + [`Autotuner::run`] (run and record), [`Autotuner::analyze`],
//! [`Autotuner::suggest`], [`Autotuner::apply`], [`Autotuner::benchmark`],
//! [`Autotuner::history`], [`Autotuner::rollback`], [`Autotuner::check`],
//! [`Autotuner::export`], [`Autotuner::import_otel`] (team runs from OpenTelemetry traces),
//! [`Autotuner::report`] (an HTML report), [`Autotuner::suggest_for_config`] (teams run
//! outside teamtune, recorded with [`Autotuner::record_runs`]). Trial runs go through a
//! [`TrialRunner`].
//!
//! The store is an SQLite file or a PostgreSQL database ([`StoreLocation`]);
//! [`migrate_store`] and [`copy_store`] prepare one and move a history into it. With a
//! PostgreSQL store, [`Autotuner::with_workers`] sends trial runs to workers on other
//! machines, each running [`Autotuner::work`].

mod ab;
mod apply;
mod apply_check;
mod autotuner;
mod baseline_choice;
mod batch;
mod benchmark;
mod change_record;
mod coverage;
mod error;
mod experiment;
mod export;
mod external;
mod fs;
mod history;
mod import;
mod inputs;
mod preflight;
mod record;
mod report;
mod run_selection;
mod stop;
mod store_admin;
mod suggestion_file;
mod suggestion_fit;
mod trial;
mod tune;
mod validate;
mod whatif;
mod workers;

pub use ab::{AbOutcome, AbPlan, outcomes, run_ab};
pub use apply::{
    ApplyMode, ApplyObserver, ApplyOptions, Choice, FailPoint, OptimizationResult, Quiet,
};
pub use autotuner::{
    AnalysisReport, Autotuner, MetricsInput, MetricsSource, SuggestionReport, count_metrics_records,
};
pub use baseline_choice::{BaselineChoice, BaselineSource, BaselinesUsed};
pub use batch::{BatchOptions, BatchSummary};
pub use benchmark::BenchmarkReport;
pub use change_record::{ApplyRecord, RollbackRecord};
pub use error::Error;
pub use experiment::{
    Candidate, ExperimentCheck, ExperimentJoin, ExperimentPlan, ExperimentReport,
    ExperimentVerdict, WatchEvent, WatchEventKind, WatchOptions, Watcher, side, split_point,
};
pub use external::external_config_hash;
pub use fs::{atomic_write, remove_stale_temp_files};
pub use history::{CheckReport, CheckStatus, RollbackReport};
pub use import::ImportReport;
pub use inputs::{parse_input_json, parse_input_pair, read_inputs_file};
pub use preflight::Readiness;
pub use record::{RunReport, Runnable, STORE_BYTES_PER_MEMBER_RUN};
pub use report::REPORT_CHARTS;
pub use run_selection::{HashSource, RunScope, RunSelection};
pub use stop::{Signal, clear_stop, request_stop, stop_on_signals, stop_requested};
pub use store_admin::{copy_store, migrate_store};
pub use suggestion_file::SuggestionFile;
pub use trial::{Trial, TrialBatch, TrialRunner, WorkflowRunner};
pub use validate::{MemberSummary, NodeSummary, TeamSummary, ValidationReport, WorkflowSummary};
pub use whatif::{WhatIfPrediction, WhatIfReport};
pub use workers::{WorkerEvent, WorkerOptions, WorkerSummary};

// The types of the lower crates that appear in this crate's API, and nothing else of them:
// callers go through `Autotuner`.
pub use teamtune_analysis::twin::{
    FitCheck, MemberInfo, Objective, Prediction, SearchSpace, TuningLimits,
};
pub use teamtune_analysis::{
    AbDecision, AbMetric, AbStatus, Baselines, BaselinesError, Comparison, Guardrail, Insight,
    MetricsSnapshot, Priority, Strategy, Suggestion, SuggestionType, compare, suggestion_id,
    summary::p95,
};
pub use teamtune_analysis::{
    GuardrailState, ObjectiveEstimate, SequentialDecision, SequentialGuardrail,
};
pub use teamtune_engine::{
    Event, EventSink, HitlAnswer, HitlPolicy, HitlRequest, HitlResponder, adopt_orphans,
    kill_all_member_processes, kill_orphans, run_seed,
};
pub use teamtune_metrics::MetricsError;
pub use teamtune_otel::{ImportOptions as OtelImportOptions, OtelError};
// The workflow types the benchmark's oracle and scenario generator read: they judge the
// tuner, so they may know the simulator's parameters; the tuner never reads them.
pub use teamtune_model::{
    DEFAULT_TEAM_MAX_ITERATIONS, Formation, HitlType, LoadError, MemberConfig, MemberMetrics,
    StopCause, TeamConfig, TeamNotFound, TeamRunRecord, TurnKind, TurnRecord, Variant,
    WorkflowRunRecord,
};
pub use teamtune_model::{
    MemberRunner, MemberSpec, NodeKind, SimOverrides, SimParams, TeamNode, ThinkTime, Workflow,
    WorkflowFile, load_file,
};
pub use teamtune_store::{
    Completion, CopyReport, DecisionAction, Experiment, ExperimentDecision, ExperimentStatus,
    ExportFormat, HistoryEntry, HistoryKind, HistoryStatus, MigrationReport, Store, StoreError,
    StoreLocation, TableCount, WorkerSeen, resolve_path,
};
