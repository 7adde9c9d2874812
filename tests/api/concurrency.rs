//! Concurrent registrations from many clients, and from two server processes sharing one
//! PostgreSQL database, never produce duplicate ids or versions.

use crate::common::*;
use crate::on_both_backends;
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

on_both_backends!(
    of_two_conflicting_versions_sent_together_one_wins,
    concurrent_registrations_end_as_serial_ones_do,
);

/// Two schemas each compatible with the subject's history but not with each other
/// (BACKWARD: a field `b` as `int` or as `string`), sent at once to each of many subjects,
/// new or not: whichever is written first, the other is checked against it and refused. A
/// grouped write that checked both against the history before either would take both.
async fn of_two_conflicting_versions_sent_together_one_wins(app: &TestApp) {
    const PAIRS: usize = 24;
    let base = record("Pair", &[field("a", "int")]);
    let with_b = |ty: &str, default: serde_json::Value| {
        record(
            "Pair",
            &[field("a", "int"), field_with_default("b", ty, default)],
        )
    };
    let (as_int, as_string) = (with_b("int", json!(0)), with_b("string", json!("")));
    // Even subjects have a first version already, odd ones are new.
    for s in (0..PAIRS).step_by(2) {
        app.register(&format!("pair-{s}"), &base).await;
    }
    let mut tasks = Vec::new();
    for s in 0..PAIRS {
        for schema in [&as_int, &as_string] {
            let url = app.url(&format!("/subjects/pair-{s}/versions"));
            let body = json!({ "schema": schema.to_string() }).to_string();
            tasks.push(tokio::spawn(async move {
                let r = reqwest::Client::new()
                    .post(url)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (s, r.status().as_u16(), r.text().await.unwrap())
            }));
        }
    }
    let mut statuses: HashMap<usize, Vec<u16>> = HashMap::new();
    for task in tasks {
        let (s, status, body) = task.await.unwrap();
        assert!(status == 200 || status == 409, "pair-{s}: {status} {body}");
        statuses.entry(s).or_default().push(status);
    }
    for s in 0..PAIRS {
        let mut got = statuses[&s].clone();
        got.sort_unstable();
        assert_eq!(
            got,
            [200, 409],
            "pair-{s}: exactly one of the two is written"
        );
        let versions = app
            .get(&format!("/subjects/pair-{s}/versions"))
            .await
            .assert_ok();
        let expected = if s % 2 == 0 {
            json!([1, 2])
        } else {
            json!([1])
        };
        assert_eq!(versions, expected, "pair-{s}");
    }
}

/// The same registrations sent one at a time to one server and all at once to another end
/// in the same state: the same answers (200 or 409) to the same requests, one id per
/// content, the same schemas under each subject as consecutive versions.
async fn concurrent_registrations_end_as_serial_ones_do(app: &TestApp) {
    const CLIENTS: usize = 16;
    const EACH: usize = 5;
    let seed = record("Same", &[field("a", "int")]);
    // Incompatible with every schema of the family (BACKWARD): refused whatever the order.
    let incompatible = record("Same", &[field("a", "string")]);
    let requests: Vec<(String, serde_json::Value)> = (0..CLIENTS * EACH)
        .map(|r| {
            let subject = format!("same-{}", r % 6);
            let schema = if r % 7 == 3 {
                incompatible.clone()
            } else {
                record(
                    "Same",
                    &[
                        field("a", "int"),
                        field_with_default(&format!("f{}", r % 9), "int", json!(0)),
                    ],
                )
            };
            (subject, schema)
        })
        .collect();
    let serial = spawn_app(app.backend).await;
    let mut serial_statuses = Vec::new();
    for target in [app, &serial] {
        for s in 0..6 {
            target.register(&format!("same-{s}"), &seed).await;
        }
    }
    for (subject, schema) in &requests {
        let r = serial
            .post(
                &format!("/subjects/{subject}/versions"),
                json!({ "schema": schema.to_string() }),
            )
            .await;
        serial_statuses.push(r.status.as_u16());
    }
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let mine: Vec<(usize, String, String)> = (0..EACH)
            .map(|i| {
                let r = client * EACH + i;
                let (subject, schema) = &requests[r];
                (
                    r,
                    app.url(&format!("/subjects/{subject}/versions")),
                    schema.to_string(),
                )
            })
            .collect();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut got = Vec::new();
            for (r, url, schema) in mine {
                let response = http
                    .post(url)
                    .header("Content-Type", "application/json")
                    .body(json!({ "schema": schema }).to_string())
                    .send()
                    .await
                    .unwrap();
                got.push((r, response.status().as_u16()));
            }
            got
        }));
    }
    let mut concurrent_statuses = vec![0; requests.len()];
    for task in tasks {
        for (r, status) in task.await.unwrap() {
            concurrent_statuses[r] = status;
        }
    }
    assert_eq!(concurrent_statuses, serial_statuses);
    assert!(serial_statuses.contains(&409) && serial_statuses.contains(&200));
    let concurrent_state = state(app).await;
    assert_eq!(concurrent_state, state(&serial).await);
    serial.cleanup().await;
}

/// Per subject, its versions' schemas as a sorted list (versions must be 1..=n); and that
/// every schema has one id and no two schemas share one.
async fn state(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let mut ids: HashMap<String, i64> = HashMap::new();
    let mut subjects = Vec::new();
    for s in 0..6 {
        let subject = format!("same-{s}");
        let versions = app
            .get(&format!("/subjects/{subject}/versions"))
            .await
            .assert_ok();
        let versions: Vec<i64> = versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(
            versions,
            (1..=versions.len() as i64).collect::<Vec<_>>(),
            "{subject}"
        );
        let mut schemas = Vec::new();
        for v in versions {
            let got = app
                .get(&format!("/subjects/{subject}/versions/{v}"))
                .await
                .assert_ok();
            let schema = got["schema"].as_str().unwrap().to_string();
            let id = got["id"].as_i64().unwrap();
            assert_eq!(
                *ids.entry(schema.clone()).or_insert(id),
                id,
                "one id per schema"
            );
            schemas.push(schema);
        }
        schemas.sort();
        subjects.push((subject, schemas));
    }
    let distinct: HashSet<i64> = ids.values().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "no two schemas share an id");
    subjects
}
