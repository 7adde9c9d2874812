//! The mark of a server following another registry's storage topic on this database
//! (`schemata serve --follow-kafka`, docs/migration.md §6.4): one row in `follower`, written
//! when the follower starts and removed when it stops following or exits cleanly, so other
//! servers on the same database refuse writes meanwhile. A follower that crashed leaves it;
//! `schemata follow --stop --database-url` removes it.

use super::error::Result;
use super::{now_millis, Store};
use sqlx::Row;

/// Who follows: `topic T on BOOTSTRAP`, and since when (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerMark {
    pub source: String,
    pub since: i64,
}

impl Store {
    /// Mark the database as followed from `source` (replacing an earlier mark).
    pub async fn mark_follower(&self, source: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO follower (only_row, source, since) VALUES (1, $1, $2) \
             ON CONFLICT (only_row) DO UPDATE SET source = excluded.source, since = excluded.since",
        )
        .bind(source)
        .bind(now_millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Remove the mark; what it was, if there was one.
    pub async fn clear_follower(&self) -> Result<Option<FollowerMark>> {
        let old = self.follower().await?;
        sqlx::query("DELETE FROM follower")
            .execute(&self.pool)
            .await?;
        Ok(old)
    }

    /// The mark, if a follower set one.
    pub async fn follower(&self) -> Result<Option<FollowerMark>> {
        let row = sqlx::query("SELECT source, since FROM follower WHERE only_row = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => Some(FollowerMark {
                source: row.try_get("source")?,
                since: row.try_get("since")?,
            }),
            None => None,
        })
    }
}
