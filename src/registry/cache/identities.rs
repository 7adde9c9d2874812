//! The identity of schema texts already parsed: a request that sends a text this process has
//! parsed before, with the same type, contract and parse options, gets its identity hash
//! without parsing again. This is what makes re-registration (every producer with
//! `auto.register.schemas` at start) and `POST /subjects/{s}` cheap: with the subject's
//! history in memory, they answer without parsing and without the database
//! (docs/performance.md, "Re-registration").
//!
//! A text's identity never changes (it is a function of the text and the options), so an
//! entry never goes stale; requests with references are not remembered, since their identity
//! also depends on the referenced schemas.

use super::stats::{CacheCounters, CacheStats};
use super::Cache;
use moka::future::Cache as MokaCache;
use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;
use schemata_compat::SchemaType;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What a request's schema parses to, as far as finding it among registered versions goes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct KnownIdentity {
    /// The identity hash's 32 bytes (as `HistoryVersion::hash`).
    pub(crate) hash: [u8; 32],
    pub(crate) guid: String,
}

/// The inputs of a candidate's identity, without references (see the module comment).
pub(crate) struct IdentityInputs<'a> {
    pub(crate) schema_type: SchemaType,
    pub(crate) schema: &'a str,
    pub(crate) metadata: Option<&'a serde_json::Value>,
    pub(crate) rule_set: Option<&'a serde_json::Value>,
    pub(crate) validate: bool,
    pub(crate) normalize: bool,
}

/// SHA-256 of every input, each length-prefixed: a key no client can make collide with
/// another's text (a collision would answer with another schema's id).
pub(crate) type InputKey = [u8; 32];

impl IdentityInputs<'_> {
    pub(crate) fn key(&self) -> InputKey {
        let mut digest = Sha256::new();
        let mut part = |bytes: &[u8]| {
            digest.update((bytes.len() as u64).to_le_bytes());
            digest.update(bytes);
        };
        part(self.schema_type.as_str().as_bytes());
        part(self.schema.as_bytes());
        let json = |value: Option<&serde_json::Value>| value.map(|v| v.to_string());
        part(
            json(self.metadata)
                .as_deref()
                .unwrap_or("\0none")
                .as_bytes(),
        );
        part(
            json(self.rule_set)
                .as_deref()
                .unwrap_or("\0none")
                .as_bytes(),
        );
        part(&[u8::from(self.validate), u8::from(self.normalize)]);
        digest.finalize().into()
    }
}

static COUNTERS: CacheCounters = CacheCounters::new("identities");

/// Bytes an entry holds: the key, the hash, the guid and moka's own bookkeeping (about 100
/// bytes an entry, as `weigh_entries` in this module's tests shows for the whole cache).
fn entry_bytes(identity: &KnownIdentity) -> u32 {
    (size_of::<InputKey>() + size_of::<KnownIdentity>() + identity.guid.len() + 100) as u32
}

#[derive(Clone)]
pub(crate) struct IdentityCache {
    identities: Cache<InputKey, Arc<KnownIdentity>>,
}

impl IdentityCache {
    /// `budget` in bytes.
    pub(crate) fn new(budget: u64) -> Self {
        IdentityCache {
            identities: MokaCache::builder()
                .max_capacity(budget)
                .eviction_policy(EvictionPolicy::lru())
                .weigher(|_, identity: &Arc<KnownIdentity>| entry_bytes(identity))
                .eviction_listener(|_, _, cause| {
                    if cause == RemovalCause::Size {
                        COUNTERS.evicted(1);
                    }
                })
                .build_with_hasher(Default::default()),
        }
    }

    pub(crate) async fn get(&self, key: &InputKey) -> Option<Arc<KnownIdentity>> {
        let found = self.identities.get(key).await;
        COUNTERS.lookup(found.is_some());
        found
    }

    pub(crate) async fn insert(&self, key: InputKey, identity: KnownIdentity) {
        self.identities.insert(key, Arc::new(identity)).await;
    }

    pub(crate) async fn stats(&self) -> CacheStats {
        self.identities.run_pending_tasks().await;
        CacheStats {
            name: "identities",
            entries: self.identities.entry_count(),
            bytes: Some(self.identities.weighted_size()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(schema: &str) -> IdentityInputs<'_> {
        IdentityInputs {
            schema_type: SchemaType::Avro,
            schema,
            metadata: None,
            rule_set: None,
            validate: true,
            normalize: false,
        }
    }

    #[test]
    fn every_input_changes_the_key() {
        let base = inputs("\"string\"").key();
        let metadata = serde_json::json!({"properties": {"owner": "a"}});
        let variants = [
            inputs("\"long\"").key(),
            IdentityInputs {
                schema_type: SchemaType::Json,
                ..inputs("\"string\"")
            }
            .key(),
            IdentityInputs {
                metadata: Some(&metadata),
                ..inputs("\"string\"")
            }
            .key(),
            IdentityInputs {
                rule_set: Some(&metadata),
                ..inputs("\"string\"")
            }
            .key(),
            IdentityInputs {
                validate: false,
                ..inputs("\"string\"")
            }
            .key(),
            IdentityInputs {
                normalize: true,
                ..inputs("\"string\"")
            }
            .key(),
        ];
        for (n, variant) in variants.iter().enumerate() {
            assert_ne!(&base, variant, "variant {n}");
        }
        assert_eq!(base, inputs("\"string\"").key());
    }

    #[tokio::test]
    async fn entries_stay_within_the_byte_budget() {
        let one = entry_bytes(&KnownIdentity {
            hash: [0; 32],
            guid: "0".repeat(36),
        }) as u64;
        let cache = IdentityCache::new(one * 10);
        for n in 0..100u32 {
            let key = inputs(&n.to_string()).key();
            let identity = KnownIdentity {
                hash: [n as u8; 32],
                guid: "0".repeat(36),
            };
            cache.insert(key, identity).await;
        }
        let stats = cache.stats().await;
        assert!(stats.entries <= 10, "{stats:?}");
        assert!(stats.bytes.unwrap() <= one * 10, "{stats:?}");
        let last = inputs("99").key();
        assert_eq!(cache.get(&last).await.unwrap().hash, [99; 32]);
    }
}
