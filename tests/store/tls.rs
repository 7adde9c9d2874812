//! PostgreSQL over TLS (docs/tls.md): the store takes libpq's `sslmode` and `sslrootcert`
//! in its URL. The local PostgreSQL serves TLS with a self-signed certificate for
//! `localhost`, so `require` encrypts without checking it, and `verify-full` rooted in that
//! certificate passes for `localhost` and fails, saying why, for 127.0.0.1.

use crate::common::{drop_database, fresh_database, postgres_admin_url, Backend};
use schemata::store::{Store, StoreOptions};
use sqlx::Connection;

/// Whether the server sees every connection to `database` as TLS, and how many there are.
async fn tls_connections_to(database: &str) -> (i64, i64) {
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .unwrap();
    sqlx::query_as::<_, (i64, i64)>(
        "select count(*), count(*) filter (where s.ssl) \
         from pg_stat_activity a join pg_stat_ssl s using (pid) where a.datname = $1",
    )
    .bind(database)
    .fetch_one(&mut admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn sslmode_require_connects_over_tls() {
    let (url, _) = fresh_database(Backend::Postgres).await;
    let database = url.rsplit('/').next().unwrap().to_string();
    let options = StoreOptions {
        max_connections: Some(2),
        ..Default::default()
    };
    let store = Store::connect(&format!("{url}?sslmode=require"), &options)
        .await
        .expect("TLS connection");
    store
        .check_ready()
        .await
        .expect("the store answers over TLS");
    let (all, encrypted) = tls_connections_to(&database).await;
    assert!(all >= 1, "the store holds a connection");
    assert_eq!(encrypted, all, "every connection of the store is TLS");
    drop(store);
    drop_database(Backend::Postgres, &url).await;
}

#[tokio::test]
async fn verify_full_against_a_certificate_for_another_name_fails_saying_why() {
    let (url, _) = fresh_database(Backend::Postgres).await;
    // Rooted in the server's own certificate, which names `localhost`, not 127.0.0.1.
    let snakeoil = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    let verified = format!("{url}?sslmode=verify-full&sslrootcert={snakeoil}");
    let error = Store::connect(&verified, &Default::default())
        .await
        .err()
        .expect("refused");
    let message = error.to_string();
    assert!(message.contains("127.0.0.1:5432"), "{message}");
    assert!(
        message.contains(r#"certificate not valid for name "127.0.0.1""#),
        "{message}"
    );
    // By the name the certificate has, the same check passes.
    let by_name = verified.replace("@127.0.0.1:", "@localhost:");
    let store = Store::connect(&by_name, &Default::default())
        .await
        .expect("verify-full by the certificate's name");
    store.check_ready().await.unwrap();
    drop(store);
    drop_database(Backend::Postgres, &url).await;
}
