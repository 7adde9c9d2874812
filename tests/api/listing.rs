//! Listings paged by the database (issue 15, defect 2): `GET /subjects`, the subjects and
//! versions of a schema id, `referencedby` and `GET /schemas?ruleType=` answer every
//! combination of their filters and `offset`/`limit` as before, and a listing leaves the id
//! cache as it found it.

use crate::common::*;
use crate::on_both_backends;
use serde_json::{json, Value};
use sqlx::Connection;

on_both_backends!(
    subject_listing_pages_across_contexts,
    listings_of_an_id_filter_and_page,
    referencedby_filters_and_pages,
    rule_type_listing_pages
);

/// The strings of a JSON array.
fn strings(listed: Value) -> Vec<String> {
    listed
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {listed}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// `subject/version` of each entry of a JSON array of versions.
fn pairs(listed: Value) -> Vec<String> {
    listed
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {listed}"))
        .iter()
        .map(|v| format!("{}/{}", v["subject"].as_str().unwrap(), v["version"]))
        .collect()
}

fn schema(n: usize) -> Value {
    record(&format!("R{n}"), &[field("a", "int")])
}

async fn subject_listing_pages_across_contexts(app: &TestApp) {
    // Default-context names on both sides of the qualified ones (`0` and `:` sort before
    // `:.`, letters after), and a default-context name that looks like a context prefix.
    for (n, s) in [
        "b", "0-first", "a", ":.odd", ":.c1:x", ":.c1:y", ":.c2:x", ":.c10:z", "dead",
    ]
    .iter()
    .enumerate()
    {
        app.register(s, &schema(n)).await;
    }
    app.delete("/subjects/dead").await.assert_ok();
    let list = |query: &str| {
        let path = format!("/subjects?{query}");
        async move { strings(app.get(&path).await.assert_ok()) }
    };
    // Byte order of the qualified names: `.c10` sorts before `.c1` (`0` < `:`).
    let all = [
        "0-first", ":.c10:z", ":.c1:x", ":.c1:y", ":.c2:x", ":.odd", "a", "b",
    ];
    assert_eq!(list("").await, all);
    assert_eq!(list("subjectPrefix=:*:").await, all);
    for offset in 0..all.len() + 1 {
        for limit in [1, 2, 3, 100] {
            let expected: Vec<&str> = all.iter().skip(offset).take(limit).copied().collect();
            assert_eq!(
                list(&format!("offset={offset}&limit={limit}")).await,
                expected,
                "offset {offset}, limit {limit}"
            );
        }
    }
    assert_eq!(list("limit=-1&offset=-3").await, all);
    assert_eq!(
        list("deleted=true&offset=6&limit=3").await,
        ["a", "b", "dead"]
    );
    assert_eq!(list("deletedOnly=true").await, ["dead"]);
    assert_eq!(
        list("deletedOnly=true&offset=1").await,
        Vec::<String>::new()
    );
    assert_eq!(list("subjectPrefix=:.c1:").await, [":.c1:x", ":.c1:y"]);
    assert_eq!(list("subjectPrefix=:.c1:y").await, [":.c1:y"]);
    assert_eq!(
        list("subjectPrefix=:.c1:&offset=1&limit=5").await,
        [":.c1:y"]
    );
    assert_eq!(
        list("subjectPrefix=:.c1").await,
        [":.c10:z", ":.c1:x", ":.c1:y"]
    );
    assert_eq!(
        list("subjectPrefix=:.c&offset=2&limit=3").await,
        [":.c1:y", ":.c2:x"]
    );
    assert_eq!(list("subjectPrefix=:.o").await, [":.odd"]);
    assert_eq!(
        list("subjectPrefix=:.:").await,
        ["0-first", ":.odd", "a", "b"]
    );
    assert_eq!(list("subjectPrefix=:.:a").await, Vec::<String>::new());
    assert_eq!(list("subjectPrefix=a").await, ["a"]);
    assert_eq!(list("subjectPrefix=d&deleted=true").await, ["dead"]);
    assert_eq!(list("subjectPrefix=d").await, Vec::<String>::new());
    assert_eq!(list("subjectPrefix=:.nope:").await, Vec::<String>::new());
    // The context routes take the same parameters.
    assert_eq!(
        strings(app.get("/contexts/.c1/subjects?offset=1").await.assert_ok()),
        [":.c1:y"]
    );
}

async fn listings_of_an_id_filter_and_page(app: &TestApp) {
    let shared = schema(0);
    let id = app.register("s3", &shared).await;
    app.register("s1", &shared).await;
    app.register("s2", &shared).await;
    app.register("s4", &shared).await;
    app.delete("/subjects/s2").await.assert_ok();
    app.register(":.ctx:other", &schema(1)).await;
    let versions = |query: &str| {
        let path = format!("/schemas/ids/{id}/versions?{query}");
        async move { pairs(app.get(&path).await.assert_ok()) }
    };
    let subjects = |query: &str| {
        let path = format!("/schemas/ids/{id}/subjects?{query}");
        async move { strings(app.get(&path).await.assert_ok()) }
    };
    assert_eq!(versions("").await, ["s1/1", "s3/1", "s4/1"]);
    assert_eq!(
        versions("deleted=true").await,
        ["s1/1", "s2/1", "s3/1", "s4/1"]
    );
    assert_eq!(versions("offset=1&limit=1").await, ["s3/1"]);
    assert_eq!(
        versions("deleted=true&offset=1&limit=2").await,
        ["s2/1", "s3/1"]
    );
    assert_eq!(versions("offset=3").await, Vec::<String>::new());
    assert_eq!(
        versions("limit=-1&subject=s2").await,
        ["s1/1", "s3/1", "s4/1"]
    );
    assert_eq!(subjects("").await, ["s1", "s3", "s4"]);
    assert_eq!(subjects("deleted=true").await, ["s1", "s2", "s3", "s4"]);
    assert_eq!(subjects("offset=2").await, ["s4"]);
    assert_eq!(
        subjects("deleted=true&offset=1&limit=2").await,
        ["s2", "s3"]
    );
    // `subject` picks the context: the id there is another schema's.
    assert_eq!(
        strings(
            app.get(&format!("/schemas/ids/{id}/subjects?subject=:.ctx:"))
                .await
                .assert_ok()
        ),
        [":.ctx:other"]
    );
    assert_eq!(
        pairs(
            app.get(&format!(
                "/schemas/ids/{id}/versions?subject=:.ctx:x&limit=1"
            ))
            .await
            .assert_ok()
        ),
        [":.ctx:other/1"]
    );
    app.get("/schemas/ids/999/versions?offset=5")
        .await
        .assert_error(404, 40403);
    app.get(&format!("/schemas/ids/{id}/subjects?subject=:.none:"))
        .await
        .assert_error(404, 40403);
    app.get(&format!("/schemas/ids/{id}/versions?limit=x"))
        .await
        .assert_error(404, 404);
    // Every version soft-deleted: `[]` (the id still exists), not 40403.
    let gone = app.register("gone", &schema(2)).await;
    app.delete("/subjects/gone").await.assert_ok();
    assert_eq!(
        app.get(&format!("/schemas/ids/{gone}/versions"))
            .await
            .assert_ok(),
        json!([])
    );
    assert_eq!(
        app.get(&format!("/schemas/ids/{gone}/subjects?deleted=true"))
            .await
            .assert_ok(),
        json!(["gone"])
    );
}

/// A record `name` with a field of the type `common.Shared`, referencing `base` v1.
fn referring(name: &str) -> Value {
    let text = json!({"type": "record", "name": name, "namespace": "app",
        "fields": [{"name": "s", "type": "common.Shared"}]});
    json!({
        "schema": text.to_string(),
        "references": [{"name": "common.Shared", "subject": "base", "version": 1}],
    })
}

async fn referencedby_filters_and_pages(app: &TestApp) {
    let shared = json!({"type": "record", "name": "Shared", "namespace": "common",
        "fields": [{"name": "x", "type": "int"}]});
    app.register("base", &shared).await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C", "D"] {
        let r = app
            .register_body(&format!("app-{name}"), referring(name))
            .await;
        ids.push(r.assert_ok()["id"].as_i64().unwrap());
    }
    app.delete("/subjects/app-B").await.assert_ok();
    let ids_of = |query: &str| {
        let path = format!("/subjects/base/versions/1/referencedby?{query}");
        async move { app.get(&path).await.assert_ok() }
    };
    assert_eq!(ids_of("").await, json!([ids[0], ids[2], ids[3]]));
    assert_eq!(ids_of("deleted=true").await, json!(ids));
    assert_eq!(ids_of("offset=1&limit=1").await, json!([ids[2]]));
    assert_eq!(
        ids_of("deleted=true&offset=1&limit=2").await,
        json!([ids[1], ids[2]])
    );
    assert_eq!(ids_of("offset=9").await, json!([]));
    assert_eq!(ids_of("limit=-1").await, json!([ids[0], ids[2], ids[3]]));
    assert_eq!(
        app.get("/subjects/base/versions/latest/referencedby?limit=2")
            .await
            .assert_ok(),
        json!([ids[0], ids[2]])
    );
    app.get("/subjects/base/versions/2/referencedby")
        .await
        .assert_error(404, 40402);
    app.get("/subjects/nobody/versions/1/referencedby")
        .await
        .assert_error(404, 40401);
    app.get("/subjects/base/versions/1/referencedby?offset=x")
        .await
        .assert_error(404, 404);
}

