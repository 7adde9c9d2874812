//! Start the real registry on a random port (fresh SQLite file) behind a request counter, so
//! tests can prove that warm serializers make no network call.
#![allow(dead_code)]

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use schemata_client::{ClientConfig, SchemaRegistryClient};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct Registry {
    pub url: String,
    requests: Arc<AtomicUsize>,
    dir: PathBuf,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Registry {
    /// Requests the server has received so far.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// A fresh client (empty caches) with quick retries.
    pub(crate) fn client(&self) -> SchemaRegistryClient {
        SchemaRegistryClient::new(
            ClientConfig::new(&self.url)
                .max_retries(1)
                .backoff(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .unwrap()
    }
}

pub(crate) async fn spawn_registry() -> Registry {
    let dir =
        std::env::temp_dir().join(format!("schemata_client_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("registry.db").display());
    let state = schemata::build_state(&url, Default::default(), &Default::default())
        .await
        .expect("start registry");
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let app =
        schemata::api::router(state).layer(middleware::from_fn(move |req: Request, next: Next| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let response: Response = next.run(req).await;
                response
            }
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Registry {
        url: format!("http://{addr}"),
        requests,
        dir,
    }
}

/// A plain reqwest client. reqwest is built with rustls but without a crypto provider of its
/// own (docs/tls.md §4), so one is chosen first.
pub(crate) fn http_client() -> reqwest::Client {
    schemata::api::tls::use_default_crypto();
    reqwest::Client::new()
}

/// A port nothing listens on.
pub(crate) fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A `schemata serve` process (the real binary) on a fresh SQLite file and a free port,
/// killed when dropped.
pub(crate) struct ServerProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    dir: PathBuf,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn start_server(extra: &[&str]) -> ServerProcess {
    let dir = std::env::temp_dir().join(format!("schemata_srv_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("registry.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(["serve", "--database-url", &url, "--listen", "127.0.0.1:0"])
        .args(["--log-format", "json"])
        .args(extra)
        .env("SCHEMATA_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let started = Instant::now();
    let mut line = String::new();
    let address = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never listened"
        );
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the server exited"
        );
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["fields"]["message"] == "schemata listening" {
            break event["fields"]["address"].as_str().unwrap().to_string();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in stderr.lines() {});
    ServerProcess {
        child,
        base: format!("http://{address}"),
        dir,
    }
}

/// A fresh directory under the system's temporary one, removed on drop.
pub(crate) struct Dir(pub PathBuf);

impl Dir {
    pub(crate) fn new() -> Dir {
        let dir =
            std::env::temp_dir().join(format!("schemata_cli_{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    /// Write `text` to the file `name` in it; its path.
    pub(crate) fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// A SQLite database in it.
    pub(crate) fn database_url(&self) -> String {
        format!("sqlite://{}", self.0.join("registry.db").display())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
