//! What happens to a request between the connection and the router, in one service (one
//! allocation per request, which matters on the `GET /schemas/ids/{id}` hot path): its
//! credentials are checked (when authentication is on) and its principal put in its
//! extensions, a context URL with an
//! impossible name is refused, the body is read within the buffered-bytes budget
//! (`body_budget`), a subject alias is replaced by its target, and a request that lost its
//! database connection is run once more.

use super::auth::Authentication;
use super::body_budget::BodyBudget;
use super::error::ApiError;
use super::retry::Replayable;
use super::{alias, rewrite};
use crate::registry::Registry;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Service, ServiceExt};

#[derive(Clone)]
pub(super) struct Front<S> {
    router: S,
    registry: Arc<Registry>,
    auth: Option<Arc<Authentication>>,
    budget: Arc<BodyBudget>,
}

impl<S> Front<S> {
    pub(super) fn new(
        router: S,
        registry: Arc<Registry>,
        auth: Option<Arc<Authentication>>,
        budget: Arc<BodyBudget>,
    ) -> Self {
        Front {
            router,
            registry,
            auth,
            budget,
        }
    }
}

impl<S> Service<Request> for Front<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if let Some(auth) = &self.auth {
            match auth.admit(
                request.uri().path(),
                request.headers(),
                request.extensions(),
            ) {
                Ok(Some(principal)) => {
                    request.extensions_mut().insert(principal);
                }
                Ok(None) => {}
                Err(refused) => return Box::pin(async move { Ok(refused.into_response()) }),
            }
        }
        let (router, registry, budget) = (
            self.router.clone(),
            self.registry.clone(),
            self.budget.clone(),
        );
        Box::pin(async move { Ok(handle(router, &registry, &budget, request).await) })
    }
}

async fn handle<S>(
    router: S,
    registry: &Registry,
    budget: &BodyBudget,
    request: Request,
) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    if let Some(refused) = rewrite::invalid_context(request.uri().path()) {
        return refused.into_response();
    }
    let (kept, request, _charge) = match Replayable::keep(request, budget).await {
        Ok(kept) => kept,
        Err(refused) => return refused.into_response(),
    };
    let first = attempt(router.clone(), registry, request).await;
    match kept.again_after(&first) {
        Some(again) => attempt(router, registry, again).await,
        None => first,
    }
}

/// Follow an alias, then route. Both may use the database, so both are retried.
async fn attempt<S>(router: S, registry: &Registry, mut request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    match alias::resolve(registry, request.method(), request.uri()).await {
        Ok(Some(uri)) => *request.uri_mut() = uri,
        Ok(None) => {}
        Err(e) => return ApiError::from(e).into_response(),
    }
    run(router, request).await
}

async fn run<S>(router: S, request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
