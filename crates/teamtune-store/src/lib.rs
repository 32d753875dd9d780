//! The teamtune store: every workflow run, team run and member run the engine produced, and
//! the history of configuration changes, kept so analysis, A/B tests and rollbacks can read
//! them back across restarts.
//!
//! Principal types:
//!
//! - [`MetricsStore`]: record batches of [`WorkflowRunRecord`](teamtune_model::WorkflowRunRecord)s
//!   ([`record_runs`](MetricsStore::record_runs)), read a team's
//!   [`TeamRunRecord`](teamtune_model::TeamRunRecord)s back in recorded order filtered by a
//!   [`RunQuery`], and stream them out in an [`ExportFormat`].
//! - [`HistoryStore`]: the change history ([`NewHistoryEntry`] in, [`HistoryEntry`] out),
//!   numbered per team from 0, oldest first, with the whole file before and after each change.
//! - [`ExperimentStore`]: live experiments ([`NewExperiment`] in, [`Experiment`] out), one
//!   running per team, and their decisions with the evidence they were taken on.
//! - [`SqliteStore`]: the traits on one SQLite file in WAL mode, safe for several processes
//!   writing at once; the zero-setup default.
//! - [`PostgresStore`]: the same traits, the same schema and semantics, on a PostgreSQL
//!   database ([`PostgresUrl`]), for many machines sharing one store; and the
//!   [`TrialQueue`] through which workers on those machines make trial runs.
//! - [`StoreLocation`]: which store `--store`, `TEAMTUNE_STORE` or the default
//!   `.teamtune/teamtune.db` names (a `postgres://` URL or a file path).
//! - [`StoreError`]: every failure, naming the database file.
//!
//! ```
//! use teamtune_store::{MetricsStore, RunQuery, SqliteStore};
//!
//! let store = SqliteStore::open_in_memory()?;
//! assert!(store.team_runs("reviewers", &RunQuery::new().limit(10))?.is_empty());
//! # Ok::<(), teamtune_store::StoreError>(())
//! ```

mod error;
mod experiment;
mod export;
mod history;
mod location;
mod metrics;
mod postgres;
mod queue;
mod sqlite;
mod store;

pub use error::StoreError;
pub use experiment::{
    DecisionAction, Experiment, ExperimentDecision, ExperimentStatus, ExperimentStore, NewDecision,
    NewExperiment,
};
pub use export::CSV_COLUMNS;
pub use history::{HistoryEntry, HistoryKind, HistoryStatus, HistoryStore, NewHistoryEntry};
pub use location::{STORE_ENV, StoreLocation, default_path, resolve_path};
pub use metrics::{
    ExportFormat, MetricsStore, RunQuery, StoredTeamRun, UnknownExportFormat, VariantFilter,
};
pub use postgres::{CopyReport, MigrationReport, PostgresStore, PostgresUrl, TableCount};
pub use queue::{
    ABANDONED_AFTER, ClaimedTrial, Completion, FinishedTrial, TrialOutcome, TrialQueue, WorkerSeen,
};
pub use sqlite::{BUSY_TIMEOUT, SqliteStore};
pub use store::Store;
