//! Root, server metadata, health, Prometheus metrics, and the follower's status
//! (`GET /v1/follow`, docs/migration.md §6).

use super::error::ApiResult;
use super::extract::JsonBody;
use super::render::ok;
use super::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

/// The Confluent Platform version we answer as; tools that gate features on it see a 7.x
/// server, which is the wire behaviour we implement.
pub(super) const CONFLUENT_COMPATIBLE_VERSION: &str = "7.6.0";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root).post(root_post))
        .route("/v1/metadata/id", get(cluster_id))
        .route("/v1/metadata/version", get(server_version))
        .route("/v1/metadata/deployment", get(deployment))
        .route("/v1/follow", get(follow))
        .route("/v1/follow/stop", axum::routing::post(stop_following))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
}

async fn root() -> Response {
    ok(&json!({}))
}

async fn root_post(JsonBody(_body): JsonBody<Value>) -> Response {
    ok(&json!({}))
}

async fn cluster_id(State(state): State<AppState>) -> Response {
    ok(&json!({
        "id": "",
        "scope": {
            "path": [],
            "clusters": {
                "kafka-cluster": state.cluster_id,
                "schema-registry-cluster": "schemata",
            }
        }
    }))
}

async fn server_version() -> Response {
    ok(&json!({
        "version": CONFLUENT_COMPATIBLE_VERSION,
        "commitId": env!("CARGO_PKG_VERSION"),
        "schemata": env!("CARGO_PKG_VERSION"),
    }))
}

async fn deployment() -> Response {
    ok(&json!({ "attributes": [] }))
}

/// Whether this server follows another registry's storage topic, and how far behind it
/// is; `{"following": false}` on a server that does not.
async fn follow(State(state): State<AppState>) -> Response {
    follow_status(&state.registry.follow_status())
}

/// Stop following (the cut-over, docs/migration.md §6.1): writes are taken from now on. The
/// answer is the status at the stop, so the operator sees the lag it stopped at, and
/// `stopped`: whether this request stopped it.
async fn stop_following(State(state): State<AppState>) -> ApiResult {
    let stopped = state.registry.stop_following().await?;
    if stopped {
        tracing::info!("stopped following the storage topic: writes are taken from now on");
    }
    let mut body = follow_body(&state.registry.follow_status());
    body["stopped"] = stopped.into();
    Ok(ok(&body))
}

fn follow_status(status: &crate::registry::FollowStatus) -> Response {
    ok(&follow_body(status))
}

fn follow_body(status: &crate::registry::FollowStatus) -> Value {
    if status.source.is_none() {
        return json!({ "following": false });
    }
    json!({
        "following": status.following,
        "source": status.source,
        "position": status.position,
        "highWatermark": status.high_watermark,
        "lagRecords": status.lag_records,
        "lagSeconds": status.lag_seconds,
        "lastRecordTimestamp": status.last_record_timestamp,
        "recordsApplied": status.records_applied,
        "errors": status.errors,
        "lastError": status.last_error,
    })
}

/// Liveness: the process answers requests. It does not ask the database, so an orchestrator
/// does not restart a healthy process because its database is away (that is `/ready`).
async fn health() -> Response {
    ok(&json!({ "status": "UP" }))
}

/// Readiness: the database answers and has this build's migrations; 503 otherwise, so a load
/// balancer takes this process out until it can serve.
async fn ready(State(state): State<AppState>) -> ApiResult {
    match state.registry.check_ready().await {
        Ok(_) => Ok(ok(&json!({ "status": "UP" }))),
        // `/ready` answers without credentials: the cause goes to the log only.
        Err(e) => {
            let request_id = super::request_id::log_with_request_id("readiness check failed", &e);
            let message = format!("The database is not ready (request id {request_id})");
            Ok(super::render::json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": "DOWN", "error_code": 50001, "message": message }),
            ))
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let text = super::metrics::render(&state.metrics, &state.registry).await;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
