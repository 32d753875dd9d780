//! The store's own commands: [`migrate_store`] creates a store or brings its schema up to
//! date (`teamtune store migrate`, so a PostgreSQL database can be prepared before any
//! worker or command uses it), and [`copy_store`] moves a history from an SQLite file into
//! an empty PostgreSQL database (`teamtune store copy`), row for row.

use teamtune_store::{CopyReport, MigrationReport, PostgresStore, SqliteStore, StoreLocation};

use crate::error::Error;

/// Creates the store at `location`, or upgrades its schema; says from which version to
/// which.
pub fn migrate_store(location: &StoreLocation) -> Result<MigrationReport, Error> {
    Ok(match location {
        StoreLocation::Sqlite(path) => SqliteStore::migrate(path)?,
        StoreLocation::Postgres(url) => PostgresStore::migrate(url)?,
    })
}

/// Copies every run, history entry and experiment of the SQLite store `from` into the
/// PostgreSQL store `to` (created if need be), which must be empty: ids, run sequence
/// numbers and history indexes stay as they were. All or nothing.
pub fn copy_store(from: &StoreLocation, to: &StoreLocation) -> Result<CopyReport, Error> {
    let StoreLocation::Sqlite(path) = from else {
        return Err(Error::CopyDirection {
            problem: format!("--from must be an SQLite store file, not {from}"),
        });
    };
    let StoreLocation::Postgres(url) = to else {
        return Err(Error::CopyDirection {
            problem: format!("--to must be a postgres:// URL, not {to}"),
        });
    };
    if !path.exists() {
        return Err(Error::NoStore {
            location: path.display().to_string(),
        });
    }
    let source = SqliteStore::open_read_only(path)?;
    Ok(PostgresStore::open(url)?.copy_from_sqlite(&source)?)
}
