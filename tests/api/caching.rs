//! The consumer hot path: after the first read, `GET /schemas/ids/{id}` is answered from
//! memory. Proven by taking the schema table away underneath the running server.

use crate::common::*;
use crate::on_both_backends;
use sqlx::Connection;

on_both_backends!(schema_by_id_is_served_from_memory_after_first_read);

async fn rename_schemas_table(app: &TestApp, from: &str, to: &str) {
    let sql = format!("ALTER TABLE {from} RENAME TO {to}");
    match app.backend {
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.database_url)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

async fn schema_by_id_is_served_from_memory_after_first_read(app: &TestApp) {
    let schema = record("Cached", &[field("a", "int")]);
    let id = app.register("cached", &schema).await;
    let first = app
        .get(&format!("/schemas/ids/{id}?subject=cached-value"))
        .await
        .assert_ok();
    rename_schemas_table(app, "schemas", "schemas_moved").await;
    rename_schemas_table(app, "subject_versions", "subject_versions_moved").await;
    // No table, still answered: the read did not touch the database.
    let second = app
        .get(&format!("/schemas/ids/{id}?subject=cached-value"))
        .await
        .assert_ok();
    assert_eq!(first, second);
    // An uncached read does need the database, and fails cleanly without it.
    let r = app.get("/subjects/cached/versions").await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert_eq!(r.error_code(), 50001);
    rename_schemas_table(app, "schemas_moved", "schemas").await;
    rename_schemas_table(app, "subject_versions_moved", "subject_versions").await;
    app.get("/subjects/cached/versions").await.assert_ok();
}
