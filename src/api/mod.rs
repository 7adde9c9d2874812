//! The HTTP layer: one router per resource, assembled here with the cross-cutting layers
//! (path normalisation, content negotiation, metrics). Handlers parse the request into
//! domain values, call `registry`, and render; they hold no logic of their own.

mod body;
mod compatibility;
mod config;
mod contexts;
pub mod error;
pub mod extract;
mod meta;
mod mode;
mod negotiate;
pub mod render;
mod rewrite;
mod schemas;
mod subjects;

use crate::registry::Registry;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::ApiError;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

pub use negotiate::choose_response_type;
pub use rewrite::rewrite_path;

/// Every route the server answers, as (method, path template). The OpenAPI test checks this
/// list against `openapi/openapi.yaml` and against the router itself.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("POST", "/"),
    ("GET", "/v1/metadata/id"),
    ("GET", "/v1/metadata/version"),
    ("GET", "/v1/metadata/deployment"),
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/schemas"),
    ("GET", "/schemas/types"),
    ("GET", "/schemas/ids/{id}"),
    ("GET", "/schemas/ids/{id}/schema"),
    ("GET", "/schemas/ids/{id}/subjects"),
    ("GET", "/schemas/ids/{id}/versions"),
    ("GET", "/schemas/guids/{guid}"),
    ("GET", "/schemas/guids/{guid}/ids"),
    ("GET", "/subjects"),
    ("POST", "/subjects/{subject}"),
    ("DELETE", "/subjects/{subject}"),
    ("GET", "/subjects/{subject}/versions"),
    ("POST", "/subjects/{subject}/versions"),
    ("GET", "/subjects/{subject}/versions/{version}"),
    ("DELETE", "/subjects/{subject}/versions/{version}"),
    ("GET", "/subjects/{subject}/versions/{version}/schema"),
    ("GET", "/subjects/{subject}/versions/{version}/referencedby"),
    ("GET", "/subjects/{subject}/metadata"),
    ("POST", "/compatibility/subjects/{subject}/versions"),
    (
        "POST",
        "/compatibility/subjects/{subject}/versions/{version}",
    ),
    ("GET", "/config"),
    ("PUT", "/config"),
    ("DELETE", "/config"),
    ("GET", "/config/{subject}"),
    ("PUT", "/config/{subject}"),
    ("DELETE", "/config/{subject}"),
    ("GET", "/mode"),
    ("PUT", "/mode"),
    ("DELETE", "/mode"),
    ("GET", "/mode/{subject}"),
    ("PUT", "/mode/{subject}"),
    ("DELETE", "/mode/{subject}"),
    ("GET", "/contexts"),
    ("DELETE", "/contexts/{context}"),
];

#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub metrics: PrometheusHandle,
    pub cluster_id: String,
}

impl AppState {
    pub fn new(registry: Arc<Registry>) -> Self {
        AppState {
            registry,
            metrics: metrics_handle(),
            cluster_id: "schemata".into(),
        }
    }
}

/// The process-wide Prometheus recorder (installed once, however many apps a test starts).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (embedding); then ours just stays empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(subjects::router())
        .merge(schemas::router())
        .merge(compatibility::router())
        .merge(config::router())
        .merge(mode::router())
        .merge(contexts::router())
        .merge(meta::router())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::from_fn(negotiate::negotiate))
        .with_state(state)
}

/// Serve the API on a bound listener until the process is asked to stop.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use tower::Layer as _;
    // Paths are rewritten before routing (trailing slashes, `/contexts/{ctx}/...` prefixes).
    let service = tower::util::MapRequestLayer::new(rewrite::rewrite_request).layer(router(state));
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service(service),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

async fn unknown_route() -> Response {
    ApiError::not_found().into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::http(StatusCode::METHOD_NOT_ALLOWED).into_response()
}

/// Request count and latency per route. Every label is a `&'static str` (the route template
/// from [`ROUTES`], the method and status from fixed tables), so the hot path allocates nothing
/// for metrics.
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| ROUTES.iter().find(|(_, path)| *path == p.as_str()))
        .map_or("unmatched", |(_, path)| *path);
    let method = static_method(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = static_status(response.status());
    metrics::counter!("schemata_http_requests_total", "method" => method, "route" => route, "status" => status)
        .increment(1);
    metrics::histogram!("schemata_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

fn static_method(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

fn static_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200 => "200",
        204 => "204",
        400 => "400",
        404 => "404",
        405 => "405",
        406 => "406",
        409 => "409",
        413 => "413",
        415 => "415",
        422 => "422",
        500 => "500",
        503 => "503",
        s if s < 300 => "2xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
}
