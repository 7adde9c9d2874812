//! Group commit for registrations on SQLite (docs/performance.md, "Registration").
//!
//! SQLite has one writer at a time, and with `synchronous = FULL` every commit waits for the
//! disk. Registrations the server has already checked (history read, compatibility passed)
//! queue here; one writer task takes the single write slot, then everything queued (up to
//! [`MAX_GROUP`]), and writes the group in one transaction: one commit for all of them.
//! While a group commits, the next one queues.
//!
//! Every member keeps its own outcome, as on PostgreSQL (`register_batch.rs`): written (id,
//! version), or `None` — its subject's history is no longer the one checked (another highest
//! version, or another history generation of its context: a delete or an import below the
//! top since), its context is missing or hidden, or its subject already holds its content.
//! Members are checked and written one after the other inside the transaction, so a second
//! member of one subject finds the version the first one wrote, and hands itself back (it
//! was checked against the history before it). The caller then takes the general, locked
//! path, which reads the history again under the lock. If the transaction fails as a whole (a full disk, a lost
//! file), every member answers `None` and is retried alone on the locked path, which reports
//! its own error; no member's failure is written half.

use super::error::Result;
use super::group_item::{take_queued, GroupItem, Pending};
use super::register_batch::Appended;
use crate::domain::{NewSchema, ReferenceTarget, SeenHistory};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};

/// Most registrations written in one transaction: bounds the time the write slot is held
/// (readers of the file are not blocked, other writers are).
const MAX_GROUP: usize = 64;

/// Queue length before submitters wait (backpressure instead of unbounded memory).
const QUEUE: usize = 1024;

/// How many ids a new schema may find taken (by imported schemas) before it falls back.
const ID_ATTEMPTS: usize = 64;

pub(super) struct GroupWriter {
    queue: mpsc::Sender<Pending>,
    /// Registrations submitted and not answered yet.
    waiting: Arc<AtomicUsize>,
}

