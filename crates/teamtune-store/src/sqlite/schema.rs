//! Schema migrations. The schema version is SQLite's `PRAGMA user_version`; migration `i` in
//! [`MIGRATIONS`] takes the database from version `i` to `i + 1`. Pending migrations run in
//! one `BEGIN IMMEDIATE` transaction that re-reads the version first, so several processes
//! opening a fresh store at once migrate it exactly once. Never edit a released migration;
//! append a new one.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// Ordered migration scripts; the schema version is the number applied.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: runs, team runs, member runs, change history.
    r#"
    CREATE TABLE workflow_runs (
        run_id            TEXT PRIMARY KEY NOT NULL,
        workflow          TEXT NOT NULL,
        file              TEXT NOT NULL,
        -- decimal text: a u64 seed does not fit SQLite's signed integers
        seed              TEXT NOT NULL,
        success           INTEGER NOT NULL,
        duration_seconds  REAL NOT NULL,
        start_time        TEXT NOT NULL,
        end_time          TEXT NOT NULL,
        error             TEXT,
        variant           TEXT,
        virtual_time      INTEGER NOT NULL,
        recorded_at       TEXT NOT NULL
    );

    CREATE TABLE team_runs (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id            TEXT REFERENCES workflow_runs(run_id) ON DELETE CASCADE,
        team_id           TEXT NOT NULL,
        workflow          TEXT,
        formation         TEXT NOT NULL,
        member_count      INTEGER NOT NULL,
        success           INTEGER NOT NULL,
        duration_seconds  REAL NOT NULL,
        total_tool_calls  INTEGER NOT NULL,
        config_hash       TEXT,
        variant           TEXT,
        start_time        TEXT,
        -- the full TeamRunRecord; the columns above are copies for filtering and SQL users
        record_json       TEXT NOT NULL
    );
    CREATE INDEX team_runs_team_seq ON team_runs(team_id, seq);
    CREATE INDEX team_runs_run_id ON team_runs(run_id);

    CREATE TABLE member_runs (
        team_run_seq      INTEGER NOT NULL REFERENCES team_runs(seq) ON DELETE CASCADE,
        member_id         TEXT NOT NULL,
        role              TEXT NOT NULL,
        success           INTEGER NOT NULL,
        duration_seconds  REAL NOT NULL,
        tool_calls_used   INTEGER NOT NULL,
        error_message     TEXT,
        PRIMARY KEY (team_run_seq, member_id)
    ) WITHOUT ROWID;

    CREATE TABLE history (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        team_id           TEXT NOT NULL,
        idx               INTEGER NOT NULL,
        created_at        TEXT NOT NULL,
        kind              TEXT NOT NULL,
        file_path         TEXT NOT NULL,
        previous_content  TEXT NOT NULL,
        new_content       TEXT NOT NULL,
        suggestion_json   TEXT,
        result_json       TEXT,
        status            TEXT NOT NULL,
        pre_change_seq    INTEGER,
        note              TEXT,
        UNIQUE (team_id, idx)
    );
    "#,
    // 2: what a workflow run started with and what its nodes wrote (JSON objects).
    r#"
    ALTER TABLE workflow_runs ADD COLUMN inputs_json TEXT;
    ALTER TABLE workflow_runs ADD COLUMN outputs_json TEXT;
    "#,
    // 3: live experiments and their decisions; team runs name the experiment they joined.
    // Written compactly and without extra indexes (an experiment's runs are found through
    // team_runs_team_seq from its start_seq; decisions are few): SQLite keeps each
    // statement's text in the schema, which should stay on the store's first page.
    r#"
    ALTER TABLE team_runs ADD COLUMN experiment_id INTEGER;
    CREATE TABLE experiments (id INTEGER PRIMARY KEY AUTOINCREMENT, team_id TEXT NOT NULL,
    file_path TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL, share REAL NOT NULL,
    ramp_json TEXT NOT NULL, control_hash TEXT NOT NULL, control_config_json TEXT NOT NULL,
    candidate_hash TEXT NOT NULL, candidate_config_json TEXT NOT NULL, suggestion_json TEXT,
    rules_json TEXT NOT NULL, start_seq INTEGER, ended_at TEXT, history_index INTEGER, note TEXT);
    -- one running experiment per team, whoever starts it
    CREATE UNIQUE INDEX experiments_running ON experiments(team_id) WHERE status = 'running';
    CREATE TABLE experiment_decisions (id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id INTEGER NOT NULL REFERENCES experiments(id), created_at TEXT NOT NULL,
    action TEXT NOT NULL, share_before REAL NOT NULL, share_after REAL NOT NULL,
    control_runs INTEGER NOT NULL, candidate_runs INTEGER NOT NULL, evidence_json TEXT,
    history_index INTEGER, reason TEXT NOT NULL);
    "#,
];