async fn rule_type_listing_pages(app: &TestApp) {
    app.put("/config", json!({"compatibility": "NONE"}))
        .await
        .assert_ok();
    let rules = |kind: &str| json!({ "domainRules": [{ "name": "r", "kind": "CONDITION", "mode": "WRITE", "type": kind, "expr": "true" }] });
    // (subject, rule type): `b` gets a CEL version, then another type, then CEL again.
    let plan = [
        ("a", Some("CEL")),
        ("b", Some("CEL")),
        ("b", Some("JSONATA")),
        ("b", Some("CEL")),
        ("c", Some("JSONATA")),
        ("c", Some("CEL_FIELD")),
        ("d", Some("CEL")),
        ("d", Some("cel")),
    ];
    for (n, (subject, rule)) in plan.iter().enumerate() {
        let mut body = json!({ "schema": schema(n).to_string() });
        if let Some(kind) = rule {
            body["ruleSet"] = rules(kind);
        }
        app.register_body(subject, body).await.assert_ok();
    }
    let list = |query: &str| {
        let path = format!("/schemas?ruleType=CEL&{query}");
        async move { pairs(app.get(&path).await.assert_ok()) }
    };
    assert_eq!(list("").await, ["a/1", "b/1", "b/3", "d/1"]);
    assert_eq!(list("offset=1&limit=2").await, ["b/1", "b/3"]);
    assert_eq!(list("latestOnly=true").await, ["a/1", "b/3", "d/1"]);
    assert_eq!(list("latestOnly=true&limit=2").await, ["a/1", "b/3"]);
    assert_eq!(list("latestOnly=true&offset=1&limit=1").await, ["b/3"]);
    assert_eq!(list("latestOnly=true&offset=2").await, ["d/1"]);
    app.delete("/subjects/b/versions/3").await.assert_ok();
    assert_eq!(list("latestOnly=true&limit=2").await, ["a/1", "b/1"]);
    assert_eq!(
        list("latestOnly=true&deleted=true&limit=2").await,
        ["a/1", "b/3"]
    );
    assert_eq!(list("subjectPrefix=d").await, ["d/1"]);
    assert_eq!(
        pairs(app.get("/schemas?ruleType=cel").await.assert_ok()),
        ["d/2"]
    );
    assert_eq!(
        pairs(app.get("/schemas?ruleType=CEL_FIELD").await.assert_ok()),
        ["c/2"]
    );
    assert_eq!(
        pairs(app.get("/schemas?ruleType=C%25L").await.assert_ok()),
        Vec::<String>::new()
    );
}

