//! HTTPS over real connections (docs/tls.md): certificates made by the test with rcgen, a
//! server started with them, and clients that trust its CA, speak HTTP/1.1 or HTTP/2 (ALPN),
//! and present client certificates from the right CA, another CA, or none.

#[path = "../lib/certs.rs"]
mod certs;

use crate::common::*;
use certs::{Authority, Pem, PemDir};
use reqwest::{StatusCode, Version};
use schemata::api::auth::{Authentication, BasicAuth};
use schemata::api::tls::{Tls, TlsFiles};
use schemata::registry::RegistryOptions;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// A server on HTTPS with `ca`'s certificate; with `client_ca`, client certificates are
/// required. Returns its base URL and what must live as long as it.
async fn spawn_https(
    ca: &Authority,
    client_ca: Option<&Authority>,
    auth: Option<Authentication>,
    header_read_timeout: Duration,
) -> (String, PemDir, TempDir) {
    let pem = PemDir::new();
    let (cert, key) = ca.server().write(&pem, "server");
    let client_ca = client_ca.map(|ca| ca.write(&pem, "client-ca.pem"));
    let tls = Tls::load(TlsFiles {
        cert,
        key,
        client_ca,
    })
    .unwrap();
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let mut state = schemata::build_state(&url, RegistryOptions::default(), &store_options(4))
        .await
        .expect("start registry");
    state.tls = Some(Arc::new(tls));
    state.auth = auth.map(Arc::new);
    state.limits.header_read_timeout = header_read_timeout;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(schemata::api::serve(listener, state));
    (base, pem, dir.expect("SQLite has a directory"))
}

/// A client trusting only `ca`, presenting `identity` if any.
fn client(ca: &Authority, identity: Option<&Pem>, http1_only: bool) -> reqwest::Client {
    let _ = tokio_rustls::rustls::crypto::aws_lc_rs::default_provider().install_default();
    let roots = reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).unwrap();
    let mut builder = reqwest::Client::builder()
        .tls_backend_rustls()
        .tls_certs_only([roots]);
    if let Some(pem) = identity {
        let both = format!("{}\n{}", pem.cert, pem.key);
        builder = builder.identity(reqwest::Identity::from_pem(both.as_bytes()).unwrap());
    }
    if http1_only {
        builder = builder.http1_only();
    }
    builder.build().unwrap()
}

