//! schemata-compat: parse, canonicalise, normalise and check the compatibility of Avro,
//! Protobuf and JSON Schema schemas, following Confluent Schema Registry's rules.
//!
//! Pure functions only: no I/O, no async. The registry resolves references and passes their
//! text in; this crate never fetches anything.
//!
//! Every format module exposes the same shape (a schema type with `parse`, `canonical`,
//! `render` and a free function `incompatibilities`), and [`ParsedSchema`] dispatches on the
//! type, so the registry and the API never match on the format themselves.

pub mod avro;
mod deep_stack;
mod footprint;
pub mod json;
mod level;
pub mod protobuf;

pub use level::{check_compatibility, CompatibilityFailure, CompatibilityLevel};

use std::fmt;

/// The schema formats the registry understands, spelled as Confluent spells them on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    pub const ALL: [SchemaType; 3] = [SchemaType::Avro, SchemaType::Json, SchemaType::Protobuf];

    /// The wire name (`AVRO`, `PROTOBUF`, `JSON`).
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }

    /// Exact, case-sensitive lookup, as CSR's provider registry does.
    pub fn from_wire(name: &str) -> Option<Self> {
        match name {
            "AVRO" => Some(SchemaType::Avro),
            "PROTOBUF" => Some(SchemaType::Protobuf),
            "JSON" => Some(SchemaType::Json),
            _ => None,
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema that another schema refers to, already resolved by the registry.
///
/// `name` is how the referring schema names it: the Avro full type name, the Protobuf import
/// path, or the JSON Schema `$ref` URL. The registry passes the whole transitive closure,
/// dependencies before the schemas that use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedReference {
    pub name: String,
    pub schema_type: SchemaType,
    pub schema: String,
}

/// How strictly to parse, and whether to normalise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Checks applied only to schemas being registered (CSR's `validate.new.schemas`): Avro
    /// default values and names, for instance. Schemas already stored are read leniently.
    pub validate: bool,
    /// Apply the format's normalisation (`normalize=true`) to the canonical text.
    pub normalize: bool,
}

/// Why a schema text could not be parsed or validated. The message is shown to the user in a
/// 422/42201 response, so it says what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);

impl SchemaError {
    pub fn new(message: impl Into<String>) -> Self {
        SchemaError(message.into())
    }
}

/// How the two schemas of a check are named in messages: CSR fills its message templates
/// with "new"/"old" for BACKWARD (the new schema reads) and "old"/"new" for FORWARD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub reader: &'static str,
    pub writer: &'static str,
}

impl Roles {
    /// BACKWARD: the new schema reads data written with the old one.
    pub const BACKWARD: Roles = Roles {
        reader: "new",
        writer: "old",
    };
    /// FORWARD: the old schema reads data written with the new one.
    pub const FORWARD: Roles = Roles {
        reader: "old",
        writer: "new",
    };
}

/// A parsed schema of any supported type.
#[derive(Debug, Clone)]
pub enum ParsedSchema {
    Avro(avro::AvroSchema),
    Protobuf(protobuf::ProtobufSchema),
    Json(json::JsonSchema),
}

impl ParsedSchema {
    /// Parse `text` as a schema of type `schema_type`, with its references resolved.
    pub fn parse(
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference],
        options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        match schema_type {
            SchemaType::Avro => avro::AvroSchema::parse(text, references, options).map(Self::Avro),
            SchemaType::Protobuf => {
                protobuf::ProtobufSchema::parse(text, references, options).map(Self::Protobuf)
            }
            SchemaType::Json => json::JsonSchema::parse(text, references, options).map(Self::Json),
        }
    }

    pub fn schema_type(&self) -> SchemaType {
        match self {
            ParsedSchema::Avro(_) => SchemaType::Avro,
            ParsedSchema::Protobuf(_) => SchemaType::Protobuf,
            ParsedSchema::Json(_) => SchemaType::Json,
        }
    }

    /// The text the registry stores, returns and computes identity on.
    pub fn canonical(&self) -> &str {
        match self {
            ParsedSchema::Avro(s) => s.canonical(),
            ParsedSchema::Protobuf(s) => s.canonical(),
            ParsedSchema::Json(s) => s.canonical(),
        }
    }

    /// An estimate of the bytes this parse keeps allocated, what it keeps of its references
    /// included: what a cache holding it is charged (docs/performance.md, "Cache budget").
    /// Computed at parse time, so this is cheap.
    pub fn retained_bytes(&self) -> u64 {
        match self {
            ParsedSchema::Avro(s) => s.retained_bytes(),
            ParsedSchema::Protobuf(s) => s.retained_bytes(),
            ParsedSchema::Json(s) => s.retained_bytes(),
        }
    }

    /// The schema in an alternative output format (`?format=`), or `None` when the format
    /// does not apply to this type (the caller then returns the canonical text, as CSR does).
    pub fn render(&self, format: &str) -> Option<String> {
        match self {
            ParsedSchema::Avro(s) => s.render(format),
            ParsedSchema::Protobuf(s) => s.render(format),
            ParsedSchema::Json(s) => s.render(format),
        }
    }
}

/// CSR's one error when the previous schema is of another type (`docs/compatibility.md` §1.1).
pub const DIFFERENT_SCHEMA_TYPE: &str = "Incompatible because of different schema type";

/// Every reason a consumer holding `reader` cannot read data written with `writer`; empty
/// when it can. Schemas of different types are always incompatible.
pub fn incompatibilities(
    reader: &ParsedSchema,
    writer: &ParsedSchema,
    roles: Roles,
) -> Vec<String> {
    match (reader, writer) {
        (ParsedSchema::Avro(r), ParsedSchema::Avro(w)) => avro::incompatibilities(r, w, roles),
        (ParsedSchema::Protobuf(r), ParsedSchema::Protobuf(w)) => {
            protobuf::incompatibilities(r, w, roles)
        }
        (ParsedSchema::Json(r), ParsedSchema::Json(w)) => json::incompatibilities(r, w, roles),
        _ => vec![DIFFERENT_SCHEMA_TYPE.to_string()],
    }
}
