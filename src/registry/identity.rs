//! Schema identity: what makes two registrations "the same schema" (same id), and the guid.

use crate::domain::SchemaReference;
use md5::Md5;
use schemata_compat::SchemaType;
use sha2::{Digest, Sha256};

/// The identity-relevant content of a schema.
pub struct Identity<'a> {
    pub schema_type: SchemaType,
    pub canonical: &'a str,
    pub references: &'a [SchemaReference],
    pub metadata: Option<&'a serde_json::Value>,
    pub rule_set: Option<&'a serde_json::Value>,
}

impl Identity<'_> {
    /// One string that covers every part of the identity, unambiguously delimited (JSON).
    fn material(&self, with_type: bool) -> String {
        let mut parts = vec![serde_json::Value::String(self.canonical.to_string())];
        if with_type {
            // CSR leaves the type out of its hash; we include it so identical text of two
            // types can never share an id.
            parts.insert(
                0,
                serde_json::Value::String(self.schema_type.as_str().into()),
            );
        }
        parts.push(serde_json::to_value(self.references).unwrap_or_default());
        parts.push(self.metadata.cloned().unwrap_or_default());
        parts.push(self.rule_set.cloned().unwrap_or_default());
        serde_json::Value::Array(parts).to_string()
    }

    /// Hex SHA-256: the unique key of a schema within its context.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.material(true).as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// CSR 8's guid: a UUID made of the MD5 of the schema content.
    pub fn guid(&self) -> String {
        let digest = Md5::digest(self.material(false).as_bytes());
        let bytes: [u8; 16] = digest.into();
        uuid::Uuid::from_bytes(bytes).to_string()
    }
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
