//! Listings under an ACL (`docs/rest-api.md` §11): `GET /subjects`, `GET /schemas` and an
//! id's subjects and versions show a principal without global `read` only the subjects it
//! may read, and `offset`/`limit` count what it is shown; a guid's ids, only the ids some
//! subject it may read uses. `GET /subjects` asks the database only where the principal's
//! grants point.

use super::{users_of, Access, Operation};
use crate::registry::{
    ListPage, NameScope, Registry, Result, SchemaListing, SubjectFilter, SubjectVersion,
};
use axum::Extension;

/// The access to filter a listing by: `None` without an ACL, or when the principal's
/// global `read` shows it everything.
pub(crate) fn restricting(access: Option<Extension<Access>>) -> Option<Access> {
    access
        .map(|Extension(a)| a)
        .filter(|a| !a.reads_everything())
}

/// One page of what is left after `keep`.
pub(crate) fn page_of<T>(
    items: impl IntoIterator<Item = T>,
    keep: impl Fn(&T) -> bool,
    page: ListPage,
) -> Vec<T> {
    items
        .into_iter()
        .filter(|item| keep(item))
        .skip(page.offset)
        .take(page.limit)
        .collect()
}

/// `GET /subjects` for a principal who may read only some subjects: the database is asked
/// only where its grants point (a prefix, a literal name, a whole context), never for every
/// name.
pub(crate) async fn subjects(
    registry: &Registry,
    filter: &SubjectFilter,
    page: ListPage,
    access: &Access,
) -> Result<Vec<String>> {
    let grants = access.grants();
    let Some(scopes) = grants.scopes(Operation::Read) else {
        // `"*"`: every subject of every context.
        return registry.subjects(filter, page).await;
    };
    let within: Vec<NameScope> = scopes
        .into_iter()
        .map(|(context, name_prefix)| NameScope {
            context,
            name_prefix,
        })
        .collect();
    registry
        .subjects_within(filter, page, &within, &|subject| {
            grants.allows(Operation::Read, subject)
        })
        .await
}

/// `GET /schemas` for a principal who may read only some subjects: the registry keeps the
/// versions of those subjects before it reads any schema.
pub(crate) async fn schemas(
    registry: &Registry,
    listing: &SchemaListing<'_>,
    access: &Access,
) -> Result<Vec<SubjectVersion>> {
    let grants = access.grants();
    registry
        .list_schemas_of(listing, &|subject| grants.allows(Operation::Read, subject))
        .await
}

/// `GET /schemas/guids/{guid}/ids` for a principal who may read only some subjects: the
/// (context, id) pairs of `ids` that some subject it may read uses (a soft-deleted version
/// counts, as for a read by id).
pub(crate) async fn guid_ids(
    registry: &Registry,
    ids: Vec<(String, i64)>,
    access: &Access,
) -> Result<Vec<(String, i64)>> {
    let grants = access.grants();
    if grants.allows_in_every_context(Operation::Read) {
        return Ok(ids);
    }
    let mut readable = Vec::with_capacity(ids.len());
    for (context, id) in ids {
        let users = users_of(registry, &context, id).await?;
        if users.iter().any(|u| grants.allows(Operation::Read, u)) {
            readable.push((context, id));
        }
    }
    Ok(readable)
}
