//! Persistence: one `Store` over `sqlx::Any`, so the same queries run on PostgreSQL and on an
//! embedded SQLite file. What differs between the two (locking, schema-id allocation,
//! migrations, connection set-up) lives in `postgres.rs` and `sqlite.rs`; `pg_url.rs` is the
//! PostgreSQL URL as the driver gets it (its TLS files checked, unknown parameters out).
//!
//! All integers are i64 and flags are 0/1 integers in both dialects, which is what lets one
//! set of queries decode identically through `Any`.

mod error;
mod export;
mod follower;
mod group_item;
mod history_batch;
mod liveness;
mod options;
mod pages;
mod pg_url;
mod postgres;
mod queries;
mod reads;
mod register_batch;
mod sqlite;
mod sqlite_group;
pub mod statistics;
mod upgrades;
mod write_tx;

pub use error::{Result, StoreError};
pub use export::ContextRecord;
pub use follower::FollowerMark;
pub use options::{SqliteSynchronous, StoreOptions};
pub use pages::{Page, SubjectPage, SubjectState};
pub use pg_url::KNOWN_PARAMETERS as POSTGRES_URL_PARAMETERS;
pub use postgres::Invalidation;
pub use reads::{HashedHistory, VersionPage};
pub use register_batch::Appended;
pub use upgrades::Rehashed;
pub use write_tx::WriteTx;

use crate::domain::{NewSchema, ReferenceTarget, SeenHistory};
use history_batch::HistoryReader;
use register_batch::RegistrationBatcher;
use sqlite_group::GroupWriter;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long the first connection may take before the server gives up starting.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a database URL points, for error messages: `host:port/database`, or the SQLite
/// file; never the user or password.
fn place(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let place = rest.split('?').next().unwrap_or(rest);
    if url.starts_with("sqlite:") {
        format!("the SQLite file {place}")
    } else {
        place.to_string()
    }
}

/// The log target under which the driver reports PostgreSQL's NOTICE messages.
pub const DATABASE_NOTICES_LOG_TARGET: &str = "sqlx::postgres::notice";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// The pool's size when the operator sets none.
    fn default_max_connections(self) -> u32 {
        match self {
            Dialect::Postgres => StoreOptions::DEFAULT_MAX_CONNECTIONS_POSTGRES,
            Dialect::Sqlite => StoreOptions::DEFAULT_MAX_CONNECTIONS_SQLITE,
        }
    }

    /// A statement that reads the database, run once on the first connection.
    fn probe(self) -> &'static str {
        match self {
            Dialect::Postgres => "SELECT 1",
            Dialect::Sqlite => "SELECT count(*) FROM sqlite_master",
        }
    }
}

pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    url: String,
    /// Open write transactions. SQLite allows one writer: one slot makes writers queue
    /// in-process instead of failing with SQLITE_BUSY. On PostgreSQL, half the pool: a write
    /// transaction also reads through the pool (parsed history, references), so capping
    /// writers leaves those reads a connection and writers can never starve each other.
    write_slots: Arc<Semaphore>,
    /// PostgreSQL: groups concurrent registrations into one transaction.
    batcher: Option<RegistrationBatcher>,
    /// SQLite: groups concurrent registrations into one transaction, under the write slot.
    sqlite_groups: Option<GroupWriter>,
    /// PostgreSQL: groups concurrent reads of subject histories into one statement.
    history_reader: Option<HistoryReader>,
    /// PostgreSQL: dropping it stops the statistics keeper (`statistics.rs`).
    _statistics_keeper: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Store {
    /// Connect, create the SQLite file if needed, and apply the embedded migrations.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            // Not the URL itself: it may carry a password.
            return Err(StoreError::Open(
                "unsupported database URL (use postgres://... or sqlite://...)".into(),
            ));
        };
        let max_connections = options
            .max_connections
            .unwrap_or(dialect.default_max_connections())
            .max(1);
        let url = match dialect {
            Dialect::Sqlite => sqlite::connection_url(url),
            Dialect::Postgres => pg_url::prepare(url).map_err(|why| {
                StoreError::Open(format!("cannot connect to {}: {why}", place(url)))
            })?,
        };
        let connect = AnyConnectOptions::from_str(&url).map_err(StoreError::opening)?;
        // One connection first, so that a database that cannot be reached says why at once
        // (refused, unknown host, no such file) instead of a pool timing out in silence.
        // It also reads the database once: a file that is not a SQLite database opens
        // fine and fails only at its first statement.
        let first = async {
            use sqlx::{Connection, Executor};
            let mut first = sqlx::AnyConnection::connect_with(&connect).await?;
            first.execute(dialect.probe()).await?;
            first.close().await
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, first).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(StoreError::Open(format!(
                    "cannot connect to {}: {e}",
                    place(&url)
                )))
            }
            Err(_) => {
                return Err(StoreError::Open(format!(
                    "cannot connect to {}: no answer within {} s",
                    place(&url),
                    CONNECT_TIMEOUT.as_secs()
                )))
            }
        }
        let pool_options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // A ping on every checkout is a round trip per query; `liveness` pings only
            // connections that sat idle or are older than a recently lost one.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| Box::pin(liveness::ping_if_suspect(conn, meta)));
        let pool = match dialect {
            Dialect::Sqlite => {
                sqlite::configure_pool(pool_options, options.sqlite_synchronous)
                    .connect_with(connect)
                    .await
            }
            Dialect::Postgres => pool_options.connect_with(connect).await,
        }
        .map_err(StoreError::opening)?;
        match dialect {
            Dialect::Postgres => postgres::migrate(&pool).await?,
            Dialect::Sqlite => sqlite::migrate(&pool).await?,
        }
        let (batcher, history_reader, statistics_keeper) = match dialect {
            Dialect::Postgres => {
                let (keeper, stop) = tokio::sync::oneshot::channel();
                tokio::spawn(statistics::keep_statistics_current(pool.clone(), stop));
                let readers = url
                    .parse::<sqlx::postgres::PgConnectOptions>()
                    .map_err(StoreError::opening)?;
                (
                    Some(RegistrationBatcher::start(&url)?),
                    Some(HistoryReader::start(readers)),
                    Some(keeper),
                )
            }
            Dialect::Sqlite => (None, None, None),
        };
        let write_slots = Arc::new(Semaphore::new(match dialect {
            Dialect::Sqlite => 1,
            Dialect::Postgres => (max_connections as usize / 2).max(1),
        }));
        let sqlite_groups = (dialect == Dialect::Sqlite)
            .then(|| GroupWriter::start(pool.clone(), write_slots.clone()));
        Ok(Store {
            batcher,
            sqlite_groups,
            history_reader,
            _statistics_keeper: statistics_keeper,
            pool,
            dialect,
            url,
            write_slots,
        })
    }

    /// Whether [`register_in_one_statement`](Self::register_in_one_statement) can succeed.
    pub fn registers_in_one_statement(&self) -> bool {
        self.batcher.is_some() || self.sqlite_groups.is_some()
    }

    /// Register a new version of `subject`, grouped with concurrent registrations into one
    /// transaction that re-checks each `seen` under the subject locks (PostgreSQL: one round
    /// trip for the group, `register_batch.rs`) or the single write slot (SQLite: one commit
    /// for the group, `sqlite_group.rs`). `None`: use the general path (the history changed
    /// since it was read, or the group could not write this one).
    pub async fn register_in_one_statement(
        &self,
        context: &str,
        subject: &str,
        seen: SeenHistory,
        schema: &NewSchema<'_>,
        reference_targets: &[ReferenceTarget],
    ) -> Result<Option<Appended>> {
        if let Some(batcher) = &self.batcher {
            return batcher
                .register(context, subject, seen, schema, reference_targets)
                .await;
        }
        if let Some(groups) = &self.sqlite_groups {
            return groups
                .register(context, subject, seen, schema, reference_targets)
                .await;
        }
        Ok(None)
    }

    /// SQLite: registrations queued for the group writer or being written, not answered yet
    /// (0 on PostgreSQL).
    pub fn registrations_waiting(&self) -> usize {
        self.sqlite_groups.as_ref().map_or(0, GroupWriter::waiting)
    }

    /// SQLite: registrations in the group writer's queue (at most its bound; submitters
    /// beyond it wait to enter). 0 on PostgreSQL.
    pub fn registrations_queued(&self) -> usize {
        self.sqlite_groups.as_ref().map_or(0, GroupWriter::queued)
    }

    /// With several server processes on one PostgreSQL database, each follows the others'
    /// cache invalidations (LISTEN/NOTIFY). SQLite has a single process: nothing to follow.
    pub fn follow_invalidations(&self, on_event: impl Fn(Invalidation) + Send + 'static) {
        if self.dialect == Dialect::Postgres {
            tokio::spawn(postgres::listen_for_invalidations(
                self.url.clone(),
                on_event,
            ));
        }
    }

    /// The connection pool as it stands, for `/metrics`.
    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            connections: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn write_slot(&self) -> SemaphorePermit<'_> {
        if let Ok(slot) = self.write_slots.try_acquire() {
            return slot;
        }
        metrics::counter!("schemata_db_write_slot_waits_total").increment(1);
        // The semaphore is never closed, so acquiring cannot fail.
        self.write_slots
            .acquire()
            .await
            .expect("write slots are never closed")
    }

    /// Start a write transaction that holds the lock for `(context, subject)` until it ends:
    /// a Postgres advisory lock (so two server processes on one database serialise too), or
    /// SQLite's single-writer slot.
    pub async fn begin_subject_write(&self, context: &str, subject: &str) -> Result<WriteTx<'_>> {
        let slot = self.write_slot().await;
        let mut tx = self.pool.begin().await?;
        if self.dialect == Dialect::Postgres {
            postgres::lock_subject(&mut tx, context, subject).await?;
        }
        Ok(WriteTx::new(tx, self.dialect, slot))
    }

    /// A write transaction with no subject lock (config, mode, whole-context operations).
    pub async fn begin_write(&self) -> Result<WriteTx<'_>> {
        let slot = self.write_slot().await;
        let tx = self.pool.begin().await?;
        Ok(WriteTx::new(tx, self.dialect, slot))
    }
}

/// How many connections the pool holds (`connections`, of which `idle` are free) and may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// Milliseconds since the epoch, the `ts` CSR reports.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
