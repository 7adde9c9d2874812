//! The SQL, written once for both dialects. Each query takes any executor, so the same
//! function serves the pool (plain reads, `reads.rs`) and an open transaction (reads and
//! writes under the lock, `write_tx.rs`).

use super::error::{Result, StoreError};
use super::pages::{prefix_condition, prefix_end, Page};
use super::reads::VersionPage;
use crate::domain::{
    Config, NewSchema, ReferenceTarget, SchemaRecord, SubjectSummary, VersionRecord,
};
use schemata_compat::SchemaType;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Executor, Row};

pub(super) const SCHEMA_COLUMNS: &str =
    "context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at";
const VERSION_COLUMNS: &str = "context, subject, version, schema_id, deleted, created_at";

/// A JSON text column of `table`; text that is not JSON is a corrupt row, not "no value".
fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    index: usize,
    table: &'static str,
) -> Result<Option<T>> {
    let text: Option<String> = row.try_get(index)?;
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StoreError::corrupt(table, format!("column {index}: {e}")))
}

/// A schema row. An unknown type or unreadable references fail the read: a default would
/// hand out a wrong answer (a Protobuf schema served as Avro, a schema without its
/// references).
pub(super) fn schema_from_row(row: &AnyRow) -> Result<SchemaRecord> {
    let schema_type: String = row.try_get(3)?;
    let schema_type = SchemaType::from_wire(&schema_type).ok_or_else(|| {
        StoreError::corrupt("schemas", format!("unknown schema type {schema_type:?}"))
    })?;
    Ok(SchemaRecord {
        context: row.try_get(0)?,
        id: row.try_get(1)?,
        hash: row.try_get(2)?,
        schema_type,
        schema: row.try_get(4)?,
        references: json_column(row, 5, "schemas")?
            .ok_or_else(|| StoreError::corrupt("schemas", "references are NULL"))?,
        metadata: json_column(row, 6, "schemas")?,
        rule_set: json_column(row, 7, "schemas")?,
        guid: row.try_get(8)?,
        created_at: row.try_get(9)?,
    })
}

pub(super) fn version_from_row(row: &AnyRow) -> Result<VersionRecord> {
    let deleted: i64 = row.try_get(4)?;
    Ok(VersionRecord {
        context: row.try_get(0)?,
        subject: row.try_get(1)?,
        version: row.try_get(2)?,
        schema_id: row.try_get(3)?,
        deleted: deleted != 0,
        created_at: row.try_get(5)?,
    })
}

pub(super) async fn schema_by_id<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    id: i64,
) -> Result<Option<SchemaRecord>> {
    let sql = format!("SELECT {SCHEMA_COLUMNS} FROM schemas WHERE context = $1 AND id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(context)
        .bind(id)
        .fetch_optional(e)
        .await?;
    row.as_ref().map(schema_from_row).transpose()
}

pub(super) async fn schema_id_by_hash<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    hash: &str,
) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT id FROM schemas WHERE context = $1 AND hash = $2")
        .bind(context)
        .bind(hash)
        .fetch_optional(e)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Schemas with this guid, the default context first.
pub(super) async fn schemas_by_guid<'e, E: Executor<'e, Database = Any>>(
    e: E,
    guid: &str,
) -> Result<Vec<SchemaRecord>> {
    let sql = format!(
        "SELECT {SCHEMA_COLUMNS} FROM schemas WHERE guid = $1 \
         ORDER BY CASE WHEN context = '.' THEN 0 ELSE 1 END, context, id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(guid)
        .fetch_all(e)
        .await?;
    rows.iter().map(schema_from_row).collect()
}

pub(super) async fn max_schema_id<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM schemas WHERE context = $1")
        .bind(context)
        .fetch_one(e)
        .await?;
    Ok(row.try_get(0)?)
}

