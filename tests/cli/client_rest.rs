//! The REST client: every endpoint it wraps, retries on 503, basic and bearer auth, timeouts.

use crate::common::spawn_registry;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use schemata_client::{
    ClientConfig, Error, Schema, SchemaRegistryClient, SchemaType, VersionSelector,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const V1: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
const V2: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]}"#;
const BAD: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#;

async fn stub(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn rest_surface() {
    let registry = spawn_registry().await;
    let client = registry.client();
    let v1 = Schema::new(SchemaType::Avro, V1);
    let v2 = Schema::new(SchemaType::Avro, V2);
    let id1 = client.register("s", &v1, false).await.unwrap();
    let before = registry.requests();
    assert_eq!(
        client.register("s", &v1, false).await.unwrap(),
        id1,
        "cached"
    );
    assert_eq!(registry.requests(), before);
    let id2 = client.register("s", &v2, false).await.unwrap();
    assert_eq!(client.get_versions("s").await.unwrap(), [1, 2]);
    assert_eq!(client.get_subjects(false).await.unwrap(), ["s"]);
    let found = client.lookup("s", &v1, false).await.unwrap();
    assert_eq!((found.id, found.version), (id1, 1));
    assert_eq!(
        client.get_by_id(id2).await.unwrap().schema_type,
        SchemaType::Avro
    );
    let latest = client.get_latest_version("s").await.unwrap();
    assert_eq!((latest.version, latest.id), (2, id2));
    assert_eq!(client.get_version("s", 1).await.unwrap().id, id1);

    let ok = client
        .test_compatibility("s", VersionSelector::Latest, &v2)
        .await
        .unwrap();
    assert!(ok.is_compatible);
    let bad = client
        .test_compatibility(
            "s",
            VersionSelector::All,
            &Schema::new(SchemaType::Avro, BAD),
        )
        .await
        .unwrap();
    assert!(!bad.is_compatible);
    assert!(!bad.messages.is_empty());
    let numbered = client
        .test_compatibility(
            "s",
            VersionSelector::Number(1),
            &Schema::new(SchemaType::Avro, BAD),
        )
        .await
        .unwrap();
    assert!(!numbered.is_compatible);

    assert_eq!(client.get_compatibility(None).await.unwrap(), "BACKWARD");
    assert_eq!(
        client.set_compatibility(Some("s"), "FULL").await.unwrap(),
        "FULL"
    );
    assert_eq!(client.get_compatibility(Some("s")).await.unwrap(), "FULL");
    client.delete_config("s").await.unwrap();
    assert_eq!(
        client.get_compatibility(Some("s")).await.unwrap(),
        "BACKWARD"
    );
    assert_eq!(client.get_mode(None).await.unwrap(), "READWRITE");
    assert_eq!(
        client.set_mode(Some("s"), "READONLY", false).await.unwrap(),
        "READONLY"
    );
    assert_eq!(client.get_mode(Some("s")).await.unwrap(), "READONLY");
    let err = client
        .register("s", &Schema::new(SchemaType::Avro, r#""string""#), false)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some(42205), "{err:?}");
    client
        .set_mode(Some("s"), "READWRITE", false)
        .await
        .unwrap();

    assert_eq!(client.delete_version("s", 2, false).await.unwrap(), 2);
    assert_eq!(client.get_versions("s").await.unwrap(), [1]);
    assert_eq!(client.delete_subject("s", false).await.unwrap(), [1]);
    // The hard delete removes the soft-deleted version 2 as well.
    assert_eq!(client.delete_subject("s", true).await.unwrap(), [1, 2]);
    let err = client.get_version("s", 1).await.unwrap_err();
    assert_eq!(err.error_code(), Some(40401), "{err:?}");
    assert!(matches!(err, Error::Registry { status: 404, .. }));
    // Subjects with characters that need escaping.
    let odd = "a/b c?d";
    client.register(odd, &v1, false).await.unwrap();
    assert_eq!(client.get_versions(odd).await.unwrap(), [1]);
}

#[tokio::test]
async fn retries_on_503_then_succeeds() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new().route(
        "/subjects",
        get(move || {
            let c = c.clone();
            async move {
                if c.fetch_add(1, Ordering::SeqCst) < 2 {
                    (StatusCode::SERVICE_UNAVAILABLE, "busy".to_owned())
                } else {
                    (StatusCode::OK, r#"["x"]"#.to_owned())
                }
            }
        }),
    );
    let url = stub(app).await;
    let client = SchemaRegistryClient::new(
        ClientConfig::new(&url)
            .max_retries(3)
            .backoff(Duration::from_millis(5), Duration::from_millis(20)),
    )
    .unwrap();
    assert_eq!(client.get_subjects(false).await.unwrap(), ["x"]);
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // Not retried: 4xx. Too many 503s: Unavailable naming the last status.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new()
        .route(
            "/subjects",
            get(move || {
                let c = c.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        r#"{"error_code":50003,"message":"down"}"#,
                    )
                }
            }),
        )
        .route(
            "/schemas/ids/{id}",
            get(|| async {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    r#"{"error_code":42202,"message":"nope"}"#,
                )
            }),
        );
    let url = stub(app).await;
    let client = SchemaRegistryClient::new(
        ClientConfig::new(&url)
            .max_retries(2)
            .backoff(Duration::from_millis(5), Duration::from_millis(20)),
    )
    .unwrap();
    let err = client.get_subjects(false).await.unwrap_err();
    assert!(
        matches!(err, Error::Unavailable { attempts: 3, ref last } if last.contains("50003")),
        "{err:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let err = client.get_by_id(1).await.unwrap_err();
    assert_eq!(
        err,
        Error::Registry {
            status: 422,
            error_code: 42202,
            message: "nope".into()
        }
    );
}

#[tokio::test]
async fn basic_and_bearer_auth() {
    let app = Router::new().route(
        "/subjects",
        get(|headers: HeaderMap| async move {
            match headers.get("authorization").and_then(|v| v.to_str().ok()) {
                Some("Basic dXNlcjpwYXNz") => (StatusCode::OK, r#"["basic"]"#),
                Some("Bearer tok") => (StatusCode::OK, r#"["bearer"]"#),
                _ => (
                    StatusCode::UNAUTHORIZED,
                    r#"{"error_code":40101,"message":"Unauthorized"}"#,
                ),
            }
        }),
    );
    let url = stub(app).await;
    let basic =
        SchemaRegistryClient::new(ClientConfig::new(&url).basic_auth("user", "pass")).unwrap();
    assert_eq!(basic.get_subjects(false).await.unwrap(), ["basic"]);
    let bearer = SchemaRegistryClient::new(ClientConfig::new(&url).bearer_auth("tok")).unwrap();
    assert_eq!(bearer.get_subjects(false).await.unwrap(), ["bearer"]);
    let none = SchemaRegistryClient::from_url(&url).unwrap();
    assert_eq!(
        none.get_subjects(false).await.unwrap_err().error_code(),
        Some(40101)
    );
    // Secrets stay out of Debug output.
    assert!(!format!("{:?}", basic.config()).contains("pass"));
}

#[tokio::test]
async fn timeout_is_a_transport_error() {
    let app = Router::new().route(
        "/subjects",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "[]"
        }),
    );
    let url = stub(app).await;
    let client = SchemaRegistryClient::new(
        ClientConfig::new(&url)
            .max_retries(0)
            .timeouts(Duration::from_millis(200), Duration::from_millis(200)),
    )
    .unwrap();
    assert!(matches!(
        client.get_subjects(false).await,
        Err(Error::Unavailable { attempts: 1, .. })
    ));
}
