//! PostgreSQL registration path: grouped writes and remembered subject histories.
//!
//! Each server remembers the history of the subjects it registered to, and another server
//! can change that history behind its back. These scenarios make one server's memory stale
//! on purpose and check every answer is still the one a fresh read would give: a write
//! against a stale history is refused by the database (highest version and the context's
//! history generation compared) and redone on the general path; a refusal from memory is
//! confirmed by a fresh read first. (An "already registered" from memory is trusted: deletes
//! reach every server's memory over NOTIFY, tested in `caching.rs`.)

use crate::common::*;
use schemata::registry::RegistryOptions;
use serde_json::{json, Value};
use sqlx::{Connection, Row};
use std::time::Duration;

fn x() -> Value {
    record("Evolving", &[field("a", "int")])
}

/// X plus `b: string` with a default: BACKWARD compatible with X.
fn y() -> Value {
    record(
        "Evolving",
        &[
            field("a", "int"),
            field_with_default("b", "string", json!("")),
        ],
    )
}

async fn two_servers() -> (TestApp, TestApp) {
    let first = spawn_app(Backend::Postgres).await;
    let second = spawn_on(
        &first.database_url,
        Backend::Postgres,
        RegistryOptions::default(),
    )
    .await;
    (first, second)
}

async fn register(app: &TestApp, subject: &str, schema: &Value) -> Reply {
    app.register_body(subject, json!({ "schema": schema.to_string() }))
        .await
}

/// The first server remembers X as the latest; the second registers Y. A schema that
/// only Y accepts must be accepted (the refusal from memory is re-checked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_from_a_stale_history_is_rechecked() {
    let (first, second) = two_servers().await;
    register(&first, "stale-refusal", &x()).await.assert_ok();
    register(&second, "stale-refusal", &y()).await.assert_ok();
    // `b` without a default: BACKWARD incompatible with X (no b), compatible with Y.
    let only_after_y = record("Evolving", &[field("a", "int"), field("b", "string")]);
    let r = register(&first, "stale-refusal", &only_after_y).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let latest = second
        .get("/subjects/stale-refusal/versions/latest")
        .await
        .assert_ok();
    assert_eq!(latest["version"], 3);
    assert_eq!(latest["id"], r.json()["id"]);
    first.cleanup().await;
}

/// The first server remembers X as the latest; the second registers Y. A schema that X
/// accepts but Y refuses must be refused: the write made against the stale history is
/// rejected by the database and the general path checks against Y.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_from_a_stale_history_is_not_written() {
    let (first, second) = two_servers().await;
    register(&first, "stale-pass", &x()).await.assert_ok();
    register(&second, "stale-pass", &y()).await.assert_ok();
    // `b: int` with a default: fine after X (no b), a type change after Y (b: string).
    let only_after_x = record(
        "Evolving",
        &[field("a", "int"), field_with_default("b", "int", json!(0))],
    );
    let r = register(&first, "stale-pass", &only_after_x).await;
    r.assert_error(409, 409);
    let versions = second
        .get("/subjects/stale-pass/versions")
        .await
        .assert_ok();
    assert_eq!(versions, json!([1, 2]));
    first.cleanup().await;
}

/// A history with the same highest version and the same number of live versions, but a
/// different schema at the top (deleted and re-registered by another server), is a
/// different history: the comparison is exact, not by counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_version_with_the_same_number_is_noticed() {
    let (first, second) = two_servers().await;
    register(&first, "replaced", &x()).await.assert_ok();
    register(&first, "replaced", &y()).await.assert_ok();
    // Y stays stored under another subject, so the first server can still check against
    // it: only the history comparison can catch the replacement.
    register(&first, "replaced-elsewhere", &y())
        .await
        .assert_ok();
    second
        .delete("/subjects/replaced/versions/2")
        .await
        .assert_ok();
    second
        .delete("/subjects/replaced/versions/2?permanent=true")
        .await
        .assert_ok();
    let y_int = record(
        "Evolving",
        &[field("a", "int"), field_with_default("b", "int", json!(0))],
    );
    let r = register(&second, "replaced", &y_int).await;
    assert_eq!(r.assert_ok()["version"], 2);
    // Compatible with Y (which the first server remembers as version 2), not with the
    // real version 2 (b: int -> string is not a promotion).
    let after_y = record(
        "Evolving",
        &[
            field("a", "int"),
            field_with_default("b", "string", json!("")),
            field_with_default("c", "long", json!(0)),
        ],
    );
    let r = register(&first, "replaced", &after_y).await;
    r.assert_error(409, 409);
    first.cleanup().await;
}

