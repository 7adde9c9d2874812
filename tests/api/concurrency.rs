//! Concurrent registrations from many clients, and from two server processes sharing one
//! PostgreSQL database, never produce duplicate ids or versions.

use crate::common::*;
use schemata::registry::RegistryOptions;
use serde_json::json;
use std::collections::{HashMap, HashSet};

const CLIENTS: usize = 32;
const SUBJECTS: usize = 4;
const SCHEMAS_PER_CLIENT: usize = 6;

/// Schema `n` of the shared pool: several clients register the same ones concurrently.
/// All are one record with an extra defaulted field, so any order of them is BACKWARD
/// compatible and every registration must succeed.
fn schema(n: usize) -> serde_json::Value {
    record(
        "Concurrent",
        &[
            field("a", "int"),
            field_with_default(&format!("f{n}"), "int", json!(0)),
        ],
    )
}

async fn hammer(apps: &[&TestApp]) {
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let base = apps[client % apps.len()].base.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut results = Vec::new();
            for i in 0..SCHEMAS_PER_CLIENT {
                // Overlapping choices: the same schema hits several subjects at once.
                let n = (client + i) % 12;
                let subject = format!("conc-{}", (client + i) % SUBJECTS);
                let body = json!({ "schema": schema(n).to_string() }).to_string();
                let r = http
                    .post(format!("{base}/subjects/{subject}/versions"))
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let value: serde_json::Value = r.json().await.unwrap();
                assert_eq!(status, 200, "{value}");
                results.push((
                    subject,
                    n,
                    value["id"].as_i64().unwrap(),
                    value["version"].as_i64().unwrap(),
                ));
            }
            results
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    // One id per distinct schema, one schema per id.
    let mut id_of: HashMap<usize, i64> = HashMap::new();
    for (_, n, id, _) in &all {
        assert_eq!(
            *id_of.entry(*n).or_insert(*id),
            *id,
            "schema {n} got two ids"
        );
    }
    let ids: HashSet<i64> = id_of.values().copied().collect();
    assert_eq!(ids.len(), id_of.len(), "two schemas share an id");
    // Per subject: versions 1..=k, each (subject, schema) exactly one version.
    for s in 0..SUBJECTS {
        let subject = format!("conc-{s}");
        let versions: Vec<i64> = apps[0]
            .get(&format!("/subjects/{subject}/versions"))
            .await
            .assert_ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(
            versions, expected,
            "versions of {subject} have gaps or duplicates"
        );
        let distinct: HashSet<usize> = all
            .iter()
            .filter(|(sub, ..)| *sub == subject)
            .map(|(_, n, ..)| *n)
            .collect();
        assert_eq!(
            versions.len(),
            distinct.len(),
            "{subject}: one version per distinct schema"
        );
        for (sub, n, id, version) in all.iter().filter(|(sub, ..)| *sub == subject) {
            let got = apps[1 % apps.len()]
                .get(&format!("/subjects/{sub}/versions/{version}"))
                .await
                .assert_ok();
            assert_eq!(got["id"].as_i64(), Some(*id), "schema {n}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_on_sqlite() {
    let app = spawn_app(Backend::Sqlite).await;
    hammer(&[&app]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_from_two_servers_on_one_postgres() {
    let first = spawn_app(Backend::Postgres).await;
    let second = spawn_on(
        &first.database_url,
        Backend::Postgres,
        RegistryOptions::default(),
    )
    .await;
    hammer(&[&first, &second]).await;
    first.cleanup().await;
}
