//! Content negotiation as CSR does it: pick the response type from `Accept`, answer 406 when
//! nothing acceptable is offered. JSON bodies are written as the v1 type and relabelled here.

use super::error::ApiError;
use super::render::V1_JSON;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// What we produce, with the server-side quality CSR gives each.
const PRODUCED: [(&str, f32); 3] = [
    (V1_JSON, 1.0),
    ("application/vnd.schemaregistry+json", 0.9),
    ("application/json", 0.5),
];

/// The response type for an `Accept` header, or `None` when nothing we produce is acceptable.
/// Reads the header in place (it is parsed once per type we produce; nothing is allocated).
pub fn choose_response_type(accept: Option<&str>) -> Option<&'static str> {
    let accept = accept.map(str::trim).filter(|a| !a.is_empty());
    let Some(accept) = accept else {
        return Some(V1_JSON);
    };
    let mut best: Option<(&'static str, f32)> = None;
    for (produced, server_q) in PRODUCED {
        if let Some(client_q) = client_quality(accept, produced).filter(|q| *q > 0.0) {
            let score = client_q * server_q;
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((produced, score));
            }
        }
    }
    best.map(|(t, _)| t)
}

/// The quality `accept` gives `produced`: that of its most specific matching range (the type
/// itself, then `type/*`, then `*/*`), or `None` when no range matches.
fn client_quality(accept: &str, produced: &str) -> Option<f32> {
    let (kind, _) = produced.split_once('/').unwrap_or((produced, ""));
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let specificity = if media.eq_ignore_ascii_case(produced) {
            3
        } else if media
            .strip_suffix("/*")
            .is_some_and(|k| k.eq_ignore_ascii_case(kind))
        {
            2
        } else if media == "*/*" || media == "*" {
            1
        } else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if best.is_none_or(|(s, _)| specificity >= s) {
            best = Some((specificity, q));
        }
    }
    best.map(|(_, q)| q)
}

/// What a request's `Accept` asks of its response.
pub(super) enum Wanted {
    /// The operational endpoints answer in their own types whatever the request accepts.
    Any,
    Type(&'static str),
    /// Nothing we produce: answered 406 ([`not_acceptable`]).
    Nothing,
}

pub(super) fn wanted(req: &Request) -> Wanted {
    let path = req.uri().path();
    if path == "/metrics" || path == "/health" || path == "/ready" {
        return Wanted::Any;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    choose_response_type(accept).map_or(Wanted::Nothing, Wanted::Type)
}

pub(super) fn not_acceptable() -> Response {
    ApiError::http(StatusCode::NOT_ACCEPTABLE).into_response()
}

/// JSON bodies are written as the v1 type; relabel one as the type the request chose.
pub(super) fn relabel(response: &mut Response, chosen: &'static str) {
    if chosen != V1_JSON {
        let headers = response.headers_mut();
        if headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == V1_JSON)
        {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(chosen));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_v1() {
        for accept in [
            None,
            Some(""),
            Some("*/*"),
            Some("*"),
            Some("application/*"),
        ] {
            assert_eq!(choose_response_type(accept), Some(V1_JSON), "{accept:?}");
        }
    }

    #[test]
    fn java_client_default_accept_resolves_to_v1() {
        let jdk = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2";
        assert_eq!(choose_response_type(Some(jdk)), Some(V1_JSON));
    }

    #[test]
    fn plain_json_when_only_json_is_accepted() {
        assert_eq!(
            choose_response_type(Some("application/json")),
            Some("application/json")
        );
        assert_eq!(
            choose_response_type(Some("application/vnd.schemaregistry+json")),
            Some("application/vnd.schemaregistry+json")
        );
    }

    #[test]
    fn nothing_acceptable_is_406() {
        for accept in [
            "text/html",
            "application/vnd.schemaregistry.v2+json",
            "application/octet-stream",
        ] {
            assert_eq!(choose_response_type(Some(accept)), None, "{accept}");
        }
        assert_eq!(choose_response_type(Some("application/json;q=0")), None);
    }

    #[test]
    fn the_most_specific_range_decides_and_case_does_not_matter() {
        // `*/*` would accept v1 at 0.2, but the exact range refuses it.
        let accept = "application/vnd.schemaregistry.v1+json;q=0, */*;q=0.2";
        assert_eq!(
            choose_response_type(Some(accept)),
            Some("application/vnd.schemaregistry+json")
        );
        assert_eq!(
            choose_response_type(Some("Application/JSON")),
            Some("application/json")
        );
        assert_eq!(
            choose_response_type(Some("APPLICATION/*;q=0.5")),
            Some(V1_JSON)
        );
    }
}
