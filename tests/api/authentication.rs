//! HTTP basic authentication over real HTTP: the same credentials clients send with
//! `basic.auth.user.info`, checked before any route runs.

use crate::common::*;
use reqwest::StatusCode;
use schemata::api::auth::{Authentication, BasicAuth};
use schemata::registry::RegistryOptions;
use std::sync::Arc;

const USERS: &str = "admin: s3cret,admin\nviewer: look,reader\n";

async fn spawn_with_auth(roles: &str) -> (String, TempDir) {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let mut state = schemata::build_state(&url, RegistryOptions::default(), &store_options(4))
        .await
        .expect("start registry");
    state.auth = Some(Arc::new(
        Authentication::new(roles).with_basic(BasicAuth::parse(USERS).unwrap()),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(schemata::api::serve(listener, state));
    (base, dir.expect("SQLite has a directory"))
}

#[tokio::test]
async fn requests_need_the_credentials_of_an_allowed_user() {
    let (base, _dir) = spawn_with_auth("admin").await;
    let client = reqwest::Client::new();
    let schema = serde_json::json!({"schema": "\"string\""});

    let anonymous = client
        .post(format!("{base}/subjects/s/versions"))
        .json(&schema)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Basic realm=\"schemata\""
    );
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["error_code"], 40101);

    let wrong = client
        .get(format!("{base}/subjects"))
        .basic_auth("admin", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let not_allowed = client
        .get(format!("{base}/subjects"))
        .basic_auth("viewer", Some("look"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_allowed.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = not_allowed.json().await.unwrap();
    assert_eq!(body["error_code"], 40301);

    let registered = client
        .post(format!("{base}/subjects/s/versions"))
        .basic_auth("admin", Some("s3cret"))
        .json(&schema)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::OK);
    let id = registered.json::<serde_json::Value>().await.unwrap()["id"].clone();
    assert_eq!(id, 1);

    // Nothing was written by the refused attempts: one subject, one version.
    let versions = client
        .get(format!("{base}/subjects/s/versions"))
        .basic_auth("admin", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!([1])
    );

    // Health probes need no credentials.
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn any_known_user_is_let_in_when_every_role_is_allowed() {
    let (base, _dir) = spawn_with_auth("*").await;
    let reply = reqwest::Client::new()
        .get(format!("{base}/subjects"))
        .basic_auth("viewer", Some("look"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
}