async fn rename_table(app: &TestApp, from: &str, to: &str) {
    let mut conn = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let sql = format!("ALTER TABLE {from} RENAME TO {to}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
}

/// No listing puts a schema into the id cache (issue 15, defect 2): after each, on a server
/// whose cache started empty, a read by id still needs the schemas table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_do_not_fill_the_id_cache() {
    let first = spawn_app(Backend::Postgres).await;
    let shared = json!({"type": "record", "name": "Shared", "namespace": "common",
        "fields": [{"name": "x", "type": "int"}]});
    let shared_id = first.register("base", &shared).await;
    let app_id = first
        .register_body("app-A", referring("A"))
        .await
        .assert_ok()["id"]
        .as_i64()
        .unwrap();
    for listing in [
        "/subjects?limit=10".to_string(),
        "/subjects".to_string(),
        "/subjects/base/versions/1/referencedby".to_string(),
        "/subjects/base/versions/latest/referencedby?limit=1".to_string(),
        format!("/schemas/ids/{shared_id}/versions"),
        format!("/schemas/ids/{app_id}/subjects?deleted=true"),
    ] {
        // A second server on the same database: its id cache starts empty.
        let second = spawn_on(
            &first.database_url,
            Backend::Postgres,
            schemata::registry::RegistryOptions::default(),
        )
        .await;
        second.get(&listing).await.assert_ok();
        rename_table(&second, "schemas", "schemas_moved").await;
        for id in [shared_id, app_id] {
            let r = second.get(&format!("/schemas/ids/{id}")).await;
            assert_eq!(
                r.status, 500,
                "{listing} filled the id cache with {id}: {}",
                r.text
            );
        }
        rename_table(&second, "schemas_moved", "schemas").await;
    }
    first.cleanup().await;
}
