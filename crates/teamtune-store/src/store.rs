//! [`Store`]: everything teamtune keeps about a team, runs and change history, behind one
//! object-safe trait, so the library holds a `Box<dyn Store>` and does not care which
//! database is underneath: an SQLite file or a PostgreSQL database.

use crate::{ExperimentStore, HistoryStore, MetricsStore, PostgresStore, SqliteStore};

/// A metrics store, a history store and an experiment store in one.
pub trait Store: MetricsStore + HistoryStore + ExperimentStore + Send {
    /// Where the store is, for messages (a file path, or a URL without its password).
    fn location(&self) -> String;
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.path().display().to_string()
    }
}

impl Store for PostgresStore {
    fn location(&self) -> String {
        self.url().to_string()
    }
}
