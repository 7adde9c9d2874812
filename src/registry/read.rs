//! Reads: subjects, versions, schemas by id or guid, references, contexts.

use super::{CachedSchema, Registry, RegistryError, Result};
use crate::domain::{QualifiedSubject, VersionId, VersionRecord, DEFAULT_CONTEXT};
use crate::store::VersionPage;
use std::borrow::Cow;
use std::sync::Arc;

/// A version of a subject with its schema.
#[derive(Clone)]
pub struct SubjectVersion {
    pub subject: QualifiedSubject,
    pub version: i64,
    pub deleted: bool,
    /// When this version was registered (CSR's `ts`), not when its schema first was.
    pub registered_at: i64,
    pub schema: Arc<CachedSchema>,
}

/// Filters of `GET /subjects`.
#[derive(Debug, Clone, Default)]
pub struct SubjectFilter {
    /// `None` = every context (`:*:`).
    pub prefix: Option<String>,
    pub deleted: bool,
    pub deleted_only: bool,
}

/// The query of `GET /schemas`.
#[derive(Debug, Clone, Default)]
pub struct SchemaListing<'a> {
    /// `subjectPrefix`: empty for the default context, `:*:` for every context, `:.ctx:name`
    /// within a context, or a bare prefix in the default context.
    pub prefix: &'a str,
    pub deleted: bool,
    pub latest_only: bool,
    pub rule_type: Option<&'a str>,
    pub offset: usize,
    pub limit: usize,
}

/// The context (`None`: all) and the subject-name prefix a `subjectPrefix` selects: the same
/// selection as `GET /subjects`' prefix rule (`listing::matches_prefix`) within the context
/// the prefix names.
fn listing_scope(prefix: &str) -> (Option<String>, Option<String>) {
    if prefix.is_empty() {
        return (Some(DEFAULT_CONTEXT.to_string()), None);
    }
    if prefix == ":*:" {
        return (None, None);
    }
    let parsed = QualifiedSubject::parse(prefix);
    if prefix.starts_with(":.") && parsed.context != DEFAULT_CONTEXT {
        // `:.ctx:name` selects the context's subjects whose name starts with `name`.
        let name = (!parsed.name.is_empty()).then_some(parsed.name);
        return (Some(parsed.context), name);
    }
    if prefix == ":.:" {
        return (Some(DEFAULT_CONTEXT.to_string()), None);
    }
    // A bare prefix, or `:.:name` (which no stored default-context name starts with, so it
    // selects nothing, as the qualified comparison does).
    (Some(DEFAULT_CONTEXT.to_string()), Some(prefix.to_string()))
}

/// Which versions `GET /subjects/{s}/versions` lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct VersionFilter {
    /// Soft-deleted versions too.
    pub deleted: bool,
    /// Only soft-deleted versions.
    pub deleted_only: bool,
    /// Soft-deleted versions too, as negative numbers (`docs/rest-api.md` §4.2).
    pub deleted_as_negative: bool,
}

impl VersionFilter {
    fn shows(self, version: &VersionRecord) -> bool {
        if self.deleted_only {
            version.deleted
        } else {
            self.deleted || self.deleted_as_negative || !version.deleted
        }
    }

    fn number(self, version: &VersionRecord) -> i64 {
        if version.deleted && self.deleted_as_negative {
            -version.version
        } else {
            version.version
        }
    }
}

impl Registry {
    /// The version numbers of a subject `filter` shows, ascending by absolute value (as
    /// stored).
    pub async fn versions(
        &self,
        subject: &QualifiedSubject,
        filter: VersionFilter,
    ) -> Result<Vec<i64>> {
        let (subject, versions) = self.locate(subject).await?;
        let out: Vec<i64> = versions
            .iter()
            .filter(|v| filter.shows(v))
            .map(|v| filter.number(v))
            .collect();
        if out.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        Ok(out)
    }

    /// One version. `latest` is the highest live version even when `deleted` is set.
    pub async fn version(
        &self,
        subject: &QualifiedSubject,
        version: VersionId,
        deleted: bool,
    ) -> Result<SubjectVersion> {
        let (subject, found) = self.resolve_version(subject, version, deleted).await?;
        self.subject_version(subject, &found).await
    }

    async fn subject_version(
        &self,
        subject: QualifiedSubject,
        v: &VersionRecord,
    ) -> Result<SubjectVersion> {
        let schema = self
            .schema(&v.context, v.schema_id)
            .await?
            .ok_or_else(|| RegistryError::SchemaIdNotFound(v.schema_id.to_string()))?;
        Ok(SubjectVersion {
            subject,
            version: v.version,
            deleted: v.deleted,
            registered_at: v.created_at,
            schema,
        })
    }

