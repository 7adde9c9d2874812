//! Grouped history reads on PostgreSQL: the registration path reads the history of a subject
//! it does not remember (a new subject, or one this process has not seen since it started)
//! with one query; under load, the reads of concurrent registrations are taken together by
//! a few reader tasks and answered by one statement over arrays, as the writes are grouped
//! (`register_batch.rs`). One round trip and one snapshot for the whole group; each item gets
//! exactly what `queries::versions_with_hashes` answers for it alone (its versions with their
//! identity hashes, and its context's history generation from the same snapshot).
//!
//! Readers take whatever is queued, without waiting for more: a single client pays one round
//! trip per read, as before. The readers have connections of their own (native driver:
//! arrays bind directly), so they never wait behind request handlers for a pooled one.

use super::error::Result;
use super::reads::HashedHistory;
use crate::domain::VersionRecord;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::Row;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Most histories read by one statement.
const MAX_GROUP: usize = 64;

/// Statements in flight at once: while one runs, the next group collects.
const READERS: usize = 2;

/// Queue length before submitters wait.
const QUEUE: usize = 1024;

struct Pending {
    context: String,
    subject: String,
    reply: oneshot::Sender<HashedHistory>,
}

pub(super) struct HistoryReader {
    queue: mpsc::Sender<Pending>,
}

impl HistoryReader {
    /// Start the reader tasks, with connections of their own from `connect` (opened on
    /// first use); they stop when the reader is dropped.
    pub(super) fn start(connect: PgConnectOptions) -> HistoryReader {
        let pool = super::register_batch::own_pool(connect, READERS as u32);
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..READERS {
            tokio::spawn(read_groups(pool.clone(), receiver.clone()));
        }
        HistoryReader { queue }
    }

    /// The subject's versions with their schemas' hashes and its context's generation, read
    /// in a group with whatever other reads are waiting. `None`: the group's statement failed
    /// or the readers are gone; the caller reads on its own (and reports its own error).
    pub(super) async fn read(&self, context: &str, subject: &str) -> Option<HashedHistory> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            context: context.to_string(),
            subject: subject.to_string(),
            reply,
        };
        self.queue.send(pending).await.ok()?;
        answer.await.ok()
    }
}

async fn read_groups(pool: PgPool, receiver: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    loop {
        let mut group = Vec::new();
        // Waits for one, then takes what else is queued, up to the group's size.
        if receiver.lock().await.recv_many(&mut group, MAX_GROUP).await == 0 {
            return;
        }
        match read_group(&pool, &group).await {
            Ok(histories) => {
                for (pending, history) in group.into_iter().zip(histories) {
                    let _ = pending.reply.send(history);
                }
            }
            // Dropping the replies sends every member to a read of its own.
            Err(error) => {
                tracing::debug!(%error, size = group.len(), "grouped history read failed; members read one by one");
            }
        }
    }
}

/// One statement for the whole group: each item's versions (ascending) and its context's
/// generation (0, with no versions, for a context not created yet).
async fn read_group(pool: &PgPool, group: &[Pending]) -> Result<Vec<HashedHistory>> {
    let contexts: Vec<&str> = group.iter().map(|p| p.context.as_str()).collect();
    let subjects: Vec<&str> = group.iter().map(|p| p.subject.as_str()).collect();
    let rows = sqlx::query(
        "SELECT k.i, c.history_generation, v.context, v.subject, v.version, v.schema_id, \
                v.deleted, v.created_at, s.hash \
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(context, subject, i) \
         JOIN contexts c ON c.name = k.context \
         LEFT JOIN subject_versions v ON v.context = k.context AND v.subject = k.subject \
         LEFT JOIN schemas s ON s.context = v.context AND s.id = v.schema_id \
         ORDER BY k.i, v.version",
    )
    .bind(&contexts)
    .bind(&subjects)
    .fetch_all(pool)
    .await?;
    let mut histories: Vec<HashedHistory> = vec![(Vec::new(), 0); group.len()];
    for row in &rows {
        let index: i64 = row.try_get(0)?;
        let Some(history) = usize::try_from(index - 1)
            .ok()
            .and_then(|i| histories.get_mut(i))
        else {
            continue;
        };
        history.1 = row.try_get(1)?;
        if let Some(version) = row.try_get::<Option<i64>, _>(4)? {
            let deleted: i64 = row.try_get(6)?;
            let record = VersionRecord {
                context: row.try_get(2)?,
                subject: row.try_get(3)?,
                version,
                schema_id: row.try_get(5)?,
                deleted: deleted != 0,
                created_at: row.try_get(7)?,
            };
            history.0.push((record, row.try_get(8)?));
        }
    }
    Ok(histories)
}
