//! Request and response bodies of the REST API, as Confluent's clients spell them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The schema formats (`schemaType`); absent on the wire means Avro.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SchemaType {
    #[default]
    #[serde(rename = "AVRO")]
    Avro,
    #[serde(rename = "PROTOBUF")]
    Protobuf,
    #[serde(rename = "JSON")]
    Json,
}

impl SchemaType {
    pub fn as_str(self) -> &'static str {
        self.to_compat().as_str()
    }

    pub fn to_compat(self) -> schemata_compat::SchemaType {
        match self {
            SchemaType::Avro => schemata_compat::SchemaType::Avro,
            SchemaType::Protobuf => schemata_compat::SchemaType::Protobuf,
            SchemaType::Json => schemata_compat::SchemaType::Json,
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SchemaType {
    type Err = String;

    /// Case-insensitive; `JSONSCHEMA` and `PROTO` are accepted as aliases.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "AVRO" => Ok(SchemaType::Avro),
            "PROTOBUF" | "PROTO" => Ok(SchemaType::Protobuf),
            "JSON" | "JSONSCHEMA" => Ok(SchemaType::Json),
            other => Err(format!(
                "unknown schema type {other:?} (expected AVRO, PROTOBUF or JSON)"
            )),
        }
    }
}

/// A reference from one schema to another registered schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    /// How the referring schema names it (Avro full name, Protobuf import path, JSON `$ref`).
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as sent to and returned by the registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Schema {
    pub schema: String,
    #[serde(rename = "schemaType", default)]
    pub schema_type: SchemaType,
    #[serde(default)]
    pub references: Vec<SchemaReference>,
}

impl Schema {
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Self {
        Schema {
            schema: schema.into(),
            schema_type,
            references: Vec::new(),
        }
    }

    pub fn with_references(mut self, references: Vec<SchemaReference>) -> Self {
        self.references = references;
        self
    }
}

/// A schema registered under a subject (`GET /subjects/{s}/versions/{v}`, lookup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredSchema {
    pub subject: String,
    pub version: i32,
    pub id: u32,
    #[serde(flatten)]
    pub schema: Schema,
}

/// The answer of a compatibility test.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatibilityResult {
    pub is_compatible: bool,
    #[serde(default)]
    pub messages: Vec<String>,
}

/// Which version(s) a compatibility test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    /// `POST /compatibility/subjects/{s}/versions/latest`.
    Latest,
    /// `POST /compatibility/subjects/{s}/versions/{n}`.
    Number(i32),
    /// `POST /compatibility/subjects/{s}/versions`: what the subject's level asks for
    /// (every live version for transitive levels).
    All,
}

/// Subject or global configuration (`GET /config[/{s}]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    #[serde(
        rename = "compatibilityLevel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub compatibility_level: Option<String>,
    #[serde(rename = "normalize", default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}