impl GroupWriter {
    /// Start the writer task on `pool`, writing under `slots` (the store's single write
    /// slot, shared with the locked path); it stops when the writer is dropped.
    pub(super) fn start(pool: AnyPool, slots: Arc<Semaphore>) -> GroupWriter {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(pool, slots, receiver));
        GroupWriter {
            queue,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Registrations submitted and not answered yet.
    pub(super) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Registrations in the queue, taken by no group yet.
    pub(super) fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Write a new version of `subject` if its history is still `seen`. `Ok(None)`: take
    /// the general path.
    pub(super) async fn register(
        &self,
        context: &str,
        subject: &str,
        seen: SeenHistory,
        schema: &NewSchema<'_>,
        reference_targets: &[ReferenceTarget],
    ) -> Result<Option<Appended>> {
        let item = GroupItem::new(context, subject, seen, schema, reference_targets);
        let _waiting = Waiting::new(&self.waiting);
        Ok(item.submit(&self.queue).await)
    }
}

/// Counts a registration as waiting while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The writer: wait for a registration, take the write slot, then write it with everything
/// queued meanwhile; until the queue closes.
async fn write_groups(pool: AnyPool, slots: Arc<Semaphore>, mut receiver: mpsc::Receiver<Pending>) {
    while let Some(first) = receiver.recv().await {
        let Ok(_slot) = slots.acquire().await else {
            return;
        };
        // With the slot: everything queued meanwhile joins.
        let mut group = vec![first];
        take_queued(&mut receiver, &mut group, MAX_GROUP);
        write_group(&pool, group).await;
    }
}

async fn write_group(pool: &AnyPool, members: Vec<Pending>) {
    let items: Vec<&GroupItem> = members.iter().map(|p| &p.item).collect();
    let outcomes = match write(pool, &items).await {
        Ok(outcomes) => outcomes,
        Err(error) => {
            tracing::warn!(%error, size = members.len(), "group registration failed; members retry one by one");
            vec![None; members.len()]
        }
    };
    metrics::histogram!("schemata_registration_group_size").record(members.len() as f64);
    for (pending, outcome) in members.into_iter().zip(outcomes) {
        let _ = pending.reply.send(outcome);
    }
}

/// A context as the group found it.
struct ContextState {
    /// Listed, and its history generation is this one.
    generation: Option<i64>,
    /// The next schema id the counter gives out, advanced by the group.
    next_id: i64,
    /// Whether the group took ids from the counter.
    advanced: bool,
}

/// Write every member it can in one transaction; the outcome of each, in order.
async fn write(pool: &AnyPool, items: &[&GroupItem]) -> Result<Vec<Option<Appended>>> {
    // IMMEDIATE: the write lock from the start. Within this process the write slot already
    // excludes other writers; another process on the file waits for the busy timeout here
    // instead of failing when a read transaction would be upgraded.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let created_at = super::now_millis();
    let mut contexts: HashMap<&str, Option<ContextState>> = HashMap::new();
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let written = write_item(&mut tx, item, &mut contexts, created_at).await?;
        outcomes.push(written.map(|(id, version)| Appended {
            id,
            version,
            created_at,
        }));
    }
    for (context, state) in &contexts {
        if let Some(state) = state.as_ref().filter(|s| s.advanced) {
            sqlx::query(
                "UPDATE contexts SET next_schema_id = MAX(next_schema_id, $2) WHERE name = $1",
            )
            .bind(*context)
            .bind(state.next_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Write one member if its history is still the one checked: `(id, version)`, or `None`.
async fn write_item<'i>(
    tx: &mut Transaction<'static, Any>,
    item: &'i GroupItem,
    contexts: &mut HashMap<&'i str, Option<ContextState>>,
    created_at: i64,
) -> Result<Option<(i64, i64)>> {
    if !contexts.contains_key(item.context.as_str()) {
        let state = context_state(tx, &item.context).await?;
        contexts.insert(&item.context, state);
    }
    let Some(context) = contexts
        .get_mut(item.context.as_str())
        .and_then(Option::as_mut)
        .filter(|c| c.generation == Some(item.seen.generation))
    else {
        return Ok(None);
    };
    // The subject's highest version, the id its content already has in the context (written
    // earlier in this group included), and whether the subject holds that id already.
    let row = sqlx::query(
        "SELECT (SELECT COALESCE(MAX(version), 0) FROM subject_versions \
                  WHERE context = $1 AND subject = $2), \
                s.id, \
                EXISTS (SELECT 1 FROM subject_versions v \
                         WHERE v.context = $1 AND v.schema_id = s.id AND v.subject = $2) \
         FROM (SELECT 1) LEFT JOIN schemas s ON s.context = $1 AND s.hash = $3",
    )
    .bind(&item.context)
    .bind(&item.subject)
    .bind(&item.hash)
    .fetch_one(&mut **tx)
    .await?;
    let max_version: i64 = row.try_get(0)?;
    let known_id: Option<i64> = row.try_get(1)?;
    let in_subject: bool = row.try_get::<i64, _>(2)? != 0;
    // A live version with this content answers the request; a soft-deleted one is purged
    // by the general path. Either way, not here.
    if max_version != item.seen.max_version || in_subject {
        return Ok(None);
    }
    let id = match known_id {
        Some(id) => id,
        None => match insert_schema(tx, item, context, created_at).await? {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    let version = max_version + 1;
    sqlx::query(
        "INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5)",
    )
    .bind(&item.context)
    .bind(&item.subject)
    .bind(version)
    .bind(id)
    .bind(created_at)
    .execute(&mut **tx)
    .await?;
    for target in &item.targets {
        sqlx::query(
            "INSERT INTO schema_references (context, schema_id, ref_context, ref_subject, ref_version) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&item.context)
        .bind(id)
        .bind(&target.context)
        .bind(&target.subject)
        .bind(target.version)
        .execute(&mut **tx)
        .await?;
    }
    Ok(Some((id, version)))
}

/// The context's row: `None` when it does not exist (the general path creates it); a
/// hidden context has no generation to match (the general path lists it again).
async fn context_state(
    tx: &mut Transaction<'static, Any>,
    context: &str,
) -> Result<Option<ContextState>> {
    let row = sqlx::query(
        "SELECT listed, history_generation, next_schema_id FROM contexts WHERE name = $1",
    )
    .bind(context)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let listed: i64 = row.try_get(0)?;
    let generation: i64 = row.try_get(1)?;
    Ok(Some(ContextState {
        generation: (listed != 0).then_some(generation),
        next_id: row.try_get(2)?,
        advanced: false,
    }))
}

/// Insert the member's schema under the next free id from the context's counter; `None`
/// when [`ID_ATTEMPTS`] ids in a row are taken (the general path goes on looking).
async fn insert_schema(
    tx: &mut Transaction<'static, Any>,
    item: &GroupItem,
    context: &mut ContextState,
    created_at: i64,
) -> Result<Option<i64>> {
    for _ in 0..ID_ATTEMPTS {
        let id = context.next_id;
        context.next_id += 1;
        context.advanced = true;
        // The content is not in the context (read above, under the write lock), so a
        // conflict can only be the id: an imported schema holds it.
        let inserted = sqlx::query(
            "INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata, \
                                  rule_set, guid, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (context, id) DO NOTHING",
        )
        .bind(&item.context)
        .bind(id)
        .bind(&item.hash)
        .bind(item.schema_type)
        .bind(&item.schema_text)
        .bind(&item.refs)
        .bind(item.metadata.as_deref())
        .bind(item.rule_set.as_deref())
        .bind(&item.guid)
        .bind(created_at)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Some(id));
        }
    }
    Ok(None)
}
