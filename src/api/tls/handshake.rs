//! One HTTPS connection: the TLS handshake within the header-read timeout (a client that
//! connects and sends nothing is closed; failures are logged at DEBUG, they are the
//! client's), then HTTP/2 when ALPN chose it and HTTP/1.1 otherwise, with the verified client
//! certificate's name in the extensions of every request (docs/tls.md).
//!
//! HTTP/1.1 has hyper's header-read timeout, which also closes idle connections. HTTP/2
//! has no such timer, so this module keeps one: a connection with no request in flight for
//! the header-read timeout (from its start or its last answer) is closed with GOAWAY, as it
//! is on SIGTERM, and dropped if it has not closed a timeout later.

use super::super::listen::RemoteAddr;
use super::{PeerCertificate, Tls};
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::{Service, ServiceExt};

/// Requests one HTTP/2 connection may have in flight at once.
pub(in crate::api) const MAX_CONCURRENT_STREAMS: u32 = 100;

/// How one TLS connection is served: the HTTP/1.1 settings of the plain connections, the
/// time limit for the handshake and for idle HTTP/2, and the stop signals.
pub(in crate::api) struct TlsConnection {
    pub http1: hyper::server::conn::http1::Builder,
    pub timeout: Duration,
    pub watcher: Watcher,
    pub stopping: watch::Receiver<bool>,
    /// The client's address, when requests carry it (`listen::Peers`).
    pub remote: Option<RemoteAddr>,
}

/// Handshake on `stream`, then serve `app` on it until the client or the server closes it.
pub(in crate::api) async fn serve_tls<S>(
    stream: TcpStream,
    tls: &Tls,
    app: S,
    connection: TlsConnection,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let acceptor = TlsAcceptor::from(tls.current());
    let stream = match tokio::time::timeout(connection.timeout, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(
                timeout_secs = connection.timeout.as_secs(),
                "TLS handshake not finished in time; connection closed"
            );
            return;
        }
    };
    let (_, session) = stream.get_ref();
    let http2 = session.alpn_protocol() == Some(b"h2");
    let peer = session
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|leaf| PeerCertificate::from_der(leaf));
    if peer.is_none() && tls.requires_client_certificates() {
        tracing::debug!("client certificate without a subject CN: no principal from it");
    }
    let remote = connection.remote;
    let service = app.map_request(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(Body::new);
        if let Some(peer) = &peer {
            request.extensions_mut().insert(peer.clone());
        }
        if let Some(remote) = remote {
            request.extensions_mut().insert(remote);
        }
        request
    });
    let io = TokioIo::new(stream);
    if http2 {
        serve_http2(io, service, connection.timeout, connection.stopping).await;
    } else {
        let served = connection
            .http1
            .serve_connection(io, TowerToHyperService::new(service));
        // An error here is the client's connection failing or timing out: nothing to do.
        let _ = connection.watcher.watch(served).await;
    }
}

/// Serve HTTP/2 until the client closes, the connection has been idle for `idle`, or the
/// server stops (both: GOAWAY, then the requests in flight finish).
async fn serve_http2<I, S>(io: I, service: S, idle: Duration, mut stopping: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: Service<hyper::Request<Incoming>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let service = Tracked {
        inner: service,
        activity: activity.clone(),
    };
    let mut http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    http2
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS);
    let served = http2.serve_connection(io, TowerToHyperService::new(service));
    tokio::pin!(served);
    let mut closing = *stopping.borrow();
    if closing {
        served.as_mut().graceful_shutdown();
    }
    // An idle connection closed with GOAWAY has no request to finish; one still waiting for
    // the client's preface ignores GOAWAY, so after `idle` more it is dropped.
    let mut dropped_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            // An error here is the client's connection failing: nothing to do.
            _ = served.as_mut() => return,
            _ = stopping.changed(), if !closing => {
                served.as_mut().graceful_shutdown();
                closing = true;
            }
            () = activity.idle_for(idle), if !closing => {
                served.as_mut().graceful_shutdown();
                closing = true;
                dropped_at = Some(tokio::time::Instant::now() + idle);
            }
            () = sleep_until_some(dropped_at) => return,
        }
    }
}

/// Sleep until `deadline`; never, without one.
async fn sleep_until_some(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Requests in flight on one connection, and when the last one ended.
struct Activity {
    started: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds from `started` to the end of the last request.
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_ms: AtomicU64::new(0),
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// Ends once no request has been in flight for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let wait = if self.in_flight.load(Ordering::SeqCst) == 0 {
                let last = Duration::from_millis(self.last_ms.load(Ordering::SeqCst));
                let quiet = self.started.elapsed().saturating_sub(last);
                if quiet >= idle {
                    return;
                }
                idle - quiet
            } else {
                idle
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// A request in flight; dropping it records its end.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let now = u64::try_from(self.0.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_ms.store(now, Ordering::SeqCst);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A service that counts its requests in flight in an [`Activity`].
#[derive(Clone)]
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S, R> Service<R> for Tracked<S>
where
    S: Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let in_flight = self.activity.begin();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let answer = answer.await;
            drop(in_flight);
            answer
        })
    }
}
