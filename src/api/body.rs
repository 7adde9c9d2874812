//! Request bodies of register, lookup and compatibility (CSR's RegisterSchemaRequest).

use super::error::ApiError;
use crate::domain::{without_nulls, SchemaReference};
use crate::registry::SchemaRequest;
use serde::Deserialize;
use serde_json::Value;

/// Lists longer than this in one request are refused (a schema with thousands of direct
/// references is not a schema, it is an attack).
pub(super) const MAX_REFERENCES_PER_REQUEST: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SchemaBody {
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<ReferenceBody>>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    rule_set: Option<Value>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    version: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct ReferenceBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

impl SchemaBody {
    pub(super) fn into_request(self) -> Result<SchemaRequest, ApiError> {
        let references = self.references.unwrap_or_default();
        if references.len() > MAX_REFERENCES_PER_REQUEST {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                42201,
                format!("Too many references (limit {MAX_REFERENCES_PER_REQUEST})"),
            ));
        }
        let references = references
            .into_iter()
            .map(|r| match (r.name, r.subject, r.version) {
                (Some(name), Some(subject), Some(version)) if !name.is_empty() && !subject.is_empty() => {
                    Ok(SchemaReference { name, subject, version })
                }
                (name, subject, version) => Err(ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    42201,
                    format!(
                        "Invalid reference {{name={}, subject={}, version={}}}: name, subject and version are required",
                        shown(name.as_deref()),
                        shown(subject.as_deref()),
                        version.map_or_else(|| "missing".to_string(), |v| v.to_string())
                    ),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SchemaRequest {
            schema: self.schema.unwrap_or_default(),
            schema_type: self.schema_type,
            references,
            metadata: self.metadata.and_then(without_nulls),
            rule_set: self.rule_set.and_then(without_nulls),
            id: self.id.filter(|id| *id > 0),
            version: self.version,
        })
    }
}

/// A register, lookup or compatibility body, as the handlers read it once its bytes are in
/// (at most [`MAX_BODY_BYTES`](super::extract::MAX_BODY_BYTES)): JSON into [`SchemaBody`],
/// then the registry's request. Public for the fuzz targets (`fuzz/`) only.
#[doc(hidden)]
pub fn parse_schema_request(bytes: &[u8]) -> Result<SchemaRequest, ApiError> {
    super::extract::parse_json::<SchemaBody>(bytes)?.into_request()
}

/// A reference field in an error message: quoted, or `missing`.
fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "missing".to_string(), |v| format!("\"{v}\""))
}
