//! The consumer hot path: after the first read, `GET /schemas/ids/{id}` is answered from
//! memory. Proven by taking the schema table away underneath the running server.

use crate::common::*;
use crate::on_both_backends;
use sqlx::Connection;

on_both_backends!(
    schema_by_id_is_served_from_memory_after_first_read,
    re_registration_and_lookup_are_answered_from_memory,
    a_deleted_version_is_not_answered_from_memory,
    a_read_by_id_from_memory_is_the_routed_answer,
);

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
    // General words and an id for the log; never the database's own text (tables, hosts).
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("request id "), "{message}");
    for leak in ["subject_versions", "relation", "no such table", "sqlx"] {
        assert!(!message.contains(leak), "{message}");
    }
    rename_schemas_table(app, "schemas_moved", "schemas").await;
    rename_schemas_table(app, "subject_versions_moved", "subject_versions").await;
    app.get("/subjects/cached/versions").await.assert_ok();
}

/// Wait until `count` sessions on the app's database listen for cache invalidations (each
/// server has one); a fixed sleep could end before a listener starts, and its initial
/// clear-all would then make a test pass without any NOTIFY.
async fn wait_for_listeners(app: &TestApp, count: i64) {
    let mut conn = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    for _ in 0..200 {
        let listening: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN %'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if listening >= count {
            // The clear-all follows the LISTEN at once; let it run before the test
            // warms any cache.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{count} cache invalidation listeners did not start within 10 s");
}

/// Two server processes on one PostgreSQL database: a hard delete on one drops the schema
/// from the other's cache (LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_delete_invalidates_the_cache_of_another_server() {
    let first = spawn_app(Backend::Postgres).await;
    let second = spawn_on(
        &first.database_url,
        Backend::Postgres,
        schemata::registry::RegistryOptions::default(),
    )
    .await;
    let id = first
        .register("shared", &record("Shared", &[field("a", "int")]))
        .await;
    // Both listeners listen (each starts by clearing its cache), then the second server's
    // cache is warmed, and shown to serve without the database: only a NOTIFY can now make
    // it answer 404.
    wait_for_listeners(&first, 2).await;
    second.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    rename_schemas_table(&second, "schemas", "schemas_moved").await;
    second.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    rename_schemas_table(&second, "schemas_moved", "schemas").await;
    first.delete("/subjects/shared").await.assert_ok();
    first
        .delete("/subjects/shared?permanent=true")
        .await
        .assert_ok();
    let status = eventually(404, || async {
        second
            .get(&format!("/schemas/ids/{id}"))
            .await
            .status
            .as_u16()
    })
    .await;
    assert_eq!(
        status, 404,
        "the second server still serves a hard-deleted schema"
    );
    first.cleanup().await;
}

/// Config and mode are cached too; a change on one server reaches the other's cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_change_reaches_another_server() {
    let (first, second) = two_listening_servers().await;
    second
        .register("cfg", &record("Cfg", &[field("a", "int")]))
        .await;
    let incompatible = serde_json::json!({ "schema": record("Cfg", &[field("a", "int"), field("b", "int")]).to_string() });
    // The second server now has BACKWARD (the default) cached for this subject.
    second
        .register_body("cfg", incompatible.clone())
        .await
        .assert_error(409, 409);
    first
        .put(
            "/config/cfg",
            serde_json::json!({ "compatibility": "NONE" }),
        )
        .await
        .assert_ok();
    let status = eventually(200, || async {
        second
            .register_body("cfg", incompatible.clone())
            .await
            .status
            .as_u16()
    })
    .await;
    assert_eq!(
        status, 200,
        "the second server kept the old compatibility level"
    );
    first.cleanup().await;
}

/// Two servers on one PostgreSQL database, both listening for the other's invalidations.
async fn two_listening_servers() -> (TestApp, TestApp) {
    let first = spawn_app(Backend::Postgres).await;
    let second = spawn_on(
        &first.database_url,
        Backend::Postgres,
        schemata::registry::RegistryOptions::default(),
    )
    .await;
    wait_for_listeners(&first, 2).await;
    (first, second)
}

/// Poll `probe` for up to five seconds until it answers `wanted`; returns the last answer.
async fn eventually<F, Fut>(wanted: u16, probe: F) -> u16
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let mut last = 0;
    for _ in 0..50 {
        last = probe().await;
        if last == wanted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last
}

