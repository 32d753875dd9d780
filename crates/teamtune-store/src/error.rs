//! The one error type of the store. Every variant names the store: the database file
//! (`:memory:` for an in-memory store), or for PostgreSQL its URL without the password, so
//! the CLI can print a one-line cause without extra context. The `path` of the variants both
//! backends share is that name; PostgreSQL's own failures carry the driver's message, already
//! redacted, never the driver's error itself (it could quote the password).

use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The directory that should hold the database could not be created.
    #[error("{path}: cannot create the store directory: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    /// SQLite could not open (or create) the database file.
    #[error("{path}: cannot open the store: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },

    /// A connection setting (journal mode, busy timeout, ...) could not be applied.
    #[error("{path}: cannot set PRAGMA {pragma}: {source}")]
    Pragma {
        path: PathBuf,
        pragma: &'static str,
        source: rusqlite::Error,
    },

    /// The file system refused write-ahead logging (network file systems often do), so
    /// concurrent writers would not be safe.
    #[error("{path}: the store needs WAL journal mode but SQLite reports '{mode}'")]
    JournalMode { path: PathBuf, mode: String },

    /// A schema migration failed; the transaction was rolled back.
    #[error("{path}: schema migration to version {version} failed: {source}")]
    Migrate {
        path: PathBuf,
        version: usize,
        source: rusqlite::Error,
    },

    /// The database was written by a newer teamtune.
    #[error(
        "{path}: the store has schema version {found}, but this teamtune only knows up to \
         {supported}; upgrade teamtune"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: usize,
    },

    /// The file is not an SQLite database at all (random bytes, a YAML file, ...).
    #[error("{path}: not a teamtune store: the file is not an SQLite database")]
    NotADatabase { path: PathBuf },

    /// An SQLite database that another application made: teamtune will not add its tables to
    /// it or change its `user_version`.
    #[error(
        "{path}: not a teamtune store: an SQLite database of another application (tables: {tables}); \
         teamtune leaves it alone"
    )]
    Foreign { path: PathBuf, tables: String },

    /// The database's pages or rows are damaged: SQLite reported corruption, or a constraint
    /// that teamtune's own writes always satisfy failed.
    #[error(
        "{path}: the store is corrupt ({action}: {source}); move it aside and start a new one, \
         or restore it from a backup"
    )]
    Corrupt {
        path: PathBuf,
        action: &'static str,
        source: rusqlite::Error,
    },

    /// A command that only reads found a store it would have to change first: empty, or of
    /// an older schema that a writing command upgrades.
    #[error("{path}: {problem}")]
    NotReadable { path: PathBuf, problem: String },

    /// The store file could not be written or read back: a full disk, a file size limit, an
    /// I/O error. The transaction was rolled back.
    #[error(
        "{path}: {action}: the store file could not be written ({source}); is the disk full or a file size limit reached?"
    )]
    Io {
        path: PathBuf,
        action: &'static str,
        source: rusqlite::Error,
    },

    /// Any other SQLite failure; `action` says what the store was doing.
    #[error("{path}: {action}: {source}")]
    Sqlite {
        path: PathBuf,
        action: &'static str,
        source: rusqlite::Error,
    },

    /// A workflow run with this id is already stored; the whole batch was rolled back.
    #[error("{path}: workflow run '{run_id}' is already recorded")]
    DuplicateRun { path: PathBuf, run_id: String },

    /// A record could not be turned into JSON for storage.
    #[error("{path}: cannot serialise the record of run '{run_id}': {source}")]
    Serialize {
        path: PathBuf,
        run_id: String,
        source: serde_json::Error,
    },

    /// A number does not fit SQLite's signed 64-bit integers.
    #[error("{path}: run '{run_id}': {field} = {value} is too large to store")]
    OutOfRange {
        path: PathBuf,
        run_id: String,
        field: &'static str,
        value: u64,
    },

    /// A stored team run no longer parses as a `TeamRunRecord`.
    #[error("{path}: stored team run seq {seq} is not a valid record: {source}")]
    CorruptRecord {
        path: PathBuf,
        seq: i64,
        source: serde_json::Error,
    },

    /// A stored history entry has a value this version does not understand.
    #[error("{path}: history entry {id}: {problem}")]
    CorruptHistory {
        path: PathBuf,
        id: i64,
        problem: String,
    },

    /// No history entry has this id.
    #[error("{path}: no history entry with id {id}")]
    HistoryNotFound { path: PathBuf, id: i64 },

    /// A history entry's file path is not valid UTF-8 and cannot be stored as text.
    #[error("{path}: history file path {file:?} is not valid UTF-8")]
    NonUtf8Path { path: PathBuf, file: PathBuf },

    /// A JSON document attached to a history entry could not be serialised.
    #[error(
        "{path}: cannot serialise the {field} of a history entry for team '{team_id}': {source}"
    )]
    HistoryJson {
        path: PathBuf,
        team_id: String,
        field: &'static str,
        source: serde_json::Error,
    },

    /// Writing an export to the caller's output failed.
    #[error("{path}: cannot write the export of team '{team_id}': {source}")]
    ExportWrite {
        path: PathBuf,
        team_id: String,
        source: std::io::Error,
    },

    /// A `postgres://` store URL that does not parse; `url` is shown without its password.
    #[error("{url}: not a usable PostgreSQL URL: {problem}")]
    BadUrl { url: String, problem: String },

    /// The PostgreSQL server could not be reached, or refused the connection (no such
    /// database, wrong password, no permission); `message` is redacted.
    #[error("{location}: cannot connect to PostgreSQL: {message}")]
    Connect { location: String, message: String },

    /// The TLS settings of a PostgreSQL URL cannot be used (an `sslrootcert` file that
    /// cannot be read or holds no certificate).
    #[error("{location}: TLS: {message}")]
    Tls { location: String, message: String },

    /// The database user may not do what the store needs (create its tables in the schema,
    /// write to a read-only server).
    #[error("{location}: {action}: {message}")]
    Permission {
        location: String,
        action: &'static str,
        message: String,
    },

    /// Any other PostgreSQL failure; `action` says what the store was doing, `message` is the
    /// server's or the driver's (redacted).
    #[error("{location}: {action}: {message}")]
    Postgres {
        location: String,
        action: &'static str,
        message: String,
    },

    /// The PostgreSQL schema the store would use holds another application's tables:
    /// teamtune will not add its own beside them.
    #[error(
        "{location}: not a teamtune store: schema `{schema}` holds another application's tables \
         ({tables}); teamtune leaves it alone (use an empty database, or another schema with \
         options=-csearch_path%3DNAME in the URL)"
    )]
    ForeignSchema {
        location: String,
        schema: String,
        tables: String,
    },

    /// `store copy` copies into an empty store only, so ids and history indexes stay as
    /// they were.
    #[error("{location}: the target store already holds {what}; copy into an empty store")]
    CopyTargetNotEmpty { location: String, what: String },

    /// The team already has a running experiment; one runs at a time.
    #[error("{path}: team '{team_id}' already has a running experiment ({id})")]
    ExperimentRunning {
        path: PathBuf,
        team_id: String,
        id: i64,
    },

    /// A stored experiment (or one of its decisions) has a value this version does not
    /// understand.
    #[error("{path}: experiment {id}: {problem}")]
    CorruptExperiment {
        path: PathBuf,
        id: i64,
        problem: String,
    },
}

