//! Schema identity: what makes two registrations "the same schema" (same id), and the guid.
//!
//! `metadata` and `ruleSet` are compared as what they mean, not as the bytes sent
//! (docs/rest-api.md §3.4): the key order of their objects does not matter (CSR reads its
//! maps into sorted maps), nor the order or repetition of the members of their sets
//! (metadata `tags` values and `sensitive`, a rule's `tags`). The order of the rules in a
//! rule set does matter: it is the order they run in.

use crate::domain::SchemaReference;
use md5::Md5;
use schemata_compat::SchemaType;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The identity-relevant content of a schema.
pub(super) struct Identity<'a> {
    pub schema_type: SchemaType,
    pub canonical: &'a str,
    pub references: &'a [SchemaReference],
    pub metadata: Option<&'a Value>,
    pub rule_set: Option<&'a Value>,
}

impl Identity<'_> {
    /// One string that covers every part of the identity, unambiguously delimited: the JSON
    /// array `[canonical, references, metadata, ruleSet]` (absent parts are `null`), the
    /// guid's input. The hash's input is the same array with the type in front. Serialized
    /// straight from borrowed parts; the bytes are pinned by a test below because stored rows
    /// carry hashes of them.
    fn material(&self) -> String {
        let parts = (
            self.canonical,
            self.references,
            self.metadata.map(canonical_metadata),
            self.rule_set.map(canonical_rule_set),
        );
        // Strings, plain structs and JSON values always serialize.
        serde_json::to_string(&parts).unwrap_or_default()
    }

    /// The hash (hex SHA-256: the unique key of a schema within its context) and CSR 8's
    /// guid (a UUID made of the MD5 of the content), from one serialization of the content.
    pub(super) fn hash_and_guid(&self) -> (String, String) {
        let material = self.material();
        (self.hash_of(&material), guid_of(&material))
    }

    #[cfg(test)]
    fn hash(&self) -> String {
        self.hash_and_guid().0
    }

    #[cfg(test)]
    fn guid(&self) -> String {
        self.hash_and_guid().1
    }

    /// CSR leaves the type out of its hash; we include it so identical text of two types can
    /// never share an id: `["TYPE",` followed by the material without its opening bracket.
    fn hash_of(&self, material: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"[\"");
        hasher.update(self.schema_type.as_str().as_bytes());
        hasher.update(b"\",");
        hasher.update(&material.as_bytes()[1..]);
        let mut hex = String::with_capacity(64);
        for byte in hasher.finalize() {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

/// Metadata as CSR's sorted maps and sets hold it: every object's keys in order (serde_json
/// keeps insertion order here), `tags` values and `sensitive` sorted without repeats.
fn canonical_metadata(metadata: &Value) -> Value {
    let mut metadata = sorted_keys(metadata);
    if let Some(object) = metadata.as_object_mut() {
        if let Some(Value::Object(tags)) = object.get_mut("tags") {
            tags.values_mut().for_each(as_set);
        }
        if let Some(sensitive) = object.get_mut("sensitive") {
            as_set(sensitive);
        }
    }
    metadata
}

/// A rule set with every object's keys in order and each rule's `tags` as a set; the rules
/// keep their order.
fn canonical_rule_set(rule_set: &Value) -> Value {
    let mut rule_set = sorted_keys(rule_set);
    if let Some(object) = rule_set.as_object_mut() {
        for rules in object.values_mut() {
            for rule in rules.as_array_mut().into_iter().flatten() {
                if let Some(tags) = rule.get_mut("tags") {
                    as_set(tags);
                }
            }
        }
    }
    rule_set
}

/// A copy of `value` whose objects list their keys in byte order, at every depth.
fn sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.clone(), sorted_keys(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// An array of strings (or other values) made a set: sorted by its JSON text, repeats removed.
fn as_set(value: &mut Value) {
    if let Value::Array(items) = value {
        items.sort_by_cached_key(Value::to_string);
        items.dedup();
    }
}

/// The name under which the store records that its hashes follow the canonical contract
/// above (before it, the key order of `metadata` and `ruleSet` was part of the hash).
const CANONICAL_CONTRACT_UPGRADE: &str = "identity-canonical-contract";

impl super::Registry {
    /// Bring stored identity hashes up to this build's rule, once per database: before the
    /// server answers, so a re-registration of a schema with metadata finds its old id.
    pub async fn upgrade_stored_identities(&self) -> super::Result<()> {
        let done = self
            .store
            .rehash_once(CANONICAL_CONTRACT_UPGRADE, |record| {
                Identity {
                    schema_type: record.schema_type,
                    canonical: &record.schema,
                    references: &record.references,
                    metadata: record.metadata.as_ref(),
                    rule_set: record.rule_set.as_ref(),
                }
                .hash_and_guid()
                .0
            })
            .await?;
        if let Some(done) = done {
            tracing::info!(
                examined = done.examined,
                changed = done.changed,
                kept = done.kept,
                "stored schema hashes brought up to the canonical metadata and rule-set rule"
            );
        }
        Ok(())
    }
}

fn guid_of(material: &str) -> String {
    let digest = Md5::digest(material.as_bytes());
    let bytes: [u8; 16] = digest.into();
    uuid::Uuid::from_bytes(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity<'a>(text: &'a str, refs: &'a [SchemaReference]) -> Identity<'a> {
        Identity {
            schema_type: SchemaType::Avro,
            canonical: text,
            references: refs,
            metadata: None,
            rule_set: None,
        }
    }

    #[test]
    fn identical_content_has_identical_hash_and_guid() {
        assert_eq!(
            identity("\"string\"", &[]).hash(),
            identity("\"string\"", &[]).hash()
        );
        assert_eq!(
            identity("\"string\"", &[]).guid(),
            identity("\"string\"", &[]).guid()
        );
    }

    #[test]
    fn references_and_type_are_part_of_identity() {
        let refs = [SchemaReference {
            name: "a".into(),
            subject: "s".into(),
            version: 1,
        }];
        assert_ne!(
            identity("\"string\"", &[]).hash(),
            identity("\"string\"", &refs).hash()
        );
        let mut json = identity("\"string\"", &[]);
        json.schema_type = SchemaType::Json;
        assert_ne!(json.hash(), identity("\"string\"", &[]).hash());
    }

    fn with_contract(metadata: &str, rule_set: &str) -> (String, String) {
        let metadata: Value = serde_json::from_str(metadata).unwrap();
        let rule_set: Value = serde_json::from_str(rule_set).unwrap();
        Identity {
            metadata: Some(&metadata),
            rule_set: Some(&rule_set),
            ..identity("\"string\"", &[])
        }
        .hash_and_guid()
    }

    #[test]
    fn key_order_and_set_order_are_not_part_of_identity() {
        let rules = r#"{"domainRules": [{"name": "a", "kind": "CONDITION", "tags": ["x", "y"]}]}"#;
        let first = with_contract(
            r#"{"properties": {"owner": "x", "team": "y"}, "tags": {"f": ["b", "a"]}, "sensitive": ["s", "r"]}"#,
            rules,
        );
        let reordered = with_contract(
            r#"{"sensitive": ["r", "s", "r"], "tags": {"f": ["a", "b"]}, "properties": {"team": "y", "owner": "x"}}"#,
            r#"{"domainRules": [{"tags": ["y", "x"], "kind": "CONDITION", "name": "a"}]}"#,
        );
        assert_eq!(first, reordered);
    }

    #[test]
    fn the_order_of_rules_and_every_value_are_part_of_identity() {
        let metadata = r#"{"properties": {"owner": "x"}}"#;
        let ab = with_contract(
            metadata,
            r#"{"domainRules": [{"name": "a"}, {"name": "b"}]}"#,
        );
        let ba = with_contract(
            metadata,
            r#"{"domainRules": [{"name": "b"}, {"name": "a"}]}"#,
        );
        assert_ne!(ab, ba);
        let other_owner = with_contract(
            r#"{"properties": {"owner": "y"}}"#,
            r#"{"domainRules": [{"name": "a"}, {"name": "b"}]}"#,
        );
        assert_ne!(ab, other_owner);
    }
}

#[cfg(test)]
mod pinned {
    use super::*;

    /// Stored rows carry these hashes: the identity material must never change.
    #[test]
    fn identity_of_a_known_schema_is_pinned() {
        let refs = [SchemaReference {
            name: "a".into(),
            subject: "s".into(),
            version: 1,
        }];
        let metadata = serde_json::json!({"properties": {"owner": "x"}});
        let id = Identity {
            schema_type: SchemaType::Avro,
            canonical: "{\"type\":\"string\"}",
            references: &refs,
            metadata: Some(&metadata),
            rule_set: None,
        };
        assert_eq!(
            id.hash(),
            "0b5a27d5ee8ced18a5cc0e27d6a8504294db22bb8458c9949352b3df9f44cb22"
        );
        assert_eq!(id.guid(), "58779876-fc59-6b8e-bb9b-77fea5a26468");
        let plain = Identity {
            schema_type: SchemaType::Protobuf,
            canonical: "syntax = \"proto3\";\n",
            references: &[],
            metadata: None,
            rule_set: None,
        };
        assert_eq!(
            plain.hash(),
            "f8f97fe4a1cace782fee170b6db49b99aa6e37319dbf07dabd91455cdec2623a"
        );
        assert_eq!(plain.guid(), "af85402a-b745-dc2f-3dd6-2ea5b742e79d");
    }
}
