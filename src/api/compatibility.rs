//! `/compatibility`: test a schema against a subject without registering it.

use super::body::SchemaBody;
use super::error::ApiResult;
use super::extract::{JsonBody, Params, PathParams};
use super::render::ok;
use super::AppState;
use crate::domain::{QualifiedSubject, VersionId};
use crate::registry::{CheckOptions, CompatibilityReport};
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use serde_json::json;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(check_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(check_version),
        )
}

fn render(report: CompatibilityReport, verbose: bool) -> axum::response::Response {
    if verbose {
        ok(&json!({ "is_compatible": report.is_compatible, "messages": report.messages }))
    } else {
        ok(&json!({ "is_compatible": report.is_compatible }))
    }
}

async fn check_version(
    State(state): State<AppState>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> ApiResult {
    let version = VersionId::parse(&version)?;
    let options = check_options(&params);
    let report = state
        .registry
        .check_against_version(
            &QualifiedSubject::parse(&subject),
            version,
            &body.into_request()?,
            options,
        )
        .await?;
    Ok(render(report, options.verbose))
}

async fn check_all(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> ApiResult {
    let options = check_options(&params);
    let report = state
        .registry
        .check_against_all(
            &QualifiedSubject::parse(&subject),
            &body.into_request()?,
            options,
        )
        .await?;
    Ok(render(report, options.verbose))
}

fn check_options(params: &Params) -> CheckOptions {
    CheckOptions {
        normalize: params.optional_flag("normalize"),
        verbose: params.flag("verbose"),
    }
}
