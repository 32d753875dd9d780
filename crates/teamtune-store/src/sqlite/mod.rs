//! [`SqliteStore`]: the default store, one SQLite file (rusqlite, bundled SQLite).
//!
//! Connection settings: WAL journal mode (readers never block the writer and several
//! processes may append at once), `synchronous = NORMAL` (safe with WAL; history writes
//! switch to FULL for their own commit), a 30 s busy timeout so concurrent writers wait for
//! the lock instead of failing, and foreign keys on. Every write is one `BEGIN IMMEDIATE`
//! transaction: taking the write lock up front means a writer never has to upgrade a read
//! snapshot, which SQLite cannot wait for.
//!
//! Before anything is written, [`SqliteStore::open`] checks that the file is a teamtune store
//! or an empty database: another application's SQLite file is refused, not extended with
//! teamtune's tables. Commands that only read use [`SqliteStore::open_read_only`], which
//! changes nothing (no journal mode, no migration), so a store on a read-only file or in a
//! read-only directory can still be read.

mod experiment;
mod history;
mod metrics;
mod schema;

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags};

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
    /// wrote it, [`StoreError::NotADatabase`] for a file that is not SQLite, and
    /// [`StoreError::Foreign`] for another application's database, which it leaves untouched.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_migrating(path).map(|(store, _)| store)
    }

    /// Opens (creating) the store at `path` as [`open`](Self::open) does, saying from which
    /// schema version to which it brought it.
    pub fn migrate(path: &Path) -> Result<crate::MigrationReport, StoreError> {
        let (_, from) = Self::open_migrating(path)?;
        Ok(crate::MigrationReport {
            store: path.display().to_string(),
            from_version: from,
            to_version: schema::latest_version(),
            queue_from_version: None,
            queue_to_version: None,
        })
    }

    /// [`open`](Self::open), with the schema version the file had.
    fn open_migrating(path: &Path) -> Result<(SqliteStore, usize), StoreError> {
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
        store.check_identity()?;
        store.configure(true)?;
        let from = schema::migrate(&mut store.conn, &store.path)?;
        Ok((store, from))
    }

    /// Opens an existing store for reading only: nothing in the file or its directory is
    /// changed, so a read-only file or directory is fine. A store that would need a schema
    /// upgrade (or is empty) is [`StoreError::NotReadable`]; writes through the returned
    /// store fail.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |target: &str, flags| {
            Connection::open_with_flags(target, flags).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })
        };
        let mut store = SqliteStore {
            conn: Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?,
            path: path.to_path_buf(),
        };
        match store.check_identity() {
            Ok(()) => {}
            // A WAL database needs its shared-memory file; in a read-only directory it cannot
            // be created, and no other process can be writing there either, so the file is
            // read as it stands.
            Err(StoreError::Sqlite { source, .. }) if is_cant_open(&source) => {
                let Some(uri) = immutable_uri(path) else {
                    return Err(StoreError::Open {
                        path: path.to_path_buf(),
                        source,
                    });
                };
                store.conn = open(&uri, flags | OpenFlags::SQLITE_OPEN_URI)?;
                store.check_identity()?;
            }
            Err(e) => return Err(e),
        }
        store
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(pragma_err(&store.path, "busy_timeout"))?;
        schema::check_readable(&store.conn, &store.path)?;
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

    /// The connection, for the copy into PostgreSQL.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The schema version this build of teamtune creates and understands.
    pub fn schema_version() -> usize {
        schema::latest_version()
    }

    /// Refuses a file that is not an SQLite database, and a database that holds tables but
    /// not teamtune's (another application's), before anything is written to it.
    fn check_identity(&self) -> Result<(), StoreError> {
        let tables: Vec<String> = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(self.err("reading the store's tables"))?;
        if tables.is_empty() || schema::TABLES.iter().all(|t| tables.iter().any(|n| n == t)) {
            return Ok(());
        }
        Err(StoreError::Foreign {
            path: self.path.clone(),
            tables: tables.join(", "),
        })
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
        move |source| crate::error::sqlite_error(&self.path, action, source)
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

fn is_cant_open(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::CannotOpen))
}

/// `path` as an SQLite URI that reads the file as immutable; `None` for a path that is not
/// UTF-8.
fn immutable_uri(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    let mut uri = String::from("file:");
    for c in text.chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    Some(uri)
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
