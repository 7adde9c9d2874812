//! Content negotiation as CSR does it: pick the response type from `Accept`, answer 406 when
//! nothing acceptable is offered. JSON bodies are written as the v1 type and relabelled here.

use super::error::ApiError;
use super::render::V1_JSON;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What we produce, with the server-side quality CSR gives each.
const PRODUCED: [(&str, f32); 3] = [
    (V1_JSON, 1.0),
    ("application/vnd.schemaregistry+json", 0.9),
    ("application/json", 0.5),
];

/// The response type for an `Accept` header, or `None` when nothing we produce is acceptable.
pub fn choose_response_type(accept: Option<&str>) -> Option<&'static str> {
    let accept = accept.map(str::trim).filter(|a| !a.is_empty());
    let Some(accept) = accept else {
        return Some(V1_JSON);
    };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let mut media = parts.next()?.trim().to_ascii_lowercase();
            if media == "*" {
                media = "*/*".into();
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!media.is_empty()).then_some((media, q))
        })
        .collect();
    let mut best: Option<(&'static str, f32)> = None;
    for (produced, server_q) in PRODUCED {
        let (kind, _) = produced.split_once('/').unwrap_or((produced, ""));
        // The most specific matching range decides the client's quality for this type.
        let client_q = ranges
            .iter()
            .filter_map(|(range, q)| {
                let specificity = if range == produced {
                    3
                } else if range.strip_suffix("/*") == Some(kind) {
                    2
                } else if range == "*/*" {
                    1
                } else {
                    return None;
                };
                Some((specificity, *q))
            })
            .max_by_key(|(specificity, _)| *specificity)
            .map(|(_, q)| q);
        if let Some(client_q) = client_q.filter(|q| *q > 0.0) {
            let score = client_q * server_q;
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((produced, score));
            }
        }
    }
    best.map(|(t, _)| t)
}

pub(super) async fn negotiate(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/metrics" || path == "/health" || path == "/ready" {
        return next.run(req).await;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let Some(chosen) = choose_response_type(accept) else {
        return ApiError::http(StatusCode::NOT_ACCEPTABLE).into_response();
    };
    let mut response = next.run(req).await;
    if chosen != V1_JSON {
        let headers = response.headers_mut();
        if headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == V1_JSON)
        {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(chosen));
        }
    }
    response
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
}
