//! One page of a listing, cut by the database: the subjects of a context, the versions and
//! subjects that use a schema id, the referrers of a version. Each query walks an index in
//! the listing's order and stops after the page, so its cost follows `offset + limit`, not
//! the size of the registry (`migrations/postgres/0010_listing_indexes.sql` and
//! `migrations/sqlite/0004_listing_indexes.sql` hold the indexes that give the orders).

use super::error::Result;
use super::Store;
use crate::domain::{SubjectSummary, VersionRecord};
use sqlx::{Any, AssertSqlSafe, Executor, Row};

/// Rows `offset..offset + limit` of a listing's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

impl Page {
    /// Every row.
    pub const ALL: Page = Page {
        offset: 0,
        limit: u64::MAX,
    };

    fn limit(self) -> i64 {
        i64::try_from(self.limit).unwrap_or(i64::MAX)
    }

    fn offset(self) -> i64 {
        i64::try_from(self.offset).unwrap_or(i64::MAX)
    }
}

/// Which subjects a listing shows, by the state of their versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectState {
    /// Subjects with at least one live version.
    #[default]
    Live,
    /// Every subject with a version, soft-deleted or not.
    Any,
    /// Subjects whose versions are all soft-deleted.
    AllDeleted,
}

/// One page of the subjects of one context, by name (`GET /subjects`).
#[derive(Debug, Clone, Copy)]
pub struct SubjectPage<'a> {
    pub context: &'a str,
    /// Only subjects whose name (without the context) starts with this.
    pub name_prefix: Option<&'a str>,
    pub state: SubjectState,
    pub page: Page,
}

/// The smallest string above every string that starts with `prefix` (byte order, which is
/// code point order in UTF-8), or `None` when no string is (a prefix of U+10FFFF only).
/// Bounds an index range scan on a prefix, so the scan stops where the prefix ends.
pub(super) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next scalar value: surrogates are not characters.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// `column` starts with the prefix in parameters `from`, `below` (its [`prefix_end`], if
/// any) and `prefix`: a range the index answers, then the exact test.
pub(super) fn prefix_condition(
    column: &str,
    from: &str,
    below: Option<&str>,
    prefix: &str,
) -> String {
    let upper = below.map_or(String::new(), |b| format!(" AND {column} < {b}"));
    format!("{column} >= {from}{upper} AND substr({column}, 1, length({prefix})) = {prefix}")
}