/// `GET /schemas` reads schemas without keeping them: a walk over the whole registry must
/// not evict what consumers read (issue 15, defect 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_schemas_does_not_fill_the_id_cache() {
    let first = spawn_app(Backend::Postgres).await;
    let id = first
        .register("listed", &record("Listed", &[field("a", "int")]))
        .await;
    // A second server on the same database: its id cache starts empty.
    let second = spawn_on(
        &first.database_url,
        Backend::Postgres,
        schemata::registry::RegistryOptions::default(),
    )
    .await;
    let listed = second.get("/schemas").await.assert_ok();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    rename_schemas_table(&second, "schemas", "schemas_moved").await;
    let r = second.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(
        r.status, 500,
        "served from a cache the listing filled: {}",
        r.text
    );
    rename_schemas_table(&second, "schemas_moved", "schemas").await;
    second.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    first.cleanup().await;
}

/// A schema registered before, sent again to the same subject (a producer's
/// `auto.register.schemas` at start) or looked up with `POST /subjects/{s}`, is answered
/// from memory: proven, as for reads by id, with the tables taken away underneath.
async fn re_registration_and_lookup_are_answered_from_memory(app: &TestApp) {
    let schema = record("Again", &[field("a", "int")]);
    let body = serde_json::json!({ "schema": schema.to_string() });
    let first = app.register_body("again", body.clone()).await.assert_ok();
    let looked_up = app.post("/subjects/again", body.clone()).await.assert_ok();
    rename_schemas_table(app, "schemas", "schemas_moved").await;
    rename_schemas_table(app, "subject_versions", "subject_versions_moved").await;
    let again = app.register_body("again", body.clone()).await.assert_ok();
    assert_eq!(again, first);
    assert_eq!(
        app.post("/subjects/again", body.clone()).await.assert_ok(),
        looked_up
    );
    // A different text of the same schema is parsed (its identity is not remembered) but
    // still needs no table: its subject's history is remembered.
    let spaced = serde_json::json!({ "schema": serde_json::to_string_pretty(&schema).unwrap() });
    assert_eq!(app.register_body("again", spaced).await.assert_ok(), first);
    rename_schemas_table(app, "schemas_moved", "schemas").await;
    rename_schemas_table(app, "subject_versions_moved", "subject_versions").await;
    assert_eq!(looked_up["version"], 1);
    assert_eq!(looked_up["id"], first["id"]);
}

/// What a delete ends is never answered from memory by the server that deleted it: a soft-
/// deleted version is neither "already registered" nor found by a lookup, and after a hard
/// delete the subject starts again at version 1.
async fn a_deleted_version_is_not_answered_from_memory(app: &TestApp) {
    let v1 = serde_json::json!({ "schema": record("Gone", &[field("a", "int")]).to_string() });
    let v2 = serde_json::json!({ "schema": record("Gone", &[field("a", "int"), field_with_default("b", "int", serde_json::json!(0))]).to_string() });
    let id1 = app.register_body("gone", v1.clone()).await.assert_ok()["id"].clone();
    app.register_body("gone", v2.clone()).await.assert_ok();
    // Remembered: both texts and the subject's history.
    app.register_body("gone", v1.clone()).await.assert_ok();
    app.post("/subjects/gone", v1.clone()).await.assert_ok();
    app.delete("/subjects/gone/versions/1").await.assert_ok();
    app.post("/subjects/gone", v1.clone())
        .await
        .assert_error(404, 40403);
    let found = app
        .post("/subjects/gone?deleted=true", v1.clone())
        .await
        .assert_ok();
    assert_eq!(
        (found["version"].clone(), found["id"].clone()),
        (1.into(), id1.clone())
    );
    // Registered again: a new version (the same id: the content is known), not version 1.
    let again = app.register_body("gone", v1.clone()).await.assert_ok();
    assert_eq!(
        (again["version"].clone(), again["id"].clone()),
        (3.into(), id1.clone())
    );
    // Gone for good: the whole subject, soft then hard.
    app.delete("/subjects/gone").await.assert_ok();
    app.delete("/subjects/gone?permanent=true")
        .await
        .assert_ok();
    app.post("/subjects/gone", v1.clone())
        .await
        .assert_error(404, 40401);
    app.get(&format!("/schemas/ids/{id1}"))
        .await
        .assert_error(404, 40403);
    let reborn = app.register_body("gone", v1).await.assert_ok();
    // Version 1 of a new subject; the content keeps its id, as in CSR.
    assert_eq!(
        (reborn["version"].clone(), reborn["id"].clone()),
        (1.into(), id1.clone())
    );
}

