//! Schema identity: what makes two registrations "the same schema" (same id), and the guid.

use crate::domain::SchemaReference;
use md5::Md5;
use schemata_compat::SchemaType;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The identity-relevant content of a schema.
pub(super) struct Identity<'a> {
    pub schema_type: SchemaType,
    pub canonical: &'a str,
    pub references: &'a [SchemaReference],
    pub metadata: Option<&'a serde_json::Value>,
    pub rule_set: Option<&'a serde_json::Value>,
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
            self.metadata,
            self.rule_set,
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