impl StoreError {
    /// The file or database given as the store cannot be used as one (not a database,
    /// another application's, corrupt, unreadable, from a newer teamtune, not creatable, a
    /// server that cannot be reached or refuses the login): the user's to fix, not a failure
    /// of the work.
    pub fn is_bad_store(&self) -> bool {
        matches!(
            self,
            StoreError::CreateDir { .. }
                | StoreError::Open { .. }
                | StoreError::SchemaTooNew { .. }
                | StoreError::JournalMode { .. }
                | StoreError::NotADatabase { .. }
                | StoreError::Foreign { .. }
                | StoreError::Corrupt { .. }
                | StoreError::NotReadable { .. }
                | StoreError::BadUrl { .. }
                | StoreError::Connect { .. }
                | StoreError::Tls { .. }
                | StoreError::Permission { .. }
                | StoreError::ForeignSchema { .. }
                | StoreError::CopyTargetNotEmpty { .. }
        )
    }
}

/// The error for a failed SQLite call on the store at `path` while doing `action`: [`StoreError::Corrupt`] when SQLite reports damage
/// (or a foreign key fails, which teamtune's writes never cause), [`StoreError::NotADatabase`]
/// for a file that is no database, else [`StoreError::Sqlite`].
pub(crate) fn sqlite_error(
    path: &std::path::Path,
    action: &'static str,
    source: rusqlite::Error,
) -> StoreError {
    let path = path.to_path_buf();
    match classify(&source) {
        Damage::NotADatabase => StoreError::NotADatabase { path },
        Damage::Corrupt => StoreError::Corrupt {
            path,
            action,
            source,
        },
        Damage::Io => StoreError::Io {
            path,
            action,
            source,
        },
        Damage::None => StoreError::Sqlite {
            path,
            action,
            source,
        },
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Damage {
    None,
    NotADatabase,
    Corrupt,
    Io,
}

fn classify(e: &rusqlite::Error) -> Damage {
    use rusqlite::ffi;
    match e {
        // teamtune only ever stores valid UTF-8 text: anything else was damaged on disk.
        rusqlite::Error::Utf8Error(..)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..) => Damage::Corrupt,
        _ => match e.sqlite_error() {
            Some(f) if f.code == rusqlite::ErrorCode::NotADatabase => Damage::NotADatabase,
            Some(f)
                if f.code == rusqlite::ErrorCode::DatabaseCorrupt
                    || f.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                Damage::Corrupt
            }
            Some(f)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure
                ) =>
            {
                Damage::Io
            }
            _ => Damage::None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_foreign_key_is_corruption() {
        // teamtune writes parents before children in one transaction, so a foreign key can
        // only fail when the parent's index no longer finds it: damage, not a user error.
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE c (p INTEGER REFERENCES p(id));",
        )
        .unwrap();
        let source = conn.execute("INSERT INTO c VALUES (1)", []).unwrap_err();
        let err = sqlite_error(std::path::Path::new("x.db"), "testing", source);
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(
            err.to_string().starts_with("x.db: the store is corrupt"),
            "{err}"
        );
    }
}
