//! Where the store lives: an explicit `--store`, else the `TEAMTUNE_STORE` environment
//! variable, else `.teamtune/teamtune.db` under the current directory. A location that starts
//! with `postgres://` or `postgresql://` is a PostgreSQL database ([`PostgresUrl`]); anything
//! else is the path of an SQLite file.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::StoreError;
use crate::postgres::PostgresUrl;

/// The environment variable that overrides the default store path.
pub const STORE_ENV: &str = "TEAMTUNE_STORE";

/// The store path used when nothing else is given, relative to the current directory.
pub fn default_path() -> PathBuf {
    Path::new(".teamtune").join("teamtune.db")
}

/// The store path to open: `explicit` if given, else `$TEAMTUNE_STORE` if set and not empty,
/// else [`default_path`].
pub fn resolve_path(explicit: Option<&Path>) -> PathBuf {
    resolve_with(explicit.map(Path::as_os_str), std::env::var_os(STORE_ENV))
}

// Split out so tests need not mutate the process environment (unsafe in edition 2024).
fn resolve_with(explicit: Option<&OsStr>, env: Option<OsString>) -> PathBuf {
    if let Some(path) = explicit {
        return PathBuf::from(path);
    }
    match env {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => default_path(),
    }
}

/// A store: an SQLite file or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    Postgres(Box<PostgresUrl>),
}

impl StoreLocation {
    /// The store `--store` (or `$TEAMTUNE_STORE`, or the default path) names. A
    /// `postgres://` URL that does not parse is [`StoreError::BadUrl`].
    pub fn resolve(explicit: Option<&OsStr>) -> Result<StoreLocation, StoreError> {
        StoreLocation::parse(resolve_with(explicit, std::env::var_os(STORE_ENV)).as_os_str())
    }

    /// `text` as a store location: a PostgreSQL URL when it starts with `postgres://` or
    /// `postgresql://`, else a file path.
    pub fn parse(text: &OsStr) -> Result<StoreLocation, StoreError> {
        match text.to_str() {
            Some(s) if PostgresUrl::is_postgres(s) => {
                Ok(StoreLocation::Postgres(Box::new(s.parse()?)))
            }
            _ => Ok(StoreLocation::Sqlite(PathBuf::from(text))),
        }
    }

    /// The PostgreSQL URL, if the store is one.
    pub fn postgres(&self) -> Option<&PostgresUrl> {
        match self {
            StoreLocation::Postgres(url) => Some(url),
            StoreLocation::Sqlite(_) => None,
        }
    }
}

/// The location fit to show: the file path, or the URL without its password.
impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => url.fmt(f),
        }
    }
}

/// As shown: never the password.
impl fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreLocation({self})")
    }
}

impl From<PathBuf> for StoreLocation {
    fn from(path: PathBuf) -> Self {
        StoreLocation::Sqlite(path)
    }
}

impl From<&Path> for StoreLocation {
    fn from(path: &Path) -> Self {
        StoreLocation::Sqlite(path.to_path_buf())
    }
}

impl From<&PathBuf> for StoreLocation {
    fn from(path: &PathBuf) -> Self {
        StoreLocation::Sqlite(path.clone())
    }
}

impl From<PostgresUrl> for StoreLocation {
    fn from(url: PostgresUrl) -> Self {
        StoreLocation::Postgres(Box::new(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins_over_env() {
        let got = resolve_with(Some(OsStr::new("a.db")), Some("b.db".into()));
        assert_eq!(got, PathBuf::from("a.db"));
    }

    #[test]
    fn env_wins_over_default() {
        assert_eq!(
            resolve_with(None, Some("b.db".into())),
            PathBuf::from("b.db")
        );
    }

    #[test]
    fn empty_env_falls_back_to_default() {
        assert_eq!(resolve_with(None, Some("".into())), default_path());
        assert_eq!(
            resolve_with(None, None),
            PathBuf::from(".teamtune/teamtune.db")
        );
    }

    #[test]
    fn a_postgres_url_is_a_database_and_anything_else_a_file() {
        let pg = StoreLocation::parse(OsStr::new("postgres://me:pw@db.example:6543/tt")).unwrap();
        assert_eq!(pg.to_string(), "postgres://me@db.example:6543/tt");
        assert!(!format!("{pg:?}").contains("pw"));
        let file = StoreLocation::parse(OsStr::new("postgres.db")).unwrap();
        assert_eq!(file, StoreLocation::Sqlite(PathBuf::from("postgres.db")));
        assert!(matches!(
            StoreLocation::parse(OsStr::new("postgresql://h/db")).unwrap(),
            StoreLocation::Postgres(_)
        ));
    }
}