pub(super) async fn subject_page<'e, E: Executor<'e, Database = Any>>(
    e: E,
    query: &SubjectPage<'_>,
) -> Result<Vec<SubjectSummary>> {
    let end = query.name_prefix.and_then(prefix_end);
    let name = match (query.name_prefix, &end) {
        (None, _) => String::new(),
        (Some(_), Some(_)) => format!(
            " AND {}",
            prefix_condition("subject", "$2", Some("$3"), "$2")
        ),
        (Some(_), None) => format!(" AND {}", prefix_condition("subject", "$2", None, "$2")),
    };
    let having = match query.state {
        SubjectState::Live => "HAVING MIN(deleted) = 0",
        SubjectState::Any => "",
        SubjectState::AllDeleted => "HAVING MIN(deleted) = 1",
    };
    let (limit, offset) = if end.is_some() {
        ("$4", "$5")
    } else if query.name_prefix.is_some() {
        ("$3", "$4")
    } else {
        ("$2", "$3")
    };
    // Grouped in the primary key's order, so the database reads the context's versions
    // from the prefix on and stops once the page is full.
    let sql = format!(
        "SELECT context, subject, MIN(deleted) FROM subject_versions \
         WHERE context = $1{name} GROUP BY context, subject {having} \
         ORDER BY context, subject LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(query.context);
    if let Some(prefix) = query.name_prefix {
        q = q.bind(prefix);
    }
    if let Some(end) = end {
        q = q.bind(end);
    }
    let rows = q
        .bind(query.page.limit())
        .bind(query.page.offset())
        .fetch_all(e)
        .await?;
    rows.iter()
        .map(super::queries::subject_summary_from_row)
        .collect()
}

/// Every context ever created (listed or not), by name.
pub(super) async fn context_names<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM contexts ORDER BY name")
        .fetch_all(e)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// One page of the (subject, version) pairs that carry a schema id, by subject then
/// version; soft-deleted ones only if `include_deleted`.
pub(super) async fn usage_page<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    id: i64,
    include_deleted: bool,
    page: Page,
) -> Result<Vec<VersionRecord>> {
    let live = if include_deleted {
        ""
    } else {
        " AND deleted = 0"
    };
    let sql = format!(
        "SELECT context, subject, version, schema_id, deleted, created_at FROM subject_versions \
         WHERE context = $1 AND schema_id = $2{live} \
         ORDER BY context, schema_id, subject, version LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(context)
        .bind(id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(e)
        .await?;
    rows.iter().map(super::queries::version_from_row).collect()
}

/// One page of the subjects that carry a schema id in some version, by name.
pub(super) async fn usage_subject_page<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    id: i64,
    include_deleted: bool,
    page: Page,
) -> Result<Vec<String>> {
    let live = if include_deleted {
        ""
    } else {
        " AND deleted = 0"
    };
    let sql = format!(
        "SELECT subject FROM subject_versions WHERE context = $1 AND schema_id = $2{live} \
         GROUP BY context, schema_id, subject ORDER BY context, schema_id, subject \
         LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(context)
        .bind(id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(e)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Whether any version, soft-deleted or not, carries a schema id.
pub(super) async fn id_in_use<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    id: i64,
) -> Result<bool> {
    let row =
        sqlx::query("SELECT 1 FROM subject_versions WHERE context = $1 AND schema_id = $2 LIMIT 1")
            .bind(context)
            .bind(id)
            .fetch_optional(e)
            .await?;
    Ok(row.is_some())
}

/// Whether `subject` has a version, soft-deleted or not, carrying a schema id (one probe of
/// the index on (context, schema_id, subject)).
pub(super) async fn subject_uses_id<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    id: i64,
    subject: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM subject_versions WHERE context = $1 AND schema_id = $2 AND subject = $3 \
         LIMIT 1",
    )
    .bind(context)
    .bind(id)
    .bind(subject)
    .fetch_optional(e)
    .await?;
    Ok(row.is_some())
}

/// One page of the ids of schemas that reference (context, subject, version) and are still
/// used by a version (a live one unless `include_deleted`) outside that subject, ascending.
pub(super) async fn referrer_page<'e, E: Executor<'e, Database = Any>>(
    e: E,
    target: (&str, &str, i64),
    include_deleted: bool,
    page: Page,
) -> Result<Vec<i64>> {
    let (context, subject, version) = target;
    let rows = sqlx::query(
        "SELECT DISTINCT r.schema_id FROM schema_references r \
         WHERE r.ref_context = $1 AND r.ref_subject = $2 AND r.ref_version = $3 \
         AND EXISTS (SELECT 1 FROM subject_versions v WHERE v.context = r.context \
                     AND v.schema_id = r.schema_id AND (v.deleted = 0 OR $4 = 1) \
                     AND NOT (v.context = r.ref_context AND v.subject = r.ref_subject)) \
         ORDER BY r.schema_id LIMIT $5 OFFSET $6",
    )
    .bind(context)
    .bind(subject)
    .bind(version)
    .bind(include_deleted as i64)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(e)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

impl Store {
    /// One page of the subjects of one context, by name (byte order).
    pub async fn subject_page(&self, query: &SubjectPage<'_>) -> Result<Vec<SubjectSummary>> {
        subject_page(&self.pool, query).await
    }

    /// Every context ever created, listed or hidden, by name: the contexts a listing across
    /// contexts visits.
    pub async fn context_names(&self) -> Result<Vec<String>> {
        context_names(&self.pool).await
    }

    /// One page of the versions that carry a schema id, by subject then version.
    pub async fn usage_page(
        &self,
        context: &str,
        id: i64,
        include_deleted: bool,
        page: Page,
    ) -> Result<Vec<VersionRecord>> {
        usage_page(&self.pool, context, id, include_deleted, page).await
    }

    /// One page of the subjects that carry a schema id, by name.
    pub async fn usage_subject_page(
        &self,
        context: &str,
        id: i64,
        include_deleted: bool,
        page: Page,
    ) -> Result<Vec<String>> {
        usage_subject_page(&self.pool, context, id, include_deleted, page).await
    }

    /// Whether any version (soft-deleted included) carries a schema id.
    pub async fn id_in_use(&self, context: &str, id: i64) -> Result<bool> {
        id_in_use(&self.pool, context, id).await
    }

    /// Whether `subject` has a version (soft-deleted included) carrying a schema id.
    pub async fn subject_uses_id(&self, context: &str, id: i64, subject: &str) -> Result<bool> {
        subject_uses_id(&self.pool, context, id, subject).await
    }

    /// One page of [`referrers`](Self::referrers), ascending.
    pub async fn referrer_page(
        &self,
        target: (&str, &str, i64),
        include_deleted: bool,
        page: Page,
    ) -> Result<Vec<i64>> {
        referrer_page(&self.pool, target, include_deleted, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn the_prefix_end_is_above_every_extension_and_nothing_else() {
        assert_eq!(prefix_end("or").as_deref(), Some("os"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
        let end = prefix_end("or\u{7F}").unwrap();
        for name in ["or\u{7F}", "or\u{7F}\u{10FFFF}", "or\u{7F}zzz"] {
            assert!(name < end.as_str(), "{name:?}");
        }
        for name in ["or\u{80}", "os", "os\u{0}"] {
            assert!(name >= end.as_str(), "{name:?}");
        }
    }
}