/// The tables migration 1 creates: a database that has tables but not these is not a
/// teamtune store.
pub(crate) const TABLES: &[&str] = &["history", "member_runs", "team_runs", "workflow_runs"];

/// The schema version this build writes.
pub(crate) fn latest_version() -> usize {
    MIGRATIONS.len()
}

/// Brings the database up to [`latest_version`], or refuses one that is newer; returns the
/// version it had.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<usize, StoreError> {
    apply(conn, path, MIGRATIONS)
}

fn apply(conn: &mut Connection, path: &Path, migrations: &[&str]) -> Result<usize, StoreError> {
    let latest = migrations.len();
    let version = user_version(conn, path)?;
    check_not_newer(version, latest, path)?;
    if usize::try_from(version).is_ok_and(|v| v == latest) {
        return Ok(latest);
    }

    let tx_err = |source| crate::error::sqlite_error(path, "starting the migration", source);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(tx_err)?;
    // Another process may have migrated while we waited for the write lock.
    let version = user_version(&tx, path)?;
    check_not_newer(version, latest, path)?;
    let from = usize::try_from(version).unwrap_or(0);
    for (i, script) in migrations.iter().enumerate().skip(from) {
        let to = i + 1;
        let fail = |source| StoreError::Migrate {
            path: path.to_path_buf(),
            version: to,
            source,
        };
        tx.execute_batch(script).map_err(fail)?;
        tx.pragma_update(None, "user_version", to as i64)
            .map_err(fail)?;
    }
    tx.commit().map_err(|source| StoreError::Migrate {
        path: path.to_path_buf(),
        version: latest,
        source,
    })?;
    Ok(from)
}

/// For a read-only open: the schema must be this build's, since a read-only store cannot be
/// migrated.
pub(crate) fn check_readable(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let latest = latest_version();
    let version = user_version(conn, path)?;
    check_not_newer(version, latest, path)?;
    if usize::try_from(version).is_ok_and(|v| v == latest) {
        return Ok(());
    }
    let problem = if version == 0 {
        "the store is empty: no runs have been recorded in it yet".to_string()
    } else {
        format!(
            "the store has schema version {version}, older than this teamtune's {latest}; \
             a command that records (teamtune run) upgrades it"
        )
    };
    Err(StoreError::NotReadable {
        path: path.to_path_buf(),
        problem,
    })
}

fn user_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|source| crate::error::sqlite_error(path, "reading the schema version", source))
}

fn check_not_newer(version: i64, latest: usize, path: &Path) -> Result<(), StoreError> {
    if usize::try_from(version).is_ok_and(|v| v <= latest) {
        return Ok(());
    }
    Err(StoreError::SchemaTooNew {
        path: path.to_path_buf(),
        found: version,
        supported: latest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_fresh_database_to_the_latest_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        assert_eq!(
            user_version(&conn, Path::new(":memory:")).unwrap(),
            latest_version() as i64
        );
        // Running again is a no-op.
        migrate(&mut conn, Path::new(":memory:")).unwrap();
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut conn, Path::new("x.db")).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("x.db: "), "{err}");
    }

    #[test]
    fn a_failing_migration_leaves_the_database_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        let scripts = [
            "CREATE TABLE one (x INTEGER);",
            "CREATE TABLE two (x INTEGER); NOT SQL;",
        ];
        let err = apply(&mut conn, Path::new("x.db"), &scripts).unwrap_err();
        assert!(
            matches!(err, StoreError::Migrate { version: 2, .. }),
            "{err}"
        );
        assert_eq!(user_version(&conn, Path::new("x.db")).unwrap(), 0);
        let tables: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "migration 1 must have been rolled back with 2");
    }

    #[test]
    fn later_migrations_apply_on_top_of_earlier_ones() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(
            &mut conn,
            Path::new("x.db"),
            &["CREATE TABLE one (x INTEGER);"],
        )
        .unwrap();
        apply(
            &mut conn,
            Path::new("x.db"),
            &[
                "CREATE TABLE one (x INTEGER);",
                "ALTER TABLE one ADD COLUMN y TEXT;",
            ],
        )
        .unwrap();
        assert_eq!(user_version(&conn, Path::new("x.db")).unwrap(), 2);
        conn.execute("INSERT INTO one (x, y) VALUES (1, 'a')", [])
            .unwrap();
    }

    #[test]
    fn negative_version_is_refused_not_treated_as_fresh() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", -1).unwrap();
        assert!(matches!(
            migrate(&mut conn, Path::new("x.db")),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }
}
