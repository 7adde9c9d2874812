//! `schemata import --from-kafka` over TLS (`security.protocol=SSL`, docs/migration.md §5.3),
//! end to end: tansu (whose TLS listener this build of it does not serve) behind a
//! TLS-terminating front made here with tokio-rustls, certificates made by rcgen. The front
//! requires a client certificate of the test CA; it passes connections that do not start
//! with a TLS ClientHello straight through, so the test writes the topic in plaintext at the
//! same advertised address. Checked: the import with the right CA and client certificate;
//! a wrong CA, a broker certificate for another name (and the same accepted with
//! `ssl.endpoint.identification.algorithm=none`), a missing client certificate, and an
//! encrypted key refused with its password never shown.

use crate::certs::{Authority, Pem, PemDir};
use crate::import::{schemata, text};
use crate::tansu::{avro, csr, Broker, T0};
use serde_json::json;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A TLS front to a broker's plaintext port, on `listener`; stops when dropped.
pub(crate) struct TlsFront(tokio::task::JoinHandle<()>);

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl TlsFront {
    /// Serve `server` (certificate and key), requiring a client certificate of `ca`.
    pub(crate) fn start(
        listener: TcpListener,
        backend: u16,
        server: &Pem,
        ca: &Authority,
    ) -> TlsFront {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca.cert_pem().as_bytes()).unwrap())
            .unwrap();
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(server.cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(server.key.as_bytes()).unwrap(),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        TlsFront(tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", backend)).await else {
                        return;
                    };
                    let mut first = [0u8; 1];
                    if inbound.peek(&mut first).await.unwrap_or(0) == 0 {
                        return;
                    }
                    // 0x16: a TLS handshake record; a Kafka request starts with its length.
                    if first[0] == 0x16 {
                        if let Ok(mut tls) = acceptor.accept(inbound).await {
                            let _ = tokio::io::copy_bidirectional(&mut tls, &mut outbound).await;
                        }
                    } else {
                        let mut inbound = inbound;
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }))
    }
}

/// A broker behind a TLS front presenting `server`, advertised as `localhost:PORT`.
async fn broker_behind_tls(server: &Pem, ca: &Authority) -> (Broker, TlsFront) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let advertised = format!("localhost:{}", listener.local_addr().unwrap().port());
    let broker = Broker::start_advertising(&[], Some(&advertised));
    let front = TlsFront::start(listener, broker.port, server, ca);
    (broker, front)
}

/// `import --from-kafka BOOTSTRAP` into `target`, each of `options` a `--kafka-option`.
pub(crate) async fn import(bootstrap: &str, target: &str, options: &[String]) -> Output {
    let mut args = vec![
        "import".to_string(),
        "--from-kafka".into(),
        bootstrap.into(),
        "--database-url".into(),
        target.into(),
    ];
    for option in options {
        args.push("--kafka-option".into());
        args.push(option.clone());
    }
    schemata(args).await
}

pub(crate) fn path(p: &Path) -> String {
    p.display().to_string()
}

#[tokio::test]
async fn a_topic_behind_tls_imports_with_the_right_ca_and_fails_clearly_otherwise() {
    let ca = Authority::new("Kafka test CA");
    let files = PemDir::new();
    let (broker, _front) = broker_behind_tls(&ca.server(), &ca).await;
    let topic = broker.topic("_schemas").await;
    topic
        .write(
            &csr::schema_key("tls-value", 1),
            Some(csr::schema(
                "tls-value",
                1,
                7,
                &avro("Tls", "t"),
                false,
                json!({}),
            )),
            T0,
        )
        .await;
    let ca_file = ca.write(&files, "ca.pem");
    let (client_cert, client_key) = ca.client("importer").write(&files, "client");
    let tls = |ca_file: &Path| {
        vec![
            "security.protocol=SSL".to_string(),
            format!("ssl.ca.location={}", path(ca_file)),
            format!("ssl.certificate.location={}", path(&client_cert)),
            format!("ssl.key.location={}", path(&client_key)),
            "socket.timeout.ms=3000".to_string(),
        ]
    };

    // The right CA and a client certificate: imported, verified.
    let dir = crate::common::Dir::new();
    let out = import(&broker.bootstrap, &dir.database_url(), &tls(&ca_file)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("verified:"), "{}", text(&out));
    assert!(text(&out).contains("1 versions"), "{}", text(&out));

    // A CA that did not sign the broker's certificate: an outage (3), saying why.
    let other = Authority::new("Another CA").write(&files, "other.pem");
    let dir = crate::common::Dir::new();
    let out = import(&broker.bootstrap, &dir.database_url(), &tls(&other)).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("invalid peer certificate: UnknownIssuer"),
        "{}",
        text(&out)
    );

    // Without the client certificate the broker's side refuses the handshake.
    let dir = crate::common::Dir::new();
    let without: Vec<String> = tls(&ca_file)
        .into_iter()
        .filter(|o| !o.starts_with("ssl.certificate") && !o.starts_with("ssl.key"))
        .collect();
    let out = import(&broker.bootstrap, &dir.database_url(), &without).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("cannot connect to Kafka"),
        "{}",
        text(&out)
    );

    // An encrypted key is refused before connecting (2), its password never shown.
    let encrypted = files.write(
        "encrypted.key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let mut options = tls(&ca_file);
    options[3] = format!("ssl.key.location={}", path(&encrypted));
    let out = import(&broker.bootstrap, &dir.database_url(), &options).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("the key is encrypted, which is not supported"),
        "{}",
        text(&out)
    );
    options.push("ssl.key.password=hunter2".into());
    let out = import(&broker.bootstrap, &dir.database_url(), &options).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("ssl.key.password: encrypted private keys are not supported"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
}

#[tokio::test]
async fn a_broker_certificate_for_another_name_is_refused_unless_names_are_not_checked() {
    let ca = Authority::new("Kafka test CA");
    let files = PemDir::new();
    // The broker is advertised as localhost; its certificate names only kafka.example.
    let (broker, _front) = broker_behind_tls(&ca.server_for(&["kafka.example"]), &ca).await;
    let topic = broker.topic("_schemas").await;
    topic
        .write(
            &csr::schema_key("named-value", 1),
            Some(csr::schema(
                "named-value",
                1,
                3,
                &avro("Named", "n"),
                false,
                json!({}),
            )),
            T0,
        )
        .await;
    let ca_file = ca.write(&files, "ca.pem");
    let (client_cert, client_key) = ca.client("importer").write(&files, "client");
    let mut options = vec![
        "security.protocol=SSL".to_string(),
        format!("ssl.ca.location={}", path(&ca_file)),
        format!("ssl.certificate.location={}", path(&client_cert)),
        format!("ssl.key.location={}", path(&client_key)),
        "socket.timeout.ms=3000".to_string(),
    ];
    let dir = crate::common::Dir::new();
    let out = import(&broker.bootstrap, &dir.database_url(), &options).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("certificate not valid for name \"localhost\""),
        "{}",
        text(&out)
    );
    options.push("ssl.endpoint.identification.algorithm=none".into());
    let out = import(&broker.bootstrap, &dir.database_url(), &options).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("verified:"), "{}", text(&out));
}
