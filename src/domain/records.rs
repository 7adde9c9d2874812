//! What the registry stores, as plain records: a schema (content with its id), a subject's
//! version (which schema a subject holds at a version), references between them, and the
//! write-side shapes the store takes.

use schemata_compat::SchemaType;
use serde::{Deserialize, Serialize};

/// A reference from one schema to a version of another subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i64,
}

/// One distinct schema of a context.
#[derive(Debug, Clone)]
pub struct SchemaRecord {
    pub context: String,
    pub id: i64,
    pub hash: String,
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<serde_json::Value>,
    pub rule_set: Option<serde_json::Value>,
    pub guid: String,
    pub created_at: i64,
}

/// One version of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    pub context: String,
    pub subject: String,
    pub version: i64,
    pub schema_id: i64,
    pub deleted: bool,
    pub created_at: i64,
}

/// A subject and whether every one of its versions is soft-deleted.
#[derive(Debug, Clone)]
pub struct SubjectSummary {
    pub context: String,
    pub subject: String,
    pub all_deleted: bool,
}

/// Everything needed to insert a schema row.
pub struct NewSchema<'a> {
    pub hash: &'a str,
    pub schema_type: SchemaType,
    pub schema: &'a str,
    pub references: &'a [SchemaReference],
    pub metadata: Option<&'a serde_json::Value>,
    pub rule_set: Option<&'a serde_json::Value>,
    pub guid: &'a str,
}

/// A stored version a new schema references, for the referenced-by index: context,
/// subject and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceTarget {
    pub context: String,
    pub subject: String,
    pub version: i64,
}

/// What the server saw of a subject when it checked compatibility: its highest version
/// (soft-deleted included: the next version is one more) and the generation of its
/// context's histories. A registration changes the highest version; a soft or hard delete,
/// or a version inserted below the top (IMPORT), changes the generation (triggers, migration
/// 0004). Comparing both under the subject lock notices any change in between, even one
/// undone by a re-registration, without reading the subject's versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenHistory {
    pub max_version: i64,
    pub generation: i64,
}
