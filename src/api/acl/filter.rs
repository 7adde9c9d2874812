//! Listings under an ACL (`docs/rest-api.md` §11): `GET /subjects`, `GET /schemas` and an
//! id's subjects and versions show a principal without global `read` only the subjects it
//! may read, and `offset`/`limit` count what it is shown.

use super::Access;
use crate::registry::{ListPage, Registry, Result, SchemaListing, SubjectVersion};
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

/// `GET /schemas` for a principal who may read only some subjects: the registry's listing
/// is walked a page at a time until the principal's page is full.
pub(crate) async fn schemas(
    registry: &Registry,
    listing: &SchemaListing<'_>,
    access: &Access,
    chunk: usize,
) -> Result<Vec<SubjectVersion>> {
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut offset = 0;
    loop {
        let walked = SchemaListing {
            offset,
            limit: chunk,
            ..listing.clone()
        };
        let found = registry.list_schemas(&walked).await?;
        let count = found.len();
        for version in found {
            if !access.may_read(&version.subject.qualified()) {
                continue;
            }
            if skipped < listing.offset {
                skipped += 1;
            } else if out.len() < listing.limit {
                out.push(version);
            }
        }
        if out.len() >= listing.limit || count < chunk {
            return Ok(out);
        }
        offset += count;
    }
}
