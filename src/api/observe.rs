//! The layer every route's request passes through after routing, in one service with its own
//! future (no boxing, no cloned service): content negotiation (`negotiate`: a 406 refusal, or
//! the JSON type relabelled to what the request accepts), then the request's count, duration
//! and access-log line (`metrics`), 406s included.

use super::metrics::Measure;
use super::negotiate::{self, Wanted};
use axum::extract::Request;
use axum::response::Response;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tower::{Layer, Service};

/// Wraps each route of the router (`Router::layer`).
#[derive(Clone, Copy, Default)]
pub(super) struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe { inner }
    }
}

#[derive(Clone)]
pub(super) struct Observe<S> {
    inner: S,
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let measure = Measure::start(&req);
        let (inner, refused, chosen) = match negotiate::wanted(&req) {
            Wanted::Any => (Some(self.inner.call(req)), None, None),
            Wanted::Type(chosen) => (Some(self.inner.call(req)), None, Some(chosen)),
            Wanted::Nothing => (None, Some(negotiate::not_acceptable()), None),
        };
        Observed {
            inner,
            refused,
            chosen,
            measure: Some(measure),
        }
    }
}

pin_project_lite::pin_project! {
    /// The route's answer, relabelled and counted when it is ready.
    pub(super) struct Observed<F> {
        #[pin]
        inner: Option<F>,
        refused: Option<Response>,
        chosen: Option<&'static str>,
        measure: Option<Measure>,
    }
}

impl<F> Future for Observed<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match (this.refused.take(), this.inner.as_pin_mut()) {
            (Some(refused), _) => refused,
            (None, Some(inner)) => match ready!(inner.poll(cx)) {
                Ok(response) => response,
                Err(never) => match never {},
            },
            (None, None) => panic!("Observed polled after it completed"),
        };
        if let Some(chosen) = this.chosen {
            negotiate::relabel(&mut response, chosen);
        }
        if let Some(measure) = this.measure.take() {
            measure.finish(&response);
        }
        Poll::Ready(Ok(response))
    }
}
