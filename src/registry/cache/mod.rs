//! The registry's in-memory caches. A schema id names immutable content, so its record,
//! parsed form and rendered `GET /schemas/ids/{id}` body are cached after the first read and
//! never go stale; the only invalidation is a hard delete of the last version carrying the id
//! (the id then answers 404). Every cache weighs its entries in bytes, within its share of
//! `--cache-bytes` (`RegistryOptions::cache_budget`). Config and mode, and the subject histories remembered for the
//! registration path, are kept the same way with their own rules (each module says which).
//! Nothing is preloaded: startup cost does not grow with the number of schemas. The caches
//! know the domain's records and nothing of the store or the API.

mod config_mode;
mod histories;
mod identities;
mod parsed;
mod schemas;
mod stats;

pub(crate) use config_mode::ConfigModeCache;
pub(crate) use histories::{
    hash_bytes, History, HistoryCache, HistoryReadStart, HistoryVersion, SubjectHistory,
};
pub(crate) use identities::{IdentityCache, IdentityInputs, InputKey, KnownIdentity};
pub(crate) use parsed::ParsedCache;
pub use schemas::CachedSchema;
pub(crate) use schemas::SchemaCache;
pub use stats::CacheStats;

use moka::future::Cache as MokaCache;

/// moka's maps with foldhash instead of the standard library's SipHash (~1% of all CPU under
/// the registration benchmark). Keys include client-chosen subject names; foldhash is seeded
/// at random per process, the same protection hashbrown's own default hasher (foldhash)
/// relies on against keys aimed at one bucket.
pub(super) type Cache<K, V> = MokaCache<K, V, foldhash::fast::RandomState>;