/// All versions of a subject, soft-deleted included, ascending.
pub(super) async fn versions<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    subject: &str,
) -> Result<Vec<VersionRecord>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM subject_versions WHERE context = $1 AND subject = $2 ORDER BY version"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(context)
        .bind(subject)
        .fetch_all(e)
        .await?;
    rows.iter().map(version_from_row).collect()
}

/// All versions of a subject with their schemas' identity hashes, ascending: one read that
/// answers both "is this schema already here?" and "what is the history?". Also the
/// context's history generation, read in the same statement (one snapshot): it changes
/// whenever a version is deleted or inserted below the top (migration 0004), so a write
/// checked against this history can verify nothing of that kind happened since.
pub(super) async fn versions_with_hashes<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    subject: &str,
) -> Result<(Vec<(VersionRecord, String)>, i64)> {
    // From the context's row, so the generation comes back even without versions (and is 0
    // for a context not created yet).
    let rows = sqlx::query(
        "SELECT v.context, v.subject, v.version, v.schema_id, v.deleted, v.created_at, s.hash, \
                c.history_generation \
         FROM contexts c \
         LEFT JOIN subject_versions v ON v.context = c.name AND v.subject = $2 \
         LEFT JOIN schemas s ON s.context = v.context AND s.id = v.schema_id \
         WHERE c.name = $1 ORDER BY v.version",
    )
    .bind(context)
    .bind(subject)
    .fetch_all(e)
    .await?;
    let mut generation = 0;
    let mut versions = Vec::with_capacity(rows.len());
    for row in &rows {
        generation = row.try_get(7)?;
        if row.try_get::<Option<i64>, _>(2)?.is_some() {
            versions.push((version_from_row(row)?, row.try_get(6)?));
        }
    }
    Ok((versions, generation))
}

/// The newest version of a subject whose schema has this identity hash.
pub(super) async fn version_with_hash<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    subject: &str,
    hash: &str,
    include_deleted: bool,
) -> Result<Option<VersionRecord>> {
    let row = sqlx::query(
        "SELECT v.context, v.subject, v.version, v.schema_id, v.deleted, v.created_at \
         FROM subject_versions v JOIN schemas s ON s.context = v.context AND s.id = v.schema_id \
         WHERE v.context = $1 AND v.subject = $2 AND s.hash = $3 AND (v.deleted = 0 OR $4 = 1) \
         ORDER BY v.version DESC LIMIT 1",
    )
    .bind(context)
    .bind(subject)
    .bind(hash)
    .bind(include_deleted as i64)
    .fetch_optional(e)
    .await?;
    row.as_ref().map(version_from_row).transpose()
}

/// Every (subject, version) that carries a schema id, ascending.
pub(super) async fn versions_of_schema<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    id: i64,
) -> Result<Vec<VersionRecord>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM subject_versions WHERE context = $1 AND schema_id = $2 \
         ORDER BY subject, version"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(context)
        .bind(id)
        .fetch_all(e)
        .await?;
    rows.iter().map(version_from_row).collect()
}

