//! Group commit for registrations on PostgreSQL.
//!
//! Each registration that the server has already checked (history read, compatibility
//! passed) is queued here; a few writer tasks take whatever is queued — up to
//! [`MAX_GROUP`] registrations of distinct subjects — and write the group with one call of
//! `schemata_register_group2()` (migrations 0003, 0004): one round trip, two statements and one commit
//! for the whole group. The group travels as one array per column in PostgreSQL's binary
//! format, so no schema text is escaped, lexed or parsed as JSON on either side. Under load,
//! PostgreSQL's per-statement and per-commit work is shared by many registrations; with a
//! single client, a group is one registration and the cost is that of the one-statement path
//! it replaces.
//!
//! Every item keeps its own outcome: written (id, version), or `None` when its subject's
//! history changed since the server read it — the caller then takes the general, locked path.
//! If the group's statement fails as a whole (a deadlock, a lost connection), every item of
//! the group answers `None` and is retried on the general path, which reports its own error.
//!
//! The writers have their own connections, opened with the native PostgreSQL driver rather
//! than through `sqlx::Any`: the group's arrays are bound directly (the `Any` layer would copy
//! every argument into its own representation first, measured at ~7% of the server's CPU under
//! the registration benchmark), and the writers never wait behind the request handlers for a
//! pooled connection.

use super::error::{Result, StoreError};
use super::group_item::{take_queued, GroupItem, Pending};
use super::postgres::lock_key;
use crate::domain::{NewSchema, ReferenceTarget, SeenHistory};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::Row;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex, Notify};

/// Most registrations written in one group: bounds the statement's size (a few hundred KiB
/// of JSON at most for typical schemas) and the time a lock on any one subject is held.
const MAX_GROUP: usize = 64;

/// Groups in flight at once: while one executes and commits (waiting for the WAL flush),
/// the next is collected and can start.
const WRITERS: usize = 2;

/// While another group is in flight, a new group waits until it has this many members (or
/// the other group finishes) before it starts. Starting at once would split the queue into
/// many small groups, and the per-group cost (round trip, two statements, commit) would
/// again be paid per registration; waiting for the other group alone would leave the
/// machine idle during each commit (measured: 73% busy with one writer).
const MIN_GROUP_WHILE_BUSY: usize = 16;

/// Session setting of the writers' connections that tells the insert trigger on
/// `subject_versions` they only append (migration 0006).
const APPENDS_ONLY_SETTING: &str = "schemata.appends_only";

/// Queue length before submitters wait (backpressure instead of unbounded memory).
const QUEUE: usize = 1024;

pub(super) struct RegistrationBatcher {
    queue: mpsc::Sender<Pending>,
}

impl RegistrationBatcher {
    /// Start the writer tasks, with connections of their own to the database at `url`
    /// (opened on first use); they stop when the batcher is dropped.
    pub(super) fn start(url: &str) -> Result<RegistrationBatcher> {
        // Every item a writer inserts is its subject's new top version (highest plus one,
        // under the subject's lock), so the trigger that watches for versions inserted below
        // the top has nothing to find on these connections; the setting skips it (migration
        // 0006), which saves PostgreSQL ~6 µs of CPU per registration.
        let connect = writer_connect_options(url)?;
        let pool = own_pool(connect, WRITERS as u32);
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        let in_flight = Arc::new(InFlight::default());
        for _ in 0..WRITERS {
            tokio::spawn(write_groups(
                pool.clone(),
                receiver.clone(),
                in_flight.clone(),
            ));
        }
        Ok(RegistrationBatcher { queue })
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
        Ok(item.submit(&self.queue).await)
    }
}

/// A small pool of connections of their own for background tasks (the writers here, the
/// history readers), opened on first use; as for the main pool, a connection is pinged
/// only when suspect, not before every use.
pub(super) fn own_pool(connect: PgConnectOptions, connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| Box::pin(super::liveness::ping_if_suspect(conn, meta)))
        .connect_lazy_with(connect)
}

/// The writers' connections: those of `url`, declaring [`APPENDS_ONLY_SETTING`].
fn writer_connect_options(url: &str) -> Result<PgConnectOptions> {
    Ok(url
        .parse::<PgConnectOptions>()
        .map_err(StoreError::opening)?
        .options([(APPENDS_ONLY_SETTING, "on")]))
}

/// Shared by the writer tasks: how many groups are executing, and a signal when one ends.
#[derive(Default)]
struct InFlight {
    groups: AtomicUsize,
    finished: Notify,
}

/// One writer: take a group off the queue, write it, answer each member; until the queue
/// closes.
async fn write_groups(
    pool: PgPool,
    receiver: Arc<Mutex<mpsc::Receiver<Pending>>>,
    in_flight: Arc<InFlight>,
) {
    loop {
        let group = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut group = vec![first];
            collect(&mut receiver, &mut group, &in_flight).await;
            in_flight.groups.fetch_add(1, Ordering::SeqCst);
            group
        };
        write_group(&pool, group).await;
        in_flight.groups.fetch_sub(1, Ordering::SeqCst);
        in_flight.finished.notify_waiters();
    }
}

