//! JSON shapes of responses (CSR 7.x field names, plus the cheap 8.x additions `guid`/`ts`).
//! Empty lists and absent values are omitted, as Jackson's NON_EMPTY does.

use crate::domain::SchemaRecord;
use crate::registry::CachedSchema;
use crate::registry::{Registry, SubjectVersion};
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use schemata_compat::SchemaType;
use serde::Serialize;
use serde_json::{Map, Value};

/// The default response type; the negotiation layer swaps it for what the client accepts.
pub const V1_JSON: &str = "application/vnd.schemaregistry.v1+json";

pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    bytes_response(status, Bytes::from(bytes))
}

pub fn bytes_response(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(V1_JSON));
    response
}

pub fn ok(body: &impl Serialize) -> Response {
    json_response(StatusCode::OK, body)
}

/// Fields common to every schema shape, in CSR's order.
fn schema_fields(out: &mut Map<String, Value>, record: &SchemaRecord, schema_text: String) {
    if record.schema_type != SchemaType::Avro {
        out.insert("schemaType".into(), record.schema_type.as_str().into());
    }
    if !record.references.is_empty() {
        out.insert(
            "references".into(),
            serde_json::to_value(&record.references).unwrap_or_default(),
        );
    }
    if let Some(metadata) = record.metadata.as_ref().filter(|m| !is_empty(m)) {
        out.insert("metadata".into(), metadata.clone());
    }
    if let Some(rule_set) = record.rule_set.as_ref().filter(|r| !is_empty(r)) {
        out.insert("ruleSet".into(), rule_set.clone());
    }
    out.insert("schema".into(), Value::String(schema_text));
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(list) => list.is_empty(),
        _ => false,
    }
}

/// `GET /schemas/ids/{id}` in its default form: computed once per id and cached.
pub fn schema_string_body(record: &SchemaRecord) -> Bytes {
    let mut out = Map::new();
    schema_fields(&mut out, record, record.schema.clone());
    out.insert("guid".into(), record.guid.clone().into());
    Bytes::from(serde_json::to_vec(&Value::Object(out)).unwrap_or_default())
}

/// The same shape with a non-default `format` and/or `maxId`.
pub fn schema_string_value(
    record: &SchemaRecord,
    schema_text: String,
    max_id: Option<i64>,
) -> Value {
    let mut out = Map::new();
    schema_fields(&mut out, record, schema_text);
    out.insert("guid".into(), record.guid.clone().into());
    if let Some(max_id) = max_id {
        out.insert("maxId".into(), max_id.into());
    }
    Value::Object(out)
}

/// A subject-version object (`GET /subjects/{s}/versions/{v}`, lookup, `GET /schemas`).
pub fn subject_version_value(found: &SubjectVersion, schema_text: String) -> Value {
    let record = &found.schema.record;
    let mut out = Map::new();
    out.insert("subject".into(), found.subject.qualified().into());
    out.insert("version".into(), found.version.into());
    out.insert("id".into(), record.id.into());
    out.insert("guid".into(), record.guid.clone().into());
    schema_fields(&mut out, record, schema_text);
    out.insert("ts".into(), found.registered_at.into());
    if found.deleted {
        out.insert("deleted".into(), true.into());
    }
    Value::Object(out)
}

/// The schema text in the requested `format` (Protobuf `serialized`, Avro `resolved`), or
/// the canonical text when no format applies.
pub async fn schema_text(
    registry: &Registry,
    schema: &CachedSchema,
    format: Option<&str>,
) -> Result<String, super::error::ApiError> {
    match format.filter(|f| !f.is_empty() && !f.eq_ignore_ascii_case("default")) {
        None => Ok(schema.record.schema.clone()),
        Some(format) => {
            let parsed = registry.parsed(schema).await?;
            Ok(parsed
                .render(format)
                .unwrap_or_else(|| schema.record.schema.clone()))
        }
    }
}
