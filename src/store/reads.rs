//! Reads outside any transaction, through the pool: what the registry asks the store when
//! it holds no lock.

use super::error::{Result, StoreError};
use super::{queries, Dialect, SqliteSynchronous, Store};
use crate::domain::{AllSettings, Config, Mode, SchemaRecord, SubjectSummary, VersionRecord};
use sqlx::Row;

/// A subject's versions with their schemas' identity hashes (hex), ascending, and the
/// generation of its context's histories read in the same snapshot
/// (`Store::versions_with_hashes`).
pub type HashedHistory = (Vec<(VersionRecord, String)>, i64);

/// Which versions `GET /schemas` shows, one page of them.
#[derive(Debug, Clone, Default)]
pub struct VersionPage<'a> {
    /// One context, or every context (ordered by qualified name).
    pub context: Option<&'a str>,
    /// Only subjects whose name (without the context) starts with this.
    pub subject_prefix: Option<&'a str>,
    pub include_deleted: bool,
    /// Only the highest of each subject's shown versions.
    pub latest_only: bool,
    /// Only versions whose schema's rule set contains this text (as stored, JSON): a
    /// superset of the versions with a rule of some type, for the caller to narrow.
    pub rule_text: Option<&'a str>,
    pub offset: u64,
    pub limit: u64,
}

impl Store {
    /// One page of versions, ordered by qualified subject then version; the database reads
    /// only what the page needs when `page.context` is set.
    pub async fn version_page(&self, page: &VersionPage<'_>) -> Result<Vec<VersionRecord>> {
        queries::version_page(&self.pool, page).await
    }

    /// Whether an acknowledged commit survives a power loss, as the database reports it for
    /// a pooled connection: SQLite's `synchronous` (FULL or NORMAL, `StoreOptions`), or
    /// PostgreSQL's `synchronous_commit` (on unless the server is configured otherwise).
    pub async fn durability(&self) -> Result<String> {
        let sql = match self.dialect {
            Dialect::Sqlite => "PRAGMA synchronous",
            Dialect::Postgres => "SELECT current_setting('synchronous_commit')",
        };
        let row = sqlx::query(sql).fetch_one(&self.pool).await?;
        Ok(match self.dialect {
            Dialect::Sqlite => match row.try_get::<i64, _>(0)? {
                code if code == SqliteSynchronous::Full.code() => "FULL".to_string(),
                code if code == SqliteSynchronous::Normal.code() => "NORMAL".to_string(),
                other => format!("synchronous={other}"),
            },
            Dialect::Postgres => format!("synchronous_commit={}", row.try_get::<String, _>(0)?),
        })
    }

    /// Whether the store can serve: the database answers and has every migration this build
    /// embeds (`/ready`).
    pub async fn check_ready(&self) -> Result<()> {
        let applied: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
        let migrator = match self.dialect {
            Dialect::Postgres => &super::postgres::MIGRATOR,
            Dialect::Sqlite => &super::sqlite::MIGRATOR,
        };
        let embedded = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        if applied < embedded {
            return Err(StoreError::NotMigrated { applied, embedded });
        }
        Ok(())
    }

    pub async fn schema_by_id(&self, context: &str, id: i64) -> Result<Option<SchemaRecord>> {
        queries::schema_by_id(&self.pool, context, id).await
    }

    /// Schemas with this guid, the default context first.
    pub async fn schemas_by_guid(&self, guid: &str) -> Result<Vec<SchemaRecord>> {
        queries::schemas_by_guid(&self.pool, guid).await
    }

    pub async fn max_schema_id(&self, context: &str) -> Result<i64> {
        queries::max_schema_id(&self.pool, context).await
    }

    /// All versions of a subject, soft-deleted included, ascending.
    pub async fn versions(&self, context: &str, subject: &str) -> Result<Vec<VersionRecord>> {
        queries::versions(&self.pool, context, subject).await
    }

