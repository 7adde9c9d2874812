//! Keep PostgreSQL's planner statistics of Schemata's tables current.
//!
//! The tables are created empty, and `CREATE INDEX` on an empty table records "0 rows" for
//! it. Until an ANALYZE runs, the planner believes that, and for a growing table picks
//! sequential scans and hash joins: measured on a fresh database, the registration path's
//! statements read hundreds of buffers each instead of a few, and PostgreSQL's CPU per
//! registration tripled. Autovacuum normally fixes this within a minute, but it may be off
//! (it is on some managed and test set-ups) or slow. So the server checks every few seconds,
//! with one catalog query, whether a table changed by more than `MIN_CHANGED_ROWS` plus its
//! own size since its last ANALYZE, and analyzes it if so. Where autovacuum keeps up, the
//! check finds nothing to do.
//!
//! Doubling, not autovacuum's 10%: the statements that matter are index probes by key, whose
//! plans are the same for 10,000 rows as for 10 million; what breaks them is a table the
//! planner believes empty. Each ANALYZE samples up to 30,000 rows, and at 10% a table growing
//! under a registration load was analyzed every few seconds (measured: 5% of the machine's
//! CPU during the registration benchmark); doubling needs a handful of runs over the life of
//! a registry.

use sqlx::{AnyPool, AssertSqlSafe, Row};
use std::time::Duration;
use tokio::sync::oneshot;

/// How often the statistics are checked.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Rows changed before a table is re-analyzed, on top of its size at the last analysis.
const MIN_CHANGED_ROWS: i64 = 50;

/// Tables whose statistics steer the registration and lookup plans.
const TABLES: [&str; 3] = ["schemas", "subject_versions", "schema_references"];

/// Run until `stop` resolves (its sender is dropped with the store).
pub async fn keep_statistics_current(pool: AnyPool, mut stop: oneshot::Receiver<()>) {
    let mut ticker = tokio::time::interval(CHECK_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = &mut stop => return,
        }
        if let Err(error) = analyze_stale_tables(&pool).await {
            tracing::debug!(%error, "statistics check failed; retrying later");
        }
    }
}

/// ANALYZE every table of `TABLES` changed by more than `MIN_CHANGED_ROWS` plus its size
/// since its last analysis; returns the tables analyzed.
pub async fn analyze_stale_tables(pool: &AnyPool) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.relname::TEXT FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
         WHERE s.schemaname = current_schema() AND s.relname::TEXT IN ($1, $2, $3) \
           AND s.n_mod_since_analyze > $4 + GREATEST(c.reltuples, 0)",
    )
    .bind(TABLES[0])
    .bind(TABLES[1])
    .bind(TABLES[2])
    .bind(MIN_CHANGED_ROWS)
    .fetch_all(pool)
    .await?;
    let mut analyzed = Vec::with_capacity(rows.len());
    for row in rows {
        let table: String = row.try_get(0)?;
        // Only names from TABLES reach here (the query filters on them).
        if let Some(known) = TABLES.iter().find(|t| **t == table) {
            sqlx::query(AssertSqlSafe(format!("ANALYZE {known}")))
                .execute(pool)
                .await?;
            tracing::debug!(table = known, "refreshed planner statistics");
            analyzed.push(table);
        }
    }
    Ok(analyzed)
}
