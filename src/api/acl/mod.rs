//! Authorization by an ACL file (`--acl-file`, `docs/rest-api.md` §11): with one, a request
//! is let through only when an `[[allow]]` entry grants its principal the request's
//! operation. `rules` is the file and its matching, `routes` the operation and subject each
//! request is, `filter` the listings cut to what the principal may read. The file is
//! re-read on SIGHUP and when it changes (`watched`).
//!
//! The check runs in two steps of `front`: before routing, from the path alone (a subject
//! operation, a global one); then, after aliases are followed, the checks that need the
//! registry (which subjects use an id; which context an unqualified read lands in).
//! Without an ACL file neither step runs.

mod filter;
mod routes;
mod rules;

pub(crate) use filter::{
    guid_ids, page_of, restricting, schemas as filtered_schemas, subjects as filtered_subjects,
};
pub use rules::{Operation, Rules};

use super::auth::Principal;
use super::error::ApiError;
use super::extract::Params;
use super::watched::{FileContents, Watched};
use crate::domain::QualifiedSubject;
use crate::registry::{ListPage, Registry, RegistryError};
use axum::extract::Request;
use axum::http::{Extensions, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use routes::Need;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long the subjects using an id are believed for an allowed read; a denial is always
/// read afresh, so a subject just registered with an existing schema is never refused.
const USERS_REMEMBERED_FOR: Duration = Duration::from_secs(5);
/// (context, id) pairs whose users are remembered at most.
const USERS_CAPACITY: u64 = 10_000;

impl FileContents for Rules {
    const KIND: &'static str = "ACL file";

    fn parse(text: &str) -> Result<Rules, String> {
        Rules::parse(text)
    }
}

/// The live rules of an ACL file.
pub struct Acl {
    file: Arc<Watched<Rules>>,
    poll: Duration,
    users: moka::future::Cache<(String, i64), Arc<Vec<QualifiedSubject>>>,
}

impl Acl {
    /// How often the file is looked at for a change.
    pub const DEFAULT_POLL: Duration = Duration::from_secs(2);

    /// Read and check the file: at startup an unreadable or malformed file is an error.
    pub fn load(path: impl Into<PathBuf>) -> Result<Acl, String> {
        Ok(Acl {
            file: Arc::new(Watched::load(path)?),
            poll: Self::DEFAULT_POLL,
            users: moka::future::Cache::builder()
                .max_capacity(USERS_CAPACITY)
                .time_to_live(USERS_REMEMBERED_FOR)
                .build(),
        })
    }

    /// Look at the file for changes this often instead.
    pub fn poll_every(mut self, interval: Duration) -> Acl {
        self.poll = interval;
        self
    }

    /// The rules in force.
    pub fn rules(&self) -> Arc<Rules> {
        self.file.current()
    }

    /// Re-read the file on SIGHUP and when it changes, for as long as the ACL lives.
    pub fn watch(&self) {
        Watched::watch(&self.file, self.poll);
    }

    /// Before routing: refuse what the path alone shows is not allowed, and leave the
    /// principal's [`Access`] in the request for the steps after it. Requests without a
    /// principal are the probes' (`/health`, `/ready`), open to all.
    pub(crate) fn admit(&self, request: &mut Request) -> Result<(), Refusal> {
        let Some(principal) = request.extensions().get::<Principal>() else {
            return Ok(());
        };
        let access = Access {
            rules: self.rules(),
            principal: principal.clone(),
        };
        access.check(&routes::need(request.method(), request.uri().path()))?;
        request.extensions_mut().insert(access);
        Ok(())
    }

    /// After aliases are followed (`aliased`: the path changed): the path's checks again
    /// for the target, and the checks that ask the registry.
    pub(crate) async fn admit_resolved(
        &self,
        registry: &Registry,
        request: (&Method, &Uri, &Extensions),
        aliased: bool,
    ) -> Result<(), Refusal> {
        let (method, uri, extensions) = request;
        let Some(access) = extensions.get::<Access>() else {
            return Ok(());
        };
        let need = routes::need(method, uri.path());
        if aliased {
            access.check(&need)?;
        }
        let params = || Params::parse(uri.query());
        match need {
            Need::Subject {
                op,
                subject,
                head,
                bare: true,
            } if searches_other_contexts(op, head)
                && !access.grants().allows_in_every_context(op) =>
            {
                let found = registry.located(&subject).await.map_err(refused)?;
                if found != subject && !access.grants().allows(op, &found) {
                    return Err(access.denied(op, Resource::Subject(found.qualified())));
                }
                Ok(())
            }
            Need::SchemaId(id) => {
                let params = params();
                let subject = params.get("subject").filter(|s| !s.is_empty());
                self.check_id(registry, access, id, subject, IdRoute::Schema)
                    .await
            }
            Need::IdListing(id) => {
                let params = params();
                let subject = params.get("subject").filter(|s| !s.is_empty());
                self.check_id(registry, access, id, subject, IdRoute::Listing)
                    .await
            }
            Need::Guid(guid) => self.check_guid(registry, access, &guid).await,
            _ => Ok(()),
        }
    }

    /// May the principal read id `id` (with `?subject=`, as that subject)? Some subject it
    /// may read must use the id in the context that answers.
    async fn check_id(
        &self,
        registry: &Registry,
        access: &Access,
        id: i64,
        subject: Option<&str>,
        route: IdRoute,
    ) -> Result<(), Refusal> {
        let grants = access.grants();
        let named = subject
            .map(|s| (QualifiedSubject::parse(s), !s.starts_with(":.")))
            .filter(|(s, _)| !s.name.is_empty());
        if grants.allows_global(Operation::Read)
            || (named.is_none() && grants.allows_in_every_context(Operation::Read))
        {
            return Ok(());
        }
        let context = match route {
            IdRoute::Schema => match registry.schema_by_id(id, subject).await {
                Ok(schema) => schema.record.context.clone(),
                // Unknown: the handler answers 404.
                Err(RegistryError::SchemaIdNotFound(_)) => return Ok(()),
                Err(e) => return Err(refused(e)),
            },
            IdRoute::Listing => Registry::context_of(subject).into_owned(),
        };
        // A bare `?subject=` names the subject in the context that answered.
        let named = named.map(|(s, bare)| match bare {
            true => QualifiedSubject::in_context(&context, &s.name),
            false => s,
        });
        let resource = || match &named {
            Some(s) => Resource::Subject(s.qualified()),
            None => Resource::SchemaId(id),
        };
        if let Some(named) = &named {
            if !grants.allows(Operation::Read, named) {
                return Err(access.denied(Operation::Read, resource()));
            }
        }
        let allowed = |users: &[QualifiedSubject]| match &named {
            Some(named) => users.contains(named),
            None => users.iter().any(|u| grants.allows(Operation::Read, u)),
        };
        let key = (context, id);
        if let Some(users) = self.users.get(&key).await {
            if allowed(&users) {
                return Ok(());
            }
        }
        let users = Arc::new(users_of(registry, &key.0, id).await.map_err(refused)?);
        let ok = allowed(&users);
        self.users.insert(key, users).await;
        if ok {
            Ok(())
        } else {
            Err(access.denied(Operation::Read, resource()))
        }
    }

    /// May the principal read the schema with this guid? Some subject it may read must use
    /// it, in some context.
    async fn check_guid(
        &self,
        registry: &Registry,
        access: &Access,
        guid: &str,
    ) -> Result<(), Refusal> {
        let grants = access.grants();
        if grants.allows_global(Operation::Read) || grants.allows_in_every_context(Operation::Read)
        {
            return Ok(());
        }
        let ids = registry.ids_of_guid(guid).await.map_err(refused)?;
        if ids.is_empty() {
            return Ok(());
        }
        for (context, id) in ids {
            let users = users_of(registry, &context, id).await.map_err(refused)?;
            if users.iter().any(|u| grants.allows(Operation::Read, u)) {
                return Ok(());
            }
        }
        Err(access.denied(Operation::Read, Resource::Guid(guid.to_string())))
    }
}

/// The subjects with a version (soft-deleted ones too) of `id` in `context`.
async fn users_of(
    registry: &Registry,
    context: &str,
    id: i64,
) -> crate::registry::Result<Vec<QualifiedSubject>> {
    let scope = format!(":{context}:");
    match registry
        .schema_subjects(id, Some(&scope), true, ListPage::ALL)
        .await
    {
        Ok(names) => Ok(names.iter().map(|n| QualifiedSubject::parse(n)).collect()),
        Err(RegistryError::SchemaNotFound) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// A registry failure while checking: the request is refused with it (never let through).
fn refused(error: RegistryError) -> Refusal {
    Refusal::Failed(ApiError::from(error))
}

/// Whether a request for a bare subject may be served from another context
/// (`docs/rest-api.md` §2.4): every subject read, lookup, compatibility check and delete;
/// not registration, config or mode.
fn searches_other_contexts(op: Operation, head: &str) -> bool {
    match op {
        Operation::Read | Operation::Delete => head != "/config/" && head != "/mode/",
        Operation::Write => head == "/compatibility/subjects/",
        Operation::ConfigRead | Operation::ConfigWrite => false,
    }
}

#[derive(Clone, Copy)]
enum IdRoute {
    Schema,
    Listing,
}

/// What the principal of a request may do, under the rules in force when it arrived.
#[derive(Clone)]
pub struct Access {
    rules: Arc<Rules>,
    principal: Principal,
}

impl Access {
    fn grants(&self) -> rules::Grants<'_> {
        self.rules.of(&self.principal)
    }

    /// Whether listings show it everything (global `read`).
    pub(crate) fn reads_everything(&self) -> bool {
        self.grants().allows_global(Operation::Read)
    }

    /// Whether it may read this subject (its wire form).
    pub(crate) fn may_read(&self, subject: &str) -> bool {
        self.grants()
            .allows(Operation::Read, &QualifiedSubject::parse(subject))
    }

    fn check(&self, need: &Need) -> Result<(), Refusal> {
        match need {
            Need::Subject { op, subject, .. } if !self.grants().allows(*op, subject) => {
                Err(self.denied(*op, Resource::Subject(subject.qualified())))
            }
            Need::Global(op) if !self.grants().allows_global(*op) => {
                Err(self.denied(*op, Resource::Registry))
            }
            _ => Ok(()),
        }
    }

    fn denied(&self, op: Operation, resource: Resource) -> Refusal {
        Refusal::Denied {
            principal: self.principal.name.clone(),
            op,
            resource,
        }
    }
}

/// Why the ACL let a request no further.
pub(crate) enum Refusal {
    /// Not allowed: 403/40301 naming the operation and the resource.
    Denied {
        principal: String,
        op: Operation,
        resource: Resource,
    },
    /// The registry failed while the check asked it something.
    Failed(ApiError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (principal, op, resource) = match self {
            Refusal::Failed(error) => return error.into_response(),
            Refusal::Denied {
                principal,
                op,
                resource,
            } => (principal, op, resource),
        };
        let message = format!(
            "User {principal} is denied operation {} on {resource}",
            op.as_str()
        );
        let subject = match resource {
            Resource::Subject(s) => Some(s),
            _ => None,
        };
        let mut response = ApiError::new(StatusCode::FORBIDDEN, 40301, message).into_response();
        response.extensions_mut().insert(Denial { op, subject });
        response
    }
}

/// What a 403 of the ACL refused, carried on the response for the audit log.
#[derive(Clone, Debug)]
pub struct Denial {
    pub op: Operation,
    pub subject: Option<String>,
}

/// What a denial names.
pub(crate) enum Resource {
    Subject(String),
    Registry,
    SchemaId(i64),
    Guid(String),
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Subject(s) => write!(f, "subject '{s}'"),
            Resource::Registry => f.write_str("the registry (global)"),
            Resource::SchemaId(id) => write!(f, "schema id {id}"),
            Resource::Guid(guid) => write!(f, "schema guid {guid}"),
        }
    }
}
