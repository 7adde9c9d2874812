//! Telling live database connections from dead ones without a round trip per query, and
//! usable ones from those whose transaction the driver lost track of.
//!
//! Pooled connections are not pinged on every checkout (that would double the round trips of
//! a registration). Two cheaper rules catch a restarted, failed-over or killed database:
//! a connection that sat idle is pinged before use, and once any query has failed because
//! its connection was lost, every connection opened before that loss is pinged before its
//! next use for a while. A request that failed that way is run once more
//! (`api::retry`), and by then the pool hands out only connections that answered a ping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Connections idle at least this long are pinged before use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// How long after the last lost connection older connections stay suspect. Every further
/// loss restarts the window, so an outage longer than this is still covered.
const SUSPECT_AFTER_LOSS: Duration = Duration::from_secs(10);

/// When a connection was last seen lost, as nanoseconds after [`epoch`] plus one (0: never).
static LAST_LOSS: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Whether `error` means the connection failed rather than the statement (the server went
/// away, restarted, or killed our backend).
pub(super) fn is_connection_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        // SQLSTATE class 08: connection exception; 57P01–57P03: the server is shutting
        // down, crashed, or not yet accepting connections.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// Remember that a connection was lost now, so that connections opened before get checked
/// before they are used again.
pub(super) fn note_connection_lost() {
    let since_epoch = epoch().elapsed().as_nanos() as u64;
    LAST_LOSS.store(since_epoch.saturating_add(1), Ordering::Relaxed);
}

/// Whether a connection `age` old was opened before a connection loss seen recently.
fn predates_recent_loss(age: Duration) -> bool {
    let recorded = LAST_LOSS.load(Ordering::Relaxed);
    if recorded == 0 {
        return false;
    }
    let lost_at = Duration::from_nanos(recorded - 1);
    let since_loss = epoch().elapsed().saturating_sub(lost_at);
    since_loss < SUSPECT_AFTER_LOSS && age > since_loss
}

/// `before_acquire` of every pool: ping a connection only if it sat idle or may have died
/// with one that was lost; close one still counted in a transaction.
///
/// A transaction dropped unfinished is rolled back by the connection's next command. But
/// SQLite ends a transaction by itself when a write fails with `SQLITE_FULL` (and other
/// I/O errors); the driver's `ROLLBACK` then fails ("no transaction is active") and the
/// driver goes on counting a transaction that no longer exists. It would turn the next
/// `BEGIN` on that connection into a `SAVEPOINT`, whose release inside a transaction left
/// open commits nothing: a registration answered 200 and never written. So a connection
/// still counted in a transaction once its pending rollback has run (the ping runs after
/// it) is closed instead of used; the pool opens a new one. A healthy connection is only
/// counted in one, and pinged, right after a rolled-back transaction.
pub(super) async fn ping_if_suspect<C: sqlx::Connection>(
    conn: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    if conn.is_in_transaction() {
        conn.ping().await?;
        return Ok(!conn.is_in_transaction());
    }
    if meta.idle_for >= IDLE_BEFORE_PING || predates_recent_loss(meta.age) {
        conn.ping().await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test: the loss time is process-wide, and a second test recording losses in
    // parallel would move it under this one's feet.
    #[test]
    fn connection_failures_make_older_connections_suspect() {
        assert!(!is_connection_failure(&sqlx::Error::RowNotFound));
        assert!(!is_connection_failure(&sqlx::Error::PoolTimedOut));
        assert!(!predates_recent_loss(Duration::from_secs(3600)));
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(is_connection_failure(&io));
        note_connection_lost();
        assert!(predates_recent_loss(Duration::from_secs(60)));
        // Opened after the loss (younger than the time since it): trusted.
        std::thread::sleep(Duration::from_millis(20));
        assert!(!predates_recent_loss(Duration::from_millis(5)));
    }
}
