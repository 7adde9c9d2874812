//! PostgreSQL connections dying under a running server (a restart, a failover, a killed
//! backend): requests keep being answered, none with a 5xx.

use crate::common::*;
use serde_json::json;
use sqlx::Connection;

/// Kill every other backend connected to the app's database; returns how many went.
async fn kill_connections(app: &TestApp) -> i64 {
    let mut conn = sqlx::PgConnection::connect(&app.database_url)
        .await
        .expect("connect to the test database");
    let killed: i64 = sqlx::query_scalar(
        // CASE fixes the order: never terminate our own backend.
        "SELECT count(*) FILTER (WHERE CASE \
           WHEN datname = current_database() AND pid <> pg_backend_pid() \
           THEN pg_terminate_backend(pid) ELSE false END) \
         FROM pg_stat_activity",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    killed
}

fn versioned(n: usize) -> serde_json::Value {
    record(
        "Survivor",
        &[
            field("a", "int"),
            field_with_default(&format!("f{n}"), "int", json!(0)),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connections_are_replaced_without_failing_requests() {
    let app = spawn_app(Backend::Postgres).await;
    for n in 0..4 {
        app.register(&format!("before-{n}"), &versioned(n)).await;
    }
    for round in 0..3 {
        assert!(
            kill_connections(&app).await > 0,
            "the server held connections"
        );
        // Reads that go to the database, writes, settings: each answered normally.
        let subjects = app.get("/subjects").await.assert_ok();
        assert!(subjects.as_array().unwrap().len() >= 4, "{subjects}");
        app.register(&format!("after-{round}"), &versioned(10 + round))
            .await;
        app.put(
            &format!("/config/after-{round}"),
            json!({"compatibility": "FULL"}),
        )
        .await
        .assert_ok();
        assert_eq!(
            app.get(&format!("/config/after-{round}")).await.assert_ok(),
            json!({"compatibilityLevel": "FULL"})
        );
        // Many requests at once right after the loss, more than one connection's worth.
        kill_connections(&app).await;
        let mut tasks = Vec::new();
        for client in 0..12 {
            let base = app.base.clone();
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                let body = json!({ "schema": versioned(100 * round + client).to_string() });
                let response = http
                    .post(format!("{base}/subjects/burst-{round}-{client}/versions"))
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                (status, response.text().await.unwrap())
            }));
        }
        for task in tasks {
            let (status, text) = task.await.unwrap();
            assert_eq!(status, 200, "{text}");
        }
    }
    let listed = app.get("/subjects").await.assert_ok();
    assert_eq!(listed.as_array().unwrap().len(), 4 + 3 + 3 * 12, "{listed}");
    app.cleanup().await;
}

/// With the database gone, `/health` (which answers without credentials) says so in
/// general words: no host, user, database name or driver text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_database_is_reported_without_its_details() {
    let app = spawn_app(Backend::Postgres).await;
    assert_eq!(app.get("/health").await.assert_ok()["status"], "UP");
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    drop_database(Backend::Postgres, &app.database_url).await;
    for path in ["/health", "/subjects"] {
        let r = app.get(path).await;
        assert!(r.status.is_server_error(), "{path}: {}", r.text);
        assert_eq!(r.error_code(), 50001, "{path}");
        let message = r.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains("request id "), "{path}: {message}");
        for leak in [
            name.as_str(),
            "127.0.0.1",
            "schemata:",
            "does not exist",
            "password",
        ] {
            assert!(!message.contains(leak), "{path}: {message}");
        }
    }
}
