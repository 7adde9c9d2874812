//! What the operator sets for the store: pool size and SQLite's durability.

/// How the store connects.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections kept in the pool.
    pub max_connections: u32,
    /// When a SQLite commit counts as done.
    pub sqlite_synchronous: SqliteSynchronous,
}

impl StoreOptions {
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 32;
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            sqlite_synchronous: SqliteSynchronous::Full,
        }
    }
}

/// SQLite's `synchronous` setting in WAL mode. A registration is acknowledged once its
/// commit returns; the id in the answer goes into the producer's messages, so a commit that
/// can still be lost can give that id to another schema later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSynchronous {
    /// Every commit waits until the write-ahead log is on disk: nothing acknowledged is
    /// lost, even on a power loss or an operating-system crash.
    #[default]
    Full,
    /// Commits wait for the disk only at checkpoints: faster, and safe when the process
    /// crashes, but a power loss or an OS crash can roll back the last acknowledged
    /// registrations.
    Normal,
}

impl SqliteSynchronous {
    pub(super) fn pragma(self) -> &'static str {
        match self {
            SqliteSynchronous::Full => "PRAGMA synchronous = FULL",
            SqliteSynchronous::Normal => "PRAGMA synchronous = NORMAL",
        }
    }

    /// The value of `PRAGMA synchronous` that this setting reads back as.
    pub(super) fn code(self) -> i64 {
        match self {
            SqliteSynchronous::Full => 2,
            SqliteSynchronous::Normal => 1,
        }
    }
}
