//! In-memory caches. A schema id names immutable content, so its record, parsed form and
//! rendered `GET /schemas/ids/{id}` body are cached after the first read and never go stale;
//! the only invalidation is a hard delete of the last version carrying the id (the id then
//! answers 404). Nothing is preloaded: startup cost does not grow with the number of schemas.

use crate::domain::{Config, EffectiveConfig, Mode, DEFAULT_CONTEXT};
use crate::store::{SchemaRecord, VersionRecord};
use bytes::Bytes;
use moka::future::Cache as MokaCache;
use moka::policy::EvictionPolicy;
use schemata_compat::ParsedSchema;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// moka's maps with foldhash instead of the standard library's SipHash (~1% of all CPU under
/// the registration benchmark). Keys include client-chosen subject names; foldhash is seeded
/// at random per process, the same protection hashbrown's own default hasher (foldhash)
/// relies on against keys aimed at one bucket.
pub type Cache<K, V> = MokaCache<K, V, foldhash::fast::RandomState>;

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
pub type SchemaKey = (String, i64);

/// The default context has its own map keyed by the bare id, so the hot path builds no key
/// string per request.
#[derive(Clone)]
pub struct SchemaCache {
    default_context: Cache<i64, Arc<CachedSchema>>,
    other_contexts: Cache<SchemaKey, Arc<CachedSchema>>,
}

impl SchemaCache {
    pub fn new(capacity: u64) -> Self {
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

    pub async fn get(&self, context: &str, id: i64) -> Option<Arc<CachedSchema>> {
        if context == DEFAULT_CONTEXT {
            self.default_context.get(&id).await
        } else {
            self.other_contexts.get(&(context.to_string(), id)).await
        }
    }

    pub async fn insert(&self, schema: Arc<CachedSchema>) {
        let id = schema.record.id;
        if schema.record.context == DEFAULT_CONTEXT {
            self.default_context.insert(id, schema).await;
        } else {
            let key = (schema.record.context.clone(), id);
            self.other_contexts.insert(key, schema).await;
        }
    }

    pub fn invalidate_all(&self) {
        self.default_context.invalidate_all();
        self.other_contexts.invalidate_all();
    }

    pub async fn invalidate(&self, context: &str, id: i64) {
        if context == DEFAULT_CONTEXT {
            self.default_context.invalidate(&id).await;
        } else {
            self.other_contexts
                .invalidate(&(context.to_string(), id))
                .await;
        }
    }
}

/// Config and mode per scope (`""` global, `:.ctx:`, or a subject), including "not set", and
/// what they resolve to for each subject (the registration path reads both every time).
/// Every change clears the whole cache, here and (over NOTIFY) in other processes: changes
/// are rare, reads happen on every registration.
#[derive(Clone)]
pub struct SettingsCache {
    configs: Arc<SettledMap<Option<Config>>>,
    modes: Arc<SettledMap<Option<Mode>>>,
    /// Keyed by qualified subject.
    effective_configs: Arc<SettledMap<Arc<EffectiveConfig>>>,
    effective_modes: Arc<SettledMap<Mode>>,
    /// Bumped by every clear, so a value loaded from settings read before a clear is not
    /// kept after it.
    generation: Arc<AtomicU64>,
}

impl SettingsCache {
    pub fn new(capacity: u64) -> Self {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        SettingsCache {
            configs: Arc::new(SettledMap::new(capacity)),
            modes: Arc::new(SettledMap::new(capacity)),
            effective_configs: Arc::new(SettledMap::new(capacity)),
            effective_modes: Arc::new(SettledMap::new(capacity)),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    pub async fn config<E>(
        &self,
        scope: &str,
        load: impl Future<Output = Result<Option<Config>, E>>,
    ) -> Result<Option<Config>, E> {
        self.get_or_load(&self.configs, scope, load).await
    }

    pub async fn mode<E>(
        &self,
        scope: &str,
        load: impl Future<Output = Result<Option<Mode>, E>>,
    ) -> Result<Option<Mode>, E> {
        self.get_or_load(&self.modes, scope, load).await
    }

    pub async fn effective_config<E>(
        &self,
        subject: &str,
        resolve: impl Future<Output = Result<Arc<EffectiveConfig>, E>>,
    ) -> Result<Arc<EffectiveConfig>, E> {
        self.get_or_load(&self.effective_configs, subject, resolve)
            .await
    }

    pub async fn effective_mode<E>(
        &self,
        subject: &str,
        resolve: impl Future<Output = Result<Mode, E>>,
    ) -> Result<Mode, E> {
        self.get_or_load(&self.effective_modes, subject, resolve)
            .await
    }

    async fn get_or_load<V: Clone, E>(
        &self,
        cache: &SettledMap<V>,
        key: &str,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        if let Some(hit) = cache.get(key) {
            return Ok(hit);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let loaded = load.await?;
        cache.insert(key, loaded.clone());
        // A clear that ran while this was loading may have come before the insert.
        if self.generation.load(Ordering::Acquire) != generation {
            cache.remove(key);
        }
        Ok(loaded)
    }

    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.configs.clear();
        self.modes.clear();
        self.effective_configs.clear();
        self.effective_modes.clear();
    }
}

/// A map under a read-write lock that forgets half its entries when it reaches its capacity.
/// Settings are read on every registration and change rarely, and their values are cheap
/// to load again; a plain map read costs a fraction of a concurrent cache's (moka's
/// bookkeeping of every read was ~7% of the server's CPU under the registration benchmark).
struct SettledMap<V> {
    entries: std::sync::RwLock<HashMap<String, V, foldhash::fast::RandomState>>,
    capacity: usize,
}

impl<V: Clone> SettledMap<V> {
    fn new(capacity: usize) -> Self {
        SettledMap {
            entries: Default::default(),
            capacity,
        }
    }

    fn get(&self, key: &str) -> Option<V> {
        // No code panics while holding the lock, so a poisoned lock still holds a valid map.
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(key).cloned()
    }

    fn insert(&self, key: &str, value: V) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            // Forget every other entry (in the map's arbitrary order): amortised O(1) per
            // insert, and the other half keeps serving, where a clear would send every
            // subject back to the database at once.
            let mut keep = false;
            entries.retain(|_, _| {
                keep = !keep;
                keep
            });
        }
        entries.insert(key.to_string(), value);
    }

