//! Test harness: start the real application on a random port against a fresh database
//! (a new PostgreSQL database, or a new SQLite file) and talk to it over HTTP.
#![allow(dead_code)]

use reqwest::{Client, Method, Response, StatusCode};
use schemata::registry::RegistryOptions;
use serde_json::{json, Value};
use sqlx::Connection;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Admin connection for creating per-test databases. CI creates this role; locally the
/// project machines trust-authenticate `postgres`.
pub(crate) fn postgres_admin_url() -> String {
    std::env::var("SCHEMATA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) struct TestApp {
    pub base: String,
    pub client: Client,
    pub database_url: String,
    pub backend: Backend,
    _tempdir: Option<TempDir>,
}

/// A directory removed when the test ends.
pub(crate) struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A fresh, empty database URL for the backend.
pub(crate) async fn fresh_database(backend: Backend) -> (String, Option<TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(unique_name("schemata_test"));
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}", dir.join("registry.db").display());
            (url, Some(TempDir(dir)))
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = unique_name("schemata_test");
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL admin database");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let (prefix, _) = admin.rsplit_once('/').expect("admin URL has a database");
            (format!("{prefix}/{name}"), None)
        }
    }
}

pub(crate) async fn spawn_on(
    database_url: &str,
    backend: Backend,
    settings: RegistryOptions,
) -> TestApp {
    let state = schemata::build_state(database_url, settings, &store_options(16))
        .await
        .expect("start registry");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(schemata::api::serve(listener, state));
    TestApp {
        base: format!("http://{addr}"),
        client: Client::new(),
        database_url: database_url.to_string(),
        backend,
        _tempdir: None,
    }
}

/// The store options of the test servers: a small pool.
pub(crate) fn store_options(max_connections: u32) -> schemata::store::StoreOptions {
    schemata::store::StoreOptions {
        max_connections: Some(max_connections),
        ..Default::default()
    }
}

pub(crate) async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, RegistryOptions::default()).await
}

pub(crate) async fn spawn_app_with(backend: Backend, settings: RegistryOptions) -> TestApp {
    let (url, dir) = fresh_database(backend).await;
    let mut app = spawn_on(&url, backend, settings).await;
    app._tempdir = dir;
    app
}

/// A response reduced to what tests assert on.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub text: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub(crate) fn error_code(&self) -> i64 {
        self.json()["error_code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no error_code in {}", self.text))
    }

    /// Assert an error in the envelope with this status and code.
    pub(crate) fn assert_error(&self, status: u16, code: i64) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.error_code(), code, "body: {}", self.text);
        assert!(
            self.json()["message"].is_string(),
            "message missing: {}",
            self.text
        );
    }

    pub(crate) fn assert_ok(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.text);
        self.json()
    }
}

/// The status, content type and body of a response.
pub(crate) async fn reply(response: Response) -> Reply {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.unwrap();
    Reply {
        status,
        content_type,
        text,
    }
}

impl TestApp {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json");
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        reply(req.send().await.expect("request")).await
    }

    /// Send raw bytes over TCP and return the whole response as text (the server must close
    /// the connection: send `Connection: close` unless the answer closes it anyway).
    pub(crate) async fn raw_http(&self, request: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        stream.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    pub(crate) async fn raw(&self, req: reqwest::RequestBuilder) -> Reply {
        reply(req.send().await.expect("request")).await
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None).await
    }

    /// Register an Avro schema (JSON value) and return its id.
    pub(crate) async fn register(&self, subject: &str, schema: &Value) -> i64 {
        let r = self
            .post(
                &format!("/subjects/{subject}/versions"),
                json!({ "schema": schema.to_string() }),
            )
            .await;
        r.assert_ok()["id"].as_i64().unwrap()
    }

    pub(crate) async fn register_body(&self, subject: &str, body: Value) -> Reply {
        self.post(&format!("/subjects/{subject}/versions"), body)
            .await
    }

    /// Drop a per-test Postgres database.
    pub(crate) async fn cleanup(self) {
        drop_database(self.backend, &self.database_url).await;
    }
}

/// Drop a PostgreSQL database made by [`fresh_database`] (a SQLite file goes with its
/// [`TempDir`]).
pub(crate) async fn drop_database(backend: Backend, database_url: &str) {
    if backend == Backend::Postgres {
        let name = database_url.rsplit('/').next().unwrap().to_string();
        if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

/// An Avro record schema with the given (name, type) fields and optional defaults.
pub(crate) fn record(name: &str, fields: &[Value]) -> Value {
    json!({ "type": "record", "name": name, "fields": fields })
}

pub(crate) fn field(name: &str, ty: &str) -> Value {
    json!({ "name": name, "type": ty })
}

pub(crate) fn field_with_default(name: &str, ty: &str, default: Value) -> Value {
    json!({ "name": name, "type": ty, "default": default })
}

/// Generate one `#[tokio::test]` per backend for an `async fn(TestApp)` scenario.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let app = $crate::common::spawn_app($crate::common::Backend::Sqlite).await;
                    super::$scenario(&app).await;
                    app.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let app = $crate::common::spawn_app($crate::common::Backend::Postgres).await;
                    super::$scenario(&app).await;
                    app.cleanup().await;
                }
            )*
        }
    };
}