/// Add queued registrations to `group`: whatever is waiting, and while another group is
/// in flight, more as they arrive until [`MIN_GROUP_WHILE_BUSY`] or that group ends.
async fn collect(
    receiver: &mut mpsc::Receiver<Pending>,
    group: &mut Vec<Pending>,
    in_flight: &InFlight,
) {
    loop {
        take_queued(receiver, group, MAX_GROUP);
        if group.len() >= MIN_GROUP_WHILE_BUSY.min(MAX_GROUP) {
            return;
        }
        // Registered before looking at the count, so an end in between is not missed.
        let finished = in_flight.finished.notified();
        tokio::pin!(finished);
        finished.as_mut().enable();
        if in_flight.groups.load(Ordering::SeqCst) == 0 {
            return;
        }
        tokio::select! {
            next = receiver.recv() => match next {
                Some(next) => group.push(next),
                None => return,
            },
            _ = &mut finished => return,
        }
    }
}

async fn write_group(pool: &PgPool, group: Vec<Pending>) {
    // One item per subject: a second registration of a subject in the same group would be
    // checked against a history the first one changes, so it goes the general way.
    let mut subjects = HashSet::with_capacity(group.len());
    let mut members = Vec::with_capacity(group.len());
    for pending in group {
        if subjects.insert((pending.item.context.clone(), pending.item.subject.clone())) {
            members.push(pending);
        } else {
            let _ = pending.reply.send(None);
        }
    }
    let items: Vec<&GroupItem> = members.iter().map(|p| &p.item).collect();
    let mut outcomes: Vec<Option<Appended>> = vec![None; members.len()];
    match execute(pool, &items).await {
        Ok(rows) => {
            for (index, written) in rows {
                if let Some(slot) = outcomes.get_mut(index) {
                    *slot = Some(written);
                }
            }
        }
        Err(error) => {
            tracing::warn!(%error, size = members.len(), "group registration failed; members retry one by one");
        }
    }
    metrics::histogram!("schemata_registration_group_size").record(members.len() as f64);
    for (pending, outcome) in members.into_iter().zip(outcomes) {
        let _ = pending.reply.send(outcome);
    }
}

/// A version a grouped write appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub id: i64,
    pub version: i64,
    /// As stored (milliseconds since the epoch), so a remembered history answers with the
    /// same timestamp as a read.
    pub created_at: i64,
}

/// A member written by the group: its index, and what was appended.
type Outcome = (usize, Appended);

/// The group as one array per column (item `i` is element `i` of each).
#[derive(Default)]
struct Columns<'a> {
    lock_keys: Vec<i64>,
    contexts: Vec<&'a str>,
    subjects: Vec<&'a str>,
    seen_max: Vec<i64>,
    seen_generation: Vec<i64>,
    hashes: Vec<&'a str>,
    types: Vec<&'a str>,
    texts: Vec<&'a str>,
    refs: Vec<&'a str>,
    metadata: Vec<Option<&'a str>>,
    rule_sets: Vec<Option<&'a str>>,
    guids: Vec<&'a str>,
    /// References: 1-based item, then the referenced context, subject and version.
    target_items: Vec<i64>,
    target_contexts: Vec<&'a str>,
    target_subjects: Vec<&'a str>,
    target_versions: Vec<i64>,
}

impl<'a> Columns<'a> {
    fn of(items: &[&'a GroupItem]) -> Columns<'a> {
        let mut c = Columns::default();
        for (index, item) in items.iter().enumerate() {
            c.lock_keys.push(lock_key(&item.context, &item.subject));
            c.contexts.push(&item.context);
            c.subjects.push(&item.subject);
            c.seen_max.push(item.seen.max_version);
            c.seen_generation.push(item.seen.generation);
            c.hashes.push(&item.hash);
            c.types.push(item.schema_type);
            c.texts.push(&item.schema_text);
            c.refs.push(&item.refs);
            c.metadata.push(item.metadata.as_deref());
            c.rule_sets.push(item.rule_set.as_deref());
            c.guids.push(&item.guid);
            for target in &item.targets {
                c.target_items.push(index as i64 + 1);
                c.target_contexts.push(&target.context);
                c.target_subjects.push(&target.subject);
                c.target_versions.push(target.version);
            }
        }
        c
    }
}

async fn execute(pool: &PgPool, items: &[&GroupItem]) -> Result<Vec<Outcome>> {
    let c = Columns::of(items);
    let created_at = super::now_millis();
    let rows = sqlx::query(
        "SELECT item, out_id, out_version FROM schemata_register_group2(\
         $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&c.lock_keys)
    .bind(&c.contexts)
    .bind(&c.subjects)
    .bind(&c.seen_max)
    .bind(&c.seen_generation)
    .bind(&c.hashes)
    .bind(&c.types)
    .bind(&c.texts)
    .bind(&c.refs)
    .bind(&c.metadata)
    .bind(&c.rule_sets)
    .bind(&c.guids)
    .bind(&c.target_items)
    .bind(&c.target_contexts)
    .bind(&c.target_subjects)
    .bind(&c.target_versions)
    .bind(created_at)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let index: i32 = row.try_get(0)?;
            let appended = Appended {
                id: row.try_get(1)?,
                version: row.try_get(2)?,
                created_at,
            };
            Ok((index as usize, appended))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_connections_declare_they_only_append() {
        let options =
            writer_connect_options("postgres://u:p@127.0.0.1:5432/db?options=-c%20a.b%3D1")
                .unwrap();
        let declared = options.get_options().unwrap_or_default();
        assert!(
            declared.contains("-c schemata.appends_only=on"),
            "{declared}"
        );
        // Options already in the URL are kept.
        assert!(declared.contains("a.b=1"), "{declared}");
    }
}
