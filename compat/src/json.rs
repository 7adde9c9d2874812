//! Json schemas. Placeholder until the Json issue lands: parsing reports the type as not
//! yet supported, so the registry answers 422 rather than storing unchecked text.

use crate::{ParseOptions, ResolvedReference, Roles, SchemaError};

#[derive(Debug, Clone)]
pub struct JsonSchema {
    canonical: String,
}

impl JsonSchema {
    pub fn parse(
        _text: &str,
        _references: &[ResolvedReference],
        _options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        Err(SchemaError::new("schema type JSON is not supported yet"))
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    pub fn render(&self, _format: &str) -> Option<String> {
        None
    }
}

pub fn incompatibilities(_reader: &JsonSchema, _writer: &JsonSchema, _roles: Roles) -> Vec<String> {
    Vec::new()
}