/// The full cause chain of a failed request.
fn causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn https_with_a_custom_ca_speaks_http1_and_http2() {
    let ca = Authority::new("Schemata test CA");
    let (base, _pem, _dir) = spawn_https(&ca, None, None, Duration::from_secs(20)).await;
    let schema = serde_json::json!({"schema": "\"string\""});

    let http2 = client(&ca, None, false);
    let registered = http2
        .post(format!("{base}/subjects/s/versions"))
        .json(&schema)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.version(), Version::HTTP_2, "ALPN chose h2");
    assert_eq!(registered.status(), StatusCode::OK);
    assert_eq!(
        registered.json::<serde_json::Value>().await.unwrap()["id"],
        1
    );

    let http1 = client(&ca, None, true);
    let read = http1
        .get(format!("{base}/subjects/s/versions/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.version(), Version::HTTP_11);
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(
        read.json::<serde_json::Value>().await.unwrap()["schema"],
        "\"string\""
    );

    // Errors keep their envelope over HTTP/2.
    let missing = http2
        .get(format!("{base}/subjects/nope/versions"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.json::<serde_json::Value>().await.unwrap()["error_code"],
        40401
    );
}

#[tokio::test]
async fn a_client_that_trusts_another_ca_is_refused_at_the_handshake() {
    let ca = Authority::new("Schemata test CA");
    let (base, _pem, _dir) = spawn_https(&ca, None, None, Duration::from_secs(20)).await;
    let stranger = client(&Authority::new("Another CA"), None, false);
    let error = stranger
        .get(format!("{base}/subjects"))
        .send()
        .await
        .unwrap_err();
    let causes = causes(&error);
    assert!(causes.contains("UnknownIssuer"), "{causes}");
    // Plain HTTP to the HTTPS port gets no answer.
    let plain = reqwest::Client::new()
        .get(base.replace("https://", "http://") + "/subjects")
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
}

#[tokio::test]
async fn client_certificates_from_the_client_ca_only() {
    let ca = Authority::new("Schemata test CA");
    let clients = Authority::new("Clients CA");
    let auth = Authentication::new("*").with_certificates();
    let (base, _pem, _dir) =
        spawn_https(&ca, Some(&clients), Some(auth), Duration::from_secs(20)).await;
    let url = format!("{base}/subjects");

    let anonymous = client(&ca, None, false).get(&url).send().await;
    let error = anonymous.expect_err("no client certificate: refused");
    refused_by_the_server(&error, "CertificateRequired");

    let forged = clients_of(&Authority::new("Another CA"), &ca, "alice");
    let error = forged
        .get(&url)
        .send()
        .await
        .expect_err("another CA: refused");
    refused_by_the_server(&error, "UnknownCA");

    for http1_only in [false, true] {
        let alice = client(&ca, Some(&clients.client("alice")), http1_only);
        let answer = alice.get(&url).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.text().await.unwrap(), "[]");
    }
}

/// Under TLS 1.3 the server judges the client's certificate after the client has finished
/// its side of the handshake, so the client reads either the server's alert or, when it
/// wrote its request first, only that the connection (or hyper's channel to it) closed.
fn refused_by_the_server(error: &reqwest::Error, alert: &str) {
    let causes = causes(error);
    assert!(
        causes.contains(alert) || causes.contains(" closed"),
        "{causes}"
    );
}

fn clients_of(issuer: &Authority, server_ca: &Authority, name: &str) -> reqwest::Client {
    client(server_ca, Some(&issuer.client(name)), false)
}

#[tokio::test]
async fn the_certificate_cn_is_the_principal_unless_an_authorization_header_is_sent() {
    let ca = Authority::new("Schemata test CA");
    let clients = Authority::new("Clients CA");
    // Only `admin` is let in: a certificate principal holds no role, so the answer names
    // who the server took the request to come from.
    let auth = Authentication::new("admin")
        .with_basic(BasicAuth::parse("root: s3cret,admin\n").unwrap())
        .with_certificates();
    let (base, _pem, _dir) =
        spawn_https(&ca, Some(&clients), Some(auth), Duration::from_secs(20)).await;
    let alice = client(&ca, Some(&clients.client("alice")), false);

    let refused = alice.get(format!("{base}/subjects")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error_code"], 40301);
    assert_eq!(
        body["message"],
        "User alice is not allowed to use this registry"
    );

    let as_root = alice
        .get(format!("{base}/subjects"))
        .basic_auth("root", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        as_root.status(),
        StatusCode::OK,
        "the header is judged alone"
    );
    let wrong = alice
        .get(format!("{base}/subjects"))
        .basic_auth("root", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // Probes pass without a principal (the certificate is still required by TLS).
    let health = alice.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// Read until the server closes the connection; bounded, so a server that never closes
/// fails the test instead of hanging it.
async fn closed_by_the_server(mut stream: impl tokio::io::AsyncRead + Unpin) {
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept the connection open");
}

#[tokio::test]
async fn a_client_that_connects_and_sends_nothing_is_closed() {
    let ca = Authority::new("Schemata test CA");
    let (base, _pem, _dir) = spawn_https(&ca, None, None, Duration::from_secs(1)).await;
    let address = base.trim_start_matches("https://");
    let silent = tokio::net::TcpStream::connect(address).await.unwrap();
    closed_by_the_server(silent).await;
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed() {
    use tokio_rustls::rustls::{self, pki_types::ServerName};
    let ca = Authority::new("Schemata test CA");
    let (base, _pem, _dir) = spawn_https(&ca, None, None, Duration::from_secs(1)).await;
    let address = base.trim_start_matches("https://");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(ca.cert_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    // Handshake done, HTTP/2 chosen, and then nothing: the server closes it.
    closed_by_the_server(tls).await;
}
