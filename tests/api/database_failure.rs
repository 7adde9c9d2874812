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

/// With the database gone, `/ready` (which answers without credentials) says so in general
/// words: no host, user, database name or driver text; `/health` (liveness) still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_database_is_reported_without_its_details() {
    let app = spawn_app(Backend::Postgres).await;
    assert_eq!(app.get("/ready").await.assert_ok()["status"], "UP");
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    drop_database(Backend::Postgres, &app.database_url).await;
    assert_eq!(app.get("/health").await.assert_ok()["status"], "UP");
    for path in ["/ready", "/subjects"] {
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

/// A TCP proxy between the server and PostgreSQL that, once armed, lets the next `COMMIT`
/// reach the database and then cuts the connection before the answer gets back: the commit
/// happened, and the server sees a lost connection (and runs the request again).
struct CommitCutter {
    addr: std::net::SocketAddr,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CommitCutter {
    async fn start(upstream: String) -> CommitCutter {
        use std::sync::atomic::{AtomicBool, AtomicUsize};
        use std::sync::Arc;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (armed, cuts) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        let cutter = CommitCutter {
            addr: listener.local_addr().unwrap(),
            armed: armed.clone(),
            cuts: cuts.clone(),
        };
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
                tokio::spawn(pipe(client, server, armed.clone(), cuts.clone()));
            }
        });
        cutter
    }

    fn arm(&self) {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn cuts(&self) -> usize {
        self.cuts.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// `url` (a database of the local PostgreSQL) through this proxy, without TLS so the
    /// proxy can see the statements.
    fn route(&self, url: &str) -> String {
        let (head, database) = url.rsplit_once('/').unwrap();
        let (credentials, _) = head.rsplit_once('@').unwrap();
        format!("{credentials}@{}/{database}?sslmode=disable", self.addr)
    }
}

/// Copy bytes both ways; when armed and this connection has sent `COMMIT`, drop the
/// database's answer and close both sides.
async fn pipe(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let committing = std::sync::Arc::new(AtomicBool::new(false));
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let sent = committing.clone();
    let upward = tokio::spawn(async move {
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = client_read.read(&mut buffer).await {
            if buffer[..n].windows(6).any(|w| w == b"COMMIT") {
                sent.store(true, Ordering::SeqCst);
            }
            if server_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    });
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n @ 1..) = server_read.read(&mut buffer).await {
        if committing.swap(false, Ordering::SeqCst) && armed.swap(false, Ordering::SeqCst) {
            cuts.fetch_add(1, Ordering::SeqCst);
            break;
        }
        if client_write.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    upward.abort();
}

/// Issue 15, defect 1: `DELETE .../versions/latest` whose commit reached the database but
/// whose answer was lost is run again by the server; the second run must not delete the
/// next-newest version too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_delete_of_latest_deletes_one_version() {
    let (url, _) = fresh_database(Backend::Postgres).await;
    let upstream = url
        .split('@')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let proxy = CommitCutter::start(upstream).await;
    let app = spawn_on(&proxy.route(&url), Backend::Postgres, Default::default()).await;
    for n in 0..3 {
        app.register("orders", &versioned(n)).await;
    }
    proxy.arm();
    let r = app.delete("/subjects/orders/versions/latest").await;
    assert_eq!(proxy.cuts(), 1, "the commit's answer was cut: {}", r.text);
    // The second run finds the version the first one deleted: answered as already gone.
    r.assert_error(404, 40406);
    let live = app.get("/subjects/orders/versions").await.assert_ok();
    assert_eq!(live, json!([1, 2]), "exactly one version was deleted");
    let all = app
        .get("/subjects/orders/versions?deleted=true")
        .await
        .assert_ok();
    assert_eq!(all, json!([1, 2, 3]));
    drop_database(Backend::Postgres, &url).await;
}
