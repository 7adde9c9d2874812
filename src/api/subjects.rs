//! `/subjects`: list, register, look up, read and delete versions.

use super::acl;
use super::audit;
use super::body::SchemaBody;
use super::error::{ApiError, ApiResult};
use super::extract::{JsonBody, Params, PathParams};
use super::render::{ok, schema_text, subject_version_value};
use super::AppState;
use crate::domain::{QualifiedSubject, VersionId};
use crate::registry::{
    Deletion, ListPage, LookupOptions, RegisterOptions, ResolvedLatest, SubjectFilter,
    SubjectVersion, VersionFilter,
};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Extension;
use axum::Router;
use serde_json::json;
use std::sync::Arc;

/// CSR's default and maximum page for `referencedby`.
const REFERENCED_BY_PAGE: usize = 1000;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/subjects", get(list_subjects))
        .route(
            "/subjects/{subject}",
            axum::routing::post(lookup).delete(delete_subject),
        )
        .route(
            "/subjects/{subject}/versions",
            get(list_versions).post(register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(get_version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route("/subjects/{subject}/metadata", get(latest_with_metadata))
}

/// Every subject, or under an ACL those the principal may read (`acl`).
async fn list_subjects(
    State(state): State<AppState>,
    params: Params,
    access: Option<Extension<acl::Access>>,
) -> ApiResult {
    let filter = SubjectFilter {
        prefix: params
            .get("subjectPrefix")
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        deleted: params.flag("deleted"),
        deleted_only: params.flag_any(&["deletedOnly", "deleted_only"]),
    };
    let (offset, limit) = params.page_bounds(None)?;
    let page = ListPage { offset, limit };
    let subjects = match acl::restricting(access) {
        None => state.registry.subjects(&filter, page).await?,
        Some(access) => acl::filtered_subjects(&state.registry, &filter, page, &access).await?,
    };
    Ok(ok(&subjects))
}

async fn lookup(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> ApiResult {
    let subject = QualifiedSubject::parse(&subject);
    let request = body.into_request()?;
    let found = state
        .registry
        .lookup(
            &subject,
            &request,
            LookupOptions {
                normalize: params.optional_flag("normalize"),
                include_deleted: params.flag("deleted"),
            },
        )
        .await?;
    let text = schema_text(&state.registry, &found.schema, params.get("format")).await?;
    Ok(ok(&subject_version_value(&found, text)))
}

async fn register(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> ApiResult {
    let subject = QualifiedSubject::parse(&subject);
    let options = RegisterOptions {
        normalize: params.optional_flag("normalize"),
        force: params.flag("force"),
    };
    let request = body.into_request()?;
    // An explicit id makes it an import (docs/rest-api.md §3.7), which the audit log names
    // as such whatever the outcome.
    let import = request.id.is_some();
    let mut response = state
        .registry
        .register(&subject, request, options)
        .await
        .map(|registered| {
            ok(&json!({ "id": registered.id, "version": registered.version, "guid": registered.guid }))
        })
        .map_err(ApiError::from)
        .into_response();
    if import {
        response.extensions_mut().insert(audit::Import);
    }
    Ok(response)
}

async fn delete_subject(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let subject = QualifiedSubject::parse(&subject);
    let versions = state
        .registry
        .delete_subject(&subject, deletion(&params))
        .await?;
    Ok(ok(&versions))
}

async fn list_versions(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let subject = QualifiedSubject::parse(&subject);
    let filter = VersionFilter {
        deleted: params.flag("deleted"),
        deleted_only: params.flag_any(&["deletedOnly", "deleted_only"]),
        deleted_as_negative: params.flag("deletedAsNegative"),
    };
    let versions = state.registry.versions(&subject, filter).await?;
    Ok(ok(&params.page(versions, None)?))
}

/// The version a `{subject}/versions/{version}` path names, and its schema text in the
/// requested `format`.
async fn version_with_text(
    state: &AppState,
    subject: &str,
    version: &str,
    params: &Params,
) -> ApiResult<(SubjectVersion, String)> {
    let version = VersionId::parse(version)?;
    let found = state
        .registry
        .version(
            &QualifiedSubject::parse(subject),
            version,
            params.flag("deleted"),
        )
        .await?;
    let text = schema_text(&state.registry, &found.schema, params.get("format")).await?;
    Ok((found, text))
}

async fn get_version(
    State(state): State<AppState>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
) -> ApiResult {
    let (found, text) = version_with_text(&state, &subject, &version, &params).await?;
    Ok(ok(&subject_version_value(&found, text)))
}

/// The raw schema text (for Avro and JSON it is itself JSON; Protobuf is `.proto` text).
async fn get_version_schema(
    State(state): State<AppState>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
) -> ApiResult {
    let (_, text) = version_with_text(&state, &subject, &version, &params).await?;
    Ok(raw_schema_response(text))
}

pub(super) fn raw_schema_response(text: String) -> Response {
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(super::render::V1_JSON),
    );
    response
}

async fn delete_version(
    State(state): State<AppState>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
    attempts: Option<Extension<Arc<ResolvedLatest>>>,
) -> ApiResult {
    let version = VersionId::parse(&version)?;
    // Shared by every attempt of this request (`api::retry`); a request that did not pass
    // the front service gets its own.
    let resolved = attempts.map(|Extension(r)| r).unwrap_or_default();
    let deleted = state
        .registry
        .delete_version(
            &QualifiedSubject::parse(&subject),
            version,
            deletion(&params),
            &resolved,
        )
        .await?;
    Ok(ok(&deleted))
}

/// `?permanent=true` or not.
fn deletion(params: &Params) -> Deletion {
    if params.flag("permanent") {
        Deletion::Permanent
    } else {
        Deletion::Soft
    }
}

async fn referenced_by(
    State(state): State<AppState>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
) -> ApiResult {
    let version = VersionId::parse(&version)?;
    let (offset, limit) = params.page_bounds(Some(REFERENCED_BY_PAGE))?;
    let ids = state
        .registry
        .referenced_by(
            &QualifiedSubject::parse(&subject),
            version,
            params.flag("deleted"),
            ListPage { offset, limit },
        )
        .await?;
    Ok(ok(&ids))
}

async fn latest_with_metadata(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let keys = params.all("key");
    let values = params.all("value");
    let pairs: Vec<(String, String)> = keys
        .iter()
        .zip(values.iter())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let found = state
        .registry
        .latest_with_metadata(
            &QualifiedSubject::parse(&subject),
            &pairs,
            params.flag("deleted"),
        )
        .await?;
    let text = schema_text(&state.registry, &found.schema, params.get("format")).await?;
    Ok(ok(&subject_version_value(&found, text)))
}
