//! The store's one error type, classified once where a database error arises: a lost
//! connection (the request may be run again), a violated constraint (by name), storage that
//! takes no writes (full or read-only), a stored row the store cannot read, or any other
//! database failure. Nothing above the store sees a
//! driver error type.

use std::error::Error as StdError;

type Source = Box<dyn StdError + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The connection failed rather than the statement: the database went away, restarted,
    /// or killed the backend. Running the operation again on a new connection may succeed.
    #[error("{0}")]
    ConnectionLost(#[source] Source),
    /// A statement broke a constraint of the schema (a unique key, a foreign key).
    #[error("{source}")]
    Constraint {
        constraint: String,
        #[source]
        source: Source,
    },
    /// The database cannot take writes: its storage is full (SQLite's `SQLITE_FULL`,
    /// PostgreSQL's `disk_full`), read-only (SQLite's `SQLITE_READONLY`, or a write's I/O
    /// error: a read-only file or file system; PostgreSQL's `read_only_sql_transaction`: a
    /// standby) or failing writes. Nothing was written; reads still work, and writes will
    /// again once the operator makes room or repairs the file system.
    #[error("{0}")]
    Unwritable(#[source] Source),
    /// A stored row holds something no writer of this store produces: the answer would be
    /// wrong, so there is none.
    #[error("unreadable row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
    /// The database cannot be opened or migrated (URL, connection, migrations).
    #[error("{0}")]
    Open(String),
    /// The database answers but lacks migrations this build embeds (another process, or an
    /// older build, set it up): not ready to serve.
    #[error("the database has migrations up to {applied}, this build needs {embedded}")]
    NotMigrated { applied: i64, embedded: i64 },
    /// Any other failure of a statement.
    #[error("{0}")]
    Database(#[source] Source),
}

impl StoreError {
    /// Whether the operation failed because its connection was lost (see
    /// [`StoreError::ConnectionLost`]). Reading this has no side effect.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, StoreError::ConnectionLost(_))
    }

    /// Whether the database refused a write because its storage is full or read-only (see
    /// [`StoreError::Unwritable`]).
    pub fn is_unwritable(&self) -> bool {
        matches!(self, StoreError::Unwritable(_))
    }

    /// The database could not be opened: `error` says why (never the URL, which may carry a
    /// password).
    pub(super) fn opening(error: impl std::fmt::Display) -> Self {
        StoreError::Open(error.to_string())
    }

    pub(super) fn corrupt(table: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Corrupt {
            table,
            reason: reason.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    /// Where every driver error becomes a store error. A lost connection is also reported
    /// to `liveness`, so that older pooled connections are pinged before their next use.
    fn from(error: sqlx::Error) -> Self {
        let classified = classify(error);
        if classified.is_connection_lost() {
            super::liveness::note_connection_lost();
        }
        classified
    }
}

/// The one classification of a driver error (no side effect).
fn classify(error: sqlx::Error) -> StoreError {
    if matches!(error, sqlx::Error::PoolTimedOut) {
        // Every connection stayed busy for the whole acquire timeout.
        metrics::counter!("schemata_db_pool_timeouts_total").increment(1);
    }
    if super::liveness::is_connection_failure(&error) {
        return StoreError::ConnectionLost(Box::new(error));
    }
    if let sqlx::Error::Database(db) = &error {
        if let Some(constraint) = db.constraint() {
            return StoreError::Constraint {
                constraint: constraint.to_string(),
                source: Box::new(error),
            };
        }
        if refuses_writes(db.as_ref()) {
            return StoreError::Unwritable(Box::new(error));
        }
    }
    StoreError::Database(Box::new(error))
}

/// Whether the database said its storage is full or read-only.
fn refuses_writes(error: &dyn sqlx::error::DatabaseError) -> bool {
    if error
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        // The code is the extended result code; its low byte is the primary one:
        // SQLITE_READONLY (8) or SQLITE_FULL (13). A file system made read-only under an
        // open database gives the write side of SQLITE_IOERR: IOERR_WRITE (778),
        // IOERR_FSYNC (1034), IOERR_DIR_FSYNC (1290), IOERR_TRUNCATE (1546).
        let code = error.code().and_then(|code| code.parse::<i32>().ok());
        return code.is_some_and(|code| {
            matches!(code & 0xff, 8 | 13) || matches!(code, 778 | 1034 | 1290 | 1546)
        });
    }
    // PostgreSQL's SQLSTATEs disk_full and read_only_sql_transaction.
    matches!(error.code().as_deref(), Some("53100" | "25006"))
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Open(format!("cannot apply the migrations: {error}"))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_connection_is_classified_as_lost() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        // `classify`, not `from`: recording a loss would disturb `liveness`'s test.
        assert!(classify(io).is_connection_lost());
        assert!(!classify(sqlx::Error::RowNotFound).is_connection_lost());
        assert!(!classify(sqlx::Error::PoolTimedOut).is_connection_lost());
        assert!(!StoreError::corrupt("schemas", "x").is_connection_lost());
    }
}
