//! Parse trees of stored schemas, by context and id: what compatibility checks against older
//! versions and `?format=` renderings need. Kept apart from the id cache, which serves reads
//! that never need a tree, and weighed in bytes by `ParsedSchema::retained_bytes`. Like the id cache,
//! an entry goes when the id is hard-deleted.

use super::stats::{CacheCounters, CacheStats};
use super::Cache;
use moka::future::Cache as MokaCache;
use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;
use schemata_compat::ParsedSchema;
use std::sync::Arc;

static COUNTERS: CacheCounters = CacheCounters::new("parsed");

fn weight(parsed: &ParsedSchema) -> u32 {
    u32::try_from(parsed.retained_bytes()).unwrap_or(u32::MAX)
}

#[derive(Clone)]
pub(crate) struct ParsedCache {
    trees: Cache<(String, i64), Arc<ParsedSchema>>,
}

impl ParsedCache {
    /// `budget` in bytes.
    pub(crate) fn new(budget: u64) -> Self {
        ParsedCache {
            trees: MokaCache::builder()
                .max_capacity(budget)
                .eviction_policy(EvictionPolicy::lru())
                .weigher(|_, parsed: &Arc<ParsedSchema>| weight(parsed))
                .eviction_listener(|_, _, cause| {
                    if cause == RemovalCause::Size {
                        COUNTERS.evicted(1);
                    }
                })
                .build_with_hasher(Default::default()),
        }
    }

    pub(crate) async fn get(&self, context: &str, id: i64) -> Option<Arc<ParsedSchema>> {
        let found = self.trees.get(&(context.to_string(), id)).await;
        COUNTERS.lookup(found.is_some());
        found
    }

    pub(crate) async fn insert(&self, context: &str, id: i64, parsed: Arc<ParsedSchema>) {
        self.trees.insert((context.to_string(), id), parsed).await;
    }

    pub(crate) async fn invalidate(&self, context: &str, id: i64) {
        self.trees.invalidate(&(context.to_string(), id)).await;
    }

    pub(crate) fn invalidate_all(&self) {
        self.trees.invalidate_all();
    }

    pub(crate) async fn stats(&self) -> CacheStats {
        self.trees.run_pending_tasks().await;
        CacheStats {
            name: "parsed",
            entries: self.trees.entry_count(),
            bytes: Some(self.trees.weighted_size()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemata_compat::SchemaType;

    fn tree(fields: usize) -> Arc<ParsedSchema> {
        let fields: Vec<String> = (0..fields)
            .map(|n| format!(r#"{{"name":"f{n}","type":"string"}}"#))
            .collect();
        let text = format!(
            r#"{{"type":"record","name":"R","fields":[{}]}}"#,
            fields.join(",")
        );
        Arc::new(ParsedSchema::parse(SchemaType::Avro, &text, &[], Default::default()).unwrap())
    }

    #[tokio::test]
    async fn trees_are_weighed_by_size_within_the_budget() {
        let small = weight(&tree(1)) as u64;
        let large = weight(&tree(100)) as u64;
        assert!(large > 50 * small / 2, "{small} {large}");
        let cache = ParsedCache::new(3 * large);
        for id in 0..10 {
            cache.insert("", id, tree(100)).await;
        }
        let stats = cache.stats().await;
        assert!(stats.entries <= 3, "{stats:?}");
        assert!(stats.bytes.unwrap() <= 3 * large, "{stats:?}");
        assert!(cache.get("", 9).await.is_some());
        cache.invalidate("", 9).await;
        assert!(cache.get("", 9).await.is_none());
    }
}
