//! `/config`: compatibility level and related settings, global and per subject or context.
//! GET answers `compatibilityLevel`; PUT takes and echoes `compatibility` (CSR's two shapes).

use super::error::{ApiError, ApiResult};
use super::extract::{JsonBody, Params, PathParams};
use super::render::ok;
use super::AppState;
use crate::domain::{without_nulls, Config, QualifiedSubject};
use crate::registry::RegistryError;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/config",
            get(get_global).put(put_global).delete(delete_global),
        )
        .route(
            "/config/{subject}",
            get(get_subject).put(put_subject).delete(delete_subject),
        )
}

/// PUT body: Config with the level spelled `compatibility` (`compatibilityLevel` accepted
/// too, as a friendlier alias).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigBody {
    #[serde(default)]
    compatibility: Option<String>,
    #[serde(flatten)]
    rest: Config,
}

impl ConfigBody {
    fn into_config(self) -> Config {
        let mut config = self.rest;
        if self.compatibility.is_some() {
            config.compatibility_level = self.compatibility;
        }
        // A contract member sent as `null` is absent (docs/rest-api.md §3.4).
        for contract in [
            &mut config.default_metadata,
            &mut config.override_metadata,
            &mut config.default_rule_set,
            &mut config.override_rule_set,
        ] {
            *contract = contract.take().and_then(without_nulls);
        }
        config
    }
}

/// A config in the PUT-response shape: `compatibility` instead of `compatibilityLevel`.
fn put_response(config: &Config) -> Value {
    let mut value = serde_json::to_value(config).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        if let Some(level) = map.remove("compatibilityLevel") {
            map.insert("compatibility".into(), level);
        }
    }
    value
}

/// Subject path values naming the default context mean the global config.
fn scope_subject(raw: &str) -> QualifiedSubject {
    QualifiedSubject::parse(raw)
}

async fn get_global(State(state): State<AppState>) -> ApiResult {
    Ok(ok(&state.registry.global_config().await?))
}

async fn put_global(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ConfigBody>,
) -> ApiResult {
    let config = state
        .registry
        .update_config(&QualifiedSubject::parse(""), body.into_config())
        .await?;
    Ok(ok(&put_response(&config)))
}

async fn delete_global(State(state): State<AppState>) -> ApiResult {
    let old = state
        .registry
        .delete_config(&QualifiedSubject::parse(""))
        .await?;
    match old {
        Some(config) => Ok(ok(&config)),
        None => Ok(ok(&state.registry.global_config().await?)),
    }
}

async fn get_subject(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let subject = scope_subject(&subject);
    if subject.scope().is_empty() {
        return get_global(State(state)).await;
    }
    if params.flag("defaultToGlobal") {
        return Ok(ok(&state.registry.effective_config(&subject).await?.config));
    }
    match state.registry.config_at(&subject.scope()).await? {
        Some(mut config) => {
            if config.compatibility_level.is_none() {
                config.compatibility_level = Some(
                    state
                        .registry
                        .options()
                        .default_compatibility
                        .as_str()
                        .into(),
                );
            }
            Ok(ok(&config))
        }
        None => Err(RegistryError::SubjectCompatibilityNotConfigured(subject.qualified()).into()),
    }
}

async fn put_subject(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    JsonBody(body): JsonBody<ConfigBody>,
) -> ApiResult {
    let config = state
        .registry
        .update_config(&scope_subject(&subject), body.into_config())
        .await?;
    Ok(ok(&put_response(&config)))
}

async fn delete_subject(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
) -> ApiResult {
    let subject = scope_subject(&subject);
    if subject.scope().is_empty() {
        return delete_global(State(state)).await;
    }
    match state.registry.delete_config(&subject).await? {
        Some(config) => Ok(ok(&config)),
        None => Err(ApiError::from(RegistryError::SubjectNotFound(
            subject.qualified(),
        ))),
    }
}
