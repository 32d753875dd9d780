//! [`PostgresStore`]: the store for many machines, on a PostgreSQL database (tokio-postgres,
//! a deadpool pool of connections, TLS through rustls when the URL asks for it).
//!
//! The store traits are synchronous, the client is not: each store owns a small runtime (one
//! worker thread) that keeps its connections alive, and every trait call runs to completion
//! on it. A call made from inside another runtime (a sink fed by a batch of runs) runs on a
//! scoped thread, since a runtime cannot block inside another. A `PostgresStore` is cheap to
//! clone: clones share the pool, so the threads of a worker each hold one.
//!
//! Semantics follow the SQLite store's: every write is one transaction, and writes of runs,
//! history and experiments first take one transaction-scoped advisory lock, as SQLite's
//! `BEGIN IMMEDIATE` takes its write lock. That keeps sequence numbers in commit order (a
//! reader that saw run seq N never later finds a run below N appear) and history indexes
//! unique per team. History writes commit with `synchronous_commit = on` whatever the server's
//! default: the caller overwrites the workflow file right after.

mod copy;
mod error;
mod experiment;
mod history;
mod metrics;
mod queue;
mod schema;
mod tls;
mod url;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio::runtime::Runtime;

use crate::StoreError;

pub use copy::{CopyReport, TableCount};
pub use schema::MigrationReport;
pub use url::PostgresUrl;

/// The advisory lock every write of runs, history or experiments takes (SQLite's write
/// lock). "teamtune" in ASCII.
const WRITE_LOCK: i64 = 0x7465_616d_7475_6e65;

/// The current time as the SQLite store writes it: RFC 3339 UTC with milliseconds.
const NOW: &str =
    r#"to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#;

/// Connections a store opens at most, unless told otherwise.
const DEFAULT_CONNECTIONS: usize = 4;

/// How the store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Create or upgrade the schema.
    Migrate,
    /// Use an existing schema of this version; every transaction is read-only.
    ReadOnly,
}

/// The PostgreSQL-backed [`MetricsStore`](crate::MetricsStore),
/// [`HistoryStore`](crate::HistoryStore), [`ExperimentStore`](crate::ExperimentStore) and
/// [`TrialQueue`](crate::TrialQueue).
#[derive(Clone)]
pub struct PostgresStore {
    url: PostgresUrl,
    /// The URL as shown, as the `path` of the error variants both backends share.
    location: PathBuf,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.url)
            .finish()
    }
}

/// The runtime and the pool, shared by clones.
struct Shared {
    runtime: Option<Runtime>,
    pool: Pool,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Never blocks, so a store dropped inside another runtime does not panic.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl PostgresStore {
    /// Connects to the database of `url`, creating teamtune's tables or bringing them up to
    /// date. Fails with [`StoreError::Connect`] for a server that cannot be reached or
    /// refuses the login, [`StoreError::ForeignSchema`] for a schema holding another
    /// application's tables, and [`StoreError::SchemaTooNew`] for a newer teamtune's store.
    pub fn open(url: &PostgresUrl) -> Result<PostgresStore, StoreError> {
        Self::open_with(url, DEFAULT_CONNECTIONS)
    }

    /// [`open`](Self::open) with a pool of at most `connections` connections (a worker
    /// running N trials at once wants N + 1).
    pub fn open_with(url: &PostgresUrl, connections: usize) -> Result<PostgresStore, StoreError> {
        let store = Self::connect(url, Mode::Migrate, connections)?;
        store.block(schema::migrate(&store))?;
        Ok(store)
    }

    /// Connects to an existing store; `None` when the database holds no teamtune tables yet
    /// (a command that changes a store, not one that creates it, says there is none).
    pub fn open_existing(url: &PostgresUrl) -> Result<Option<PostgresStore>, StoreError> {
        let store = Self::connect(url, Mode::Migrate, DEFAULT_CONNECTIONS)?;
        if store.block(schema::is_fresh(&store))? {
            return Ok(None);
        }
        store.block(schema::migrate(&store))?;
        Ok(Some(store))
    }

    /// Connects for reading only: nothing is created or upgraded, every transaction is
    /// read-only. `None` for a database without teamtune's tables (as for a store file that
    /// does not exist); a store of an older schema is [`StoreError::NotReadable`].
    pub fn open_read_only(url: &PostgresUrl) -> Result<Option<PostgresStore>, StoreError> {
        let store = Self::connect(url, Mode::ReadOnly, DEFAULT_CONNECTIONS)?;
        if store.block(schema::is_fresh(&store))? {
            return Ok(None);
        }
        store.block(schema::check_readable(&store))?;
        Ok(Some(store))
    }

    /// Connects to the database of `url` and creates or upgrades teamtune's tables, saying
    /// from which version to which.
    pub fn migrate(url: &PostgresUrl) -> Result<MigrationReport, StoreError> {
        let store = Self::connect(url, Mode::Migrate, 1)?;
        store.block(schema::migrate(&store))
    }

    /// The URL, shown without its password by `Display`.
    pub fn url(&self) -> &PostgresUrl {
        &self.url
    }

    /// The schema version of the store's tables this build creates (the same numbering as
    /// the SQLite store's).
    pub fn schema_version() -> usize {
        schema::STORE_MIGRATIONS.len()
    }

    fn connect(
        url: &PostgresUrl,
        mode: Mode,
        connections: usize,
    ) -> Result<PostgresStore, StoreError> {
        let location = url.to_string();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("teamtune-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Connect {
                location: location.clone(),
                message: format!("cannot start the client's runtime: {e}"),
            })?;
        let mut config = url.config().clone();
        if mode == Mode::ReadOnly {
            let options = match config.get_options() {
                Some(o) => format!("{o} -c default_transaction_read_only=on"),
                None => "-c default_transaction_read_only=on".to_string(),
            };
            config.options(options);
        }
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = if url.wants_tls() {
            let tls = tls::connector(url).map_err(|message| StoreError::Tls {
                location: location.clone(),
                message,
            })?;
            Manager::from_config(config, tls, manager_config)
        } else {
            Manager::from_config(config, tokio_postgres::NoTls, manager_config)
        };
        let pool = Pool::builder(manager)
            .max_size(connections.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(15)))
            .build()
            .map_err(|e| StoreError::Connect {
                location: location.clone(),
                message: e.to_string(),
            })?;
        let store = PostgresStore {
            url: url.clone(),
            location: PathBuf::from(&location),
            shared: Arc::new(Shared {
                runtime: Some(runtime),
                pool,
            }),
        };
        // Connect now, so an unreachable server is said at once and in one place.
        store.block(async { store.client().await.map(drop) })?;
        Ok(store)
    }

    /// Runs `f` to completion on the store's runtime, from a plain thread or from inside
    /// another runtime.
    pub(crate) fn block<'a, T: Send>(&'a self, f: impl Future<Output = T> + Send + 'a) -> T {
        let Some(rt) = self.shared.runtime.as_ref() else {
            unreachable!("the runtime lives as long as the store");
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return rt.block_on(f);
        }
        std::thread::scope(|s| match s.spawn(|| rt.block_on(f)).join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object, StoreError> {
        self.shared
            .pool
            .get()
            .await
            .map_err(|e| error::pool_error(self, e))
    }

    /// The store's name in errors: the URL without its password.
    pub(crate) fn path(&self) -> &Path {
        &self.location
    }

    /// Maps a driver error to a [`StoreError`] naming this store and the action.
    pub(crate) fn err(
        &self,
        action: &'static str,
    ) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
        move |e| error::pg_error(self, action, &e)
    }
}
