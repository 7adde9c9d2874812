//! HTTP basic authentication over real HTTP: the same credentials clients send with
//! `basic.auth.user.info`, checked before any route runs, and the users file re-read while
//! the server runs.

use crate::common::*;
use reqwest::StatusCode;
use schemata::api::auth::{argon2id_line, Authentication, BasicAuth};
use schemata::registry::RegistryOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// The users file is re-read while the server runs (docs/rest-api.md §10): a changed
/// password or a removed user is refused from then on, although its last success was
/// remembered; a file that does not parse keeps the users in force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_file_is_reread_while_the_server_runs() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let dir = dir.expect("SQLite has a directory");
    let users_path = dir.0.join("users.txt");
    let old = argon2id_line("old-Secret-1").unwrap();
    let new = argon2id_line("new-Secret-2").unwrap();
    std::fs::write(&users_path, format!("alice: {old},admin\nbob: look\n")).unwrap();
    let mut state = schemata::build_state(&url, RegistryOptions::default(), &store_options(4))
        .await
        .expect("start registry");
    let basic = BasicAuth::load(&users_path)
        .unwrap()
        .poll_every(Duration::from_millis(100));
    state.auth = Some(Arc::new(Authentication::new("*").with_basic(basic)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(schemata::api::serve(listener, state));
    let client = reqwest::Client::new();
    let status = async |user: &str, password: &str| {
        client
            .get(format!("{base}/subjects"))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap()
            .status()
    };
    // Verified once, then remembered (docs/rest-api.md §10).
    assert_eq!(status("alice", "old-Secret-1").await, StatusCode::OK);
    assert_eq!(status("alice", "old-Secret-1").await, StatusCode::OK);
    assert_eq!(status("bob", "look").await, StatusCode::OK);

    // alice's password changes and bob goes: the remembered success does not outlive it.
    std::fs::write(&users_path, format!("alice: {new},admin\n")).unwrap();
    let started = Instant::now();
    while status("alice", "new-Secret-2").await != StatusCode::OK {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never reloaded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status("alice", "old-Secret-1").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status("bob", "look").await, StatusCode::UNAUTHORIZED);

    // A broken file (a malformed digest on line 2) keeps the users in force.
    std::fs::write(
        &users_path,
        format!("alice: {old},admin\ncarol: MD5:not-hex\n"),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status("alice", "new-Secret-2").await, StatusCode::OK);
    assert_eq!(
        status("alice", "old-Secret-1").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status("carol", "x").await, StatusCode::UNAUTHORIZED);
}
