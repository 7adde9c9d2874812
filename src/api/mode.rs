//! `/mode`: READWRITE, READONLY, READONLY_OVERRIDE, IMPORT (and FORWARD, global only).

use super::error::ApiResult;
use super::extract::{JsonBody, Params, PathParams};
use super::render::ok;
use super::AppState;
use crate::domain::{Mode, QualifiedSubject};
use crate::registry::RegistryError;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/mode",
            get(get_global).put(put_global).delete(delete_global),
        )
        .route(
            "/mode/{subject}",
            get(get_subject).put(put_subject).delete(delete_subject),
        )
}

#[derive(Debug, Deserialize)]
struct ModeBody {
    /// `None`: the field was absent (42204); `Some(Null)`: `{"mode": null}` (clear it).
    #[serde(default, deserialize_with = "present")]
    mode: Option<Value>,
}

/// Keeps an explicit `null` apart from an absent field (plain `Option` merges the two).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

const INVALID_MODE: &str =
    "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT and FORWARD.";

/// The stored global mode. `defaultToGlobal` changes nothing at the top level, except while
/// this server or another on its database follows a storage topic: then every scope
/// resolves to READONLY, and so does `GET /mode/{s}?defaultToGlobal=true`
/// (docs/rest-api.md §5.4).
async fn get_global(State(state): State<AppState>, params: Params) -> ApiResult {
    if params.flag("defaultToGlobal") && state.registry.followed_source().await?.is_some() {
        return Ok(ok(&json!({ "mode": Mode::ReadOnly.as_str() })));
    }
    let mode = state.registry.mode_at("").await?.unwrap_or(Mode::ReadWrite);
    Ok(ok(&json!({ "mode": mode.as_str() })))
}

async fn put_global(
    State(state): State<AppState>,
    params: Params,
    body: JsonBody<ModeBody>,
) -> ApiResult {
    put_mode(state, QualifiedSubject::parse(""), params, body.0).await
}

async fn put_mode(
    state: AppState,
    subject: QualifiedSubject,
    params: Params,
    body: ModeBody,
) -> ApiResult {
    match body.mode {
        // `{"mode": null}` clears the setting.
        Some(Value::Null) => {
            state.registry.delete_mode(&subject, false).await?;
            Ok(ok(&json!({ "mode": Value::Null })))
        }
        Some(Value::String(sent)) => {
            let mode = Mode::parse(&sent)
                .ok_or_else(|| RegistryError::InvalidMode(INVALID_MODE.into()))?;
            state
                .registry
                .set_mode(&subject, mode, params.flag("force"))
                .await?;
            // CSR echoes the mode as it was sent.
            Ok(ok(&json!({ "mode": sent })))
        }
        _ => Err(RegistryError::InvalidMode(INVALID_MODE.into()).into()),
    }
}

async fn delete_global(State(state): State<AppState>, params: Params) -> ApiResult {
    let old = state
        .registry
        .delete_mode(&QualifiedSubject::parse(""), params.flag("recursive"))
        .await?;
    Ok(ok(
        &json!({ "mode": old.unwrap_or(Mode::ReadWrite).as_str() }),
    ))
}

async fn get_subject(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let subject = QualifiedSubject::parse(&subject);
    if subject.scope().is_empty() {
        return get_global(State(state), params).await;
    }
    if params.flag("defaultToGlobal") {
        if state.registry.followed_source().await?.is_some() {
            return Ok(ok(&json!({ "mode": Mode::ReadOnly.as_str() })));
        }
        let mode = state.registry.effective_mode(&subject).await?;
        return Ok(ok(&json!({ "mode": mode.as_str() })));
    }
    match state.registry.mode_at(&subject.scope()).await? {
        Some(mode) => Ok(ok(&json!({ "mode": mode.as_str() }))),
        None => Err(RegistryError::SubjectModeNotConfigured(subject.qualified()).into()),
    }
}

async fn put_subject(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    body: JsonBody<ModeBody>,
) -> ApiResult {
    put_mode(state, QualifiedSubject::parse(&subject), params, body.0).await
}

async fn delete_subject(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let subject = QualifiedSubject::parse(&subject);
    let recursive = params.flag("recursive");
    match state.registry.delete_mode(&subject, recursive).await? {
        Some(old) => Ok(ok(&json!({ "mode": old.as_str() }))),
        None if recursive => Ok(ok(&json!({ "mode": Mode::ReadWrite.as_str() }))),
        None => Err(RegistryError::SubjectNotFound(subject.qualified()).into()),
    }
}
