//! One-off rewrites of stored rows that a newer build needs, each run once per database and
//! recorded by name in `store_upgrades` in the same transaction (the first server to start
//! does it; others starting at the same moment wait on the record and then skip).

use super::error::Result;
use super::queries::{schema_from_row, SCHEMA_COLUMNS};
use super::{now_millis, Store};
use crate::domain::SchemaRecord;
use sqlx::{AssertSqlSafe, Row};

/// Rows read at a time while rewriting.
const BATCH: i64 = 500;

/// What a rehash did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rehashed {
    /// Schemas with metadata or a rule set, all of which were examined.
    pub examined: u64,
    /// Schemas whose stored hash changed.
    pub changed: u64,
    /// Schemas that kept their old hash because another schema of their context already
    /// holds the new one (the two were registered as different schemas before; the one
    /// holding the hash is what a lookup of that content finds from now on).
    pub kept: u64,
}

impl Store {
    /// Recompute the identity hash of every schema that has metadata or a rule set with
    /// `hash`, once per database under `name`; `None` when it has already run. Guids are left
    /// as they are: clients may have written them into messages.
    pub async fn rehash_once(
        &self,
        name: &str,
        hash: impl Fn(&SchemaRecord) -> String,
    ) -> Result<Option<Rehashed>> {
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(
            "INSERT INTO store_upgrades (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(None);
        }
        let mut done = Rehashed::default();
        let (mut after_context, mut after_id) = (String::new(), -1i64);
        loop {
            let sql = format!(
                "SELECT {SCHEMA_COLUMNS} FROM schemas \
                 WHERE (metadata IS NOT NULL OR rule_set IS NOT NULL) \
                 AND (context > $1 OR (context = $1 AND id > $2)) \
                 ORDER BY context, id LIMIT $3"
            );
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(&after_context)
                .bind(after_id)
                .bind(BATCH)
                .fetch_all(&mut *tx)
                .await?;
            let Some(last) = rows.last() else { break };
            (after_context, after_id) = (last.try_get(0)?, last.try_get(1)?);
            for row in &rows {
                let record = schema_from_row(row)?;
                done.examined += 1;
                let new = hash(&record);
                if new == record.hash {
                    continue;
                }
                let taken = sqlx::query("SELECT 1 FROM schemas WHERE context = $1 AND hash = $2")
                    .bind(&record.context)
                    .bind(&new)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if taken {
                    done.kept += 1;
                    continue;
                }
                sqlx::query("UPDATE schemas SET hash = $1 WHERE context = $2 AND id = $3")
                    .bind(&new)
                    .bind(&record.context)
                    .bind(record.id)
                    .execute(&mut *tx)
                    .await?;
                done.changed += 1;
            }
        }
        tx.commit().await?;
        Ok(Some(done))
    }
}