    fn remove(&self, key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.remove(key);
    }

    fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// One version in a remembered subject history: what the registration path needs, in 64
/// bytes and no heap allocation. Context and subject are the cache key's, not repeated per
/// version: at ~240 bytes a version (two strings, a hex hash, a shared pointer) the
/// remembered histories of 2,000 subjects with ~100 versions each outgrew the cache and every
/// registration read its whole history back from the database (measured: ~20% of the
/// throughput of registering on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryVersion {
    pub version: i64,
    pub schema_id: i64,
    pub created_at: i64,
    pub deleted: bool,
    /// The schema's identity hash (hex SHA-256 in the database), `None` if it is not one.
    pub hash: Option<[u8; 32]>,
}

impl HistoryVersion {
    /// From a stored version and its schema's hex identity hash.
    pub fn new(record: &VersionRecord, hash: &str) -> Self {
        HistoryVersion {
            version: record.version,
            schema_id: record.schema_id,
            created_at: record.created_at,
            deleted: record.deleted,
            hash: hash_bytes(hash),
        }
    }

    /// The version as a record of `context`/`subject`.
    pub fn record(&self, context: &str, subject: &str) -> VersionRecord {
        VersionRecord {
            context: context.to_string(),
            subject: subject.to_string(),
            version: self.version,
            schema_id: self.schema_id,
            deleted: self.deleted,
            created_at: self.created_at,
        }
    }
}

/// The 32 bytes of a 64-digit hex hash (either case); `None` for anything else.
pub fn hash_bytes(hex: &str) -> Option<[u8; 32]> {
    let digits = hex.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let nibble = |d: u8| (d as char).to_digit(16).map(|n| n as u8);
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// A subject's versions (all, soft-deleted included, ascending), as last read or written by
/// this process, with the generation of its context's histories when they were read (see
/// `store::queries::versions_with_hashes`). Derefs to the versions.
pub type History = Arc<SubjectHistory>;

pub struct SubjectHistory {
    pub generation: i64,
    pub versions: Vec<HistoryVersion>,
    /// The schema of the newest version, parsed, when this process registered that version:
    /// the next registration checks against it and inherits its metadata. Kept here rather
    /// than in the id cache so that it is dropped when the next version replaces it: with
    /// every registered schema (and its parse tree) in the id cache, memory grew by ~3.3 KB a
    /// registration and first-touch page faults were ~9% of the server's CPU when
    /// registering. The id cache fills on first read, like for any other schema.
    pub latest_schema: Option<Arc<CachedSchema>>,
}

impl SubjectHistory {
    /// Its share of the history cache, in units of one remembered version (64 bytes): one
    /// per version, one for the entry, and for the remembered latest schema ten times its
    /// text (the record's strings and the parse tree: the server grew by ~3.3 KB for each
    /// ~330-byte schema of the registration benchmark while the id cache kept them all).
    pub fn weight(&self) -> usize {
        let schema_bytes = self
            .latest_schema
            .as_ref()
            .map_or(0, |s| s.record.schema.len().saturating_mul(10));
        self.versions
            .len()
            .saturating_add(1)
            .saturating_add(schema_bytes.div_ceil(std::mem::size_of::<HistoryVersion>()))
    }
}

impl std::ops::Deref for SubjectHistory {
    type Target = [HistoryVersion];

    fn deref(&self) -> &[HistoryVersion] {
        &self.versions
    }
}

/// Subject histories for the registration path, so registering the next version of a subject
/// does not read its history again. An entry may be stale (another process changed the
/// subject), and nothing relies on it being current: a write made against it is verified by
/// the database (the exact history is compared under the subject lock, see
/// `store::SeenHistory`), and answers that would be wrong on a stale history ("already
/// registered", "incompatible") are confirmed against a fresh read first.
#[derive(Clone)]
pub struct HistoryCache {
    subjects: Cache<(String, String), History>,
}

impl HistoryCache {
    /// `capacity` counts versions (64 bytes each), so long histories take their share, and
    /// a remembered latest schema counts for its size (`SubjectHistory::weight`).
    pub fn new(capacity: u64) -> Self {
        HistoryCache {
            // LRU: the subjects registered to recently are the ones registered to next.
            subjects: MokaCache::builder()
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .weigher(|_, history: &History| u32::try_from(history.weight()).unwrap_or(u32::MAX))
                .build_with_hasher(Default::default()),
        }
    }

    pub async fn get(&self, context: &str, subject: &str) -> Option<History> {
        self.subjects
            .get(&(context.to_string(), subject.to_string()))
            .await
    }

    pub async fn insert(&self, context: &str, subject: &str, history: History) {
        self.subjects
            .insert((context.to_string(), subject.to_string()), history)
            .await;
    }

    pub async fn invalidate(&self, context: &str, subject: &str) {
        self.subjects
            .invalidate(&(context.to_string(), subject.to_string()))
            .await;
    }

    pub fn invalidate_all(&self) {
        self.subjects.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn identity_hashes_are_kept_as_their_32_bytes() {
        let hex = "00ff10Ab".repeat(8);
        let bytes = hash_bytes(&hex).expect("64 hex digits");
        assert_eq!(&bytes[..4], &[0x00, 0xff, 0x10, 0xab]);
        assert_eq!(bytes, hash_bytes(&hex.to_lowercase()).unwrap());
        // Anything that is not a 64-digit hex hash matches nothing.
        assert_eq!(hash_bytes(&hex[..62]), None);
        assert_eq!(hash_bytes(&format!("{}zz", &hex[..62])), None);
        assert_eq!(hash_bytes(""), None);
    }

    #[test]
    fn a_full_settings_map_forgets_half_instead_of_growing() {
        let map = SettledMap::new(4);
        for key in ["a", "b", "c", "d"] {
            map.insert(key, 1);
        }
        map.insert("a", 2);
        assert_eq!(
            (map.len(), map.get("a")),
            (4, Some(2)),
            "a known key replaces"
        );
        map.insert("e", 5);
        assert_eq!(map.len(), 3, "two of four forgotten, then the new one");
        assert_eq!(map.get("e"), Some(5));
        let kept = ["a", "b", "c", "d"]
            .iter()
            .filter(|k| map.get(k).is_some())
            .count();
        assert_eq!(kept, 2);
    }

    #[test]
    fn a_remembered_latest_schema_weighs_by_its_size() {
        let version = HistoryVersion {
            version: 1,
            schema_id: 1,
            created_at: 0,
            deleted: false,
            hash: None,
        };
        let record = SchemaRecord {
            context: ".".into(),
            id: 1,
            hash: String::new(),
            schema_type: schemata_compat::SchemaType::Avro,
            schema: "x".repeat(640),
            references: Vec::new(),
            metadata: None,
            rule_set: None,
            guid: String::new(),
            created_at: 0,
        };
        let mut history = SubjectHistory {
            generation: 0,
            versions: vec![version; 3],
            latest_schema: None,
        };
        assert_eq!(history.weight(), 4);
        history.latest_schema = Some(Arc::new(CachedSchema::new(record)));
        assert_eq!(history.weight(), 4 + 100);
    }

    #[test]
    fn a_remembered_version_takes_64_bytes() {
        assert_eq!(std::mem::size_of::<HistoryVersion>(), 64);
    }

    /// A value loaded while a change cleared the cache was read before the change: it must
    /// not be served afterwards.
    #[tokio::test]
    async fn a_value_loaded_across_a_clear_is_not_kept() {
        let cache = SettingsCache::new(100);
        let loads = AtomicUsize::new(0);
        let load = |clear_meanwhile: bool| {
            let (cache, loads) = (&cache, &loads);
            async move {
                loads.fetch_add(1, Ordering::SeqCst);
                if clear_meanwhile {
                    cache.clear();
                }
                Ok::<_, ()>(Mode::ReadOnly)
            }
        };
        assert_eq!(
            cache.effective_mode("s", load(true)).await,
            Ok(Mode::ReadOnly)
        );
        assert_eq!(
            cache.effective_mode("s", load(false)).await,
            Ok(Mode::ReadOnly)
        );
        assert_eq!(loads.load(Ordering::SeqCst), 2, "the first value was kept");
        // Loaded without a clear in between: kept.
        cache.effective_mode("s", load(false)).await.unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }
}