/// One page of versions for `GET /schemas` (see [`VersionPage`]). Within one context the
/// rows come in the primary key's order (context, subject, version), which is the qualified
/// order, so the database walks the index from the prefix and stops after the page; across
/// contexts it sorts by the qualified name. Only the conditions in use are in the statement
/// (a catch-all `$1 = '' OR ...` would keep the planner from using the index).
pub(super) async fn version_page<'e, E: Executor<'e, Database = Any>>(
    e: E,
    page: &VersionPage<'_>,
) -> Result<Vec<VersionRecord>> {
    let mut conditions = Vec::new();
    let mut next = 0;
    let mut param = || {
        next += 1;
        format!("${next}")
    };
    if page.context.is_some() {
        conditions.push(format!("v.context = {}", param()));
    }
    let prefix_end = page.subject_prefix.and_then(prefix_end);
    if page.subject_prefix.is_some() {
        let prefix = param();
        let below = prefix_end.as_ref().map(|_| param());
        conditions.push(prefix_condition(
            "v.subject",
            &prefix,
            below.as_deref(),
            &prefix,
        ));
    }
    let live = if page.include_deleted {
        ""
    } else {
        " AND w.deleted = 0"
    };
    if !page.include_deleted {
        conditions.push("v.deleted = 0".into());
    }
    let rule_join = match page.rule_text {
        Some(_) => {
            conditions.push(format!(
                "s.rule_set IS NOT NULL AND s.rule_set LIKE {} ESCAPE '\\'",
                param()
            ));
            " JOIN schemas s ON s.context = v.context AND s.id = v.schema_id"
        }
        None => "",
    };
    if page.latest_only {
        conditions.push(format!(
            "v.version = (SELECT MAX(w.version) FROM subject_versions w \
             WHERE w.context = v.context AND w.subject = v.subject{live})"
        ));
    }
    let order = match page.context {
        Some(_) => "v.context, v.subject, v.version",
        None => {
            "CASE WHEN v.context = '.' THEN v.subject \
             ELSE ':' || v.context || ':' || v.subject END, v.version"
        }
    };
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let (limit, offset) = (param(), param());
    let sql = format!(
        "SELECT v.context, v.subject, v.version, v.schema_id, v.deleted, v.created_at \
         FROM subject_versions v{rule_join} {filter} \
         ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    if let Some(context) = page.context {
        query = query.bind(context);
    }
    if let Some(prefix) = page.subject_prefix {
        query = query.bind(prefix);
    }
    if let Some(end) = prefix_end {
        query = query.bind(end);
    }
    if let Some(text) = page.rule_text {
        query = query.bind(like_containing(text));
    }
    let rows = query
        .bind(i64::try_from(page.limit).unwrap_or(i64::MAX))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .fetch_all(e)
        .await?;
    rows.iter().map(version_from_row).collect()
}

/// A LIKE pattern for text containing `text` (`\\` escapes; SQLite's LIKE also ignores
/// ASCII case, which only widens the match).
fn like_containing(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Every version of every subject (optionally of one context), with its schema.
pub(super) async fn all_versions<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: Option<&str>,
) -> Result<Vec<VersionRecord>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM subject_versions WHERE ($1 = '' OR context = $1) \
         ORDER BY context, subject, version"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(context.unwrap_or(""))
        .fetch_all(e)
        .await?;
    rows.iter().map(version_from_row).collect()
}

pub(super) async fn subjects<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<SubjectSummary>> {
    let rows = sqlx::query(
        "SELECT context, subject, MIN(deleted) FROM subject_versions GROUP BY context, subject",
    )
    .fetch_all(e)
    .await?;
    rows.iter().map(subject_summary_from_row).collect()
}

/// A row of `context, subject, MIN(deleted)`: a subject and whether all its versions are
/// soft-deleted.
pub(super) fn subject_summary_from_row(row: &AnyRow) -> Result<SubjectSummary> {
    let min_deleted: i64 = row.try_get(2)?;
    Ok(SubjectSummary {
        context: row.try_get(0)?,
        subject: row.try_get(1)?,
        all_deleted: min_deleted != 0,
    })
}

/// Contexts other than the default one in which a subject name has versions.
pub(super) async fn contexts_with_subject<'e, E: Executor<'e, Database = Any>>(
    e: E,
    subject: &str,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT context FROM subject_versions WHERE subject = $1 AND context <> '.' ORDER BY context",
    )
    .bind(subject)
    .fetch_all(e)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

pub(super) async fn contexts<'e, E: Executor<'e, Database = Any>>(e: E) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM contexts WHERE listed = 1 ORDER BY name")
        .fetch_all(e)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

pub(super) async fn context_has_versions<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
) -> Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) FROM subject_versions WHERE context = $1")
        .bind(context)
        .fetch_one(e)
        .await?;
    let n: i64 = row.try_get(0)?;
    Ok(n > 0)
}

