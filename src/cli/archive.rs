//! The export file, format `schemata-export` version 1 (docs/migration.md): JSON lines, a
//! header first, then contexts, schemas by context and ascending id (each with the versions
//! that carry it), configs, modes, and an `end` record that tells a complete file from a
//! truncated one.

use crate::domain::SchemaReference;
use crate::registry::{ImportedSchema, ImportedVersion};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `format` of the header line.
pub(super) const FORMAT: &str = "schemata-export";
/// The format version this build writes and reads.
pub(super) const VERSION: u32 = 1;
/// Longest line read from an export file (a schema is bounded by the server's
/// `--max-schema-bytes`, 1 MiB by default; JSON escaping can double it).
pub(super) const MAX_LINE_BYTES: usize = 16 << 20;

/// The first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Header {
    pub format: String,
    pub version: u32,
    /// Milliseconds since the epoch.
    pub exported_at: i64,
    /// `schemata <version>`.
    pub generator: String,
}

/// Every line after the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "lowercase")]
pub(super) enum Record {
    Context {
        name: String,
        listed: bool,
        /// The highest id the context ever gave out: the import keeps its counter above it.
        max_id: i64,
    },
    Schema(SchemaLine),
    Config {
        /// `""` global, `:.ctx:` a context, `:.__GLOBAL:`, or a (qualified) subject.
        scope: String,
        config: Value,
    },
    Mode {
        scope: String,
        mode: String,
    },
    End {
        schemas: u64,
        versions: u64,
    },
}

/// A schema with the versions that carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SchemaLine {
    pub context: String,
    pub id: i64,
    pub schema_type: String,
    pub schema: String,
    #[serde(default)]
    pub references: Vec<SchemaReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Value>,
    pub versions: Vec<VersionLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct VersionLine {
    pub subject: String,
    pub version: i64,
    #[serde(default)]
    pub deleted: bool,
    /// When it was registered, milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
}

impl From<SchemaLine> for ImportedSchema {
    fn from(line: SchemaLine) -> Self {
        ImportedSchema {
            context: line.context,
            id: line.id,
            schema_type: line.schema_type,
            schema: line.schema,
            references: line.references,
            metadata: line.metadata,
            rule_set: line.rule_set,
            versions: line
                .versions
                .into_iter()
                .map(|v| ImportedVersion {
                    subject: v.subject,
                    version: v.version,
                    deleted: v.deleted,
                    registered_at: v.ts,
                })
                .collect(),
        }
    }
}
