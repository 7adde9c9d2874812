//! Config and mode per scope, and what they resolve to per subject.

use super::stats::{CacheCounters, CacheStats};
use crate::domain::{AllSettings, Config, EffectiveConfig, Mode};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Config and mode per scope (`""` global, `:.ctx:`, or a subject), including "not set", and
/// what they resolve to for each subject (the registration path reads both every time).
/// Every change clears the whole cache, here and (over NOTIFY) in other processes: changes
/// are rare, reads happen on every registration.
#[derive(Clone)]
pub(crate) struct ConfigModeCache {
    configs: Arc<SettledMap<Option<Config>>>,
    modes: Arc<SettledMap<Option<Mode>>>,
    /// Keyed by qualified subject.
    effective_configs: Arc<SettledMap<Arc<EffectiveConfig>>>,
    effective_modes: Arc<SettledMap<Mode>>,
    /// Bumped by every clear, so a value loaded from settings read before a clear is not
    /// kept after it.
    generation: Arc<AtomicU64>,
    /// Every scope's settings, when there are few enough to hold: then a scope missing from
    /// it has none, and a new subject's config and mode cost no query.
    snapshot: Arc<std::sync::RwLock<Snapshot>>,
    /// One load of the snapshot at a time (after a change, every request would load it).
    loading: Arc<tokio::sync::Mutex<()>>,
    /// The most scopes a snapshot holds (per table).
    snapshot_limit: i64,
}

/// What is known of all settings at once.
#[derive(Clone)]
pub(crate) enum Snapshot {
    /// Not read since the last change.
    Unknown,
    /// More scopes than the limit: each scope is read on its own.
    TooMany,
    Loaded(Arc<AllSettings>),
}

static COUNTERS: CacheCounters = CacheCounters::new("config_mode");

impl ConfigModeCache {
    /// Entries of all four maps (each is small; bytes are not estimated).
    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            name: "config_mode",
            entries: (self.configs.len()
                + self.modes.len()
                + self.effective_configs.len()
                + self.effective_modes.len()) as u64,
            bytes: None,
        }
    }

    pub(crate) fn new(capacity: u64) -> Self {
        let snapshot_limit = i64::try_from(capacity).unwrap_or(i64::MAX);
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        ConfigModeCache {
            snapshot: Arc::new(std::sync::RwLock::new(Snapshot::Unknown)),
            loading: Arc::new(tokio::sync::Mutex::new(())),
            snapshot_limit,
            configs: Arc::new(SettledMap::new(capacity)),
            modes: Arc::new(SettledMap::new(capacity)),
            effective_configs: Arc::new(SettledMap::new(capacity)),
            effective_modes: Arc::new(SettledMap::new(capacity)),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(crate) async fn config<E>(
        &self,
        scope: &str,
        load: impl Future<Output = Result<Option<Config>, E>>,
    ) -> Result<Option<Config>, E> {
        self.get_or_load(&self.configs, scope, load).await
    }

    pub(crate) async fn mode<E>(
        &self,
        scope: &str,
        load: impl Future<Output = Result<Option<Mode>, E>>,
    ) -> Result<Option<Mode>, E> {
        self.get_or_load(&self.modes, scope, load).await
    }

    /// Every scope's settings, read with `load` (given the limit) when not known since the
    /// last change; `None` when there are too many to hold.
    pub(crate) async fn all_settings<E, F>(
        &self,
        load: impl FnOnce(i64) -> F,
    ) -> Result<Option<Arc<AllSettings>>, E>
    where
        F: Future<Output = Result<Option<AllSettings>, E>>,
    {
        let known = |cache: &Self| match &*cache.snapshot.read().unwrap_or_else(|e| e.into_inner())
        {
            Snapshot::Unknown => None,
            Snapshot::TooMany => Some(None),
            Snapshot::Loaded(all) => Some(Some(all.clone())),
        };
        if let Some(known) = known(self) {
            return Ok(known);
        }
        let _one_at_a_time = self.loading.lock().await;
        if let Some(known) = known(self) {
            return Ok(known);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let loaded = load(self.snapshot_limit).await?.map(Arc::new);
        let mut snapshot = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        // A clear that ran while this was loading: what was read may be older than it.
        if self.generation.load(Ordering::Acquire) == generation {
            *snapshot = match &loaded {
                Some(all) => Snapshot::Loaded(all.clone()),
                None => Snapshot::TooMany,
            };
        }
        Ok(loaded)
    }

    pub(crate) async fn effective_config<E>(
        &self,
        subject: &str,
        resolve: impl Future<Output = Result<Arc<EffectiveConfig>, E>>,
    ) -> Result<Arc<EffectiveConfig>, E> {
        self.get_or_load(&self.effective_configs, subject, resolve)
            .await
    }

    pub(crate) async fn effective_mode<E>(
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
        let hit = cache.get(key);
        COUNTERS.lookup(hit.is_some());
        if let Some(hit) = hit {
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

    pub(crate) fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Snapshot::Unknown;
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
            let before = entries.len();
            entries.retain(|_, _| {
                keep = !keep;
                keep
            });
            COUNTERS.evicted((before - entries.len()) as u64);
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

    fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

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

    /// A value loaded while a change cleared the cache was read before the change: it must
    /// not be served afterwards.
    #[tokio::test]
    async fn a_value_loaded_across_a_clear_is_not_kept() {
        let cache = ConfigModeCache::new(100);
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

    /// The snapshot of all settings is read once, kept until a change, not kept when a
    /// change ran while it was read, and given up (`None`) beyond its limit.
    #[tokio::test]
    async fn all_settings_are_read_once_per_change() {
        let cache = ConfigModeCache::new(2);
        let loads = AtomicUsize::new(0);
        let one_mode = || {
            let mut all = AllSettings::default();
            all.modes.insert("s".into(), Mode::ReadOnly);
            all
        };
        let load = |clear_meanwhile: bool, rows: usize| {
            let (cache, loads) = (&cache, &loads);
            move |limit: i64| async move {
                loads.fetch_add(1, Ordering::SeqCst);
                if clear_meanwhile {
                    cache.clear();
                }
                Ok::<_, ()>((rows as i64 <= limit).then(one_mode))
            }
        };
        let first = cache.all_settings(load(true, 1)).await.unwrap();
        assert_eq!(first.unwrap().modes.get("s"), Some(&Mode::ReadOnly));
        // Read across a clear: not kept, read again.
        cache.all_settings(load(false, 1)).await.unwrap();
        cache.all_settings(load(false, 1)).await.unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        cache.clear();
        // Too many: remembered as such until the next change.
        assert!(cache.all_settings(load(false, 3)).await.unwrap().is_none());
        assert!(cache.all_settings(load(false, 1)).await.unwrap().is_none());
        assert_eq!(loads.load(Ordering::SeqCst), 3);
    }
}
