//! Helpers shared by the Protobuf integration tests.
#![allow(dead_code)]

use schemata_compat::protobuf::{self, ProtobufSchema};
use schemata_compat::{
    CompatibilityLevel, ParseOptions, ParsedSchema, ResolvedReference, Roles, SchemaType,
};

pub fn parse(text: &str) -> ProtobufSchema {
    parse_with(text, &[])
}

pub fn parse_with(text: &str, refs: &[(&str, &str)]) -> ProtobufSchema {
    ProtobufSchema::parse(text, &references(refs), ParseOptions::default())
        .unwrap_or_else(|e| panic!("parse failed: {e}\n{text}"))
}

pub fn references(refs: &[(&str, &str)]) -> Vec<ResolvedReference> {
    refs.iter()
        .map(|(name, schema)| ResolvedReference {
            name: (*name).to_owned(),
            schema_type: SchemaType::Protobuf,
            schema: (*schema).to_owned(),
        })
        .collect()
}

pub fn parsed(text: &str) -> ParsedSchema {
    ParsedSchema::Protobuf(parse(text))
}

/// `(type, path)` of every difference of diff(original = old, update = new).
pub fn differences(old: &ProtobufSchema, new: &ProtobufSchema) -> Vec<(String, String)> {
    protobuf::diff(old.file(), new.file())
        .into_iter()
        .map(|d| (d.ty.as_str().to_owned(), d.path))
        .collect()
}

pub fn has(diffs: &[(String, String)], ty: &str, path: &str) -> bool {
    diffs.iter().any(|(t, p)| t == ty && p == path)
}

/// Messages for `new` checked against `old` at `level`.
pub fn check(level: CompatibilityLevel, old: &ProtobufSchema, new: &ProtobufSchema) -> Vec<String> {
    level.check_pair(
        &ParsedSchema::Protobuf(new.clone()),
        &ParsedSchema::Protobuf(old.clone()),
    )
}

pub fn backward(old: &str, new: &str) -> Vec<String> {
    check(CompatibilityLevel::Backward, &parse(old), &parse(new))
}

pub fn forward(old: &str, new: &str) -> Vec<String> {
    check(CompatibilityLevel::Forward, &parse(old), &parse(new))
}

pub fn error_types(messages: &[String]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| {
            let rest = m.strip_prefix("{errorType:\"")?;
            Some(rest[..rest.find('"')?].to_owned())
        })
        .collect()
}

pub fn roles_backward() -> Roles {
    Roles::BACKWARD
}