/// The first server remembers Y as version 2; the second soft-deletes it. The highest
/// version is still 2, but the live latest is X now: a schema that only Y accepts must be
/// refused (the delete bumped the context's history generation, so the write made against
/// the remembered history is refused by the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soft_deleted_latest_is_noticed() {
    let (first, second) = two_servers().await;
    register(&first, "soft-top", &x()).await.assert_ok();
    register(&first, "soft-top", &y()).await.assert_ok();
    second
        .delete("/subjects/soft-top/versions/2")
        .await
        .assert_ok();
    let only_after_y = record("Evolving", &[field("a", "int"), field("b", "string")]);
    register(&first, "soft-top", &only_after_y)
        .await
        .assert_error(409, 409);
    let versions = second
        .get("/subjects/soft-top/versions?deleted=true")
        .await
        .assert_ok();
    assert_eq!(versions, json!([1, 2]));
    first.cleanup().await;
}

/// A version imported below the subject's top (IMPORT with an explicit version) leaves the
/// highest version as it was; the first server, which does not know it, must still check a
/// BACKWARD_TRANSITIVE registration against it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_imported_below_the_top_is_noticed() {
    let (first, second) = two_servers().await;
    first
        .put(
            "/config/imported",
            json!({ "compatibility": "BACKWARD_TRANSITIVE" }),
        )
        .await
        .assert_ok();
    let set_mode = |mode: &'static str| {
        let second = &second;
        async move {
            second
                .put("/mode/imported?force=true", json!({ "mode": mode }))
                .await
                .assert_ok();
        }
    };
    set_mode("IMPORT").await;
    let import = |schema: Value, id: i64, version: i64| json!({ "schema": schema.to_string(), "id": id, "version": version });
    second
        .register_body("imported", import(x(), 100, 5))
        .await
        .assert_ok();
    set_mode("READWRITE").await;
    // The first server learns the history {5: X}, registering X again.
    assert_eq!(
        register(&first, "imported", &x()).await.assert_ok()["version"],
        5
    );
    // b: int with a default, imported as version 3, below the top.
    let b_int = record(
        "Evolving",
        &[field("a", "int"), field_with_default("b", "int", json!(0))],
    );
    set_mode("IMPORT").await;
    second
        .register_body("imported", import(b_int, 101, 3))
        .await
        .assert_ok();
    set_mode("READWRITE").await;
    // b: string with a default: BACKWARD compatible with X, not with version 3 (b: int).
    register(&first, "imported", &y())
        .await
        .assert_error(409, 409);
    let versions = second.get("/subjects/imported/versions").await.assert_ok();
    assert_eq!(versions, json!([3, 5]));
    first.cleanup().await;
}

/// Many clients registering to many subjects at once through one server (the writes are
/// grouped into shared transactions): every registration answers 200, each subject's
/// versions are 1..n, and every answer matches what is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_registrations_each_get_their_own_answer() {
    let app = spawn_app(Backend::Postgres).await;
    const CLIENTS: usize = 24;
    const EACH: usize = 8;
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let base = app.base.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut answers = Vec::new();
            for n in 0..EACH {
                let subject = format!("group-{}", (client + n) % 6);
                let schema = record(
                    "Grouped",
                    &[
                        field("a", "int"),
                        field_with_default(&format!("c{client}_{n}"), "int", json!(0)),
                    ],
                );
                let r = http
                    .post(format!("{base}/subjects/{subject}/versions"))
                    .json(&json!({ "schema": schema.to_string() }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let body: Value = r.json().await.unwrap();
                answers.push((
                    subject,
                    body["id"].as_i64().unwrap(),
                    body["version"].as_i64().unwrap(),
                ));
            }
            answers
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.unwrap());
    }
    assert_eq!(answers.len(), CLIENTS * EACH);
    for subject in 0..6 {
        let name = format!("group-{subject}");
        let mut mine: Vec<_> = answers.iter().filter(|(s, _, _)| *s == name).collect();
        mine.sort_by_key(|(_, _, v)| *v);
        let versions: Vec<i64> = mine.iter().map(|(_, _, v)| *v).collect();
        let expected: Vec<i64> = (1..=mine.len() as i64).collect();
        assert_eq!(versions, expected, "{name}");
        for (_, id, version) in mine {
            let stored = app
                .get(&format!("/subjects/{name}/versions/{version}"))
                .await
                .assert_ok();
            assert_eq!(stored["id"], *id);
        }
    }
    app.cleanup().await;
}

