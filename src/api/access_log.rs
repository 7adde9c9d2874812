//! The access log: one line per request under the target `schemata::access`, at DEBUG, or
//! at INFO with `--access-log` (`docs/operations.md`).

use axum::http::StatusCode;
use std::time::Duration;

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
pub(super) fn access_log_on() -> bool {
    if access_log_at_info() {
        tracing::enabled!(target: "schemata::access", tracing::Level::INFO)
    } else {
        tracing::enabled!(target: "schemata::access", tracing::Level::DEBUG)
    }
}

/// One line per request under the target `schemata::access`: method, path (without the
/// query), status and duration.
pub(super) fn access_log(
    method: &axum::http::Method,
    path: &str,
    status: StatusCode,
    took: Duration,
) {
    let millis = took.as_secs_f64() * 1000.0;
    let status = status.as_u16();
    if access_log_at_info() {
        tracing::info!(target: "schemata::access", %method, path, status, millis, "request");
    } else {
        tracing::debug!(target: "schemata::access", %method, path, status, millis, "request");
    }
}