    /// The context `?subject=` selects for id lookups: a qualified subject names its
    /// context; anything else means the default context.
    pub fn context_of(subject: Option<&str>) -> Cow<'static, str> {
        // Only a qualified subject names another context; the hot path allocates nothing.
        match subject.filter(|s| s.starts_with(":.")) {
            Some(s) => Cow::Owned(QualifiedSubject::parse(s).context),
            None => Cow::Borrowed(DEFAULT_CONTEXT),
        }
    }

    pub async fn max_schema_id(&self, context: &str) -> Result<i64> {
        Ok(self.store.max_schema_id(context).await?)
    }

    pub async fn schema_by_guid(&self, guid: &str) -> Result<Arc<CachedSchema>> {
        for record in self.store.schemas_by_guid(guid).await? {
            if let Some(found) = self.schema(&record.context, record.id).await? {
                return Ok(found);
            }
        }
        Err(RegistryError::SchemaIdNotFound(guid.to_string()))
    }

    /// (context, id) of every live schema with this guid.
    pub async fn ids_of_guid(&self, guid: &str) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for record in self.store.schemas_by_guid(guid).await? {
            if self.schema(&record.context, record.id).await?.is_some() {
                out.push((record.context, record.id));
            }
        }
        Ok(out)
    }

    /// `GET /subjects/{s}/metadata`: newest version whose metadata properties contain every pair.
    pub async fn latest_with_metadata(
        &self,
        subject: &QualifiedSubject,
        pairs: &[(String, String)],
        deleted: bool,
    ) -> Result<SubjectVersion> {
        let (subject, versions) = self.locate(subject).await?;
        if !versions.iter().any(|v| deleted || !v.deleted) {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        for v in versions.iter().rev().filter(|v| deleted || !v.deleted) {
            let found = self.subject_version(subject.clone(), v).await?;
            let properties = found
                .schema
                .record
                .metadata
                .as_ref()
                .and_then(|m| m.get("properties"));
            let all = pairs.iter().all(|(k, val)| {
                properties.and_then(|p| p.get(k)).and_then(|x| x.as_str()) == Some(val.as_str())
            });
            if all {
                return Ok(found);
            }
        }
        Err(RegistryError::SchemaNotFound)
    }

    /// `GET /schemas`: versions ordered by qualified subject, then version, one page of
    /// them. Without a rule filter the page is cut by the database, so the cost does not grow
    /// with the registry. A listing reads schemas without keeping them in the id cache:
    /// walking the registry must not evict what consumers read.
    pub async fn list_schemas(&self, listing: &SchemaListing<'_>) -> Result<Vec<SubjectVersion>> {
        let (context, subject_prefix) = listing_scope(listing.prefix);
        let mut page = VersionPage {
            context: context.as_deref(),
            subject_prefix: subject_prefix.as_deref(),
            include_deleted: listing.deleted,
            latest_only: listing.latest_only,
            rule_text: None,
            offset: listing.offset as u64,
            limit: listing.limit as u64,
        };
        let Some(rule_type) = listing.rule_type else {
            let mut out = Vec::new();
            for v in self.store.version_page(&page).await? {
                out.push(self.listed_version(&v).await?);
            }
            return Ok(out);
        };
        // The rule type as it appears inside the stored JSON text.
        let needle = serde_json::Value::from(rule_type).to_string();
        let needle = &needle[1..needle.len() - 1];
        page.rule_text = Some(needle);
        (page.latest_only, page.offset, page.limit) = (false, 0, u64::MAX);
        self.list_schemas_with_rule(listing, rule_type, &self.store.version_page(&page).await?)
            .await
    }

    /// `GET /schemas` restricted to the subjects `keep` accepts (the API's ACL): the page is
    /// cut from the versions kept. The database walks the version rows (no schema text) in
    /// chunks, and schemas are read only for the versions on the page.
    pub async fn list_schemas_of(
        &self,
        listing: &SchemaListing<'_>,
        keep: &(dyn Fn(&QualifiedSubject) -> bool + Sync),
    ) -> Result<Vec<SubjectVersion>> {
        const CHUNK: u64 = 1000;
        let (context, subject_prefix) = listing_scope(listing.prefix);
        let needle = listing.rule_type.map(|rule_type| {
            let quoted = serde_json::Value::from(rule_type).to_string();
            quoted[1..quoted.len() - 1].to_string()
        });
        let mut page = VersionPage {
            context: context.as_deref(),
            subject_prefix: subject_prefix.as_deref(),
            include_deleted: listing.deleted,
            // The rule filter picks the latest version itself, after the rule check.
            latest_only: listing.latest_only && needle.is_none(),
            rule_text: needle.as_deref(),
            offset: 0,
            limit: CHUNK,
        };
        let kept = |v: &VersionRecord| keep(&QualifiedSubject::in_context(&v.context, &v.subject));
        let wanted = listing.offset.saturating_add(listing.limit);
        let mut rows = Vec::new();
        loop {
            let chunk = self.store.version_page(&page).await?;
            let walked = chunk.len() as u64;
            rows.extend(chunk.into_iter().filter(kept));
            // With a rule filter every candidate is needed (the check is exact only on the
            // schema); without one, the page's rows are enough.
            if walked < CHUNK || (needle.is_none() && rows.len() >= wanted) {
                break;
            }
            page.offset += walked;
        }
        if let Some(rule_type) = listing.rule_type {
            return self.list_schemas_with_rule(listing, rule_type, &rows).await;
        }
        let mut out = Vec::new();
        for v in rows.iter().skip(listing.offset).take(listing.limit) {
            out.push(self.listed_version(v).await?);
        }
        Ok(out)
    }

    /// `GET /schemas?ruleType=`: `candidates` are the versions whose rule set mentions the
    /// type (the database's text filter, in listing order); each is checked exactly, and
    /// `latest_only` then keeps the highest remaining version of each subject. Schemas are
    /// read until the page is complete, not for every candidate.
    async fn list_schemas_with_rule(
        &self,
        listing: &SchemaListing<'_>,
        rule_type: &str,
        candidates: &[VersionRecord],
    ) -> Result<Vec<SubjectVersion>> {
        let wanted = listing.offset.saturating_add(listing.limit);
        let mut out: Vec<SubjectVersion> = Vec::new();
        for v in candidates {
            let complete = match out.last() {
                // A later version of the last subject may still replace it.
                Some(last) if listing.latest_only => {
                    out.len() >= wanted
                        && (last.subject.context != v.context || last.subject.name != v.subject)
                }
                _ => out.len() >= wanted,
            };
            if complete {
                break;
            }
            let version = self.listed_version(v).await?;
            if !has_rule_of_type(version.schema.record.rule_set.as_ref(), rule_type) {
                continue;
            }
            match out.last_mut() {
                Some(last) if listing.latest_only && last.subject == version.subject => {
                    *last = version;
                }
                _ => out.push(version),
            }
        }
        Ok(out
            .into_iter()
            .skip(listing.offset)
            .take(listing.limit)
            .collect())
    }

    /// A listed version with its schema, from the id cache if it is there, but not put there.
    async fn listed_version(&self, v: &VersionRecord) -> Result<SubjectVersion> {
        let schema = match self.cache.get(&v.context, v.schema_id).await {
            Some(hit) => hit,
            None => Arc::new(CachedSchema::new(
                self.store
                    .schema_by_id(&v.context, v.schema_id)
                    .await?
                    .ok_or_else(|| RegistryError::SchemaIdNotFound(v.schema_id.to_string()))?,
            )),
        };
        Ok(SubjectVersion {
            subject: QualifiedSubject::in_context(&v.context, &v.subject),
            version: v.version,
            deleted: v.deleted,
            registered_at: v.created_at,
            schema,
        })
    }

    /// Every context, the default first, the others sorted.
    pub async fn contexts(&self) -> Result<Vec<String>> {
        let mut contexts: Vec<String> = self
            .store
            .contexts()
            .await?
            .into_iter()
            .filter(|c| c != DEFAULT_CONTEXT)
            .collect();
        contexts.sort();
        contexts.insert(0, DEFAULT_CONTEXT.to_string());
        Ok(contexts)
    }
}

