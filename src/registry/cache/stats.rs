//! What the caches report on `/metrics`: hits, misses and evictions counted as they happen
//! (handles registered on first use, so the hot path only adds to an atomic), entries and
//! estimated bytes read when scraped (`Registry::cache_stats`).

use std::sync::OnceLock;

/// The counters of one cache, labelled `cache="<name>"`.
pub(crate) struct CacheCounters {
    name: &'static str,
    hits: OnceLock<metrics::Counter>,
    misses: OnceLock<metrics::Counter>,
    evictions: OnceLock<metrics::Counter>,
}

impl CacheCounters {
    pub(crate) const fn new(name: &'static str) -> Self {
        CacheCounters {
            name,
            hits: OnceLock::new(),
            misses: OnceLock::new(),
            evictions: OnceLock::new(),
        }
    }

    /// Count a lookup: found or not.
    pub(crate) fn lookup(&self, found: bool) {
        let (slot, family) = if found {
            (&self.hits, "schemata_cache_hits_total")
        } else {
            (&self.misses, "schemata_cache_misses_total")
        };
        slot.get_or_init(|| metrics::counter!(family, "cache" => self.name))
            .increment(1);
    }

    /// Count entries dropped to stay within the cache's bound.
    pub(crate) fn evicted(&self, entries: u64) {
        self.evictions
            .get_or_init(
                || metrics::counter!("schemata_cache_evictions_total", "cache" => self.name),
            )
            .increment(entries);
    }
}

/// One cache as a scrape sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub name: &'static str,
    pub entries: u64,
    /// What its entries hold, estimated from their sizes (`None`: not estimated).
    pub bytes: Option<u64>,
}
