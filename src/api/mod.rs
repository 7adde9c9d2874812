//! The HTTP layer: one router per resource, assembled here with the cross-cutting layers
//! (path normalisation, content negotiation, metrics). Handlers parse the request into
//! domain values, call `registry`, and render; they hold no logic of their own.

mod alias;
pub mod auth;
mod body;
mod body_budget;
mod compatibility;
mod config;
mod contexts;
pub mod error;
pub mod extract;
mod front;
pub mod limits;
mod listen;
mod meta;
mod mode;
mod negotiate;
pub mod render;
mod request_id;
mod retry;
mod rewrite;
mod schemas;
mod subjects;
pub mod tls;

use crate::registry::Registry;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::ApiError;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

#[doc(hidden)]
pub use body::parse_schema_request;
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
    ("GET", "/ready"),
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
    /// Authentication, when configured (`auth`).
    pub auth: Option<Arc<auth::Authentication>>,
    /// Connections, buffered bytes and time limits of the HTTP server.
    pub limits: limits::ServerLimits,
    /// HTTPS, when configured (`tls`): every connection is then TLS.
    pub tls: Option<Arc<tls::Tls>>,
}

impl AppState {
    pub fn new(registry: Arc<Registry>) -> Self {
        AppState {
            registry,
            metrics: metrics_handle(),
            cluster_id: "schemata".into(),
            auth: None,
            limits: limits::ServerLimits::default(),
            tls: None,
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

/// Serve the API on a bound listener until the process is asked to stop (SIGTERM or
/// Ctrl-C), then finish the requests in flight (within the shutdown timeout). The signals
/// are caught before the listening line is logged, so a stop that follows it at once still
/// drains instead of killing.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use tower::Layer as _;
    let stop = shutdown_signal()?;
    // Before routing: paths are rewritten (trailing slashes, `/contexts/{ctx}/...` prefixes),
    // then `front` checks credentials, refuses impossible contexts, reads the body within
    // the buffered-bytes budget, follows aliases and retries lost connections.
    let limits = state.limits.clone();
    let budget = Arc::new(body_budget::BodyBudget::new(&limits));
    let (registry, auth, tls) = (
        state.registry.clone(),
        state.auth.clone(),
        state.tls.clone(),
    );
    if let Some(tls) = &tls {
        tls::reload_on_hangup(tls.clone())?;
    }
    let app = front::Front::new(router(state), registry, auth, budget);
    let service = tower::util::MapRequestLayer::new(rewrite::rewrite_request).layer(app);
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(address = %listener.local_addr()?, %scheme, "schemata listening");
    if listen::accept_loop(listener, service, &limits, tls, stop).await {
        tracing::info!("stopped accepting connections; in-flight requests drained");
    }
    Ok(())
}

/// Catch SIGTERM and SIGINT now; the future ends when either arrives.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut terminate, mut interrupt) = (
        signal(SignalKind::terminate())?,
        signal(SignalKind::interrupt())?,
    );
    Ok(async move {
        tokio::select! { _ = terminate.recv() => {}, _ = interrupt.recv() => {} }
        tracing::info!("shutdown requested; draining in-flight requests");
    })
}

/// Catch Ctrl-C; the future ends when it arrives.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested; draining in-flight requests");
    })
}

async fn unknown_route() -> Response {
    ApiError::not_found().into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::http(StatusCode::METHOD_NOT_ALLOWED).into_response()
}

/// Request count and latency per route. Every label comes from a fixed table (the route
/// template from [`ROUTES`], the method, the status class), so each label set has a slot in
/// [`RequestMetrics`] and the hot path neither allocates nor looks the series up by name.
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| ROUTES.iter().position(|(_, path)| *path == p.as_str()))
        .unwrap_or(UNMATCHED);
    let method = method_index(req.method());
    let started = Instant::now();
    // The request's method and path, kept only when its access-log line will be written.
    let logged = access_log_on().then(|| (req.method().clone(), req.uri().path().to_owned()));
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    if let Some((method, path)) = logged {
        access_log(&method, &path, response.status(), elapsed);
    }
    let status = status_index(response.status());
    let handles = RequestMetrics::get();
    handles.counter(route, method, status).increment(1);
    handles
        .histogram(route, method)
        .record(elapsed.as_secs_f64());
    response
}

