//! What happens to a request between the connection and the router, in one service (one
//! allocation per request, which matters on the `GET /schemas/ids/{id}` hot path): its
//! credentials are checked (when authentication is on) and its principal put in its
//! extensions, its client's rate limit taken from (`rate_limit`), its operation checked against the ACL (when there is one, `acl`: from the
//! path before anything else, and after aliases are followed what needs the registry), a
//! context URL with an impossible name is refused, the body is read within the buffered-bytes budget
//! (`body_budget`), a subject alias is replaced by its target, and a request that lost its
//! database connection is run once more. Changes and refusals are written to the audit log
//! (when there is one) before their response leaves. A read by id the id cache can answer is
//! answered here, after the credentials and before the rest (`by_id`).

use super::acl::Acl;
use super::audit::{self, AuditLog};
use super::auth::Authentication;
use super::body_budget::BodyBudget;
use super::error::ApiError;
use super::rate_limit::RateLimit;
use super::retry::Replayable;
use super::{alias, by_id, rewrite};
use crate::registry::Registry;
use axum::extract::Request;
use axum::http::{Extensions, Method, Uri};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Service, ServiceExt};

/// What checks and records requests before they are routed; each `None` when not
/// configured, and then it costs nothing.
#[derive(Clone, Default)]
pub(super) struct Guards {
    pub(super) auth: Option<Arc<Authentication>>,
    pub(super) acl: Option<Arc<Acl>>,
    pub(super) audit: Option<Arc<AuditLog>>,
    pub(super) rate_limit: Option<Arc<RateLimit>>,
}

/// Cloned for every connection and shared by its requests: one reference count per request.
pub(super) struct Front<S>(Arc<FrontParts<S>>);

impl<S> Clone for Front<S> {
    fn clone(&self) -> Self {
        Front(self.0.clone())
    }
}

struct FrontParts<S> {
    router: S,
    registry: Arc<Registry>,
    guards: Guards,
    budget: BodyBudget,
}

impl<S> Front<S> {
    pub(super) fn new(
        router: S,
        registry: Arc<Registry>,
        guards: Guards,
        budget: BodyBudget,
    ) -> Self {
        Front(Arc::new(FrontParts {
            router,
            registry,
            guards,
            budget,
        }))
    }
}

impl Guards {
    /// Whether any guard is configured (else [`admit`] has nothing to do).
    fn any(&self) -> bool {
        self.auth.is_some() || self.acl.is_some() || self.rate_limit.is_some()
    }
}

/// Authentication, the rate limit, then what the ACL can tell from the path: the refusal, if
/// any. Awaited: a bearer token naming a new key id may need the JWKS read again.
async fn admit(guards: &Guards, request: &mut Request) -> Option<Response> {
    if let Some(auth) = &guards.auth {
        match auth
            .admit(
                request.uri().path(),
                request.headers(),
                request.extensions(),
            )
            .await
        {
            Ok(Some(principal)) => {
                request.extensions_mut().insert(principal);
            }
            Ok(None) => {}
            Err(refused) => return Some(refused.into_response()),
        }
    }
    if let Some(limit) = &guards.rate_limit {
        if let Some(refused) = limit.admit(request) {
            return Some(refused);
        }
    }
    if let Some(acl) = &guards.acl {
        if let Err(refused) = acl.admit(request) {
            return Some(refused.into_response());
        }
    }
    None
}

impl<S> Service<Request> for Front<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let front = self.0.clone();
        Box::pin(async move {
            let FrontParts {
                router,
                registry,
                guards,
                budget,
            } = &*front;
            let mut seen = guards.audit.as_ref().map(|_| audit::Seen::before(&request));
            let refused = if guards.any() {
                Box::pin(admit(guards, &mut request)).await
            } else {
                None
            };
            let plain = (refused.is_none() && guards.acl.is_none() && guards.audit.is_none())
                .then(|| by_id::plain(&request))
                .flatten();
            if let Some(plain) = plain {
                if let Some(answer) = by_id::answer(registry, plain).await {
                    return Ok(answer);
                }
            }
            if let Some(seen) = &mut seen {
                seen.admitted(&request);
            }
            let response = match refused {
                Some(refused) => refused,
                None => {
                    handle(
                        router.clone(),
                        registry,
                        guards.acl.as_deref(),
                        budget,
                        request,
                    )
                    .await
                }
            };
            Ok(match (&guards.audit, seen) {
                // Written and flushed before the response leaves.
                (Some(log), Some(seen)) => Box::pin(log.record(seen, response)).await,
                _ => response,
            })
        })
    }
}

async fn handle<S>(
    router: S,
    registry: &Registry,
    acl: Option<&Acl>,
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
    let first = attempt(router.clone(), registry, acl, request).await;
    match kept.again_after(&first) {
        Some(again) => attempt(router, registry, acl, again).await,
        None => first,
    }
}

/// Follow an alias, check what the ACL needs the registry for, then route. All may use the
/// database, so all are retried.
async fn attempt<S>(
    router: S,
    registry: &Registry,
    acl: Option<&Acl>,
    mut request: Request,
) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    // The futures that may wait for the database are boxed, and only made when needed: inline,
    // they would make every request's future larger, and it is moved (copied) several times.
    let mut aliased = false;
    if alias::may_apply(request.method(), request.uri()) {
        match Box::pin(alias::resolve(registry, request.method(), request.uri())).await {
            Ok(Some(uri)) => {
                *request.uri_mut() = uri;
                aliased = true;
            }
            Ok(None) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    if let Some(acl) = acl {
        let admitted = Box::pin(acl.admit_resolved(registry, parts(&request), aliased)).await;
        if let Err(refused) = admitted {
            return refused.into_response();
        }
    }
    run(router, request).await
}

/// What the ACL's second step reads of a request (the body is not `Sync`).
fn parts(request: &Request) -> (&Method, &Uri, &Extensions) {
    (request.method(), request.uri(), request.extensions())
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
