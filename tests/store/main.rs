//! The store's own test suite: every function of `Store` and `WriteTx` called directly (no
//! HTTP, no registry), written once and run against a fresh PostgreSQL database and a fresh
//! SQLite file (`store_test_suite!`). Raw SQL appears only to plant rows no writer produces.

mod client_certificates;
#[path = "../api/common/mod.rs"]
mod common;
mod suite;
mod tls;

use common::Backend;

/// One `#[tokio::test]` per suite function, for one backend.
macro_rules! store_test_suite {
    ($module:ident, $backend:expr, [$($test:ident),* $(,)?]) => {
        mod $module {
            use crate::common::Backend;
            $(
                #[tokio::test]
                async fn $test() {
                    let store = crate::suite::TestStore::open($backend).await;
                    crate::suite::$test(&store).await;
                    store.cleanup().await;
                }
            )*
        }
    };
}

macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        store_test_suite!(sqlite, Backend::Sqlite, [$($test),*]);
        store_test_suite!(postgres, Backend::Postgres, [$($test),*]);
    };
}

both_backends!(
    the_database_answers,
    schemas_and_versions_round_trip,
    one_content_has_one_id_per_context,
    ids_are_allocated_above_imported_ones,
    soft_and_hard_deletes_change_the_history_generation,
    references_find_their_referrers,
    config_and_mode_per_scope,
    contexts_are_created_listed_and_hidden,
    an_uncommitted_write_leaves_nothing,
    corrupt_rows_are_errors_not_defaults,
    grouped_registration_checks_the_history_it_was_given,
    a_group_writes_each_member_on_its_own,
    grouped_ids_skip_imported_ones,
    a_database_behind_on_migrations_is_not_ready,
    subject_pages_honour_every_filter,
    usage_pages_honour_every_filter,
    referrer_pages_honour_every_filter,
    concurrent_history_reads_each_get_their_own,
);

#[tokio::test]
async fn sqlite_bounds_the_group_writers_queue() {
    let store = suite::TestStore::open(Backend::Sqlite).await;
    suite::more_registrations_than_the_queue_holds_all_get_their_outcome(&store).await;
    store.cleanup().await;
}

#[tokio::test]
async fn an_unsupported_url_is_refused_without_echoing_it() {
    let error = schemata::store::Store::connect(
        "mysql://admin:s3cret@db.example/registry",
        &Default::default(),
    )
    .await
    .err()
    .expect("refused");
    let message = error.to_string();
    assert!(message.contains("unsupported database URL"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test]
async fn postgres_announces_changes_to_other_processes() {
    let store = suite::TestStore::open(Backend::Postgres).await;
    suite::changes_are_announced(&store).await;
    store.cleanup().await;
}

#[tokio::test]
async fn postgres_has_no_unused_registration_functions() {
    let store = suite::TestStore::open(Backend::Postgres).await;
    suite::only_the_group_function_registers(&store).await;
    store.cleanup().await;
}

#[tokio::test]
async fn sqlite_acknowledges_only_durable_commits_by_default() {
    let store = suite::TestStore::open(Backend::Sqlite).await;
    assert_eq!(store.store.durability().await.unwrap(), "FULL");
    store.cleanup().await;
    let store =
        suite::TestStore::open_with(Backend::Sqlite, schemata::store::SqliteSynchronous::Normal)
            .await;
    assert_eq!(store.store.durability().await.unwrap(), "NORMAL");
    store.cleanup().await;
}
