//! The parsed Avro schema model: an arena of named types plus a tree of anonymous types
//! that refers to named types by index (so recursive types are plain indices).

use super::names::Name;
use serde_json::Value;

/// Custom properties, in input order (Java keeps them in a `LinkedHashMap`).
pub(crate) type Props = Vec<(String, Value)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primitive {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Primitive {
    pub(super) fn from_name(name: &str) -> Option<Primitive> {
        Some(match name {
            "null" => Primitive::Null,
            "boolean" => Primitive::Boolean,
            "int" => Primitive::Int,
            "long" => Primitive::Long,
            "float" => Primitive::Float,
            "double" => Primitive::Double,
            "bytes" => Primitive::Bytes,
            "string" => Primitive::String,
            _ => return None,
        })
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Primitive::Null => "null",
            Primitive::Boolean => "boolean",
            Primitive::Int => "int",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Bytes => "bytes",
            Primitive::String => "string",
        }
    }
}

/// A schema node. Named types live in the arena ([`NamedType`]) and are referenced by index.
#[derive(Debug, Clone)]
pub(crate) enum Schema {
    Primitive(Primitive, Props),
    Array(Box<Schema>, Props),
    Map(Box<Schema>, Props),
    Union(Vec<Schema>),
    Named(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct NamedType {
    pub name: Name,
    pub aliases: Vec<Name>,
    pub doc: Option<String>,
    pub props: Props,
    pub body: NamedBody,
}

#[derive(Debug, Clone)]
pub(crate) enum NamedBody {
    Record {
        error: bool,
        fields: Vec<Field>,
    },
    Enum {
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed {
        size: u64,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub ty: Schema,
    pub doc: Option<String>,
    pub default: Option<Value>,
    /// `None` for the default (ascending) order, else `"descending"` or `"ignore"`.
    pub order: Option<&'static str>,
    pub aliases: Vec<String>,
    pub props: Props,
}

/// All named types known to one parse (references first) and the root schema.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub types: Vec<NamedType>,
    /// Named types with an index below this were defined by references.
    pub reference_types: usize,
    pub root: Schema,
}

/// Java's `Schema.Type` names, as the compatibility messages print them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Prim(Primitive),
    Record,
    Enum,
    Fixed,
    Array,
    Map,
    Union,
}

impl Tag {
    pub(super) fn java_name(self) -> &'static str {
        match self {
            Tag::Prim(Primitive::Null) => "NULL",
            Tag::Prim(Primitive::Boolean) => "BOOLEAN",
            Tag::Prim(Primitive::Int) => "INT",
            Tag::Prim(Primitive::Long) => "LONG",
            Tag::Prim(Primitive::Float) => "FLOAT",
            Tag::Prim(Primitive::Double) => "DOUBLE",
            Tag::Prim(Primitive::Bytes) => "BYTES",
            Tag::Prim(Primitive::String) => "STRING",
            Tag::Record => "RECORD",
            Tag::Enum => "ENUM",
            Tag::Fixed => "FIXED",
            Tag::Array => "ARRAY",
            Tag::Map => "MAP",
            Tag::Union => "UNION",
        }
    }

    /// The key a union uses to detect duplicate unnamed branches.
    pub(super) fn lower_name(self) -> &'static str {
        match self {
            Tag::Prim(p) => p.name(),
            Tag::Record => "record",
            Tag::Enum => "enum",
            Tag::Fixed => "fixed",
            Tag::Array => "array",
            Tag::Map => "map",
            Tag::Union => "union",
        }
    }
}

impl Parsed {
    pub(super) fn tag(&self, schema: &Schema) -> Tag {
        match schema {
            Schema::Primitive(p, _) => Tag::Prim(*p),
            Schema::Array(..) => Tag::Array,
            Schema::Map(..) => Tag::Map,
            Schema::Union(_) => Tag::Union,
            Schema::Named(i) => match self.types[*i].body {
                NamedBody::Record { .. } => Tag::Record,
                NamedBody::Enum { .. } => Tag::Enum,
                NamedBody::Fixed { .. } => Tag::Fixed,
            },
        }
    }
}
