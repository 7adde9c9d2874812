//! Subject histories remembered for the registration path.

use super::stats::{CacheCounters, CacheStats};
use super::{Cache, CachedSchema};
use crate::domain::VersionRecord;
use moka::future::Cache as MokaCache;
use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One version in a remembered subject history: what the registration path needs, in 64
/// bytes and no heap allocation. Context and subject are the cache key's, not repeated per
/// version: at ~240 bytes a version (two strings, a hex hash, a shared pointer) the
/// remembered histories of 2,000 subjects with ~100 versions each outgrew the cache and every
/// registration read its whole history back from the database (measured: ~20% of the
/// throughput of registering on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HistoryVersion {
    pub version: i64,
    pub schema_id: i64,
    pub created_at: i64,
    pub deleted: bool,
    /// The schema's identity hash (hex SHA-256 in the database), `None` if it is not one.
    pub hash: Option<[u8; 32]>,
}

impl HistoryVersion {
    /// From a stored version and its schema's hex identity hash.
    pub(crate) fn new(record: &VersionRecord, hash: &str) -> Self {
        HistoryVersion {
            version: record.version,
            schema_id: record.schema_id,
            created_at: record.created_at,
            deleted: record.deleted,
            hash: hash_bytes(hash),
        }
    }

    /// The version as a record of `context`/`subject`.
    pub(crate) fn record(&self, context: &str, subject: &str) -> VersionRecord {
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
pub(crate) fn hash_bytes(hex: &str) -> Option<[u8; 32]> {
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
/// `store::Store::versions_with_hashes`). Derefs to the versions.
pub(crate) type History = Arc<SubjectHistory>;

pub(crate) struct SubjectHistory {
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
    /// per version, one for the entry, and for the remembered latest schema what the id
    /// cache would charge for it (`CachedSchema::estimated_bytes`: the record's strings and
    /// its parse tree).
    pub(crate) fn weight(&self) -> usize {
        let schema_bytes = self.latest_schema.as_ref().map_or(0, |s| {
            usize::try_from(s.estimated_bytes()).unwrap_or(usize::MAX)
        });
        self.versions
            .len()
            .saturating_add(1)
            .saturating_add(schema_bytes.div_ceil(size_of::<HistoryVersion>()))
    }
}

impl std::ops::Deref for SubjectHistory {
    type Target = [HistoryVersion];

    fn deref(&self) -> &[HistoryVersion] {
        &self.versions
    }
}

/// Subject histories for the registration path, so registering the next version of a subject
/// does not read its history again. An entry may lack versions another process added since:
/// a write made against it is verified by the database (the exact history is compared under
/// the subject lock, see `domain::SeenHistory`), and an "incompatible" is confirmed against a
/// fresh read first. A version it shows live is live: every change that ends a version's
/// life (a soft or hard delete, an import replacing it) drops the entry here and, announced
/// over NOTIFY, in every other process; a history read or written across such a drop is not
/// kept ([`HistoryCache::insert_read`]). So "already registered" is answered from memory
/// (docs/performance.md, "Re-registration").
#[derive(Clone)]
pub(crate) struct HistoryCache {
    subjects: Cache<(String, String), History>,
    /// Invalidations so far (any subject): a history read before one and kept after it might
    /// show a version live that was just deleted.
    invalidations: Arc<AtomicU64>,
    /// Each context's history generation as last read, for guessing that a subject is new
    /// (`Registry::registration_history`). A stale one only makes the guessed write be
    /// refused. At most [`GENERATIONS`] contexts; beyond, forgotten all at once.
    generations: Arc<Mutex<HashMap<String, i64>>>,
}

/// Contexts whose generation is remembered.
const GENERATIONS: usize = 1024;

/// Where the history cache's invalidations stood when a read (or a write whose outcome is
/// remembered) began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HistoryReadStart(u64);

static COUNTERS: CacheCounters = CacheCounters::new("histories");

impl HistoryCache {
    /// `budget` in bytes; a history weighs 64 bytes a version, and a remembered latest
    /// schema counts for its size (`SubjectHistory::weight`).
    pub(crate) fn new(budget: u64) -> Self {
        let capacity = budget / size_of::<HistoryVersion>() as u64;
        HistoryCache {
            // LRU: the subjects registered to recently are the ones registered to next.
            subjects: MokaCache::builder()
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .weigher(|_, history: &History| u32::try_from(history.weight()).unwrap_or(u32::MAX))
                .eviction_listener(|_, _, cause| {
                    if cause == RemovalCause::Size {
                        COUNTERS.evicted(1);
                    }
                })
                .build_with_hasher(Default::default()),
            invalidations: Arc::new(AtomicU64::new(0)),
            generations: Arc::default(),
        }
    }

    /// The context's history generation as last read, if this process read one.
    pub(crate) fn generation(&self, context: &str) -> Option<i64> {
        let generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        generations.get(context).copied()
    }

    /// Remember the generation a history read found its context at.
    pub(crate) fn note_generation(&self, context: &str, generation: i64) {
        let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = generations.get_mut(context) {
            *known = generation;
            return;
        }
        if generations.len() >= GENERATIONS {
            generations.clear();
        }
        generations.insert(context.to_string(), generation);
    }

    /// Call before reading a history from the store (or writing one whose result will be
    /// remembered), then keep it with [`insert_read`](Self::insert_read).
    pub(crate) fn read_start(&self) -> HistoryReadStart {
        HistoryReadStart(self.invalidations.load(Ordering::SeqCst))
    }

    /// Remember a history read since `start`, unless an invalidation ran in between (a delete
    /// here or announced by another process may have come after the read): then it is
    /// dropped again, and the next registration reads the subject afresh.
    pub(crate) async fn insert_read(
        &self,
        context: &str,
        subject: &str,
        history: History,
        start: HistoryReadStart,
    ) {
        self.insert(context, subject, history).await;
        if self.invalidations.load(Ordering::SeqCst) != start.0 {
            self.invalidate(context, subject).await;
        }
    }

    /// Entries, and bytes as their weight counts them (64 bytes a unit), after moka's pending
    /// bookkeeping.
    pub(crate) async fn stats(&self) -> CacheStats {
        self.subjects.run_pending_tasks().await;
        CacheStats {
            name: "histories",
            entries: self.subjects.entry_count(),
            bytes: Some(
                self.subjects
                    .weighted_size()
                    .saturating_mul(size_of::<HistoryVersion>() as u64),
            ),
        }
    }

    pub(crate) async fn get(&self, context: &str, subject: &str) -> Option<History> {
        let found = self
            .subjects
            .get(&(context.to_string(), subject.to_string()))
            .await;
        COUNTERS.lookup(found.is_some());
        found
    }

    async fn insert(&self, context: &str, subject: &str, history: History) {
        self.subjects
            .insert((context.to_string(), subject.to_string()), history)
            .await;
    }

    pub(crate) async fn invalidate(&self, context: &str, subject: &str) {
        // Counted before removing, so a concurrent `insert_read` either sees the count or
        // has its entry removed.
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        self.subjects
            .invalidate(&(context.to_string(), subject.to_string()))
            .await;
    }

    pub(crate) fn invalidate_all(&self) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        self.subjects.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SchemaRecord;

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
        let latest = Arc::new(CachedSchema::new(record));
        let units = latest.estimated_bytes().div_ceil(64) as usize;
        // The text, its rendered body and the record around them: more than twice the text.
        assert!(units > 2 * 640 / 64, "{units}");
        history.latest_schema = Some(latest);
        assert_eq!(history.weight(), 4 + units);
    }

    #[test]
    fn a_remembered_version_takes_64_bytes() {
        assert_eq!(size_of::<HistoryVersion>(), 64);
    }
}
