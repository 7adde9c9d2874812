//! Schemas by id: the record and its rendered `GET /schemas/ids/{id}` body (and, for a schema
//! this process just registered, its parsed form), weighed in bytes.

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
    /// Set only when built from a registration (the parse tree is at hand); other parse
    /// trees live in `ParsedCache`, which weighs them on their own. Fixed at construction,
    /// so the weight of an entry is known when it is cached.
    parsed: Option<Arc<ParsedSchema>>,
}

impl CachedSchema {
    pub fn new(record: SchemaRecord) -> Self {
        CachedSchema {
            record,
            id_response: OnceLock::new(),
            parsed: None,
        }
    }

    /// A schema just registered, with the tree its registration parsed.
    pub(crate) fn with_parsed(record: SchemaRecord, parsed: Arc<ParsedSchema>) -> Self {
        CachedSchema {
            record,
            id_response: OnceLock::new(),
            parsed: Some(parsed),
        }
    }

    pub fn id_response(&self, render: impl FnOnce(&SchemaRecord) -> Bytes) -> Bytes {
        self.id_response
            .get_or_init(|| render(&self.record))
            .clone()
    }

    pub fn parsed(&self) -> Option<Arc<ParsedSchema>> {
        self.parsed.clone()
    }

    /// What it holds once rendered (the figure is the same when it is cached and when it
    /// leaves): the record's strings, the rendered body (the text, JSON-escaped, in an
    /// envelope: about the text again), and the parse tree when it carries one
    /// (`ParsedSchema::retained_bytes`, docs/performance.md "Cache budget").
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
        let parsed = self.parsed.as_ref().map_or(0, |p| p.retained_bytes());
        size_of::<CachedSchema>() as u64
            + text
            + text.saturating_add(text / 8).saturating_add(64)
            + parsed
            + references
            + contract as u64
            + (record.hash.len() + record.guid.len() + record.context.len()) as u64
    }
}

/// An entry's weight for moka, which counts in `u32`.
fn weight(schema: &CachedSchema) -> u32 {
    u32::try_from(schema.estimated_bytes()).unwrap_or(u32::MAX)
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
}

/// An entry's leaving to stay within the budget is counted as an eviction.
fn on_removal<K>(_: Arc<K>, _: Arc<CachedSchema>, cause: RemovalCause) {
    if cause == RemovalCause::Size {
        COUNTERS.evicted(1);
    }
}

/// Where the cache's invalidations stood when a read from the store began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadStart(u64);

impl SchemaCache {
    /// `budget` in bytes, for both maps together: the default context's gets seven eighths.
    pub(crate) fn new(budget: u64) -> Self {
        // LRU, not moka's default TinyLFU: a schema is typically read right after it is
        // registered (consumers fetch the new id once, then keep reading it), which
        // frequency-based admission would refuse once the cache is full.
        SchemaCache {
            default_context: MokaCache::builder()
                .max_capacity(budget - budget / 8)
                .eviction_policy(EvictionPolicy::lru())
                .weigher(|_, schema: &Arc<CachedSchema>| weight(schema))
                .eviction_listener(on_removal)
                .build_with_hasher(Default::default()),
            other_contexts: MokaCache::builder()
                .max_capacity(budget / 8)
                .eviction_policy(EvictionPolicy::lru())
                .weigher(|_, schema: &Arc<CachedSchema>| weight(schema))
                .eviction_listener(on_removal)
                .build_with_hasher(Default::default()),
            invalidations: Arc::new(AtomicU64::new(0)),
        }
    }

    /// After moka's pending bookkeeping, so the count is current.
    pub(crate) async fn stats(&self) -> CacheStats {
        self.default_context.run_pending_tasks().await;
        self.other_contexts.run_pending_tasks().await;
        CacheStats {
            name: "schemas",
            entries: self.default_context.entry_count() + self.other_contexts.entry_count(),
            bytes: Some(self.default_context.weighted_size() + self.other_contexts.weighted_size()),
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
    async fn entries_weigh_their_bytes_and_stay_within_the_budget() {
        let one = schema(DEFAULT_CONTEXT, 1).estimated_bytes();
        let other = schema(".ctx", 1).estimated_bytes();
        // The text, the body rendered from it, and the record around them.
        assert!(one > 2 * "\"string\"".len() as u64);
        // The default context's map holds seven such entries, the other one.
        let cache = SchemaCache::new(8 * (one + 8));
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
        for id in 2..=20 {
            cache.insert(schema(DEFAULT_CONTEXT, id)).await;
        }
        let stats = cache.stats().await;
        assert_eq!((stats.entries, stats.bytes), (8, Some(7 * one + other)));
        // The newest stayed (LRU).
        assert!(cache.get(DEFAULT_CONTEXT, 20).await.is_some());
        cache.invalidate(".ctx", 1).await;
        cache.invalidate_all();
        assert_eq!(cache.stats().await.bytes, Some(0));
    }

    #[test]
    fn a_parse_tree_is_weighed_with_the_schema_that_carries_it() {
        let plain = schema(DEFAULT_CONTEXT, 1);
        let parsed = ParsedSchema::parse(
            schemata_compat::SchemaType::Avro,
            "\"string\"",
            &[],
            Default::default(),
        )
        .expect("a valid schema");
        let with_tree = CachedSchema::with_parsed(plain.record.clone(), Arc::new(parsed));
        assert_eq!(
            with_tree.estimated_bytes(),
            plain.estimated_bytes() + with_tree.parsed().unwrap().retained_bytes()
        );
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
