//! One budget for the request bytes all requests buffer at once (docs/rest-api.md §8): a
//! body is read only once its size fits in what is left, so many large requests at once
//! wait their turn instead of growing the process without bound. A body must also arrive
//! within a time limit once its headers have, so a client that trickles it cannot hold its
//! share for long.

use super::error::ApiError;
use super::extract::{declared_length, read_body, MAX_BODY_BYTES};
use super::limits::ServerLimits;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The shared budget; one per server.
pub(super) struct BodyBudget {
    room: Arc<Semaphore>,
    total: usize,
    wait: Duration,
    read_timeout: Duration,
}

/// A body's share of the budget, given back when the request is done with it.
pub(super) struct Charge {
    _permit: Option<OwnedSemaphorePermit>,
}

impl BodyBudget {
    pub(super) fn new(limits: &ServerLimits) -> Self {
        // The semaphore counts in bytes; its own maximum is far above any sane budget.
        let total = limits.max_buffered_bytes.clamp(1, Semaphore::MAX_PERMITS);
        BodyBudget {
            room: Arc::new(Semaphore::new(total)),
            total,
            wait: limits.buffered_wait,
            read_timeout: limits.body_read_timeout,
        }
    }

    /// Read a request body within the budget: wait for room for its announced size (or, when
    /// no size is announced, for the largest body accepted, giving back what it did not use),
    /// then read it within the body time limit.
    pub(super) async fn read(
        &self,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<(Bytes, Charge), ApiError> {
        let wanted = match declared_length(headers) {
            // Over the limit: it is drained without being kept, and answered 413.
            Some(n) if n > MAX_BODY_BYTES => 0,
            Some(n) => n,
            None => MAX_BODY_BYTES,
        }
        .min(self.total);
        let mut permit = match wanted {
            0 => None,
            n => Some(self.reserve(n).await?),
        };
        let bytes = tokio::time::timeout(self.read_timeout, read_body(headers, body))
            .await
            .map_err(|_| self.too_slow())??;
        if let Some(held) = permit.as_mut() {
            // Give back what an unannounced body did not use.
            let unused = held.num_permits().saturating_sub(bytes.len().max(1));
            drop(held.split(unused));
        }
        Ok((bytes, Charge { _permit: permit }))
    }

    async fn reserve(&self, bytes: usize) -> Result<OwnedSemaphorePermit, ApiError> {
        let permits = u32::try_from(bytes).unwrap_or(u32::MAX);
        match tokio::time::timeout(self.wait, self.room.clone().acquire_many_owned(permits)).await {
            Ok(Ok(permit)) => Ok(permit),
            // Waited too long, or the budget was closed (never happens): answer busy.
            Ok(Err(_)) | Err(_) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                503,
                "The server is receiving too many large requests at once; retry in a moment",
            )),
        }
    }

    fn too_slow(&self) -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            408,
            format!(
                "Request body not received within {} seconds",
                self.read_timeout.as_secs()
            ),
        )
    }

    /// Bytes of the budget not held by any request now (for tests and metrics).
    #[cfg(test)]
    fn available(&self) -> usize {
        self.room.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    fn budget(bytes: usize, wait_ms: u64) -> BodyBudget {
        BodyBudget::new(&ServerLimits {
            max_buffered_bytes: bytes,
            buffered_wait: Duration::from_millis(wait_ms),
            body_read_timeout: Duration::from_millis(200),
            ..ServerLimits::default()
        })
    }

    fn announced(length: usize) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, length.into());
        headers
    }

    #[tokio::test]
    async fn a_body_holds_its_size_until_the_request_is_done() {
        let budget = budget(100, 10);
        let (bytes, charge) = budget
            .read(&announced(60), Body::from(vec![b'x'; 60]))
            .await
            .unwrap();
        assert_eq!(bytes.len(), 60);
        assert_eq!(budget.available(), 40);
        // No room for another 60 bytes while the first is held: refused with 503.
        let refused = budget
            .read(&announced(60), Body::from(vec![b'x'; 60]))
            .await
            .err()
            .expect("no room");
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        drop(charge);
        assert_eq!(budget.available(), 100);
        budget
            .read(&announced(60), Body::from(vec![b'x'; 60]))
            .await
            .expect("room again");
    }

    #[tokio::test]
    async fn an_unannounced_body_gives_back_what_it_did_not_use() {
        let budget = budget(MAX_BODY_BYTES, 10);
        let (bytes, _charge) = budget
            .read(&HeaderMap::new(), Body::from(vec![b'x'; 10]))
            .await
            .unwrap();
        assert_eq!(bytes.len(), 10);
        assert_eq!(budget.available(), MAX_BODY_BYTES - 10);
    }

    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_is_408_and_holds_nothing() {
        let budget = budget(100, 10);
        let refused = budget
            .read(&announced(50), Body::new(Silent))
            .await
            .err()
            .expect("times out");
        assert_eq!(refused.status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(budget.available(), 100);
    }

    /// A body whose bytes never come.
    struct Silent;

    impl axum::body::HttpBody for Silent {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
            std::task::Poll::Pending
        }
    }
}