/// Another server's delete reaches this one's memory (over NOTIFY): after a soft delete
/// there, the deleted version stops being the answer here, for registration and lookup;
/// after a hard delete, the id too. Until the NOTIFY arrives (milliseconds) this server may
/// still answer the deleted version, as its id cache answers a hard-deleted id: the
/// consistency docs/performance.md states.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_servers_delete_reaches_the_remembered_answers() {
    let (first, second) = two_listening_servers().await;
    let v1 = serde_json::json!({ "schema": record("Common", &[field("a", "int")]).to_string() });
    let id1 = first.register_body("common", v1.clone()).await.assert_ok()["id"].clone();
    // Remembered by the second server, and answered without the tables.
    second.register_body("common", v1.clone()).await.assert_ok();
    second
        .post("/subjects/common", v1.clone())
        .await
        .assert_ok();
    rename_schemas_table(&second, "subject_versions", "subject_versions_moved").await;
    second.register_body("common", v1.clone()).await.assert_ok();
    rename_schemas_table(&second, "subject_versions_moved", "subject_versions").await;

    first
        .delete("/subjects/common/versions/1")
        .await
        .assert_ok();
    let status = eventually(404, || async {
        second
            .post("/subjects/common", v1.clone())
            .await
            .status
            .as_u16()
    })
    .await;
    assert_eq!(
        status, 404,
        "the second server still finds a soft-deleted version"
    );
    let again = second.register_body("common", v1.clone()).await.assert_ok();
    assert_eq!(
        (again["version"].clone(), again["id"].clone()),
        (2.into(), id1.clone())
    );

    second.delete("/subjects/common").await.assert_ok();
    second
        .delete("/subjects/common?permanent=true")
        .await
        .assert_ok();
    let status = eventually(404, || async {
        first
            .get(&format!("/schemas/ids/{id1}"))
            .await
            .status
            .as_u16()
    })
    .await;
    assert_eq!(
        status, 404,
        "the first server still serves a hard-deleted id"
    );
    let reborn = first.register_body("common", v1).await.assert_ok();
    assert_eq!(reborn["version"], 1);
    first.cleanup().await;
}

/// A config change on another server changes what a remembered text means (an override of
/// the metadata is part of a schema's identity): once it arrives, the same text registers
/// as a new version carrying the metadata, not as the remembered one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_servers_config_change_reaches_the_remembered_answers() {
    let (first, second) = two_listening_servers().await;
    let v1 = serde_json::json!({ "schema": record("Owned", &[field("a", "int")]).to_string() });
    let id1 = second.register_body("owned", v1.clone()).await.assert_ok()["id"].clone();
    second.register_body("owned", v1.clone()).await.assert_ok();
    first
        .put(
            "/config/owned",
            serde_json::json!({ "overrideMetadata": { "properties": { "owner": "team-a" } } }),
        )
        .await
        .assert_ok();
    let mut answer = serde_json::Value::Null;
    for _ in 0..50 {
        answer = second.register_body("owned", v1.clone()).await.assert_ok();
        if answer["version"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        answer["version"], 2,
        "the second server kept the old config: {answer}"
    );
    assert_ne!(answer["id"], id1);
    let latest = first
        .get("/subjects/owned/versions/latest")
        .await
        .assert_ok();
    assert_eq!(latest["metadata"]["properties"]["owner"], "team-a");
    first.cleanup().await;
}

/// A subject this server looked up while it had no versions, then registered to by another
/// server: the lookup finds it (a history remembered as empty is read again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_remembered_empty_is_read_again_by_a_lookup() {
    let (first, second) = two_listening_servers().await;
    let v1 = serde_json::json!({ "schema": record("Late", &[field("a", "int")]).to_string() });
    first
        .post("/subjects/late", v1.clone())
        .await
        .assert_error(404, 40401);
    // Remembered as empty by the first server's failed registration check too.
    let id = second.register_body("late", v1.clone()).await.assert_ok()["id"].clone();
    let found = first.post("/subjects/late", v1).await.assert_ok();
    assert_eq!(
        (found["version"].clone(), found["id"].clone()),
        (1.into(), id)
    );
    first.cleanup().await;
}

