//! The HTTP layer: one router per resource, assembled here with the cross-cutting layers
//! (path normalisation, content negotiation, metrics). Handlers parse the request into
//! domain values, call `registry`, and render; they hold no logic of their own.

mod access_log;
pub mod acl;
mod alias;
pub mod audit;
pub mod auth;
mod body;
mod body_budget;
mod by_id;
mod compatibility;
mod config;
mod contexts;
pub mod error;
pub mod extract;
mod front;
pub mod limits;
mod listen;
mod meta;
pub mod metrics;
mod mode;
mod negotiate;
mod observe;
pub mod rate_limit;
pub mod render;
mod request_id;
mod retry;
mod rewrite;
mod schemas;
mod subjects;
pub mod tls;
mod watched;

use crate::registry::Registry;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::ApiError;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

pub use access_log::log_requests_at_info;
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
    ("GET", "/v1/follow"),
    ("POST", "/v1/follow/stop"),
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

/// What every handler reads: cloned for each request by the router, so it is one shared
/// [`AppStateParts`] behind an `Arc` (one reference count to increment, nothing to copy).
/// Set up before serving; a change through `DerefMut` copies the parts if they are shared.
#[derive(Clone)]
pub struct AppState(Arc<AppStateParts>);

#[derive(Clone)]
pub struct AppStateParts {
    pub registry: Arc<Registry>,
    pub metrics: PrometheusHandle,
    pub cluster_id: String,
    /// Authentication, when configured (`auth`).
    pub auth: Option<Arc<auth::Authentication>>,
    /// Authorization by an ACL file, when configured (`acl`; needs `auth`).
    pub acl: Option<Arc<acl::Acl>>,
    /// Where changes and refusals are recorded, when configured (`audit`).
    pub audit: Option<Arc<audit::AuditLog>>,
    /// Requests a second per principal, when configured (`rate_limit`).
    pub rate_limit: Option<Arc<rate_limit::RateLimit>>,
    /// Connections, buffered bytes and time limits of the HTTP server.
    pub limits: limits::ServerLimits,
    /// HTTPS, when configured (`tls`): every connection is then TLS.
    pub tls: Option<Arc<tls::Tls>>,
}

impl AppState {
    pub fn new(registry: Arc<Registry>) -> Self {
        AppState(Arc::new(AppStateParts {
            registry,
            metrics: metrics::handle(),
            cluster_id: "schemata".into(),
            auth: None,
            acl: None,
            audit: None,
            rate_limit: None,
            limits: limits::ServerLimits::default(),
            tls: None,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateParts;

    fn deref(&self) -> &AppStateParts {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut AppStateParts {
        Arc::make_mut(&mut self.0)
    }
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
        .layer(observe::ObserveLayer)
        .with_state(state)
}

/// Serve the API on a bound listener until the process is asked to stop (SIGTERM or
/// Ctrl-C), then finish the requests in flight (within the shutdown timeout). The signals
/// are caught before the listening line is logged, so a stop that follows it at once still
/// drains instead of killing.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use tower::Layer as _;
    if state.acl.is_some() && state.auth.is_none() {
        // Without a principal every request would pass the ACL unchecked.
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "an ACL file needs authentication to name principals",
        ));
    }
    let stop = shutdown_signal()?;
    // Before routing: paths are rewritten (trailing slashes, `/contexts/{ctx}/...` prefixes),
    // then `front` checks credentials, refuses impossible contexts, reads the body within
    // the buffered-bytes budget, follows aliases and retries lost connections.
    let limits = state.limits.clone();
    let budget = body_budget::BodyBudget::new(&limits);
    let (registry, tls) = (state.registry.clone(), state.tls.clone());
    let state_metrics = state.metrics.clone();
    let guards = front::Guards {
        auth: state.auth.clone(),
        acl: state.acl.clone(),
        audit: state.audit.clone(),
        rate_limit: state.rate_limit.clone(),
    };
    if let Some(acl) = &guards.acl {
        acl.watch();
    }
    if let Some(auth) = &guards.auth {
        auth.watch();
    }
    if let Some(tls) = &tls {
        tls::reload_on_hangup(tls.clone())?;
    }
    let peers = if guards.audit.is_some() || guards.rate_limit.is_some() {
        listen::Peers::Tagged
    } else {
        listen::Peers::Untagged
    };
    let app = front::Front::new(router(state), registry, guards, budget);
    let service = tower::util::MapRequestLayer::new(rewrite::rewrite_request).layer(app);
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(address = %listener.local_addr()?, %scheme, "schemata listening");
    let upkeep = metrics::keep_drained(&state_metrics);
    let drained = listen::accept_loop(listener, service, &limits, peers, tls, stop).await;
    upkeep.abort();
    if drained {
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
