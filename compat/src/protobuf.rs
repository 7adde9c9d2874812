//! Protobuf schemas. Placeholder until the Protobuf issue lands: parsing reports the type as not
//! yet supported, so the registry answers 422 rather than storing unchecked text.

use crate::{ParseOptions, ResolvedReference, Roles, SchemaError};

#[derive(Debug, Clone)]
pub struct ProtobufSchema {
    canonical: String,
}

impl ProtobufSchema {
    pub fn parse(
        _text: &str,
        _references: &[ResolvedReference],
        _options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        Err(SchemaError::new(
            "schema type PROTOBUF is not supported yet",
        ))
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    pub fn render(&self, _format: &str) -> Option<String> {
        None
    }
}

pub fn incompatibilities(
    _reader: &ProtobufSchema,
    _writer: &ProtobufSchema,
    _roles: Roles,
) -> Vec<String> {
    Vec::new()
}
