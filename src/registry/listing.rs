//! Listings paged by the database: `GET /subjects` (also kept to a principal's readable
//! scopes, [`NameScope`]), the subjects and versions that use a schema id, and
//! `referencedby`. Each asks the store for one page only, so its cost follows
//! `offset + limit`, not the size of the registry, and none reads a schema: a listing never
//! fills (or evicts from) the id cache.

use super::read::SubjectFilter;
use super::{Registry, RegistryError, Result};
use crate::domain::{QualifiedSubject, VersionId, VersionRecord, DEFAULT_CONTEXT};
use crate::store::{Page, SubjectPage, SubjectState};

/// `offset` and `limit` of a listing, as the API bounded them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListPage {
    pub offset: usize,
    pub limit: usize,
}

impl ListPage {
    /// Every item.
    pub const ALL: ListPage = ListPage {
        offset: 0,
        limit: usize::MAX,
    };

    fn rows(self) -> Page {
        Page {
            offset: self.offset as u64,
            limit: self.limit as u64,
        }
    }

    /// The first `offset + limit` rows: what each of several merged lists must give.
    fn through_end(self) -> Page {
        Page {
            offset: 0,
            limit: self.offset.saturating_add(self.limit) as u64,
        }
    }
}

/// Does a (context, subject) pair match a `subjectPrefix` of `GET /subjects`? `:*:` or
/// absent matches all; a context-qualified prefix matches inside that context; a bare
/// prefix, the default context. The rule written plainly, against which the tests hold the
/// scopes the database is asked for.
#[cfg(test)]
pub(super) fn matches_prefix(prefix: Option<&str>, qualified: &str, context: &str) -> bool {
    match prefix {
        None | Some(":*:") => true,
        Some(p) if p.starts_with(":.") => {
            qualified.starts_with(p) || (p.ends_with(':') && p == format!(":{context}:"))
        }
        Some(p) => context == DEFAULT_CONTEXT && qualified.starts_with(p),
    }
}

/// The (context, name prefix) pairs a `subjectPrefix` selects among `contexts` (every
/// context that exists): together exactly the pairs `matches_prefix` accepts. A stored
/// default-context name never looks like `:.ctx:name` (it would have been parsed into that
/// context), which is what lets a qualified prefix name its contexts alone.
fn subject_scopes(prefix: Option<&str>, contexts: &[String]) -> Vec<(String, Option<String>)> {
    let every = |name: Option<&str>| {
        contexts
            .iter()
            .map(|c| (c.clone(), name.map(str::to_string)))
            .collect()
    };
    let Some(p) = prefix.filter(|p| *p != ":*:") else {
        return every(None);
    };
    let Some(rest) = p.strip_prefix(':').filter(|r| r.starts_with('.')) else {
        return vec![(DEFAULT_CONTEXT.to_string(), Some(p.to_string()))];
    };
    match rest.split_once(':') {
        // `:.:` is the default context; `:.:name` no stored name starts with.
        Some((".", "")) => vec![(DEFAULT_CONTEXT.to_string(), None)],
        Some((".", _)) => Vec::new(),
        Some((context, name)) => {
            let name = (!name.is_empty()).then(|| name.to_string());
            vec![(context.to_string(), name)]
        }
        // `:.c` without the closing colon: every context whose name starts with `.c`, and
        // default-context names that start with `:.c` themselves.
        None => {
            let mut scopes: Vec<(String, Option<String>)> = contexts
                .iter()
                .filter(|c| c.as_str() != DEFAULT_CONTEXT && c.starts_with(rest))
                .map(|c| (c.clone(), None))
                .collect();
            scopes.push((DEFAULT_CONTEXT.to_string(), Some(p.to_string())));
            scopes
        }
    }
}

/// Where a listing may look: the subjects of `context` whose name starts with `name_prefix`
/// (`""`: all of them). A principal's readable subjects are a few of these (`api::acl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameScope {
    pub context: String,
    pub name_prefix: String,
}

/// The requested (context, name prefix) scopes narrowed to `allowed`: where a requested
/// scope and an allowed one of the same context meet, the longer of the two prefixes. A
/// scope another one of the same context already holds is dropped, so no name is read
/// twice.
fn narrowed(
    requested: &[(String, Option<String>)],
    allowed: &[NameScope],
) -> Vec<(String, Option<String>)> {
    let mut met: Vec<(String, String)> = Vec::new();
    for (context, asked) in requested {
        for scope in allowed.iter().filter(|s| s.context == *context) {
            let granted = scope.name_prefix.as_str();
            let narrower = match asked.as_deref() {
                None => granted,
                Some(asked) if asked.starts_with(granted) => asked,
                Some(asked) if granted.starts_with(asked) => granted,
                Some(_) => continue,
            };
            met.push((context.clone(), narrower.to_string()));
        }
    }
    // Sorted, a prefix comes before every name it holds.
    met.sort();
    met.dedup();
    let mut kept: Vec<(String, String)> = Vec::new();
    for (context, prefix) in met {
        let held = kept
            .iter()
            .any(|(c, p)| *c == context && prefix.starts_with(p.as_str()));
        if !held {
            kept.push((context, prefix));
        }
    }
    kept.into_iter()
        .map(|(c, p)| (c, (!p.is_empty()).then_some(p)))
        .collect()
}

