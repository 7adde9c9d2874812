//! Schemas by id: the record, its parsed form and its rendered `GET /schemas/ids/{id}` body.

use super::Cache;
use crate::domain::{SchemaRecord, DEFAULT_CONTEXT};
use bytes::Bytes;
use moka::future::Cache as MokaCache;
use moka::policy::EvictionPolicy;
use schemata_compat::ParsedSchema;
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
}

/// Key: (context, schema id).
pub(super) type SchemaKey = (String, i64);

/// The default context has its own map keyed by the bare id, so the hot path builds no key
/// string per request.
#[derive(Clone)]
pub(crate) struct SchemaCache {
    default_context: Cache<i64, Arc<CachedSchema>>,
    other_contexts: Cache<SchemaKey, Arc<CachedSchema>>,
}

impl SchemaCache {
    pub(crate) fn new(capacity: u64) -> Self {
        // LRU, not moka's default TinyLFU: a schema is typically read right after it is
        // registered (consumers fetch the new id once, then keep reading it), which
        // frequency-based admission would refuse once the cache is full.
        SchemaCache {
            default_context: MokaCache::builder()
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .build_with_hasher(Default::default()),
            other_contexts: MokaCache::builder()
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .build_with_hasher(Default::default()),
        }
    }

    pub(crate) async fn get(&self, context: &str, id: i64) -> Option<Arc<CachedSchema>> {
        if context == DEFAULT_CONTEXT {
            self.default_context.get(&id).await
        } else {
            self.other_contexts.get(&(context.to_string(), id)).await
        }
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
        self.default_context.invalidate_all();
        self.other_contexts.invalidate_all();
    }

    pub(crate) async fn invalidate(&self, context: &str, id: i64) {
        if context == DEFAULT_CONTEXT {
            self.default_context.invalidate(&id).await;
        } else {
            self.other_contexts
                .invalidate(&(context.to_string(), id))
                .await;
        }
    }
}