/// Whether the access log is written at INFO (`--access-log`) rather than DEBUG.
static ACCESS_LOG_AT_INFO: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Log every request at INFO from now on (`--access-log`); otherwise at DEBUG.
pub fn log_requests_at_info(on: bool) {
    ACCESS_LOG_AT_INFO.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn access_log_at_info() -> bool {
    ACCESS_LOG_AT_INFO.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether access-log lines are written at all (the filter lets their level through).
fn access_log_on() -> bool {
    if access_log_at_info() {
        tracing::enabled!(target: "schemata::access", tracing::Level::INFO)
    } else {
        tracing::enabled!(target: "schemata::access", tracing::Level::DEBUG)
    }
}

/// One line per request under the target `schemata::access`: method, path (without the
/// query), status and duration.
fn access_log(method: &axum::http::Method, path: &str, status: StatusCode, took: Duration) {
    let millis = took.as_secs_f64() * 1000.0;
    let status = status.as_u16();
    if access_log_at_info() {
        tracing::info!(target: "schemata::access", %method, path, status, millis, "request");
    } else {
        tracing::debug!(target: "schemata::access", %method, path, status, millis, "request");
    }
}

/// The route index of requests that matched no route.
const UNMATCHED: usize = ROUTES.len();
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "HEAD", "OTHER"];
const STATUSES: [&str; 15] = [
    "200", "204", "400", "404", "405", "406", "409", "413", "415", "422", "500", "503", "2xx",
    "4xx", "5xx",
];

fn route_label(route: usize) -> &'static str {
    ROUTES.get(route).map_or("unmatched", |(_, path)| *path)
}

/// Handles of the request series, registered with the recorder on first use. The global
/// recorder is installed (`metrics_handle`) before the router serves anything and never
/// replaced, so a handle stays valid for the life of the process.
struct RequestMetrics {
    counters: Vec<OnceLock<metrics::Counter>>,
    histograms: Vec<OnceLock<metrics::Histogram>>,
}

impl RequestMetrics {
    fn get() -> &'static RequestMetrics {
        static HANDLES: OnceLock<RequestMetrics> = OnceLock::new();
        HANDLES.get_or_init(|| {
            let routes = ROUTES.len() + 1;
            RequestMetrics {
                counters: (0..routes * METHODS.len() * STATUSES.len())
                    .map(|_| OnceLock::new())
                    .collect(),
                histograms: (0..routes * METHODS.len())
                    .map(|_| OnceLock::new())
                    .collect(),
            }
        })
    }

    fn counter(&self, route: usize, method: usize, status: usize) -> &metrics::Counter {
        let slot = (route * METHODS.len() + method) * STATUSES.len() + status;
        self.counters[slot].get_or_init(|| {
            metrics::counter!("schemata_http_requests_total",
                "method" => METHODS[method], "route" => route_label(route), "status" => STATUSES[status])
        })
    }

    fn histogram(&self, route: usize, method: usize) -> &metrics::Histogram {
        self.histograms[route * METHODS.len() + method].get_or_init(|| {
            metrics::histogram!("schemata_http_request_duration_seconds",
                "method" => METHODS[method], "route" => route_label(route))
        })
    }
}

fn method_index(method: &axum::http::Method) -> usize {
    use axum::http::Method;
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::DELETE => 3,
        Method::HEAD => 4,
        _ => 5,
    }
}

/// The codes with a label of their own, in [`STATUSES`] order; others go by class.
const OWN_LABEL: [u16; 12] = [200, 204, 400, 404, 405, 406, 409, 413, 415, 422, 500, 503];

fn status_index(status: StatusCode) -> usize {
    let code = status.as_u16();
    OWN_LABEL
        .iter()
        .position(|c| *c == code)
        // The class labels follow the own ones in STATUSES: 2xx, 4xx, 5xx.
        .unwrap_or(match code {
            c if c < 300 => OWN_LABEL.len(),
            c if c < 500 => OWN_LABEL.len() + 1,
            _ => OWN_LABEL.len() + 2,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_name_their_codes() {
        for (index, code) in OWN_LABEL.iter().enumerate() {
            let status = StatusCode::from_u16(*code).unwrap();
            assert_eq!(STATUSES[status_index(status)], code.to_string());
            assert_eq!(status_index(status), index);
        }
        assert_eq!(STATUSES[status_index(StatusCode::CREATED)], "2xx");
        assert_eq!(STATUSES[status_index(StatusCode::FORBIDDEN)], "4xx");
        assert_eq!(STATUSES[status_index(StatusCode::BAD_GATEWAY)], "5xx");
    }

    #[test]
    fn unmatched_requests_have_their_own_route_label() {
        assert_eq!(route_label(UNMATCHED), "unmatched");
        assert_eq!(route_label(0), ROUTES[0].1);
    }
}
