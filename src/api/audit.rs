//! The audit log (`--audit-log`, `docs/rest-api.md` §12): one JSON object a line for every
//! change (register, import, delete, config, mode, context deletion) and every refusal (401,
//! 403), whatever its outcome, written and flushed before the response leaves. A record holds
//! who, from where, what and the status, never a credential: no header and no body of the
//! request is copied into it.

use super::acl::Denial;
use super::auth::Principal;
use super::listen::RemoteAddr;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Largest response body read back for the id and version of a registration; a
/// registration's answer is a few dozen bytes.
const REGISTERED_BODY_LIMIT: usize = 64 * 1024;

/// Put on the response to a registration that carried its own id (an import,
/// `docs/rest-api.md` §3.7), whatever its outcome: its record's operation is `import`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Import;

/// Where records go: a file opened for appending, or stderr.
pub struct AuditLog {
    out: Mutex<Box<dyn Write + Send>>,
}

impl AuditLog {
    /// `-` is stderr; anything else a file, created if missing and appended to.
    pub fn open(path: &str) -> std::io::Result<AuditLog> {
        let out: Box<dyn Write + Send> = if path == "-" {
            Box::new(std::io::stderr())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )
        };
        Ok(AuditLog {
            out: Mutex::new(out),
        })
    }

    /// One line, written whole and flushed. A failure is logged and the response still
    /// sent: the change it records has already happened.
    fn write(&self, record: &Record<'_>) {
        let mut line = match serde_json::to_vec(record) {
            Ok(line) => line,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode an audit record");
                return;
            }
        };
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }
}

/// What is known of a request before it runs, kept for its record.
pub(crate) struct Seen {
    method: Method,
    path: String,
    remote: Option<String>,
    principal: Option<String>,
    change: Option<&'static str>,
}

impl Seen {
    /// Before authentication (so a 401 has its record too).
    pub(crate) fn before(request: &Request) -> Seen {
        Seen {
            method: request.method().clone(),
            path: request.uri().path().to_string(),
            remote: request
                .extensions()
                .get::<RemoteAddr>()
                .map(|r| r.0.to_string()),
            principal: None,
            change: change(request.method(), request.uri().path()),
        }
    }

    /// Once authenticated: who it is.
    pub(crate) fn admitted(&mut self, request: &Request) {
        self.principal = request
            .extensions()
            .get::<Principal>()
            .map(|p| p.name.clone());
    }
}

/// One line of the audit log.
#[derive(Serialize)]
struct Record<'a> {
    time: String,
    principal: Option<&'a str>,
    remote: Option<&'a str>,
    request_id: String,
    method: &'a str,
    path: &'a str,
    operation: &'a str,
    subject: Option<String>,
    version: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
    status: u16,
}

impl AuditLog {
    /// Record the request if it is a change or a refusal, then hand the response back.
    pub(crate) async fn record(&self, seen: Seen, response: Response) -> Response {
        let status = response.status();
        let refused = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
        let operation = match (refused, seen.change) {
            (true, _) => match response.extensions().get::<Denial>() {
                Some(denial) => denial.op.as_str(),
                None if status == StatusCode::UNAUTHORIZED => "authenticate",
                None => "access",
            },
            (false, Some("register")) if response.extensions().get::<Import>().is_some() => {
                "import"
            }
            (false, Some(change)) => change,
            (false, None) => return response,
        };
        let (subject, mut version) = subject_and_version(&seen.path);
        let subject = response
            .extensions()
            .get::<Denial>()
            .and_then(|d| d.subject.clone())
            .or(subject);
        let mut id = None;
        let response = if matches!(operation, "register" | "import") && status == StatusCode::OK {
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, REGISTERED_BODY_LIMIT)
                .await
                .unwrap_or_default();
            if let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                id = answer.get("id").cloned();
                version = answer.get("version").cloned();
            }
            Response::from_parts(parts, Body::from(bytes))
        } else {
            response
        };
        self.write(&Record {
            time: now_rfc3339(),
            principal: seen.principal.as_deref(),
            remote: seen.remote.as_deref(),
            request_id: super::request_id::new_request_id(),
            method: seen.method.as_str(),
            path: &seen.path,
            operation,
            subject,
            version,
            id,
            status: status.as_u16(),
        });
        response
    }
}

/// The change a request makes, named for the log, or `None` for a read (lookups and
/// compatibility checks included).
fn change(method: &Method, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::POST, ["subjects", _, "versions"]) => Some("register"),
        (&Method::DELETE, ["subjects", _]) => Some("delete_subject"),
        (&Method::DELETE, ["subjects", _, "versions", _]) => Some("delete_version"),
        (&Method::PUT, ["config", ..]) => Some("config_write"),
        (&Method::DELETE, ["config", ..]) => Some("config_delete"),
        (&Method::PUT, ["mode", ..]) => Some("mode_write"),
        (&Method::DELETE, ["mode", ..]) => Some("mode_delete"),
        (&Method::DELETE, ["contexts", _]) => Some("delete_context"),
        _ => None,
    }
}

/// The subject (wire form, decoded) and version a path names.
fn subject_and_version(path: &str) -> (Option<String>, Option<serde_json::Value>) {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let decode = |raw: &str| Some(percent_decode_str(raw).decode_utf8_lossy().into_owned());
    let (subject, version) = match segments.as_slice() {
        ["subjects", s, "versions", v, ..] => (decode(s), Some(*v)),
        ["compatibility", "subjects", s, "versions", v, ..] => (decode(s), Some(*v)),
        ["subjects", s, ..] | ["compatibility", "subjects", s, ..] => (decode(s), None),
        ["config" | "mode", s] => (decode(s), None),
        _ => (None, None),
    };
    let version = version.map(|v| match v.parse::<i64>() {
        Ok(n) => serde_json::Value::from(n),
        Err(_) => serde_json::Value::from(v),
    });
    (subject, version)
}

/// Now as `2026-12-06T10:48:15.123Z`.
fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(since.as_secs(), since.subsec_millis())
}

fn rfc3339(secs: u64, millis: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// (year, month, day) of a day count since 1970-01-01 in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(1_796_554_095, 123), "2026-12-06T10:48:15.123Z");
    }

    #[test]
    fn changes_are_named_and_reads_are_not() {
        assert_eq!(
            change(&Method::POST, "/subjects/a/versions"),
            Some("register")
        );
        assert_eq!(
            change(&Method::DELETE, "/subjects/a/versions/2"),
            Some("delete_version")
        );
        assert_eq!(change(&Method::PUT, "/config"), Some("config_write"));
        assert_eq!(change(&Method::DELETE, "/mode/a"), Some("mode_delete"));
        assert_eq!(
            change(&Method::DELETE, "/contexts/.c"),
            Some("delete_context")
        );
        assert_eq!(change(&Method::POST, "/subjects/a"), None, "a lookup");
        assert_eq!(
            change(&Method::POST, "/compatibility/subjects/a/versions"),
            None
        );
        assert_eq!(change(&Method::GET, "/subjects/a/versions"), None);
        let (subject, version) = subject_and_version("/subjects/%3A.c%3Ax/versions/latest");
        assert_eq!(subject.as_deref(), Some(":.c:x"));
        assert_eq!(version, Some(serde_json::Value::from("latest")));
        assert_eq!(
            subject_and_version("/subjects/x/versions/3").1,
            Some(3.into())
        );
    }
}
