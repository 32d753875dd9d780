//! PostgreSQL failures as [`StoreError`]s. The driver's error is turned into text at once
//! and redacted with the URL's password, so no error the store returns can quote it.
//!
//! Which variant: a connection that failed or dropped (no SQLSTATE, an I/O error
//! underneath; any failure to get a connection from the pool), class 08 (connection
//! exception), 28 (invalid authorization: a wrong password), 3D000 (no such database),
//! and 57P0x (the server is shutting down or starting) are [`StoreError::Connect`], 42501
//! (no permission) and 25006 (a read-only transaction) [`StoreError::Permission`], all the
//! user's to fix; anything else is [`StoreError::Postgres`].

use deadpool_postgres::PoolError;

use super::PostgresStore;
use crate::StoreError;

/// The error for a failed call on `store` while doing `action`.
pub(crate) fn pg_error(
    store: &PostgresStore,
    action: &'static str,
    e: &tokio_postgres::Error,
) -> StoreError {
    let location = store.url.to_string();
    let message = store.url.redact(&describe(e));
    if is_connection_problem(e) {
        return StoreError::Connect { location, message };
    }
    if e.code()
        .is_some_and(|c| matches!(c.code(), "42501" | "25006"))
    {
        return StoreError::Permission {
            location,
            action,
            message,
        };
    }
    StoreError::Postgres {
        location,
        action,
        message,
    }
}

/// The error for a connection the pool could not hand out.
pub(crate) fn pool_error(store: &PostgresStore, e: PoolError) -> StoreError {
    let location = store.url.to_string();
    match e {
        PoolError::Backend(e) => StoreError::Connect {
            location,
            message: store.url.redact(&describe(&e)),
        },
        PoolError::Timeout(_) => StoreError::Connect {
            location,
            message: "timed out waiting for a connection".into(),
        },
        other => StoreError::Connect {
            location,
            message: store.url.redact(&other.to_string()),
        },
    }
}

/// The whole message: the driver's, with the server's detail and the underlying I/O or TLS
/// cause (the driver's own `Display` says only "db error" or "error connecting").
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut text = db.message().to_string();
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        return text;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(&format!(": {more}"));
        }
        source = s.source();
    }
    text
}

/// A connection that dropped or could not be made (an I/O failure underneath), or a server
/// that refused it; not a statement the server or the client turned down.
fn is_connection_problem(e: &tokio_postgres::Error) -> bool {
    let Some(code) = e.code() else {
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            if s.is::<std::io::Error>() {
                return true;
            }
            source = s.source();
        }
        return e.is_closed();
    };
    let code = code.code();
    code.starts_with("08") || code.starts_with("28") || code.starts_with("57P") || code == "3D000"
}

/// Whether `e` is a unique violation of the constraint or index `name`.
pub(crate) fn violates(e: &tokio_postgres::Error, name: &str) -> bool {
    e.as_db_error().is_some_and(|db| {
        db.code() == &tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some(name)
    })
}