/// Ids of schemas that reference (context, subject, version) and are still used by a version
/// (a live one unless `include_deleted`).
pub(super) async fn referrers<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    subject: &str,
    version: i64,
    include_deleted: bool,
) -> Result<Vec<i64>> {
    super::pages::referrer_page(e, (context, subject, version), include_deleted, Page::ALL).await
}

pub(super) async fn insert_schema_row<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    id: i64,
    schema: &NewSchema<'_>,
) -> Result<bool> {
    let refs = serde_json::to_string(schema.references).unwrap_or_else(|_| "[]".into());
    let result = sqlx::query(
        "INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (context, hash) DO NOTHING",
    )
    .bind(context)
    .bind(id)
    .bind(schema.hash)
    .bind(schema.schema_type.as_str())
    .bind(schema.schema)
    .bind(refs)
    .bind(schema.metadata.map(|m| m.to_string()))
    .bind(schema.rule_set.map(|r| r.to_string()))
    .bind(schema.guid)
    .bind(super::now_millis())
    .execute(e)
    .await?;
    Ok(result.rows_affected() > 0)
}

pub(super) async fn insert_version<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    subject: &str,
    version: i64,
    schema_id: i64,
) -> Result<()> {
    insert_version_at(e, context, subject, version, schema_id, super::now_millis()).await
}

/// As [`insert_version`], registered at `created_at` (milliseconds; an import keeps the
/// source's).
pub(super) async fn insert_version_at<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    subject: &str,
    version: i64,
    schema_id: i64,
    created_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5)",
    )
    .bind(context)
    .bind(subject)
    .bind(version)
    .bind(schema_id)
    .bind(created_at)
    .execute(e)
    .await?;
    Ok(())
}

pub(super) async fn insert_reference<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    schema_id: i64,
    target: &ReferenceTarget,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO schema_references (context, schema_id, ref_context, ref_subject, ref_version) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(context)
    .bind(schema_id)
    .bind(&target.context)
    .bind(&target.subject)
    .bind(target.version)
    .execute(e)
    .await?;
    Ok(())
}

pub(super) async fn mark_deleted<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    subject: &str,
    version: i64,
) -> Result<()> {
    sqlx::query("UPDATE subject_versions SET deleted = 1 WHERE context = $1 AND subject = $2 AND version = $3")
        .bind(context)
        .bind(subject)
        .bind(version)
        .execute(e)
        .await?;
    Ok(())
}

pub(super) async fn remove_version<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
    subject: &str,
    version: i64,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM subject_versions WHERE context = $1 AND subject = $2 AND version = $3",
    )
    .bind(context)
    .bind(subject)
    .bind(version)
    .execute(e)
    .await?;
    Ok(())
}

pub(super) async fn get_config<'e, E: Executor<'e, Database = Any>>(
    e: E,
    scope: &str,
) -> Result<Option<Config>> {
    let row = sqlx::query("SELECT config FROM configs WHERE scope = $1")
        .bind(scope)
        .fetch_optional(e)
        .await?;
    row.map(|r| json_column(&r, 0, "configs"))
        .transpose()
        .map(Option::flatten)
}

pub(super) async fn put_config<'e, E: Executor<'e, Database = Any>>(
    e: E,
    scope: &str,
    config: &Config,
) -> Result<()> {
    let text = serde_json::to_string(config).unwrap_or_else(|_| "{}".into());
    sqlx::query("INSERT INTO configs (scope, config) VALUES ($1, $2) ON CONFLICT (scope) DO UPDATE SET config = excluded.config")
        .bind(scope)
        .bind(text)
        .execute(e)
        .await?;
    Ok(())
}

pub(super) async fn delete_config<'e, E: Executor<'e, Database = Any>>(
    e: E,
    scope: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM configs WHERE scope = $1")
        .bind(scope)
        .execute(e)
        .await?;
    Ok(())
}

