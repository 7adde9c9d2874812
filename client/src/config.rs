//! Serializer options, named as Confluent names them, and subject name strategies.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock, RwLock};

/// Whether the bytes are a record key or value (Confluent's `MessageField`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageField {
    Key,
    Value,
}

/// What a (de)serializer is told about a message: topic and key/value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerializationContext<'a> {
    pub topic: &'a str,
    pub field: MessageField,
}

impl<'a> SerializationContext<'a> {
    pub fn value(topic: &'a str) -> Self {
        SerializationContext {
            topic,
            field: MessageField::Value,
        }
    }

    pub fn key(topic: &'a str) -> Self {
        SerializationContext {
            topic,
            field: MessageField::Key,
        }
    }
}

/// `subject.name.strategy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `{topic}-key` / `{topic}-value` (the default).
    #[default]
    TopicName,
    /// The record's fully-qualified name.
    RecordName,
    /// `{topic}-{record full name}`.
    TopicRecordName,
}

impl std::str::FromStr for SubjectNameStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace(['_', '-'], "").as_str() {
            "topicname" | "topicnamestrategy" => Ok(Self::TopicName),
            "recordname" | "recordnamestrategy" => Ok(Self::RecordName),
            "topicrecordname" | "topicrecordnamestrategy" => Ok(Self::TopicRecordName),
            _ => Err(format!(
                "unknown subject name strategy {s:?} (TopicName, RecordName, TopicRecordName)"
            )),
        }
    }
}

impl SubjectNameStrategy {
    /// The subject for a message; `record` is the schema's record name (Avro full name,
    /// Protobuf message full name, JSON Schema `title`).
    pub fn subject(self, ctx: &SerializationContext<'_>, record: Option<&str>) -> Result<String> {
        let record = || {
            record.ok_or_else(|| {
                Error::Config(format!(
                    "{self:?} strategy needs a record name and the schema has none"
                ))
            })
        };
        Ok(match self {
            SubjectNameStrategy::TopicName => match ctx.field {
                MessageField::Key => format!("{}-key", ctx.topic),
                MessageField::Value => format!("{}-value", ctx.topic),
            },
            SubjectNameStrategy::RecordName => record()?.to_owned(),
            SubjectNameStrategy::TopicRecordName => format!("{}-{}", ctx.topic, record()?),
        })
    }
}

/// Serializer configuration (Confluent's property names in the docs of each field).
#[derive(Debug, Clone)]
pub struct SerializerConfig {
    /// `auto.register.schemas` (default true): register the schema on first use; otherwise
    /// look it up and fail with [`Error::NotRegistered`] when absent.
    pub auto_register_schemas: bool,
    /// `use.latest.version` (default false): write with the subject's latest schema instead
    /// of the serializer's own (which is then neither registered nor looked up).
    pub use_latest_version: bool,
    /// `normalize.schemas` (default false): register and look up with `normalize=true`.
    pub normalize_schemas: bool,
    /// `subject.name.strategy`.
    pub subject_name_strategy: SubjectNameStrategy,
    /// JSON Schema only: validate each value against the schema before writing
    /// (default true, as Confluent's Python `JSONSerializer`).
    pub validate: bool,
}

impl Default for SerializerConfig {
    fn default() -> Self {
        SerializerConfig {
            auto_register_schemas: true,
            use_latest_version: false,
            normalize_schemas: false,
            subject_name_strategy: SubjectNameStrategy::TopicName,
            validate: true,
        }
    }
}

/// Deserializer configuration.
#[derive(Debug, Clone)]
pub struct DeserializerConfig {
    /// JSON Schema only: validate each value against the writer schema (default true).
    pub validate: bool,
    /// Entries of the per-deserializer parsed-schema cache.
    pub cache_capacity: usize,
}

impl Default for DeserializerConfig {
    fn default() -> Self {
        DeserializerConfig {
            validate: true,
            cache_capacity: 1000,
        }
    }
}

