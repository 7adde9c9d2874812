//! Schemas by id: the record, its parsed form and its rendered `GET /schemas/ids/{id}` body.

use super::stats::{CacheCounters, CacheStats};
use super::Cache;
use crate::domain::{SchemaRecord, DEFAULT_CONTEXT};
use bytes::Bytes;
use moka::future::Cache as MokaCache;
use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;
use schemata_compat::ParsedSchema;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A schema as the read path needs it.
pub struct CachedSchema {
    pub record: SchemaRecord,
    /// The rendered `GET /schemas/ids/{id}` body: the consumer hot path's answer. Filled by
    /// the API layer on first use (the domain does not know the wire shape).
    id_response: OnceLock<Bytes>,
    parsed: OnceLock<Arc<ParsedSchema>>,
}

impl CachedSchema {
    pub fn new(record: SchemaRecord) -> Self {
        CachedSchema {
            record,
            id_response: OnceLock::new(),
            parsed: OnceLock::new(),
        }
    }

    pub fn id_response(&self, render: impl FnOnce(&SchemaRecord) -> Bytes) -> Bytes {
        self.id_response
            .get_or_init(|| render(&self.record))
            .clone()
    }

    pub fn parsed(&self) -> Option<Arc<ParsedSchema>> {
        self.parsed.get().cloned()
    }

    pub fn set_parsed(&self, parsed: Arc<ParsedSchema>) -> Arc<ParsedSchema> {
        self.parsed.get_or_init(|| parsed).clone()
    }

    /// What it holds once read and rendered, estimated from its record alone (so the figure
    /// is the same when it is cached and when it leaves): the record's strings and the parse
    /// tree about ten times the schema text, as measured for the remembered histories
    /// (`SubjectHistory::weight`), plus the rendered body, about the text again.
    pub(crate) fn estimated_bytes(&self) -> u64 {
        let record = &self.record;
        let text = record.schema.len() as u64;
        let references: u64 = record
            .references
            .iter()
            .map(|r| (r.name.len() + r.subject.len() + 16) as u64)
            .sum();
        let contract = record.metadata.as_ref().map_or(0, |m| m.to_string().len())
            + record.rule_set.as_ref().map_or(0, |r| r.to_string().len());
        size_of::<CachedSchema>() as u64
            + text.saturating_mul(11)
            + references
            + contract as u64
            + (record.hash.len() + record.guid.len() + record.context.len()) as u64
    }
}

static COUNTERS: CacheCounters = CacheCounters::new("schemas");

/// Key: (context, schema id).
pub(super) type SchemaKey = (String, i64);

/// The default context has its own map keyed by the bare id, so the hot path builds no key
/// string per request.
#[derive(Clone)]
pub(crate) struct SchemaCache {
    default_context: Cache<i64, Arc<CachedSchema>>,
    other_contexts: Cache<SchemaKey, Arc<CachedSchema>>,
    /// Invalidations so far. A schema read from the store while one ran may be one that
    /// was just hard-deleted: it is not kept ([`SchemaCache::insert_read`]).
    invalidations: Arc<AtomicU64>,
    /// The estimated bytes of the entries held (`CachedSchema::estimated_bytes`): added on
    /// insert, taken off when moka lets an entry go for whatever cause.
    bytes: Arc<AtomicU64>,
}

/// What an entry's leaving does: its bytes are taken off, and a leaving to stay within the
/// capacity is counted as an eviction.
fn on_removal<K>(
    bytes: Arc<AtomicU64>,
) -> impl Fn(Arc<K>, Arc<CachedSchema>, RemovalCause) + Send + Sync + 'static {
    move |_, schema, cause| {
        bytes.fetch_sub(schema.estimated_bytes(), Ordering::Relaxed);
        if cause == RemovalCause::Size {
            COUNTERS.evicted(1);
        }
    }
}

/// Where the cache's invalidations stood when a read from the store began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadStart(u64);

impl SchemaCache {
    pub(crate) fn new(capacity: u64) -> Self {
        // LRU, not moka's default TinyLFU: a schema is typically read right after it is
        // registered (consumers fetch the new id once, then keep reading it), which
        // frequency-based admission would refuse once the cache is full.
        let bytes = Arc::new(AtomicU64::new(0));
        SchemaCache {
            default_context: MokaCache::builder()
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .eviction_listener(on_removal(bytes.clone()))
                .build_with_hasher(Default::default()),
            other_contexts: MokaCache::builder()
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .eviction_listener(on_removal(bytes.clone()))
                .build_with_hasher(Default::default()),
            invalidations: Arc::new(AtomicU64::new(0)),
            bytes,
        }
    }

    /// After moka's pending bookkeeping, so the count is current.
    pub(crate) async fn stats(&self) -> CacheStats {
        self.default_context.run_pending_tasks().await;
        self.other_contexts.run_pending_tasks().await;
        CacheStats {
            name: "schemas",
            entries: self.default_context.entry_count() + self.other_contexts.entry_count(),
            bytes: Some(self.bytes.load(Ordering::Relaxed)),
        }
    }

