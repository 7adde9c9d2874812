//! The store's one error type, classified once where a database error arises: a lost
//! connection (the request may be run again), a violated constraint (by name), a stored row
//! the store cannot read, or any other database failure. Nothing above the store sees a
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
    }
    StoreError::Database(Box::new(error))
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
