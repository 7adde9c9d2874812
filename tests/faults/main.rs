//! Fault tests (issue 15): the database fails under a running server — PostgreSQL restarted
//! in the middle of a registration load, a SQLite file on a full or read-only file system —
//! and the server answers in the error envelope, keeps what it acknowledged, and recovers by
//! itself.
//!
//! A PostgreSQL restart disturbs every test using PostgreSQL at that moment, so these tests
//! live in their own binary (cargo runs test binaries one after another, never two at once)
//! and take [`one_at_a_time`] first: within this binary they never overlap either.
//!
//! They need root (mounts, `pg_ctlcluster`), as `scripts/test` has on the project machines
//! and in CI. The PostgreSQL tests restart, and stop for some seconds, the local cluster
//! that serves `SCHEMATA_TEST_POSTGRES_URL` (found with `pg_lsclusters` by its port): where
//! others run tests against that cluster at the same time, run this binary against a
//! cluster of its own, e.g. `pg_createcluster 15 faults -p 5433 --start` with the
//! `schemata` role, and `SCHEMATA_TEST_POSTGRES_URL` on port 5433.

#[path = "../api/common/mod.rs"]
mod common;

mod postgres_restart;
mod sqlite_disk;

/// Held by every test of this binary for its whole run: cargo runs the tests of one binary
/// in parallel, and a fault injected by one test must not fall on another.
pub(crate) async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// [`one_at_a_time`] for a test that drives its own runtimes.
pub(crate) fn one_at_a_time_blocking() -> tokio::sync::MutexGuard<'static, ()> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(one_at_a_time())
}
