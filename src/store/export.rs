//! Reads for `schemata export`: the whole database in key order, a page at a time, so an
//! export never holds more than one page of schemas in memory.

use super::error::Result;
use super::queries::{schema_from_row, version_from_row, SCHEMA_COLUMNS};
use super::reads::parse_mode;
use super::Store;
use crate::domain::{Config, Mode, SchemaRecord, VersionRecord};
use sqlx::{AssertSqlSafe, Row};

/// A context as the export records it: its name, whether `GET /contexts` lists it, and
/// the highest schema id it ever gave out (rows kept after hard deletes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextRecord {
    pub name: String,
    pub listed: bool,
    pub max_id: i64,
}

impl Store {
    /// Every context, by name.
    pub async fn export_contexts(&self) -> Result<Vec<ContextRecord>> {
        let rows = sqlx::query(
            "SELECT c.name, c.listed, COALESCE((SELECT MAX(s.id) FROM schemas s WHERE s.context = c.name), 0) \
             FROM contexts c ORDER BY c.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let listed: i64 = r.try_get(1)?;
                Ok(ContextRecord {
                    name: r.try_get(0)?,
                    listed: listed != 0,
                    max_id: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Up to `limit` schemas that some version (soft-deleted included) still carries, after
    /// `after` (context, id) in (context, id) order.
    pub async fn export_schema_page(
        &self,
        after: Option<(&str, i64)>,
        limit: i64,
    ) -> Result<Vec<SchemaRecord>> {
        let (context, id) = after.unwrap_or(("", i64::MIN));
        let sql = format!(
            "SELECT {SCHEMA_COLUMNS} FROM schemas s \
             WHERE (s.context > $1 OR (s.context = $1 AND s.id > $2)) \
               AND EXISTS (SELECT 1 FROM subject_versions v WHERE v.context = s.context AND v.schema_id = s.id) \
             ORDER BY s.context, s.id LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(context)
            .bind(id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(schema_from_row).collect()
    }

    /// The versions carrying schema ids `first..=last` of `context`, by id, subject and
    /// version.
    pub async fn export_versions(
        &self,
        context: &str,
        first: i64,
        last: i64,
    ) -> Result<Vec<VersionRecord>> {
        let rows = sqlx::query(
            "SELECT context, subject, version, schema_id, deleted, created_at FROM subject_versions \
             WHERE context = $1 AND schema_id >= $2 AND schema_id <= $3 \
             ORDER BY schema_id, subject, version",
        )
        .bind(context)
        .bind(first)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Every stored config, by scope.
    pub async fn export_configs(&self) -> Result<Vec<(String, Config)>> {
        let rows = sqlx::query("SELECT scope, config FROM configs ORDER BY scope")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get(1)?;
                let config = serde_json::from_str(&text)
                    .map_err(|e| super::StoreError::corrupt("configs", format!("column 1: {e}")))?;
                Ok((r.try_get(0)?, config))
            })
            .collect()
    }

    /// Every stored mode, by scope.
    pub async fn export_modes(&self) -> Result<Vec<(String, Mode)>> {
        let rows = sqlx::query("SELECT scope, mode FROM modes ORDER BY scope")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let mode = parse_mode(Some(r.try_get(1)?))?;
                let mode = mode.ok_or_else(|| super::StoreError::corrupt("modes", "no mode"))?;
                Ok((r.try_get(0)?, mode))
            })
            .collect()
    }

    /// The id of the schema with this identity hash in `context`, if any.
    pub async fn schema_id_by_hash(&self, context: &str, hash: &str) -> Result<Option<i64>> {
        super::queries::schema_id_by_hash(&self.pool, context, hash).await
    }
}
