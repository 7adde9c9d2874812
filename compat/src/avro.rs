//! Avro schemas. Temporary minimal version: compact JSON as canonical text, no checks.
//! Replaced by the full parser and checker.

use crate::{ParseOptions, ResolvedReference, Roles, SchemaError};

#[derive(Debug, Clone)]
pub struct AvroSchema {
    canonical: String,
}

impl AvroSchema {
    pub fn parse(
        text: &str,
        _references: &[ResolvedReference],
        _options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| SchemaError::new(format!("Invalid schema: {e}")))?;
        Ok(AvroSchema {
            canonical: value.to_string(),
        })
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    pub fn render(&self, _format: &str) -> Option<String> {
        None
    }
}

pub fn incompatibilities(_reader: &AvroSchema, _writer: &AvroSchema, _roles: Roles) -> Vec<String> {
    Vec::new()
}