/// The server refreshes planner statistics of its tables once they have changed enough
/// (autovacuum may be off; on the project machines it is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planner_statistics_are_refreshed_after_writes() {
    let app = spawn_app(Backend::Postgres).await;
    for n in 0..80 {
        register(&app, &format!("stats-{n}"), &x())
            .await
            .assert_ok();
    }
    let mut conn = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let mut analyzed = false;
    for _ in 0..60 {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = 'subject_versions' \
             AND COALESCE(last_analyze, last_autoanalyze) IS NOT NULL",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if row.get::<i64, _>(0) == 1 {
            analyzed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(analyzed, "subject_versions was never analyzed");
    // Once analyzed, nothing is stale until the table changes again.
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&app.database_url)
        .await
        .unwrap();
    let again = schemata::store::statistics::analyze_stale_tables(&pool)
        .await
        .unwrap();
    assert!(
        !again.contains(&"subject_versions".to_string()),
        "{again:?}"
    );
    app.cleanup().await;
}

/// The count of registrations the grouped statement wrote, from `/metrics` (the recorder is
/// shared by every server of the test process, so only growth is meaningful).
async fn written_in_one_statement(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await;
    metrics
        .text
        .lines()
        .find(|line| {
            line.starts_with("schemata_schemas_registered_total")
                && line.contains("path=\"one_statement\"")
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// On PostgreSQL a new version, with references or without, is written by the grouped
/// statement (not by the general path after a fallback), and what it wrote is complete:
/// the version, its schema, and the reference rows behind `referencedby`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_versions_are_written_by_the_grouped_statement() {
    let app = spawn_app(Backend::Postgres).await;
    let before = written_in_one_statement(&app).await;
    register(&app, "grouped-target", &x()).await.assert_ok();
    let referrer = json!({
        "schema": record("Holder", &[field("inner", "Evolving")]).to_string(),
        "references": [{"name": "Evolving", "subject": "grouped-target", "version": 1}],
    });
    let holder = app
        .register_body("grouped-referrer", referrer)
        .await
        .assert_ok();
    let second = register(&app, "grouped-target", &y()).await.assert_ok();
    assert!(
        written_in_one_statement(&app).await >= before + 3,
        "the grouped statement wrote fewer than the 3 registrations"
    );
    let referencedby = app
        .get("/subjects/grouped-target/versions/1/referencedby")
        .await
        .assert_ok();
    assert_eq!(referencedby, json!([holder["id"]]));
    let stored = app
        .get("/subjects/grouped-target/versions/2")
        .await
        .assert_ok();
    assert_eq!(stored["id"], second["id"]);
    assert_eq!(second["version"], 2);
    app.cleanup().await;
}

/// The insert trigger that notices versions below a subject's top (migration 0005) is
/// skipped on connections that declare they only append (`schemata.appends_only`, set by
/// the group writers' connections, migration 0006), and only there: the same insert below
/// the top from any other connection still bumps the context's history generation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_appending_connections_skip_the_below_the_top_trigger() {
    let app = spawn_app(Backend::Postgres).await;
    let id = register(&app, "trigger-scope", &x()).await.assert_ok()["id"]
        .as_i64()
        .unwrap();
    register(&app, "trigger-scope", &y()).await.assert_ok();
    let mut plain = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let appending_options = app
        .database_url
        .parse::<sqlx::postgres::PgConnectOptions>()
        .unwrap()
        .options([("schemata.appends_only", "on")]);
    let mut appending = sqlx::PgConnection::connect_with(&appending_options)
        .await
        .unwrap();
    // Version 1 is taken out by hand (a bump of its own) and put back below version 2,
    // first from the appending connection, then from an ordinary one.
    for (conn, bumps) in [(&mut appending, 0), (&mut plain, 1)] {
        sqlx::query("DELETE FROM subject_versions WHERE subject = 'trigger-scope' AND version = 1")
            .execute(&mut *conn)
            .await
            .unwrap();
        let before = generation(&mut *conn).await;
        insert_below_top(&mut *conn, id, 1).await;
        assert_eq!(
            generation(&mut *conn).await,
            before + bumps,
            "inserted below the top with {} appends_only",
            if bumps == 0 { "" } else { "no" }
        );
    }
    app.cleanup().await;
}

async fn generation(conn: &mut sqlx::PgConnection) -> i64 {
    sqlx::query("SELECT history_generation FROM contexts WHERE name = '.'")
        .fetch_one(conn)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn insert_below_top(conn: &mut sqlx::PgConnection, schema_id: i64, version: i64) {
    sqlx::query(
        "INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at) \
         VALUES ('.', 'trigger-scope', $1, $2, 0, 0)",
    )
    .bind(version)
    .bind(schema_id)
    .execute(conn)
    .await
    .unwrap();
}
