//! PostgreSQL specifics: advisory locks per subject, one sequence per context.

use super::error::Result;
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyPool, AssertSqlSafe, Row, Transaction};

/// The embedded migrations of this dialect.
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(super) async fn migrate(pool: &AnyPool) -> Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// The advisory-lock key of a subject: the same in every process and in SQL functions.
pub(super) fn lock_key(context: &str, subject: &str) -> i64 {
    let digest = Sha256::digest(format!("{context}\u{0}{subject}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// Serialise writers of one subject across connections and processes until commit.
pub(super) async fn lock_subject(
    tx: &mut Transaction<'static, Any>,
    context: &str,
    subject: &str,
) -> Result<()> {
    let key = lock_key(context, subject);
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn sequence_of(tx: &mut Transaction<'static, Any>, context: &str) -> Result<String> {
    let row = sqlx::query("SELECT id_sequence FROM contexts WHERE name = $1")
        .bind(context)
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get(0)?)
}

pub(super) async fn ensure_context(
    tx: &mut Transaction<'static, Any>,
    context: &str,
) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO contexts (name, id_sequence, created_at) \
         VALUES ($1, 'schema_id_seq_' || nextval('context_seq'), $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(context)
    .bind(super::now_millis())
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() > 0 {
        let sequence = sequence_of(tx, context).await?;
        // The name is ours (schema_id_seq_<n>), never user input, so formatting it is safe.
        sqlx::query(AssertSqlSafe(format!(
            "CREATE SEQUENCE IF NOT EXISTS {sequence}"
        )))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(super) async fn next_schema_id(
    tx: &mut Transaction<'static, Any>,
    context: &str,
) -> Result<i64> {
    let row = sqlx::query("SELECT nextval(id_sequence::regclass) FROM contexts WHERE name = $1")
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
    let sequence = sequence_of(tx, context).await?;
    sqlx::query(
        "SELECT setval($1::regclass, GREATEST($2, COALESCE(pg_sequence_last_value($1::regclass), 0)))",
    )
    .bind(sequence)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Channel on which writers announce schema ids whose cached form must be dropped.
pub(super) const INVALIDATION_CHANNEL: &str = "schemata_cache";

/// Queue a cache invalidation for other server processes; Postgres delivers it on commit.
pub(super) async fn notify_invalidation(
    tx: &mut Transaction<'static, Any>,
    context: &str,
    id: i64,
) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(INVALIDATION_CHANNEL)
        .bind(format!("{id}:{context}"))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Payload prefix announcing that versions of a subject were deleted (soft or hard) or
/// replaced: `subject:<context length>:<context><subject>`. Processes that predate it read
/// `subject` as an id that does not parse, and ignore it.
const SUBJECT_PREFIX: &str = "subject:";

pub(super) async fn notify_subject_changed(
    tx: &mut Transaction<'static, Any>,
    context: &str,
    subject: &str,
) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(INVALIDATION_CHANNEL)
        .bind(format!(
            "{SUBJECT_PREFIX}{}:{context}{subject}",
            context.len()
        ))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The context and subject of a `subject:` payload.
fn parse_subject_payload(payload: &str) -> Option<(String, String)> {
    let rest = payload.strip_prefix(SUBJECT_PREFIX)?;
    let (length, names) = rest.split_once(':')?;
    let length: usize = length.parse().ok()?;
    let context = names.get(..length)?;
    let subject = names.get(length..)?;
    Some((context.to_string(), subject.to_string()))
}

/// What a listener saw: one schema to drop, a subject whose remembered history is stale, a
/// settings change, or a gap (reconnect) after which every cached entry is suspect.
pub enum Invalidation {
    Schema {
        context: String,
        id: i64,
    },
    /// Versions of the subject were deleted or replaced (a registration adds versions and
    /// announces nothing: the database verifies writes made against a remembered history).
    Subject {
        context: String,
        subject: String,
    },
    /// Some config or mode changed.
    Settings,
    Everything,
}

/// Payload announcing a config or mode change.
const SETTINGS_PAYLOAD: &str = "settings";

pub(super) async fn notify_settings_changed(tx: &mut Transaction<'static, Any>) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(INVALIDATION_CHANNEL)
        .bind(SETTINGS_PAYLOAD)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The listener lost its connection (each time, every cache is cleared): many of these mean
/// an unstable network or database, and caches that keep starting cold.
fn count_listener_reconnect() {
    metrics::counter!("schemata_invalidation_listener_reconnects_total").increment(1);
}

/// Follow invalidations from other processes until the process ends, reconnecting as needed.
pub(super) async fn listen_for_invalidations(
    url: String,
    on_event: impl Fn(Invalidation) + Send + 'static,
) {
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cache invalidation listener cannot connect; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(INVALIDATION_CHANNEL).await {
            tracing::warn!(error = %e, "cannot LISTEN for cache invalidations; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            continue;
        }
        // Anything may have been missed before we started listening.
        on_event(Invalidation::Everything);
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) if notification.payload() == SETTINGS_PAYLOAD => {
                    on_event(Invalidation::Settings)
                }
                Ok(Some(notification)) if notification.payload().starts_with(SUBJECT_PREFIX) => {
                    if let Some((context, subject)) = parse_subject_payload(notification.payload())
                    {
                        on_event(Invalidation::Subject { context, subject });
                    }
                }
                Ok(Some(notification)) => {
                    if let Some((id, context)) = notification.payload().split_once(':') {
                        if let Ok(id) = id.parse() {
                            on_event(Invalidation::Schema {
                                context: context.to_string(),
                                id,
                            });
                        }
                    }
                }
                // The connection dropped; sqlx reconnects on the next call, but notifications
                // sent in between are lost.
                Ok(None) => {
                    count_listener_reconnect();
                    on_event(Invalidation::Everything)
                }
                Err(e) => {
                    count_listener_reconnect();
                    tracing::warn!(error = %e, "cache invalidation listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}