/// FNV-1a: the hot caches hash short topic names and ids chosen by the registry, not by an
/// attacker, so SipHash's DoS resistance buys nothing and costs a third of a lookup.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// A small read-mostly map kept by each (de)serializer in front of the client's caches.
/// The first entry (most serializers see one topic, most deserializers one id at a time) is
/// also kept in a write-once slot read without any lock; the others cost one uncontended
/// read lock and one hash lookup. Bounded: when full, the map is emptied (entries are
/// re-fetched from the client's moka caches, not the network).
pub(crate) struct HotCache<K, V> {
    first: OnceLock<(K, Arc<V>)>,
    map: RwLock<FastMap<K, Arc<V>>>,
    capacity: usize,
}

impl<K: std::hash::Hash + Eq, V> HotCache<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        HotCache {
            first: OnceLock::new(),
            map: RwLock::new(FastMap::default()),
            capacity: capacity.max(1),
        }
    }

    #[inline]
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.with(key, Arc::clone)
    }

    /// Run `f` on the entry under the read lock (no reference count traffic).
    #[inline]
    pub(crate) fn with<Q, R>(&self, key: &Q, f: impl FnOnce(&Arc<V>) -> R) -> Option<R>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if let Some((k, v)) = self.first.get() {
            if k.borrow() == key {
                return Some(f(v));
            }
        }
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .map(f)
    }

    pub(crate) fn insert(&self, key: K, value: Arc<V>) {
        // The first insert takes the slot; later ones (or a lost race) go to the map.
        let (key, value) = match self.first.set((key, value)) {
            Ok(()) => return,
            Err(entry) => entry,
        };
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key, value);
    }
}

/// Per-subject state of a serializer: keyed by field, then topic, so the hot path borrows
/// the topic as `&str` without building the subject string.
pub(crate) struct TopicCache<V> {
    key: HotCache<String, V>,
    value: HotCache<String, V>,
}

impl<V> TopicCache<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        TopicCache {
            key: HotCache::new(capacity),
            value: HotCache::new(capacity),
        }
    }

    #[inline]
    pub(crate) fn get(&self, ctx: &SerializationContext<'_>) -> Option<Arc<V>> {
        self.with(ctx, Arc::clone)
    }

    #[inline]
    pub(crate) fn with<R>(
        &self,
        ctx: &SerializationContext<'_>,
        f: impl FnOnce(&Arc<V>) -> R,
    ) -> Option<R> {
        match ctx.field {
            MessageField::Key => self.key.with(ctx.topic, f),
            MessageField::Value => self.value.with(ctx.topic, f),
        }
    }

    pub(crate) fn insert(&self, ctx: &SerializationContext<'_>, value: Arc<V>) {
        match ctx.field {
            MessageField::Key => self.key.insert(ctx.topic.to_owned(), value),
            MessageField::Value => self.value.insert(ctx.topic.to_owned(), value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_cache_first_slot_map_and_bound() {
        let cache: HotCache<String, u32> = HotCache::new(2);
        assert!(cache.get("a").is_none());
        cache.insert("a".into(), Arc::new(1));
        cache.insert("b".into(), Arc::new(2));
        cache.insert("c".into(), Arc::new(3));
        assert_eq!(cache.get("a").as_deref(), Some(&1));
        assert_eq!(cache.get("c").as_deref(), Some(&3));
        // The map is bounded: inserting past capacity empties it (the first slot stays).
        cache.insert("d".into(), Arc::new(4));
        cache.insert("e".into(), Arc::new(5));
        assert!(cache.get("b").is_none());
        assert_eq!(cache.get("a").as_deref(), Some(&1));
        assert_eq!(cache.get("e").as_deref(), Some(&5));
    }

    #[test]
    fn subject_names() {
        let v = SerializationContext::value("t");
        let k = SerializationContext::key("t");
        let s = SubjectNameStrategy::TopicName;
        assert_eq!(s.subject(&v, None).unwrap(), "t-value");
        assert_eq!(s.subject(&k, None).unwrap(), "t-key");
        let r = SubjectNameStrategy::RecordName;
        assert_eq!(r.subject(&v, Some("a.B")).unwrap(), "a.B");
        assert!(matches!(r.subject(&v, None), Err(Error::Config(_))));
        let tr: SubjectNameStrategy = "TopicRecordNameStrategy".parse().unwrap();
        assert_eq!(tr.subject(&k, Some("a.B")).unwrap(), "t-a.B");
    }
}