    /// Call before reading a schema from the store, then keep what was read with
    /// [`insert_read`](Self::insert_read).
    pub(crate) fn read_start(&self) -> ReadStart {
        ReadStart(self.invalidations.load(Ordering::SeqCst))
    }

    /// Keep a schema read from the store since `start`, unless an invalidation ran in
    /// between (a NOTIFY of a hard delete may have arrived after the row was read): then it
    /// is dropped again, and the next read goes to the store.
    pub(crate) async fn insert_read(&self, schema: Arc<CachedSchema>, start: ReadStart) {
        let (context, id) = (schema.record.context.clone(), schema.record.id);
        self.insert(schema).await;
        if self.invalidations.load(Ordering::SeqCst) != start.0 {
            self.invalidate(&context, id).await;
        }
    }

    pub(crate) async fn get(&self, context: &str, id: i64) -> Option<Arc<CachedSchema>> {
        let found = if context == DEFAULT_CONTEXT {
            self.default_context.get(&id).await
        } else {
            self.other_contexts.get(&(context.to_string(), id)).await
        };
        COUNTERS.lookup(found.is_some());
        found
    }

    pub(crate) async fn insert(&self, schema: Arc<CachedSchema>) {
        self.bytes
            .fetch_add(schema.estimated_bytes(), Ordering::Relaxed);
        let id = schema.record.id;
        if schema.record.context == DEFAULT_CONTEXT {
            self.default_context.insert(id, schema).await;
        } else {
            let key = (schema.record.context.clone(), id);
            self.other_contexts.insert(key, schema).await;
        }
    }

    pub(crate) fn invalidate_all(&self) {
        // Counted before removing, so a concurrent `insert_read` either sees the count or
        // has its entry removed.
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        self.default_context.invalidate_all();
        self.other_contexts.invalidate_all();
    }

    pub(crate) async fn invalidate(&self, context: &str, id: i64) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        if context == DEFAULT_CONTEXT {
            self.default_context.invalidate(&id).await;
        } else {
            self.other_contexts
                .invalidate(&(context.to_string(), id))
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(context: &str, id: i64) -> Arc<CachedSchema> {
        Arc::new(CachedSchema::new(SchemaRecord {
            context: context.into(),
            id,
            hash: String::new(),
            schema_type: schemata_compat::SchemaType::Avro,
            schema: "\"string\"".into(),
            references: Vec::new(),
            metadata: None,
            rule_set: None,
            guid: String::new(),
            created_at: 0,
        }))
    }

    #[tokio::test]
    async fn bytes_count_what_is_held_and_evictions_keep_within_capacity() {
        let cache = SchemaCache::new(2);
        let one = schema(DEFAULT_CONTEXT, 1).estimated_bytes();
        let other = schema(".ctx", 1).estimated_bytes();
        assert!(one > 11 * "\"string\"".len() as u64);
        cache.insert(schema(DEFAULT_CONTEXT, 1)).await;
        cache.insert(schema(".ctx", 1)).await;
        assert_eq!(cache.stats().await.bytes, Some(one + other));
        // The same id again replaces: counted once.
        cache.insert(schema(DEFAULT_CONTEXT, 1)).await;
        assert_eq!(
            cache.stats().await,
            CacheStats {
                name: "schemas",
                entries: 2,
                bytes: Some(one + other)
            }
        );
        // Beyond the capacity of the default context's map, one entry goes.
        for id in 2..=3 {
            cache.insert(schema(DEFAULT_CONTEXT, id)).await;
        }
        let stats = cache.stats().await;
        assert_eq!((stats.entries, stats.bytes), (3, Some(2 * one + other)));
        cache.invalidate(".ctx", 1).await;
        cache.invalidate_all();
        assert_eq!(cache.stats().await.bytes, Some(0));
    }

    /// A hard delete announced while the schema was being read must not leave the read
    /// copy in the cache (the id would keep answering after the delete).
    #[tokio::test]
    async fn a_schema_read_across_an_invalidation_is_not_kept() {
        let cache = SchemaCache::new(10);
        for context in [DEFAULT_CONTEXT, ".ctx"] {
            let start = cache.read_start();
            cache.invalidate(context, 1).await;
            cache.insert_read(schema(context, 1), start).await;
            assert!(cache.get(context, 1).await.is_none(), "{context}");

            let start = cache.read_start();
            cache.invalidate_all();
            cache.insert_read(schema(context, 1), start).await;
            assert!(cache.get(context, 1).await.is_none(), "{context}");

            let start = cache.read_start();
            cache.insert_read(schema(context, 1), start).await;
            assert!(cache.get(context, 1).await.is_some(), "{context}");
        }
    }
}
