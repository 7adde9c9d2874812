//! What the operator sets for the store: pool size and SQLite's durability.

/// How the store connects.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// Connections kept in the pool; `None`: the backend's default.
    pub max_connections: Option<u32>,
    /// When a SQLite commit counts as done.
    pub sqlite_synchronous: SqliteSynchronous,
}

impl StoreOptions {
    /// PostgreSQL: a connection per concurrent statement; half of them may write at once.
    pub const DEFAULT_MAX_CONNECTIONS_POSTGRES: u32 = 32;
    /// SQLite: one writer at a time, and reads of a local file take microseconds, so a few
    /// connections serve the readers. Each connection costs memory (a thread of its own,
    /// SQLite's caches and the C allocator's memory for them: docs/performance.md).
    pub const DEFAULT_MAX_CONNECTIONS_SQLITE: u32 = 4;
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
