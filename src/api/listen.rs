//! The accept loop: connections up to a cap (one more is answered 503 and closed; over
//! TLS, closed), each served by hyper's HTTP/1.1 with a header time limit that also closes
//! idle keep-alive connections (over TLS, `tls` serves them, HTTP/2 too), and a graceful stop
//! on SIGTERM or Ctrl-C bounded by the shutdown timeout (docs/rest-api.md §8, ARCHITECTURE.md).

use super::limits::ServerLimits;
use super::tls::{serve_tls, Tls, TlsConnection};
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};

/// The address a request's connection comes from, in its extensions (for the audit log
/// and the rate limit of anonymous requests).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RemoteAddr(pub(crate) SocketAddr);

/// Whether requests carry their [`RemoteAddr`]: only when something reads it, so that
/// otherwise no request pays for the extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Peers {
    Tagged,
    Untagged,
}

/// Serve `app` on `listener` until `stop` ends, then let in-flight requests finish within
/// the shutdown timeout. Returns whether they all finished. With `tls`, every connection
/// is HTTPS.
pub(super) async fn accept_loop<S>(
    listener: TcpListener,
    app: S,
    limits: &ServerLimits,
    peers: Peers,
    tls: Option<Arc<Tls>>,
    stop: impl std::future::Future<Output = ()>,
) -> bool
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    // HTTP/2 connections (TLS only) watch this themselves (`tls`).
    let (stopping, _) = tokio::sync::watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            // A TLS client could not read a plain answer; it is only closed.
            if tls.is_none() {
                tokio::spawn(refuse(stream, limits.max_connections));
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        if let Some(tls) = &tls {
            let (tls, app) = (tls.clone(), app.clone());
            let connection = TlsConnection {
                http1: http.clone(),
                timeout: limits.header_read_timeout,
                watcher: graceful.watcher(),
                stopping: stopping.subscribe(),
                remote: (peers == Peers::Tagged).then_some(RemoteAddr(peer)),
            };
            tokio::spawn(async move {
                serve_tls(stream, &tls, app, connection).await;
                drop(permit);
            });
            continue;
        }
        let service = app
            .clone()
            .map_request(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(Body::new);
                if peers == Peers::Tagged {
                    request.extensions_mut().insert(RemoteAddr(peer));
                }
                request
            });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // An error here is the client's connection failing or timing out: nothing to do.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    stopping.send_replace(true);
    let cap = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        graceful.shutdown().await;
        // Every connection, HTTP/2 ones too, gives its permit back when it closes.
        let _ = connections.acquire_many(cap).await;
    })
    .await
    .is_ok();
    if !drained {
        tracing::warn!(
            connections = limits.max_connections.max(1) - connections.available_permits(),
            timeout_secs = limits.shutdown_timeout.as_secs(),
            "shutdown timeout reached; closing the connections still open"
        );
    }
    drained
}

/// Answer a connection over the cap with 503 and close it. What the client already sent is
/// read (a little, briefly) first so that closing does not reset the connection before the
/// answer arrives.
async fn refuse(mut stream: TcpStream, cap: usize) {
    let body = format!(
        r#"{{"error_code":503,"message":"The server has reached its limit of {cap} connections; retry in a moment"}}"#
    );
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/vnd.schemaregistry.v1+json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let mut sent = [0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_millis(50), stream.read(&mut sent)).await;
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}
