//! One more try for a request that failed because its database connection was lost (the
//! database restarted, failed over, or killed our backend). By the time it runs again, the
//! pool pings its older connections before handing them out (`store::liveness`), so the
//! second run gets a live one or a new one.
//!
//! Every operation of the API is safe to repeat: registration is idempotent by content,
//! settings are set to the same value again, and a delete of `latest` deletes on the second
//! attempt the version the first one resolved `latest` to (`ResolvedLatest`, shared by
//! both attempts), never the next-newest. The one visible difference is rare: a delete whose
//! commit reached the database just before the connection died answers as if the version
//! were already gone.

use super::body_budget::{BodyBudget, Charge};
use super::error::{ApiError, ConnectionLost};
use crate::registry::ResolvedLatest;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, Uri, Version};
use axum::response::Response;
use bytes::Bytes;
use std::sync::Arc;

/// What it takes to send a request again: its head and its (buffered) body.
pub(super) struct Replayable {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
    /// DELETE only: what `latest` resolved to in the first attempt, for the second. Other
    /// requests carry nothing extra (the read-by-id hot path allocates no extension map).
    resolved: Option<Arc<ResolvedLatest>>,
}

impl Replayable {
    /// Keep a copy of `request` and return the request to run first, with the body's share
    /// of the buffered-bytes budget (held until both attempts are done). A body over the
    /// limit is answered here with 413; one that finds no room, with 503.
    pub(super) async fn keep(
        request: Request,
        budget: &BodyBudget,
    ) -> Result<(Replayable, Request, Option<Charge>), ApiError> {
        let (parts, body) = request.into_parts();
        let (body, charge) = if carries_body(&parts.headers) {
            let (bytes, charge) = budget.read(&parts.headers, body).await?;
            (bytes, Some(charge))
        } else {
            (Bytes::new(), None)
        };
        let resolved =
            (parts.method == Method::DELETE).then(|| Arc::new(ResolvedLatest::default()));
        let kept = Replayable {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            version: parts.version,
            headers: parts.headers.clone(),
            body: body.clone(),
            resolved: resolved.clone(),
        };
        let mut first = Request::from_parts(parts, Body::from(body));
        if let Some(resolved) = resolved {
            first.extensions_mut().insert(resolved);
        }
        Ok((kept, first, charge))
    }

    /// The request again, if `first` failed on a lost database connection.
    pub(super) fn again_after(self, first: &Response) -> Option<Request> {
        first.extensions().get::<ConnectionLost>()?;
        tracing::warn!(uri = %self.uri, "database connection lost; running the request again");
        let mut request = Request::new(Body::from(self.body));
        *request.method_mut() = self.method;
        *request.uri_mut() = self.uri;
        *request.version_mut() = self.version;
        *request.headers_mut() = self.headers;
        if let Some(resolved) = self.resolved {
            request.extensions_mut().insert(resolved);
        }
        Some(request)
    }
}

fn carries_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}
