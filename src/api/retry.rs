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
use axum::http::{header, Extensions, HeaderMap, Method, Uri, Version};
use axum::response::Response;
use bytes::Bytes;
use std::sync::Arc;

/// What it takes to send a request again: its head and its (buffered) body.
pub(super) struct Replayable {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    /// What `front` and the listener put there (the principal, its ACL access, the peer's
    /// address), which the second attempt is checked and recorded by as the first was; for a
    /// DELETE, also what `latest` resolved to in the first attempt. A request without any
    /// (the read-by-id hot path without authentication) has no map to copy.
    extensions: Extensions,
    body: Bytes,
}

impl Replayable {
    /// Keep a copy of `request` and return the request to run first, with the body's share
    /// of the buffered-bytes budget (held until both attempts are done). A body over the
    /// limit is answered here with 413; one that finds no room, with 503.
    pub(super) async fn keep(
        request: Request,
        budget: &BodyBudget,
    ) -> Result<(Replayable, Request, Option<Charge>), ApiError> {
        let (mut parts, body) = request.into_parts();
        let (body, charge) = if carries_body(&parts.headers) {
            // Boxed: a request without a body (most reads) does not carry this future's
            // state in its own.
            let (bytes, charge) = Box::pin(budget.read(&parts.headers, body)).await?;
            (bytes, Some(charge))
        } else {
            (Bytes::new(), None)
        };
        if parts.method == Method::DELETE {
            parts.extensions.insert(Arc::new(ResolvedLatest::default()));
        }
        let kept = Replayable {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            version: parts.version,
            headers: parts.headers.clone(),
            extensions: parts.extensions.clone(),
            body: body.clone(),
        };
        let first = Request::from_parts(parts, Body::from(body));
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
        *request.extensions_mut() = self.extensions;
        Some(request)
    }
}

fn carries_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::limits::ServerLimits;

    #[derive(Clone, Debug, PartialEq)]
    struct Principal(&'static str);

    /// A lost connection's second attempt is the same request: head, body and what was put
    /// in its extensions before it was kept (a principal and its ACL access, above all: a
    /// second attempt without them would be checked as if no ACL applied).
    #[tokio::test]
    async fn the_second_attempt_keeps_the_head_body_and_extensions() {
        let budget = BodyBudget::new(&ServerLimits::default());
        let mut request = Request::builder()
            .method(Method::DELETE)
            .uri("/subjects/s/versions/latest?permanent=false")
            .header(header::CONTENT_LENGTH, "4")
            .header("x-request-id", "r-1")
            .body(Body::from("body"))
            .unwrap();
        request.extensions_mut().insert(Principal("alice"));
        let (kept, first, _charge) = Replayable::keep(request, &budget).await.unwrap();
        let resolved = first
            .extensions()
            .get::<Arc<ResolvedLatest>>()
            .cloned()
            .unwrap();

        let mut lost = Response::new(Body::empty());
        lost.extensions_mut().insert(ConnectionLost);
        let again = kept.again_after(&lost).expect("run again");
        assert_eq!(again.method(), Method::DELETE);
        assert_eq!(again.uri(), "/subjects/s/versions/latest?permanent=false");
        assert_eq!(again.headers()["x-request-id"], "r-1");
        assert_eq!(
            again.extensions().get::<Principal>(),
            Some(&Principal("alice"))
        );
        let shared = again.extensions().get::<Arc<ResolvedLatest>>().unwrap();
        assert!(
            Arc::ptr_eq(shared, &resolved),
            "both attempts share what latest resolved to"
        );
        let body = axum::body::to_bytes(again.into_body(), 16).await.unwrap();
        assert_eq!(&body[..], b"body");
    }

    #[tokio::test]
    async fn an_answer_without_a_lost_connection_is_not_run_again() {
        let budget = BodyBudget::new(&ServerLimits::default());
        let request = Request::get("/schemas/ids/1").body(Body::empty()).unwrap();
        let (kept, _, charge) = Replayable::keep(request, &budget).await.unwrap();
        assert!(charge.is_none(), "no body, nothing charged");
        assert!(kept.again_after(&Response::new(Body::empty())).is_none());
    }
}