fn subject_state(filter: &SubjectFilter) -> SubjectState {
    if filter.deleted_only {
        SubjectState::AllDeleted
    } else if filter.deleted {
        SubjectState::Any
    } else {
        SubjectState::Live
    }
}

impl Registry {
    /// The contexts a `subjectPrefix` may name several of, or none when it names one.
    async fn contexts_for(&self, prefix: Option<&str>) -> Result<Vec<String>> {
        let needs_contexts = match prefix {
            None | Some(":*:") => true,
            Some(p) => p.starts_with(":.") && !p[1..].contains(':'),
        };
        Ok(if needs_contexts {
            self.store.context_names().await?
        } else {
            Vec::new()
        })
    }

    /// `GET /subjects` kept to `within` (a principal's readable scopes), and of those to what
    /// `keep` accepts (the exact rule: a literal grant is asked as a prefix), in byte order,
    /// one page of what is kept. Each scope where the request's `subjectPrefix` meets
    /// `within` gives the database's first `offset + limit` names; the page is cut from their
    /// merge. So the cost follows the readable scopes and the page, not the registry's size.
    pub async fn subjects_within(
        &self,
        filter: &SubjectFilter,
        page: ListPage,
        within: &[NameScope],
        keep: &(dyn Fn(&QualifiedSubject) -> bool + Sync),
    ) -> Result<Vec<String>> {
        let prefix = filter.prefix.as_deref();
        let contexts = self.contexts_for(prefix).await?;
        let scopes = narrowed(&subject_scopes(prefix, &contexts), within);
        let state = subject_state(filter);
        let mut names = Vec::new();
        for (context, name_prefix) in &scopes {
            let query = SubjectPage {
                context,
                name_prefix: name_prefix.as_deref(),
                state,
                page: page.through_end(),
            };
            for s in self.store.subject_page(&query).await? {
                let subject = QualifiedSubject::in_context(&s.context, &s.subject);
                if keep(&subject) {
                    names.push(subject.qualified());
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .collect())
    }

    /// `GET /subjects`: qualified names in byte order, one page of them. Within one context
    /// the database cuts the page; across contexts each context gives its first
    /// `offset + limit` names and the page is cut from their merge (a context's names are
    /// contiguous in qualified order, but the default context's bare names are not).
    pub async fn subjects(&self, filter: &SubjectFilter, page: ListPage) -> Result<Vec<String>> {
        let prefix = filter.prefix.as_deref();
        // Only a prefix that may name several contexts needs to know which exist.
        let contexts = self.contexts_for(prefix).await?;
        let scopes = subject_scopes(prefix, &contexts);
        let state = subject_state(filter);
        let rows = if scopes.len() == 1 {
            page.rows()
        } else {
            page.through_end()
        };
        let mut names = Vec::new();
        for (context, name_prefix) in &scopes {
            let query = SubjectPage {
                context,
                name_prefix: name_prefix.as_deref(),
                state,
                page: rows,
            };
            for s in self.store.subject_page(&query).await? {
                names.push(QualifiedSubject::in_context(&s.context, &s.subject).qualified());
            }
        }
        if scopes.len() == 1 {
            return Ok(names);
        }
        names.sort();
        Ok(names
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .collect())
    }

    /// (subject, version) pairs using a schema id, by subject then version, one page.
    /// `subject` picks the context (`context_of`). 40403 when no version at all, not even a
    /// soft-deleted one, carries the id.
    pub async fn schema_usages(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
        page: ListPage,
    ) -> Result<Vec<(String, i64)>> {
        let context = Self::context_of(subject);
        let versions = self
            .store
            .usage_page(&context, id, deleted, page.rows())
            .await?;
        if versions.is_empty() && !self.store.id_in_use(&context, id).await? {
            return Err(RegistryError::SchemaNotFound);
        }
        Ok(versions
            .into_iter()
            .map(|v| {
                (
                    QualifiedSubject::in_context(&v.context, &v.subject).qualified(),
                    v.version,
                )
            })
            .collect())
    }

    /// The subjects using a schema id, by name, one page; errors as
    /// [`schema_usages`](Self::schema_usages).
    pub async fn schema_subjects(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
        page: ListPage,
    ) -> Result<Vec<String>> {
        let context = Self::context_of(subject);
        let subjects = self
            .store
            .usage_subject_page(&context, id, deleted, page.rows())
            .await?;
        if subjects.is_empty() && !self.store.id_in_use(&context, id).await? {
            return Err(RegistryError::SchemaNotFound);
        }
        Ok(subjects
            .into_iter()
            .map(|s| QualifiedSubject::in_context(&context, &s).qualified())
            .collect())
    }

    /// Ids of schemas referencing a version of a subject, ascending, one page. The version is
    /// resolved as `GET .../versions/{v}?deleted=true` resolves it, without reading its
    /// schema.
    pub async fn referenced_by(
        &self,
        subject: &QualifiedSubject,
        version: VersionId,
        deleted: bool,
        page: ListPage,
    ) -> Result<Vec<i64>> {
        let (subject, found) = self.resolve_version(subject, version, true).await?;
        let target = (
            subject.context.as_str(),
            subject.name.as_str(),
            found.version,
        );
        Ok(self
            .store
            .referrer_page(target, deleted, page.rows())
            .await?)
    }

    /// The version a `{subject}/versions/{version}` path names: `latest` is the highest live
    /// version; a numbered soft-deleted one only with `deleted`. 40401 when the subject shows
    /// nothing, 40402 when the version is missing.
    pub(super) async fn resolve_version(
        &self,
        subject: &QualifiedSubject,
        version: VersionId,
        deleted: bool,
    ) -> Result<(QualifiedSubject, VersionRecord)> {
        let (subject, versions) = self.locate(subject).await?;
        if !versions.iter().any(|v| deleted || !v.deleted) {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        let found = match version {
            VersionId::Latest => versions.into_iter().rev().find(|v| !v.deleted),
            VersionId::Number(n) => versions
                .into_iter()
                .find(|v| v.version == n && (deleted || !v.deleted)),
        }
        .ok_or(RegistryError::VersionNotFound(version.display_number()))?;
        Ok((subject, found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_prefix_selects_contexts() {
        assert!(matches_prefix(None, ":.ctx:a", ".ctx"));
        assert!(matches_prefix(Some(":*:"), "a", "."));
        assert!(matches_prefix(Some("or"), "orders", "."));
        assert!(!matches_prefix(Some("or"), ":.ctx:orders", ".ctx"));
        assert!(matches_prefix(Some(":.ctx:"), ":.ctx:orders", ".ctx"));
        assert!(matches_prefix(Some(":.ctx:or"), ":.ctx:orders", ".ctx"));
        assert!(!matches_prefix(Some(":.ctx:"), "orders", "."));
    }

    /// The scopes the database is asked for select exactly what `matches_prefix` selects.
    #[test]
    fn requested_scopes_narrow_to_the_allowed_ones() {
        let scope = |context: &str, name_prefix: &str| NameScope {
            context: context.into(),
            name_prefix: name_prefix.into(),
        };
        let asked =
            |context: &str, prefix: Option<&str>| (context.to_string(), prefix.map(String::from));
        let allowed = [
            scope(".", "orders-"),
            scope(".", "orders-value"),
            scope(".", "payments-value"),
            scope(".staging", ""),
        ];
        // Every subject asked: the allowed scopes, the one `orders-` holds dropped.
        let every = [
            asked(".", None),
            asked(".staging", None),
            asked(".other", None),
        ];
        assert_eq!(
            narrowed(&every, &allowed),
            [
                asked(".", Some("orders-")),
                asked(".", Some("payments-value")),
                asked(".staging", None)
            ]
        );
        // A prefix: the longer of the two where they meet, nothing where they do not.
        assert_eq!(
            narrowed(&[asked(".", Some("orders-v"))], &allowed),
            [asked(".", Some("orders-v"))]
        );
        assert_eq!(
            narrowed(&[asked(".", Some("o"))], &allowed),
            [asked(".", Some("orders-"))]
        );
        assert!(narrowed(&[asked(".", Some("x"))], &allowed).is_empty());
        assert_eq!(
            narrowed(&[asked(".staging", Some("a"))], &allowed),
            [asked(".staging", Some("a"))]
        );
        assert!(narrowed(&every, &[]).is_empty());
    }

    #[test]
    fn subject_scopes_agree_with_the_prefix_rule() {
        let subjects = [
            (".", "orders"),
            (".", "or"),
            (".", "payments"),
            (".", ":.odd"),
            (".", ":.c"),
            (".", ":foo:bar"),
            (".ctx", "orders"),
            (".ctx", "other"),
            (".ctx2", "orders"),
            (".c2", "orders"),
        ];
        let contexts: Vec<String> = [".", ".c2", ".ctx", ".ctx2"]
            .iter()
            .map(|c| c.to_string())
            .collect();
        for prefix in [
            None,
            Some(":*:"),
            Some("or"),
            Some("orders"),
            Some("x"),
            Some(":foo"),
            Some(":.ctx:"),
            Some(":.ctx:or"),
            Some(":.ctx:orders"),
            Some(":.ctx"),
            Some(":.c"),
            Some(":."),
            Some(":.c2:"),
            Some(":.:"),
            Some(":.:or"),
            Some(":.odd"),
            Some(":.nope:"),
            Some(":.ctx:zz"),
        ] {
            let scopes = subject_scopes(prefix, &contexts);
            for (ctx, subject) in subjects {
                let q = QualifiedSubject::in_context(ctx, subject).qualified();
                let expected = matches_prefix(prefix, &q, ctx);
                let actual = scopes.iter().any(|(c, name)| {
                    c == ctx && name.as_deref().is_none_or(|n| subject.starts_with(n))
                });
                assert_eq!(actual, expected, "prefix {prefix:?}, subject {q:?}");
            }
        }
    }
}
