//! What makes two registrations the same schema (docs/rest-api.md §3.4): the key order of
//! `metadata` and `ruleSet` and the order of their sets do not matter, the order of rules
//! does; and a database written by a build that hashed the bytes as sent is brought up to
//! that rule once, at start, so re-registrations keep their ids.

use crate::common::{spawn_on, TestApp};
use crate::on_both_backends;
use schemata::registry::RegistryOptions;
use serde_json::{json, Value};

on_both_backends!(
    key_order_of_metadata_and_rule_set_does_not_make_a_new_schema,
    the_order_of_rules_makes_a_new_schema,
    stored_hashes_of_an_older_build_are_brought_up_to_date_once,
);

fn body(metadata: Value, rule_set: Value) -> Value {
    json!({ "schema": "\"string\"", "metadata": metadata, "ruleSet": rule_set })
}

fn rules(names: &[&str]) -> Value {
    let rules: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}))
        .collect();
    json!({ "domainRules": rules })
}

async fn id_of(app: &TestApp, subject: &str, body: Value) -> i64 {
    app.register_body(subject, body).await.assert_ok()["id"]
        .as_i64()
        .unwrap()
}

async fn key_order_of_metadata_and_rule_set_does_not_make_a_new_schema(app: &TestApp) {
    let first = id_of(
        app,
        "s",
        body(
            json!({"properties": {"team": "a", "owner": "b"}, "tags": {"f": ["y", "x"]}}),
            json!({"domainRules": [{"type": "CEL", "name": "r", "kind": "CONDITION", "mode": "WRITE", "expr": "true", "tags": ["q", "p"]}]}),
        ),
    )
    .await;
    let reordered = body(
        json!({"tags": {"f": ["x", "y"]}, "properties": {"owner": "b", "team": "a"}}),
        json!({"domainRules": [{"expr": "true", "tags": ["p", "q"], "mode": "WRITE", "kind": "CONDITION", "name": "r", "type": "CEL"}]}),
    );
    assert_eq!(id_of(app, "s", reordered.clone()).await, first);
    // The same content under another subject is the same schema too, and a lookup finds it.
    assert_eq!(id_of(app, "t", reordered.clone()).await, first);
    let found = app.post("/subjects/s", reordered).await;
    assert_eq!(found.assert_ok()["id"], first);
    assert_eq!(found.json()["version"], 1);
}

async fn the_order_of_rules_makes_a_new_schema(app: &TestApp) {
    let metadata = json!({"properties": {"owner": "b"}});
    let ab = id_of(app, "s", body(metadata.clone(), rules(&["a", "b"]))).await;
    let ba = id_of(app, "s", body(metadata, rules(&["b", "a"]))).await;
    assert_ne!(ab, ba);
}

async fn stored_hashes_of_an_older_build_are_brought_up_to_date_once(app: &TestApp) {
    let sent = body(
        json!({"properties": {"team": "a", "owner": "b"}}),
        rules(&["a"]),
    );
    let id = id_of(app, "s", sent).await;
    // What an older build left: a hash of other bytes, and no record of the upgrade.
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("UPDATE schemas SET hash = 'hash-of-an-older-build' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM store_upgrades")
        .execute(&pool)
        .await
        .unwrap();

    let restarted = spawn_on(&app.database_url, app.backend, RegistryOptions::default()).await;
    let reordered = body(
        json!({"properties": {"owner": "b", "team": "a"}}),
        rules(&["a"]),
    );
    assert_eq!(id_of(&restarted, "s", reordered).await, id);
    let upgrades: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) FROM store_upgrades")
            .fetch_one(&pool)
            .await
            .unwrap(),
        0,
    );
    assert_eq!(upgrades, 1);
    // Run once: a hash changed after the upgrade is not rewritten by the next start.
    sqlx::query("UPDATE schemas SET hash = 'changed-after' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    spawn_on(&app.database_url, app.backend, RegistryOptions::default()).await;
    let hash: String = sqlx::Row::get(
        &sqlx::query("SELECT hash FROM schemas WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap(),
        0,
    );
    assert_eq!(hash, "changed-after");
    pool.close().await;
}
