//! The rate limit (`--rate-limit`) over real HTTP: a burst, then 429/42901 with
//! `Retry-After`; one bucket per principal, or per address without authentication;
//! `/health` never limited; the table of clients bounded. The rate is tiny (one request
//! per 100 s) so that no bucket refills while a test runs, whatever the machine's speed.

use crate::authorization::{secured_with, Secured};
use crate::common::*;
use reqwest::{Method, StatusCode};
use schemata::api::rate_limit::RateLimit;
use schemata::registry::RegistryOptions;
use std::sync::Arc;

fn slow(clients: usize) -> Option<Arc<RateLimit>> {
    Some(Arc::new(RateLimit::new(0.01, 2.0).clients(clients)))
}

fn assert_limited(status: StatusCode, retry_after: Option<&str>, body: &str) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["error_code"], 42901, "{body}");
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!(seconds >= 1, "{seconds}");
}

async fn limited(app: &Secured, user: &str) {
    let response = reqwest::Client::new()
        .get(format!("{}/subjects", app.base))
        .basic_auth(user, Some("pw"))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    assert_limited(
        status,
        retry_after.as_deref(),
        &response.text().await.unwrap(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_principal_has_its_own_bucket() {
    let app = secured_with(Backend::Sqlite, None, |state| state.rate_limit = slow(100)).await;
    for _ in 0..2 {
        app.get("alice", "/subjects").await.assert_ok();
    }
    limited(&app, "alice").await;
    // bob's bucket is his own; a request without credentials is answered 401 first.
    app.get("bob", "/subjects").await.assert_ok();
    let anonymous = app.send(None, Method::GET, "/subjects", None).await;
    anonymous.assert_error(401, 40101);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_tracked_are_bounded() {
    let app = secured_with(Backend::Sqlite, None, |state| state.rate_limit = slow(2)).await;
    app.get("alice", "/subjects").await.assert_ok();
    app.get("bob", "/subjects").await.assert_ok();
    // Both buckets are far from refilled: a third client finds no room.
    limited(&app, "carol").await;
    app.get("alice", "/subjects").await.assert_ok();
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_authentication_the_address_is_limited_but_never_health() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let _dir = dir;
    let mut state = schemata::build_state(&url, RegistryOptions::default(), &store_options(2))
        .await
        .unwrap();
    state.rate_limit = slow(100);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(schemata::api::serve(listener, state));
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let ok = client.get(format!("{base}/subjects")).send().await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }
    let over = client
        .get(format!("{base}/schemas/types"))
        .send()
        .await
        .unwrap();
    let (status, retry_after) = (over.status(), over.headers().get("retry-after").cloned());
    let retry_after = retry_after.map(|v| v.to_str().unwrap().to_string());
    assert_limited(status, retry_after.as_deref(), &over.text().await.unwrap());
    for _ in 0..5 {
        let health = client.get(format!("{base}/health")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
    }
}
