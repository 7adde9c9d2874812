//! `/contexts`: list contexts, delete an empty one.

use super::error::ApiResult;
use super::extract::{Params, PathParams};
use super::render::ok;
use super::AppState;
use crate::domain::QualifiedSubject;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::Router;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/contexts", get(list_contexts))
        .route("/contexts/{context}", delete(delete_context))
}

async fn list_contexts(State(state): State<AppState>, params: Params) -> ApiResult {
    let mut contexts = state.registry.contexts().await?;
    if let Some(prefix) = params.get("contextPrefix").filter(|p| !p.is_empty()) {
        contexts.retain(|c| c.starts_with(prefix));
    }
    Ok(ok(&params.page(contexts, None)?))
}

/// The path value is the delimited form `:.ctx:`; a bare `.ctx` is accepted too.
async fn delete_context(
    State(state): State<AppState>,
    PathParams(raw): PathParams<String>,
) -> ApiResult {
    let context = if raw.starts_with(':') {
        QualifiedSubject::parse(&raw).context
    } else {
        raw
    };
    state.registry.delete_context(&context).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
