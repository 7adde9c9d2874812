//! The audit log (`--audit-log`) over real HTTP, on both backends: a line for each change
//! and each refusal, with its fields, there as soon as the response is; never a credential.

use crate::authorization::{schema, secured_with, Secured, ACL};
use crate::common::*;
use base64::Engine;
use reqwest::Method;
use schemata::api::audit::AuditLog;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_and_refusals_are_recorded_on_sqlite() {
    changes_and_refusals_are_recorded(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_and_refusals_are_recorded_on_postgres() {
    changes_and_refusals_are_recorded(Backend::Postgres).await;
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

async fn changes_and_refusals_are_recorded(backend: Backend) {
    let dir =
        std::env::temp_dir().join(format!("schemata_audit_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let _dir = TempDir(dir.clone());
    let path = dir.join("audit.log");
    let log = Arc::new(AuditLog::open(path.to_str().unwrap()).unwrap());
    let app: Secured = secured_with(backend, Some(ACL), |state| state.audit = Some(log)).await;

    let registered = app
        .register("admin", "orders-value", &schema("O"))
        .await
        .assert_ok();
    // Flushed before the response was sent: the line is there now.
    let first = lines(&path);
    assert_eq!(first.len(), 1, "{first:?}");
    let line = &first[0];
    assert_eq!(line["principal"], "admin");
    assert_eq!(line["method"], "POST");
    assert_eq!(line["path"], "/subjects/orders-value/versions");
    assert_eq!(line["operation"], "register");
    assert_eq!(line["subject"], "orders-value");
    assert_eq!(line["version"], 1);
    assert_eq!(line["id"], registered["id"]);
    assert_eq!(line["status"], 200);
    assert!(
        line["remote"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{line}"
    );
    let request_id = line["request_id"].as_str().unwrap();
    assert!(request_id.len() == 32 && request_id.chars().all(|c| c.is_ascii_hexdigit()));
    let time = line["time"].as_str().unwrap();
    assert!(
        time.len() == 24 && time.ends_with('Z') && &time[10..11] == "T",
        "{time}"
    );

    // Reads are not recorded: listings, versions, lookups, compatibility checks.
    app.get("admin", "/subjects").await.assert_ok();
    app.get("alice", "/subjects/orders-value/versions")
        .await
        .assert_ok();
    let body = Some(json!({"schema": schema("O")}));
    app.send(
        Some("alice"),
        Method::POST,
        "/subjects/orders-value",
        body.clone(),
    )
    .await
    .assert_ok();
    app.send(
        Some("alice"),
        Method::POST,
        "/compatibility/subjects/orders-value/versions",
        body,
    )
    .await
    .assert_ok();
    assert_eq!(lines(&path).len(), 1);

    // Refusals: 403 with the operation and subject, 401 without a principal.
    let denied = app.register("alice", "payments-value", &schema("P")).await;
    denied.assert_error(403, 40301);
    app.send(None, Method::GET, "/subjects", None)
        .await
        .assert_error(401, 40101);
    let client = reqwest::Client::new();
    let wrong = client
        .get(format!("{}/subjects", app.base))
        .basic_auth("alice", Some("Wr0ngSecret-4711"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let token = client
        .get(format!("{}/subjects", app.base))
        .bearer_auth("tok.SECRET.9876")
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 401);

    // Changes of every kind, whatever their outcome.
    let put =
        |path: &'static str, body: Value| app.send(Some("admin"), Method::PUT, path, Some(body));
    put("/config/orders-value", json!({"compatibility": "NONE"}))
        .await
        .assert_ok();
    put("/mode/orders-value", json!({"mode": "READWRITE"}))
        .await
        .assert_ok();
    app.send(
        Some("bob"),
        Method::DELETE,
        "/subjects/orders-value/versions/1",
        None,
    )
    .await
    .assert_ok();
    let again = app
        .send(
            Some("bob"),
            Method::DELETE,
            "/subjects/orders-value/versions/1",
            None,
        )
        .await;
    again.assert_error(404, 40406);

    let all = lines(&path);
    let summary: Vec<(Value, Value, Value, Value)> = all
        .iter()
        .map(|l| {
            (
                l["principal"].clone(),
                l["operation"].clone(),
                l["subject"].clone(),
                l["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                json!("admin"),
                json!("register"),
                json!("orders-value"),
                json!(200)
            ),
            (
                json!("alice"),
                json!("write"),
                json!("payments-value"),
                json!(403)
            ),
            (Value::Null, json!("authenticate"), Value::Null, json!(401)),
            (Value::Null, json!("authenticate"), Value::Null, json!(401)),
            (Value::Null, json!("authenticate"), Value::Null, json!(401)),
            (
                json!("admin"),
                json!("config_write"),
                json!("orders-value"),
                json!(200)
            ),
            (
                json!("admin"),
                json!("mode_write"),
                json!("orders-value"),
                json!(200)
            ),
            (
                json!("bob"),
                json!("delete_version"),
                json!("orders-value"),
                json!(200)
            ),
            (
                json!("bob"),
                json!("delete_version"),
                json!("orders-value"),
                json!(404)
            ),
        ]
    );
    assert_eq!(all[7]["version"], 1);
    let ids: std::collections::HashSet<&str> = all
        .iter()
        .map(|l| l["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), all.len(), "one id per record");

    // No credential, in any form, reached the file.
    let text = std::fs::read_to_string(&path).unwrap();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for secret in [
        "Wr0ngSecret-4711".to_string(),
        b64("alice:Wr0ngSecret-4711"),
        "tok.SECRET.9876".to_string(),
        b64("admin:pw"),
        b64("alice:pw"),
        "Basic ".to_string(),
        "Bearer".to_string(),
    ] {
        assert!(!text.contains(&secret), "{secret} in the audit log");
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_are_recorded_as_imports_on_sqlite() {
    imports_are_recorded_as_imports(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_are_recorded_as_imports_on_postgres() {
    imports_are_recorded_as_imports(Backend::Postgres).await;
}

/// A registration carrying its own id is an import (docs/rest-api.md §3.7): recorded as
/// `import` whatever its outcome, with the id and version it was written under.
async fn imports_are_recorded_as_imports(backend: Backend) {
    let dir =
        std::env::temp_dir().join(format!("schemata_audit_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let _dir = TempDir(dir.clone());
    let path = dir.join("audit.log");
    let log = Arc::new(AuditLog::open(path.to_str().unwrap()).unwrap());
    let app: Secured = secured_with(backend, Some(ACL), |state| state.audit = Some(log)).await;
    let post = |user: &'static str, body: Value| {
        app.send(
            Some(user),
            Method::POST,
            "/subjects/imp/versions",
            Some(body),
        )
    };
    let imported = json!({"schema": schema("Imp"), "id": 100, "version": 7});

    // Not in IMPORT mode yet: refused, and still recorded as the import it tried to be.
    post("admin", imported.clone())
        .await
        .assert_error(422, 42205);
    app.send(
        Some("admin"),
        Method::PUT,
        "/mode/imp",
        Some(json!({"mode": "IMPORT"})),
    )
    .await
    .assert_ok();
    let answer = post("admin", imported.clone()).await.assert_ok();
    assert_eq!(
        (answer["id"].clone(), answer["version"].clone()),
        (json!(100), json!(7))
    );
    // Without an id, a registration is a registration (and IMPORT mode refuses it).
    post("admin", json!({"schema": schema("Other")}))
        .await
        .assert_error(422, 42205);
    // An ACL refusal is named by the ACL's operation, as every refusal is.
    post("alice", imported).await.assert_error(403, 40301);

    let all = lines(&path);
    let summary: Vec<(Value, Value, Value)> = all
        .iter()
        .map(|l| {
            (
                l["operation"].clone(),
                l["subject"].clone(),
                l["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!("import"), json!("imp"), json!(422)),
            (json!("mode_write"), json!("imp"), json!(200)),
            (json!("import"), json!("imp"), json!(200)),
            (json!("register"), json!("imp"), json!(422)),
            (json!("write"), json!("imp"), json!(403)),
        ]
    );
    assert_eq!(
        (all[2]["id"].clone(), all[2]["version"].clone()),
        (json!(100), json!(7))
    );
    assert_eq!(all[2]["principal"], "admin");
    app.cleanup().await;
}