    /// All versions of a subject with their schemas' identity hashes, and the context's
    /// history generation from the same snapshot (migration 0004): one read that answers
    /// both "is this schema already here?" and "what is the history?". On PostgreSQL,
    /// concurrent reads share one statement (`history_batch.rs`).
    pub async fn versions_with_hashes(
        &self,
        context: &str,
        subject: &str,
    ) -> Result<HashedHistory> {
        if let Some(reader) = &self.history_reader {
            if let Some(history) = reader.read(context, subject).await {
                return Ok(history);
            }
        }
        queries::versions_with_hashes(&self.pool, context, subject).await
    }

    /// The newest version of a subject whose schema has this identity hash (a live one
    /// unless `include_deleted`).
    pub async fn version_with_hash(
        &self,
        context: &str,
        subject: &str,
        hash: &str,
        include_deleted: bool,
    ) -> Result<Option<VersionRecord>> {
        queries::version_with_hash(&self.pool, context, subject, hash, include_deleted).await
    }

    /// Every (subject, version) that carries a schema id, by subject then version.
    pub async fn versions_of_schema(&self, context: &str, id: i64) -> Result<Vec<VersionRecord>> {
        queries::versions_of_schema(&self.pool, context, id).await
    }

    /// Every version of every subject (of one context, if given), by context, subject and
    /// version.
    pub async fn all_versions(&self, context: Option<&str>) -> Result<Vec<VersionRecord>> {
        queries::all_versions(&self.pool, context).await
    }

    pub async fn subjects(&self) -> Result<Vec<SubjectSummary>> {
        queries::subjects(&self.pool).await
    }

    /// Contexts other than the default one in which a subject name has versions.
    pub async fn contexts_with_subject(&self, subject: &str) -> Result<Vec<String>> {
        queries::contexts_with_subject(&self.pool, subject).await
    }

    /// The listed contexts, by name.
    pub async fn contexts(&self) -> Result<Vec<String>> {
        queries::contexts(&self.pool).await
    }

    /// Ids of schemas that reference a version and are still used by a version (a live one
    /// unless `include_deleted`).
    pub async fn referrers(
        &self,
        context: &str,
        subject: &str,
        version: i64,
        include_deleted: bool,
    ) -> Result<Vec<i64>> {
        queries::referrers(&self.pool, context, subject, version, include_deleted).await
    }

    /// The config stored at exactly this scope.
    pub async fn config(&self, scope: &str) -> Result<Option<Config>> {
        queries::get_config(&self.pool, scope).await
    }

    /// The mode stored at exactly this scope.
    pub async fn mode(&self, scope: &str) -> Result<Option<Mode>> {
        parse_mode(queries::get_mode(&self.pool, scope).await?)
    }

    /// Every stored config and mode, read in one transaction so the two agree; `None` when
    /// either table holds more than `limit` rows.
    pub async fn all_settings(&self, limit: i64) -> Result<Option<AllSettings>> {
        let mut tx = self.pool.begin().await?;
        let Some(configs) = queries::all_configs(&mut *tx, limit).await? else {
            return Ok(None);
        };
        let Some(modes) = queries::all_modes(&mut *tx, limit).await? else {
            return Ok(None);
        };
        tx.commit().await?;
        let modes = modes
            .into_iter()
            .filter_map(|(scope, name)| parse_mode(Some(name)).transpose().map(|m| Ok((scope, m?))))
            .collect::<Result<_>>()?;
        Ok(Some(AllSettings {
            configs: configs.into_iter().collect(),
            modes,
        }))
    }
}

/// A stored mode; a name no writer stores is a corrupt row, not "no mode".
pub(super) fn parse_mode(stored: Option<String>) -> Result<Option<Mode>> {
    stored
        .map(|name| {
            Mode::parse(&name)
                .ok_or_else(|| StoreError::corrupt("modes", format!("unknown mode {name:?}")))
        })
        .transpose()
}
