//! The one error type of the store. Every variant names the database file (`:memory:` for an
//! in-memory store) so the CLI can print a one-line cause without extra context.

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
}
