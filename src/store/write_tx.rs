//! An open write transaction and everything done inside one. Dropping it without
//! [`WriteTx::commit`] rolls back, so an error anywhere in a registration or a delete leaves
//! nothing half-written.

use super::error::Result;
use super::{postgres, queries, sqlite, Dialect};
use crate::domain::{Config, Mode, NewSchema, ReferenceTarget, VersionRecord};
use sqlx::{Any, Transaction};
use tokio::sync::SemaphorePermit;

pub struct WriteTx<'a> {
    tx: Transaction<'static, Any>,
    dialect: Dialect,
    _slot: SemaphorePermit<'a>,
}

impl<'a> WriteTx<'a> {
    pub(super) fn new(
        tx: Transaction<'static, Any>,
        dialect: Dialect,
        slot: SemaphorePermit<'a>,
    ) -> Self {
        WriteTx {
            tx,
            dialect,
            _slot: slot,
        }
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Make sure a context exists (recorded on its first registration) and is listed.
    /// Reads first: the common case takes no row lock on the context.
    pub async fn ensure_context(&mut self, context: &str) -> Result<()> {
        match queries::context_listed(&mut *self.tx, context).await? {
            Some(true) => return Ok(()),
            Some(false) => return queries::relist_context(&mut *self.tx, context).await,
            None => {}
        }
        match self.dialect {
            Dialect::Postgres => postgres::ensure_context(&mut self.tx, context).await,
            Dialect::Sqlite => sqlite::ensure_context(&mut self.tx, context).await,
        }
    }

    /// A fresh schema id in `context`, never handed out before.
    pub async fn allocate_schema_id(&mut self, context: &str) -> Result<i64> {
        loop {
            let id = match self.dialect {
                Dialect::Postgres => postgres::next_schema_id(&mut self.tx, context).await?,
                Dialect::Sqlite => sqlite::next_schema_id(&mut self.tx, context).await?,
            };
            // Imported schemas carry their own ids; skip any the counter would collide with.
            if queries::schema_by_id(&mut *self.tx, context, id)
                .await?
                .is_none()
            {
                return Ok(id);
            }
        }
    }

    /// After an import with an explicit id, keep the counter above it.
    pub async fn raise_schema_id_floor(&mut self, context: &str, id: i64) -> Result<()> {
        match self.dialect {
            Dialect::Postgres => postgres::raise_id_floor(&mut self.tx, context, id).await,
            Dialect::Sqlite => sqlite::raise_id_floor(&mut self.tx, context, id).await,
        }
    }

    /// Tell other server processes to drop a schema from their caches (on commit).
    pub async fn announce_invalidation(&mut self, context: &str, id: i64) -> Result<()> {
        match self.dialect {
            Dialect::Postgres => postgres::notify_invalidation(&mut self.tx, context, id).await,
            Dialect::Sqlite => Ok(()),
        }
    }

    /// Tell other server processes that versions of a subject were deleted or replaced, so
    /// they drop its remembered history (on commit).
    pub async fn announce_subject_changed(&mut self, context: &str, subject: &str) -> Result<()> {
        match self.dialect {
            Dialect::Postgres => {
                postgres::notify_subject_changed(&mut self.tx, context, subject).await
            }
            Dialect::Sqlite => Ok(()),
        }
    }

    /// Tell other server processes that a config or mode changed (on commit).
    pub async fn announce_settings_changed(&mut self) -> Result<()> {
        match self.dialect {
            Dialect::Postgres => postgres::notify_settings_changed(&mut self.tx).await,
            Dialect::Sqlite => Ok(()),
        }
    }

    /// All versions of a subject, soft-deleted included, ascending.
    pub async fn versions(&mut self, context: &str, subject: &str) -> Result<Vec<VersionRecord>> {
        queries::versions(&mut *self.tx, context, subject).await
    }

    pub async fn schema_exists(&mut self, context: &str, id: i64) -> Result<bool> {
        Ok(queries::schema_by_id(&mut *self.tx, context, id)
            .await?
            .is_some())
    }

    /// The identity hash of the schema stored under `id`, if any.
    pub async fn schema_hash(&mut self, context: &str, id: i64) -> Result<Option<String>> {
        Ok(queries::schema_by_id(&mut *self.tx, context, id)
            .await?
            .map(|s| s.hash))
    }

    pub async fn schema_id_by_hash(&mut self, context: &str, hash: &str) -> Result<Option<i64>> {
        queries::schema_id_by_hash(&mut *self.tx, context, hash).await
    }

    /// Insert a schema under `id`; `false` when the context already holds this content
    /// (its hash), which then keeps its own id.
    pub async fn insert_schema(
        &mut self,
        context: &str,
        id: i64,
        schema: &NewSchema<'_>,
    ) -> Result<bool> {
        queries::insert_schema_row(&mut *self.tx, context, id, schema).await
    }

    pub async fn insert_version(
        &mut self,
        context: &str,
        subject: &str,
        version: i64,
        schema_id: i64,
    ) -> Result<()> {
        queries::insert_version(&mut *self.tx, context, subject, version, schema_id).await
    }

    /// Insert a version registered at `created_at` (milliseconds since the epoch).
    pub async fn insert_version_at(
        &mut self,
        (context, subject, version): (&str, &str, i64),
        schema_id: i64,
        created_at: i64,
    ) -> Result<()> {
        queries::insert_version_at(
            &mut *self.tx,
            context,
            subject,
            version,
            schema_id,
            created_at,
        )
        .await
    }

    pub async fn insert_reference(
        &mut self,
        context: &str,
        schema_id: i64,
        target: &ReferenceTarget,
    ) -> Result<()> {
        queries::insert_reference(&mut *self.tx, context, schema_id, target).await
    }

    /// As [`Store::referrers`](super::Store::referrers), under this transaction.
    pub async fn referrers(
        &mut self,
        context: &str,
        subject: &str,
        version: i64,
        include_deleted: bool,
    ) -> Result<Vec<i64>> {
        queries::referrers(&mut *self.tx, context, subject, version, include_deleted).await
    }

    /// Soft-delete a version.
    pub async fn mark_deleted(&mut self, context: &str, subject: &str, version: i64) -> Result<()> {
        queries::mark_deleted(&mut *self.tx, context, subject, version).await
    }

    /// Hard-delete a version.
    pub async fn remove_version(
        &mut self,
        context: &str,
        subject: &str,
        version: i64,
    ) -> Result<()> {
        queries::remove_version(&mut *self.tx, context, subject, version).await
    }

    pub async fn config(&mut self, scope: &str) -> Result<Option<Config>> {
        queries::get_config(&mut *self.tx, scope).await
    }

    pub async fn put_config(&mut self, scope: &str, config: &Config) -> Result<()> {
        queries::put_config(&mut *self.tx, scope, config).await
    }

    pub async fn delete_config(&mut self, scope: &str) -> Result<()> {
        queries::delete_config(&mut *self.tx, scope).await
    }

    pub async fn put_mode(&mut self, scope: &str, mode: Mode) -> Result<()> {
        queries::put_mode(&mut *self.tx, scope, mode.as_str()).await
    }

    pub async fn delete_mode(&mut self, scope: &str) -> Result<()> {
        queries::delete_mode(&mut *self.tx, scope).await
    }

    /// Remove the modes of every scope that starts with `prefix` (a context's `:.ctx:`).
    pub async fn delete_modes_with_prefix(&mut self, prefix: &str) -> Result<()> {
        queries::delete_modes_with_prefix(&mut *self.tx, prefix).await
    }

    /// Remove the modes of every subject of the default context (not the global one).
    pub async fn delete_default_context_subject_modes(&mut self) -> Result<()> {
        queries::delete_default_context_subject_modes(&mut *self.tx).await
    }

    pub async fn context_has_versions(&mut self, context: &str) -> Result<bool> {
        queries::context_has_versions(&mut *self.tx, context).await
    }

    /// Hide an empty context from the listing; its row (and id counter) stays, so ids in it
    /// are never handed out twice.
    pub async fn hide_context(&mut self, context: &str) -> Result<()> {
        queries::delete_context(&mut *self.tx, context).await
    }
}
