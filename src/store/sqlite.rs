//! SQLite specifics: file creation, WAL, and a per-context id counter row (SQLite has one
//! writer at a time, so a counter row costs nothing there).

use super::error::Result;
use super::options::SqliteSynchronous;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

/// `sqlite://file.db` → create the file on first start (`mode=rwc`).
pub(super) fn connection_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// 512 KiB of page cache a connection (a negative `cache_size` counts KiB).
const PAGE_CACHE_PRAGMA: &str = "PRAGMA cache_size = -512";

pub(super) fn configure_pool(
    options: AnyPoolOptions,
    synchronous: SqliteSynchronous,
) -> AnyPoolOptions {
    options.after_connect(move |conn, _| {
        Box::pin(async move {
            // WAL lets readers proceed while the single writer commits; the busy timeout
            // covers the checkpoint windows. `synchronous` decides whether a commit waits
            // for the disk (`SqliteSynchronous`).
            conn.execute("PRAGMA journal_mode = WAL").await?;
            conn.execute(synchronous.pragma()).await?;
            conn.execute("PRAGMA busy_timeout = 10000").await?;
            conn.execute("PRAGMA foreign_keys = ON").await?;
            // SQLite's own page cache, per connection: its default (2 MB) times a pool of
            // 32 was most of the server's memory outside `--cache-bytes`; the operating
            // system caches the file anyway (docs/performance.md, "Memory").
            conn.execute(PAGE_CACHE_PRAGMA).await?;
            Ok(())
        })
    })
}

/// The embedded migrations of this dialect.
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub(super) async fn migrate(pool: &AnyPool) -> Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

pub(super) async fn ensure_context(
    tx: &mut Transaction<'static, Any>,
    context: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO contexts (name, id_sequence, created_at) VALUES ($1, 'ctx:' || $1, $2) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(context)
    .bind(super::now_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn next_schema_id(
    tx: &mut Transaction<'static, Any>,
    context: &str,
) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE contexts SET next_schema_id = next_schema_id + 1 WHERE name = $1 \
         RETURNING next_schema_id - 1",
    )
    .bind(context)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

pub(super) async fn raise_id_floor(
    tx: &mut Transaction<'static, Any>,
    context: &str,
    id: i64,
) -> Result<()> {
    sqlx::query("UPDATE contexts SET next_schema_id = MAX(next_schema_id, $2 + 1) WHERE name = $1")
        .bind(context)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
