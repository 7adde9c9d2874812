//! One more try for a request that failed because its database connection was lost (the
//! database restarted, failed over, or killed our backend). By the time it runs again, the
//! pool pings its older connections before handing them out (`store::liveness`), so the
//! second run gets a live one or a new one.
//!
//! Every operation of the API is safe to repeat: registration is idempotent by content,
//! settings are set to the same value again. The one visible difference is rare: a delete
//! whose commit reached the database just before the connection died answers as if the
//! version were already gone.

use super::error::ConnectionLost;
use super::extract::read_body;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

pub async fn retry_after_lost_connection(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    // The body is kept to send it again; a body over the limit is answered here with 413.
    let body = if carries_body(&parts.headers) {
        match read_body(&parts.headers, body).await {
            Ok(bytes) => bytes,
            Err(e) => return e.into_response(),
        }
    } else {
        Bytes::new()
    };
    let first = next
        .clone()
        .run(Request::from_parts(parts.clone(), Body::from(body.clone())))
        .await;
    if first.extensions().get::<ConnectionLost>().is_none() {
        return first;
    }
    tracing::warn!(uri = %parts.uri, "database connection lost; running the request again");
    next.run(Request::from_parts(parts, Body::from(body))).await
}

fn carries_body(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}
