//! The store test suite runs on both backends: each test asks for [`backends`] and runs its
//! body on a fresh SQLite file and, when a PostgreSQL server is available (see
//! `teamtune-test-postgres`), on a fresh PostgreSQL database.

use std::path::PathBuf;

use teamtune_store::{PostgresStore, PostgresUrl, SqliteStore, Store};

/// A fresh, empty store of one backend, which a test may open as often as it likes.
pub struct Backend {
    pub name: &'static str,
    place: Place,
    _dir: tempfile::TempDir,
}

enum Place {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Backend {
    /// Opens the store (creating it the first time), as a writing command does.
    pub fn open(&self) -> Box<dyn Store> {
        match &self.place {
            Place::Sqlite(path) => Box::new(SqliteStore::open(path).unwrap()),
            Place::Postgres(url) => Box::new(PostgresStore::open(&self.url(url)).unwrap()),
        }
    }

    /// Opens the store for reading only.
    pub fn open_read_only(&self) -> Box<dyn Store> {
        match &self.place {
            Place::Sqlite(path) => Box::new(SqliteStore::open_read_only(path).unwrap()),
            Place::Postgres(url) => Box::new(
                PostgresStore::open_read_only(&self.url(url))
                    .unwrap()
                    .unwrap(),
            ),
        }
    }

    fn url(&self, text: &str) -> PostgresUrl {
        text.parse().unwrap()
    }
}

/// A fresh store of each available backend.
pub fn backends(test: &str) -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![Backend {
        name: "sqlite",
        place: Place::Sqlite(dir.path().join("store.db")),
        _dir: dir,
    }];
    if let Some(server) = teamtune_test_postgres::server(test) {
        out.push(Backend {
            name: "postgres",
            place: Place::Postgres(server.fresh_database()),
            _dir: tempfile::tempdir().unwrap(),
        });
    }
    out
}

/// A fresh PostgreSQL database's URL, `None` (the test is skipped) without a server.
pub fn postgres(test: &str) -> Option<String> {
    teamtune_test_postgres::server(test).map(|s| s.fresh_database())
}
