//! `/schemas`: by id (the consumer hot path), by guid, listings and types.

use super::acl;
use super::error::ApiResult;
use super::extract::{Params, PathParams};
use super::render::{
    bytes_response, ok, schema_string_body, schema_string_value, schema_text, subject_version_value,
};
use super::subjects::raw_schema_response;
use super::AppState;
use crate::registry::{ListPage, Registry, SchemaListing};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Router};
use schemata_compat::SchemaType;
use serde_json::json;

/// CSR's default and maximum page for `GET /schemas`.
const SCHEMAS_PAGE: usize = 1000;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/schemas", get(list_schemas))
        .route("/schemas/types", get(schema_types))
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(raw_schema_by_id))
        .route("/schemas/ids/{id}/subjects", get(subjects_of_id))
        .route("/schemas/ids/{id}/versions", get(versions_of_id))
        .route("/schemas/guids/{guid}", get(schema_by_guid))
        .route("/schemas/guids/{guid}/ids", get(ids_of_guid))
}

/// Ids are positive 32-bit integers in every client; anything else is an unknown path.
fn parse_id(raw: &str) -> Result<i64, super::error::ApiError> {
    raw.trim()
        .parse::<i32>()
        .map(i64::from)
        .map_err(|_| super::error::ApiError::not_found())
}

async fn schema_types() -> ApiResult {
    let types: Vec<&str> = SchemaType::ALL.iter().map(|t| t.as_str()).collect();
    Ok(ok(&types))
}

/// The hot path: a cache hit answers with pre-rendered bytes and touches no database.
async fn schema_by_id(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult {
    let id = parse_id(&id)?;
    let subject = params.get("subject").filter(|s| !s.is_empty());
    let schema = state.registry.schema_by_id(id, subject).await?;
    let format = params.get("format").filter(|f| !f.is_empty());
    if format.is_none() && !params.flag("fetchMaxId") {
        return Ok(bytes_response(
            StatusCode::OK,
            schema.id_response(schema_string_body),
        ));
    }
    let text = schema_text(&state.registry, &schema, format).await?;
    let max_id = if params.flag("fetchMaxId") {
        Some(
            state
                .registry
                .max_schema_id(&Registry::context_of(subject))
                .await?,
        )
    } else {
        None
    };
    Ok(ok(&schema_string_value(&schema.record, text, max_id)))
}

async fn raw_schema_by_id(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult {
    let id = parse_id(&id)?;
    let schema = state
        .registry
        .schema_by_id(id, params.get("subject").filter(|s| !s.is_empty()))
        .await?;
    let text = schema_text(&state.registry, &schema, params.get("format")).await?;
    Ok(raw_schema_response(text))
}

/// The subjects using the id in the path, filtered by `subject` (the context) and
/// `deleted`, one page (`offset`, `limit`).
/// Under an ACL, only the subjects the principal may read (`acl`).
async fn subjects_of_id(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
    access: Option<Extension<acl::Access>>,
) -> ApiResult {
    let id = parse_id(&id)?;
    let (offset, limit) = params.page_bounds(None)?;
    let access = acl::restricting(access);
    let page = ListPage { offset, limit };
    let subject = params.get("subject").filter(|s| !s.is_empty());
    let deleted = params.flag("deleted");
    let subjects = match &access {
        None => {
            state
                .registry
                .schema_subjects(id, subject, deleted, page)
                .await?
        }
        Some(access) => {
            let every = state
                .registry
                .schema_subjects(id, subject, deleted, ListPage::ALL)
                .await?;
            acl::page_of(every, |s| access.may_read(s), page)
        }
    };
    Ok(ok(&subjects))
}

/// The (subject, version) pairs using the id in the path, filtered as
/// [`subjects_of_id`], one page.
async fn versions_of_id(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
    access: Option<Extension<acl::Access>>,
) -> ApiResult {
    let id = parse_id(&id)?;
    let (offset, limit) = params.page_bounds(None)?;
    let access = acl::restricting(access);
    let page = ListPage { offset, limit };
    let subject = params.get("subject").filter(|s| !s.is_empty());
    let deleted = params.flag("deleted");
    let usages = match &access {
        None => {
            state
                .registry
                .schema_usages(id, subject, deleted, page)
                .await?
        }
        Some(access) => {
            let every = state
                .registry
                .schema_usages(id, subject, deleted, ListPage::ALL)
                .await?;
            acl::page_of(every, |(s, _)| access.may_read(s), page)
        }
    };
    let list: Vec<_> = usages
        .into_iter()
        .map(|(subject, version)| json!({"subject": subject, "version": version}))
        .collect();
    Ok(ok(&list))
}

async fn schema_by_guid(
    State(state): State<AppState>,
    PathParams(guid): PathParams<String>,
    params: Params,
) -> ApiResult {
    let schema = state.registry.schema_by_guid(&guid).await?;
    let text = schema_text(&state.registry, &schema, params.get("format")).await?;
    Ok(ok(&schema_string_value(&schema.record, text, None)))
}

/// The (context, id) pairs of a guid; under an ACL, only those some subject the principal
/// may read uses (`acl`).
async fn ids_of_guid(
    State(state): State<AppState>,
    PathParams(guid): PathParams<String>,
    access: Option<Extension<acl::Access>>,
) -> ApiResult {
    let mut ids = state.registry.ids_of_guid(&guid).await?;
    if let Some(access) = acl::restricting(access) {
        ids = acl::guid_ids(&state.registry, ids, &access).await?;
    }
    let list: Vec<_> = ids
        .into_iter()
        .map(|(context, id)| json!({"context": context, "id": id}))
        .collect();
    Ok(ok(&list))
}

/// Under an ACL, only the versions of subjects the principal may read (`acl`).
async fn list_schemas(
    State(state): State<AppState>,
    params: Params,
    access: Option<Extension<acl::Access>>,
) -> ApiResult {
    let (offset, limit) = params.page_bounds(Some(SCHEMAS_PAGE))?;
    let listing = SchemaListing {
        prefix: params.get("subjectPrefix").unwrap_or_default(),
        deleted: params.flag("deleted"),
        latest_only: params.flag("latestOnly"),
        rule_type: params.get("ruleType").filter(|t| !t.is_empty()),
        offset,
        limit,
    };
    let found = match acl::restricting(access) {
        None => state.registry.list_schemas(&listing).await?,
        Some(access) => acl::filtered_schemas(&state.registry, &listing, &access).await?,
    };
    let mut out = Vec::with_capacity(found.len());
    for version in &found {
        let text = schema_text(&state.registry, &version.schema, params.get("format")).await?;
        out.push(subject_version_value(version, text));
    }
    Ok(ok(&out))
}
