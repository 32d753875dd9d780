//! [`SqliteStore`]: the default store, one SQLite file (rusqlite, bundled SQLite).
//!
//! Connection settings: WAL journal mode (readers never block the writer and several
//! processes may append at once), `synchronous = NORMAL` (safe with WAL; history writes
//! switch to FULL for their own commit), a 30 s busy timeout so concurrent writers wait for
//! the lock instead of failing, and foreign keys on. Every write is one `BEGIN IMMEDIATE`
//! transaction: taking the write lock up front means a writer never has to upgrade a read
//! snapshot, which SQLite cannot wait for.

mod history;
mod metrics;
mod schema;

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};

use crate::StoreError;

/// How long a connection waits for another writer before giving up with "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQLite-backed [`MetricsStore`](crate::MetricsStore) and
/// [`HistoryStore`](crate::HistoryStore). One per thread: it owns a connection, which is
/// `Send` but not `Sync`. Open the same path from several threads or processes to write
/// concurrently.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating it and its parent directory if needed) the store at `path` and brings
    /// its schema up to date. Fails with [`StoreError::SchemaTooNew`] if a newer teamtune
    /// wrote it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
        };
        store.configure(true)?;
        schema::migrate(&mut store.conn, &store.path)?;
        Ok(store)
    }

    /// A private store that lives as long as the value; for tests and dry runs.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        let mut store = SqliteStore { conn, path };
        store.configure(false)?;
        schema::migrate(&mut store.conn, &store.path)?;
        Ok(store)
    }

    /// The database file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this build of teamtune creates and understands.
    pub fn schema_version() -> usize {
        schema::latest_version()
    }

    fn configure(&self, on_disk: bool) -> Result<(), StoreError> {
        let pragma_err = |pragma| pragma_err(&self.path, pragma);
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(pragma_err("busy_timeout"))?;
        if on_disk {
            self.enable_wal()?;
        }
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(pragma_err("synchronous"))?;
        self.conn
            .pragma_update(None, "foreign_keys", true)
            .map_err(pragma_err("foreign_keys"))?;
        Ok(())
    }

    /// Switches to WAL. Changing the journal mode needs an exclusive lock and SQLite does not
    /// always run the busy handler for it, so a store being opened by several processes at
    /// once retries here until [`BUSY_TIMEOUT`].
    fn enable_wal(&self) -> Result<(), StoreError> {
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(2);
        loop {
            match self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(mode) => {
                    return Err(StoreError::JournalMode {
                        path: self.path.clone(),
                        mode,
                    });
                }
                Err(e) if is_busy(&e) && Instant::now() < deadline => {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(source) => {
                    return Err(StoreError::Pragma {
                        path: self.path.clone(),
                        pragma: "journal_mode",
                        source,
                    });
                }
            }
        }
    }

    /// Maps a rusqlite error to [`StoreError::Sqlite`] naming this store and the action.
    fn err(&self, action: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

fn pragma_err<'a>(
    path: &'a Path,
    pragma: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| StoreError::Pragma {
        path: path.to_path_buf(),
        pragma,
        source,
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_parent_directory_and_uses_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/deeper/teamtune.db");
        let store = SqliteStore::open(&path).unwrap();
        assert!(path.exists());
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = store
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = store
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 1, "NORMAL");
    }

    #[test]
    fn reopening_keeps_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path).unwrap());
        let store = SqliteStore::open(&path).unwrap();
        let v: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SqliteStore::schema_version() as i64);
    }

    #[test]
    fn open_refuses_a_store_from_a_newer_teamtune() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 1000).unwrap();
        }
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found: 1000, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("t.db"), "{err}");
    }

    #[test]
    fn open_names_the_path_when_the_directory_cannot_be_made() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "not a directory").unwrap();
        let err = SqliteStore::open(&blocker.join("t.db")).unwrap_err();
        assert!(matches!(err, StoreError::CreateDir { .. }), "{err}");
        assert!(err.to_string().contains("file/t.db"), "{err}");
    }
}
