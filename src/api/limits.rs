//! What one client can make the HTTP server hold: connections, buffered request bytes, and
//! the time a connection may take to send its headers or its body (docs/rest-api.md §8).
//! Each default is written once here; the command line and the README take them from here.

use std::time::Duration;

/// The server's resource bounds. Every field has a `--flag` of `schemata serve`.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Open client connections; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Request bytes buffered at once by all requests together. A request whose body does
    /// not fit waits for room up to [`ServerLimits::buffered_wait`], then is answered 503.
    pub max_buffered_bytes: usize,
    /// How long a request waits for room in the buffered-bytes budget.
    pub buffered_wait: Duration,
    /// Time allowed for a request's headers, counted from the connection's start or from the
    /// end of the previous response: it also closes idle keep-alive connections.
    pub header_read_timeout: Duration,
    /// Time allowed for a request's whole body once its headers have arrived; slower is 408.
    pub body_read_timeout: Duration,
    /// On SIGTERM, how long in-flight requests may take to finish before their connections
    /// are closed.
    pub shutdown_timeout: Duration,
}

impl ServerLimits {
    pub const DEFAULT_MAX_CONNECTIONS: usize = 1000;
    pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 32 * 1024 * 1024;
    pub const DEFAULT_BUFFERED_WAIT_SECS: u64 = 10;
    pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 20;
    pub const DEFAULT_BODY_READ_TIMEOUT_SECS: u64 = 30;
    pub const DEFAULT_SHUTDOWN_TIMEOUT_SECS: u64 = 30;
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            max_buffered_bytes: Self::DEFAULT_MAX_BUFFERED_BYTES,
            buffered_wait: Duration::from_secs(Self::DEFAULT_BUFFERED_WAIT_SECS),
            header_read_timeout: Duration::from_secs(Self::DEFAULT_HEADER_READ_TIMEOUT_SECS),
            body_read_timeout: Duration::from_secs(Self::DEFAULT_BODY_READ_TIMEOUT_SECS),
            shutdown_timeout: Duration::from_secs(Self::DEFAULT_SHUTDOWN_TIMEOUT_SECS),
        }
    }
}