/// Whether a rule set has a migration, domain or encoding rule of `rule_type` (`CEL`, ...).
fn has_rule_of_type(rule_set: Option<&serde_json::Value>, rule_type: &str) -> bool {
    let Some(rule_set) = rule_set else {
        return false;
    };
    ["migrationRules", "domainRules", "encodingRules"]
        .iter()
        .filter_map(|kind| rule_set.get(kind)?.as_array())
        .flatten()
        .any(|rule| rule.get("type").and_then(|t| t.as_str()) == Some(rule_type))
}

#[cfg(test)]
mod tests {
    use super::super::listing::matches_prefix;
    use super::*;

    /// The scope the database filters by selects exactly what `matches_prefix` selects in
    /// the prefix's context.
    #[test]
    fn listing_scope_agrees_with_the_prefix_rule() {
        let subjects = [
            (".", "orders"),
            (".", "or"),
            (".", "payments"),
            (".", ":.odd"),
            (".ctx", "orders"),
            (".ctx", "other"),
            (".c2", "orders"),
        ];
        for prefix in [
            "",
            ":*:",
            "or",
            "orders",
            "x",
            ":.ctx:",
            ":.ctx:or",
            ":.ctx:orders",
            ":.c2:",
            ":.:",
            ":.:or",
            ":.odd",
            ":.nope:",
            ":.ctx:zz",
        ] {
            let (context, name) = listing_scope(prefix);
            for (ctx, subject) in subjects {
                let q = QualifiedSubject::in_context(ctx, subject).qualified();
                let old_context = if prefix.is_empty() {
                    Some(DEFAULT_CONTEXT.to_string())
                } else if prefix == ":*:" {
                    None
                } else {
                    Some(QualifiedSubject::parse(prefix).context)
                };
                let expected = old_context.as_deref().is_none_or(|c| c == ctx)
                    && (prefix.is_empty()
                        || prefix == ":*:"
                        || matches_prefix(Some(prefix), &q, ctx));
                let actual = context.as_deref().is_none_or(|c| c == ctx)
                    && name.as_deref().is_none_or(|n| subject.starts_with(n));
                assert_eq!(actual, expected, "prefix {prefix:?}, subject {q:?}");
            }
        }
    }
}