/// A subject this server has never seen is guessed new and written without reading it
/// first (docs/performance.md, "New subjects"); the database refuses the guess when it is
/// wrong. Here another server registered to the subjects first, and deleted in the context
/// (changing its generation): every answer is still the one a read would give: the same
/// version re-registered, the next version, an incompatible schema refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_guessed_new_is_checked_against_what_is_stored() {
    let (first, second) = two_listening_servers().await;
    let schema = |fields: &[serde_json::Value]| serde_json::json!({ "schema": record("Guess", fields).to_string() });
    let v1 = schema(&[field("a", "int")]);
    let v2 = schema(&[field("a", "int"), field_with_default("b", "int", 0.into())]);
    let incompatible = schema(&[field("a", "string")]);
    // The first server learns the context's generation from a subject of its own.
    first.register_body("seen", v1.clone()).await.assert_ok();
    // The second server writes subjects the first has never read.
    let id1 = second.register_body("known", v1.clone()).await.assert_ok()["id"].clone();
    second.register_body("other", v1.clone()).await.assert_ok();

    let again = first.register_body("known", v1.clone()).await.assert_ok();
    assert_eq!(
        (again["version"].clone(), again["id"].clone()),
        (1.into(), id1.clone())
    );
    first
        .register_body("other", incompatible.clone())
        .await
        .assert_error(409, 409);
    let next = first.register_body("other", v2.clone()).await.assert_ok();
    assert_eq!(next["version"], 2);

    // A delete by the second server changes the context's generation: the first server's
    // guess for a subject it never saw is refused and taken again with a read.
    second.register_body("gone", v1.clone()).await.assert_ok();
    second.delete("/subjects/gone").await.assert_ok();
    let fresh = first.register_body("fresh", v2.clone()).await.assert_ok();
    assert_eq!(fresh["version"], 1);
    let gone = first.register_body("gone", v2).await.assert_ok();
    assert_eq!(
        gone["version"], 2,
        "versions continue after a soft-deleted one"
    );
    let versions = first.get("/subjects/other/versions").await.assert_ok();
    assert_eq!(versions, serde_json::json!([1, 2]));
    first.cleanup().await;
}

/// `GET /schemas/ids/{id}` answered from memory before routing (docs/performance.md, "Reads
/// by id") is the answer the handler gives: the same status, headers and body as the same
/// read routed (a query sends it through the router), for every `Accept` we answer; a 406
/// and an unknown id still get the handler's errors.
async fn a_read_by_id_from_memory_is_the_routed_answer(app: &TestApp) {
    let body = serde_json::json!({ "schema": record("Fast", &[field("a", "int")]).to_string() });
    let id = app.register_body("fast", body).await.assert_ok()["id"].clone();
    let read = |path: String, accept: &'static str| {
        let request = app.client.get(format!("{}{path}", app.base));
        let request = if accept.is_empty() {
            request
        } else {
            request.header("accept", accept)
        };
        async move {
            let response = request.send().await.unwrap();
            let mut headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .filter(|(name, _)| *name != "date")
                .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
                .collect();
            headers.sort();
            (
                response.status().as_u16(),
                headers,
                response.bytes().await.unwrap(),
            )
        }
    };
    // The queries consumers send (none; confluent-kafka's `subject`; KafkaJS's `deleted`),
    // each against the same read with a parameter only the router takes.
    let queries = [
        "",
        "?subject=fast",
        "?deleted=true",
        "?subject=fast&fetchMaxId=false",
    ];
    for accept in [
        "",
        "application/json",
        "application/vnd.schemaregistry+json",
        "*/*",
    ] {
        for query in queries {
            // The first read fills the id cache; the second is answered from it.
            read(format!("/schemas/ids/{id}{query}"), accept).await;
            let remembered = read(format!("/schemas/ids/{id}{query}"), accept).await;
            let separator = if query.is_empty() { '?' } else { '&' };
            let routed = read(
                format!("/schemas/ids/{id}{query}{separator}routed=1"),
                accept,
            )
            .await;
            assert_eq!(remembered, routed, "Accept: {accept}, {query}");
            assert_eq!(remembered.0, 200);
        }
    }
    // A subject of another context is the router's to resolve.
    let other = serde_json::json!({ "schema": record("Other", &[field("o", "int")]).to_string() });
    app.register_body(":.other:fast", other).await.assert_ok();
    for _ in 0..2 {
        let elsewhere = read(format!("/schemas/ids/{id}?subject=:.other:fast"), "").await;
        assert_ne!(elsewhere.2, read(format!("/schemas/ids/{id}"), "").await.2);
    }
    let refused = read(format!("/schemas/ids/{id}"), "text/html").await;
    assert_eq!(refused.0, 406);
    let missing = read("/schemas/ids/999999".into(), "").await;
    assert_eq!(missing.0, 404);
    assert!(String::from_utf8_lossy(&missing.2).contains("40403"));
}
