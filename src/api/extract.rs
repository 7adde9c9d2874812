//! Request parsing the way CSR's clients need it: bodies read as JSON whatever the
//! Content-Type (also none, also chunked), a hard body-size limit, and query parameters with
//! Jersey's semantics (booleans case-insensitive, non-integers answer 404).

use super::error::ApiError;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

/// Largest request body accepted (413 above it). Schemas themselves have their own, smaller
/// limit (42209); this one bounds memory per request.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Past the limit, up to this many more bytes are read and thrown away before the 413 goes
/// out: a client still writing its body would otherwise meet a closed connection (a broken
/// pipe) instead of the answer. A body announced or sent beyond that is cut off.
const DISCARDED_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Media types CSR consumes; octet-stream is what clients send when they forget to say.
const ACCEPTED_BODY_TYPES: [&str; 4] = [
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

/// A JSON body of type `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
            let essence = content_type
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if !essence.is_empty() && !ACCEPTED_BODY_TYPES.contains(&essence.as_str()) {
                return Err(ApiError::http(StatusCode::UNSUPPORTED_MEDIA_TYPE));
            }
        }
        let (parts, body) = req.into_parts();
        let bytes = read_body(&parts.headers, body).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

pub(super) fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn body_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        413,
        format!("Request body is larger than the limit of {MAX_BODY_BYTES} bytes"),
    )
}

/// Collect a body of at most [`MAX_BODY_BYTES`]; a larger one is drained (see
/// `DISCARDED_BODY_BYTES`) and answered with 413, or refused unread if its announced
/// length is beyond what would be drained. A body sent in one frame is not copied.
pub async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    if declared_length(headers).is_some_and(|n| n > MAX_BODY_BYTES + DISCARDED_BODY_BYTES) {
        return Err(body_too_large());
    }
    let expected = declared_length(headers).filter(|n| *n <= MAX_BODY_BYTES);
    read_limited(body, expected.unwrap_or(0)).await
}

/// `expected`: the announced length, reserved at once when the body comes in several frames
/// (growing by doubling could take twice the memory the body budget counts).
async fn read_limited(mut body: Body, expected: usize) -> Result<Bytes, ApiError> {
    let mut single: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| ApiError::bad_request(format!("Could not read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing we read
        };
        total = total.saturating_add(data.len());
        if total > MAX_BODY_BYTES + DISCARDED_BODY_BYTES {
            return Err(body_too_large());
        }
        if total > MAX_BODY_BYTES {
            // Over the limit: keep reading to let the client finish, but hold nothing.
            single = None;
            joined = BytesMut::new();
            continue;
        }
        match single.take() {
            None if joined.is_empty() => single = Some(data),
            None => joined.extend_from_slice(&data),
            Some(first) => {
                joined.reserve(expected.max(first.len() + data.len()));
                joined.extend_from_slice(&first);
                joined.extend_from_slice(&data);
            }
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(body_too_large());
    }
    Ok(single.unwrap_or_else(|| joined.freeze()))
}

/// Parse a body: syntax errors and wrong field types are 400, as Jackson's are in CSR.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::unprocessable("Request body is empty"));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))
}

/// Query parameters, decoded once.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>) -> Params {
        let Some(query) = query else {
            return Params::default();
        };
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        Params(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(pair), String::new()),
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Jersey: `true` in any case is true, anything else (absent, `1`, `yes`) false.
    /// The names of the parameters, in the order given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_str())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// A flag that is `None` when absent (`normalize` falls back to the config).
    pub fn optional_flag(&self, name: &str) -> Option<bool> {
        self.get(name)
            .map(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// Either spelling of a flag (`deletedOnly` / `deleted_only`, both are sent by clients).
    pub fn flag_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.flag(n))
    }

    /// An integer parameter; not an integer is 404, as JAX-RS answers.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) if v.trim().is_empty() => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| ApiError::not_found()),
        }
    }

    /// `offset`/`limit` applied to a list: `limit` ≤ 0 means everything.
    pub fn page<T>(&self, items: Vec<T>, max: Option<usize>) -> Result<Vec<T>, ApiError> {
        let (offset, limit) = self.page_bounds(max)?;
        Ok(items.into_iter().skip(offset).take(limit).collect())
    }

    /// `offset` and `limit` (none or `-1`: up to `max`, or all), for a page cut elsewhere.
    pub fn page_bounds(&self, max: Option<usize>) -> Result<(usize, usize), ApiError> {
        let offset = self.int("offset", 0)?.max(0) as usize;
        let limit = self.int("limit", -1)?;
        let limit = if limit <= 0 {
            max.unwrap_or(usize::MAX)
        } else {
            (limit as usize).min(max.unwrap_or(usize::MAX))
        };
        Ok((offset, limit))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Params::parse(parts.uri.query()))
    }
}

/// Path parameters, with an undecodable path answered as CSR does (404 in the envelope).
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|_| ApiError::not_found())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_case_insensitive_and_strict() {
        let p = Params::parse(Some("a=True&b=FALSE&c=1&d=yes&e=true"));
        assert!(p.flag("a"));
        assert!(!p.flag("b"));
        assert!(!p.flag("c"));
        assert!(!p.flag("d"));
        assert!(p.flag("e"));
        assert!(!p.flag("missing"));
        assert_eq!(p.optional_flag("b"), Some(false));
        assert_eq!(p.optional_flag("missing"), None);
    }

    #[test]
    fn decodes_percent_and_plus() {
        let p = Params::parse(Some("subject=%3A.ctx%3Aa%2Fb&key=k&key=k2&x=a+b"));
        assert_eq!(p.get("subject"), Some(":.ctx:a/b"));
        assert_eq!(p.all("key"), vec!["k", "k2"]);
        assert_eq!(p.get("x"), Some("a b"));
    }

    #[test]
    fn integers_default_and_reject_garbage() {
        let p = Params::parse(Some("limit=-1&offset=abc"));
        assert_eq!(p.int("limit", 5).unwrap(), -1);
        assert!(p.int("offset", 0).is_err());
        assert_eq!(p.int("missing", 7).unwrap(), 7);
    }

    #[test]
    fn paging_treats_non_positive_limit_as_unlimited() {
        let p = Params::parse(Some("offset=1&limit=-1"));
        assert_eq!(p.page(vec![1, 2, 3], None).unwrap(), vec![2, 3]);
        let p = Params::parse(Some("offset=0&limit=2"));
        assert_eq!(p.page(vec![1, 2, 3], None).unwrap(), vec![1, 2]);
        let p = Params::parse(None);
        assert_eq!(p.page(vec![1, 2, 3], Some(2)).unwrap(), vec![1, 2]);
    }
}