/// Every stored config, at most `limit` of them (`None` beyond: too many to hold).
pub(super) async fn all_configs<'e, E: Executor<'e, Database = Any>>(
    e: E,
    limit: i64,
) -> Result<Option<Vec<(String, Config)>>> {
    let rows = sqlx::query("SELECT scope, config FROM configs LIMIT $1")
        .bind(limit.saturating_add(1))
        .fetch_all(e)
        .await?;
    if rows.len() as i64 > limit {
        return Ok(None);
    }
    rows.iter()
        .filter_map(|row| match json_column(row, 1, "configs") {
            Ok(Some(config)) => Some(
                row.try_get(0)
                    .map(|scope| (scope, config))
                    .map_err(Into::into),
            ),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// Every stored mode, at most `limit` of them (`None` beyond).
pub(super) async fn all_modes<'e, E: Executor<'e, Database = Any>>(
    e: E,
    limit: i64,
) -> Result<Option<Vec<(String, String)>>> {
    let rows = sqlx::query("SELECT scope, mode FROM modes LIMIT $1")
        .bind(limit.saturating_add(1))
        .fetch_all(e)
        .await?;
    if rows.len() as i64 > limit {
        return Ok(None);
    }
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

pub(super) async fn get_mode<'e, E: Executor<'e, Database = Any>>(
    e: E,
    scope: &str,
) -> Result<Option<String>> {
    let row = sqlx::query("SELECT mode FROM modes WHERE scope = $1")
        .bind(scope)
        .fetch_optional(e)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub(super) async fn put_mode<'e, E: Executor<'e, Database = Any>>(
    e: E,
    scope: &str,
    mode: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO modes (scope, mode) VALUES ($1, $2) ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode")
        .bind(scope)
        .bind(mode)
        .execute(e)
        .await?;
    Ok(())
}

pub(super) async fn delete_mode<'e, E: Executor<'e, Database = Any>>(
    e: E,
    scope: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM modes WHERE scope = $1")
        .bind(scope)
        .execute(e)
        .await?;
    Ok(())
}

/// Scopes with a mode set inside a context (for `DELETE /mode?recursive=true`).
pub(super) async fn delete_modes_with_prefix<'e, E: Executor<'e, Database = Any>>(
    e: E,
    prefix: &str,
) -> Result<()> {
    // Not LIKE: `_` and `%` are legal in context names.
    sqlx::query("DELETE FROM modes WHERE substr(scope, 1, length($1)) = $1")
        .bind(prefix)
        .execute(e)
        .await?;
    Ok(())
}

/// Remove the modes of every subject of the default context (not the global one, nor any
/// context's): their scopes are the bare subject names.
pub(super) async fn delete_default_context_subject_modes<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<()> {
    sqlx::query("DELETE FROM modes WHERE scope <> '' AND substr(scope, 1, 1) <> ':'")
        .execute(e)
        .await?;
    Ok(())
}

/// Hide an empty context from the listing; its row (and id counter) stays, so ids in it are
/// never handed out twice.
pub(super) async fn delete_context<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
) -> Result<()> {
    sqlx::query("UPDATE contexts SET listed = 0 WHERE name = $1 AND name <> '.'")
        .bind(context)
        .execute(e)
        .await?;
    Ok(())
}

/// `Some(listed)` for a known context, `None` for an unknown one.
pub(super) async fn context_listed<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
) -> Result<Option<bool>> {
    let row = sqlx::query("SELECT listed FROM contexts WHERE name = $1")
        .bind(context)
        .fetch_optional(e)
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64, _>(0))
        .transpose()?
        .map(|l| l != 0))
}

pub(super) async fn relist_context<'e, E: Executor<'e, Database = Any>>(
    e: E,
    context: &str,
) -> Result<()> {
    sqlx::query("UPDATE contexts SET listed = 1 WHERE name = $1")
        .bind(context)
        .execute(e)
        .await?;
    Ok(())
}
