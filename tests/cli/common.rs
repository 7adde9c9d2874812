//! Start the real registry on a random port (fresh SQLite file) behind a request counter, so
//! tests can prove that warm serializers make no network call.
#![allow(dead_code)]

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use schemata_client::{ClientConfig, SchemaRegistryClient};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
    schemata::api::tls::use_ring_by_default();
    reqwest::Client::new()
}

/// A port nothing listens on.
pub(crate) fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}
