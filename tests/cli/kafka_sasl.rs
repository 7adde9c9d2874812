//! `schemata import --from-kafka` and `serve --follow-kafka` with SASL (docs/migration.md
//! §5.3, §5.4), end to end. tansu's own SASL (`--authentication`) offers SCRAM (and
//! OAUTHBEARER), not PLAIN, and with the storage of this build knows no user: against it a
//! SCRAM login is refused, which is checked as the refusal by a real broker. The logins that
//! succeed go through the test's SASL front (sasl_front.rs) before tansu: PLAIN,
//! SCRAM-SHA-256 and SCRAM-SHA-512 with the right password import; a wrong password and an
//! unknown user fail with exit 3, saying so, the password never shown; SASL_SSL through the
//! TLS front of kafka_tls.rs, then the SASL front; and a follower that logs in with SCRAM
//! serves the topic, and with a wrong password does not start.

use crate::certs::{Authority, PemDir};
use crate::follow_kafka::serve;
use crate::import::text;
use crate::kafka_tls::{import, path, TlsFront};
use crate::sasl_front::{SaslFront, User};
use crate::tansu::{avro, csr, Broker, T0};
use rskafka::client::{Credentials, SaslConfig};
use serde_json::json;
use tokio::net::TcpListener;

const USER: &str = "reader";
/// The right password; it, and the wrong ones, all contain `hunter2` for the checks.
const PASSWORD: &str = "hunter2-right";

/// The options of a login with `mechanism` as `user`; `protocol` SASL_PLAINTEXT or SASL_SSL.
fn login(protocol: &str, mechanism: &str, user: &str, password: &str) -> Vec<String> {
    vec![
        format!("security.protocol={protocol}"),
        format!("sasl.mechanism={mechanism}"),
        format!("sasl.username={user}"),
        format!("sasl.password={password}"),
        "socket.timeout.ms=1500".into(),
    ]
}

/// A broker advertised at `advertised` behind a SASL front on `sasl` (which may itself be
/// behind another front at `advertised`).
fn broker_behind(advertised: &str, sasl: TcpListener) -> (Broker, SaslFront) {
    let broker = Broker::start_advertising(&[], Some(advertised));
    let user = User {
        name: USER.into(),
        password: PASSWORD.into(),
    };
    let front = SaslFront::start(sasl, broker.port, user);
    (broker, front)
}

/// `_schemas` with one version, written through the fronts as the front's user.
async fn write_topic(broker: &Broker) {
    let credentials = Credentials::new(USER.into(), PASSWORD.into());
    let topic = broker
        .topic_as("_schemas", Some(SaslConfig::ScramSha256(credentials)))
        .await;
    topic
        .write(
            &csr::schema_key("sasl-value", 1),
            Some(csr::schema(
                "sasl-value",
                1,
                11,
                &avro("Sasl", "s"),
                false,
                json!({}),
            )),
            T0,
        )
        .await;
}

/// A broker behind the SASL front alone, the topic written.
async fn broker_behind_sasl() -> (Broker, SaslFront) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let advertised = listener.local_addr().unwrap().to_string();
    let (broker, front) = broker_behind(&advertised, listener);
    write_topic(&broker).await;
    (broker, front)
}

/// Imported into a fresh SQLite file with `options`: the one version, verified.
async fn imports(bootstrap: &str, options: &[String]) {
    let dir = crate::common::Dir::new();
    let out = import(bootstrap, &dir.database_url(), options).await;
    assert_eq!(out.status.code(), Some(0), "{options:?}: {}", text(&out));
    assert!(text(&out).contains("verified:"), "{}", text(&out));
    assert!(text(&out).contains("1 versions"), "{}", text(&out));
}

/// Refused with exit 3 and `expected` in the message, no password shown.
async fn refused(bootstrap: &str, options: &[String], expected: &str) {
    let dir = crate::common::Dir::new();
    let out = import(bootstrap, &dir.database_url(), options).await;
    assert_eq!(out.status.code(), Some(3), "{options:?}: {}", text(&out));
    assert!(text(&out).contains(expected), "{options:?}: {}", text(&out));
    let said = "failed: check sasl.mechanism, sasl.username and sasl.password";
    assert!(text(&out).contains(said), "{options:?}: {}", text(&out));
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
}

#[tokio::test]
async fn each_mechanism_imports_with_the_right_password() {
    let (broker, _front) = broker_behind_sasl().await;
    for mechanism in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
        imports(
            &broker.bootstrap,
            &login("SASL_PLAINTEXT", mechanism, USER, PASSWORD),
        )
        .await;
    }
}

#[tokio::test]
async fn a_wrong_password_or_an_unknown_user_fails_clearly_without_the_password() {
    let (broker, _front) = broker_behind_sasl().await;
    for mechanism in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let wrong = login("SASL_PLAINTEXT", mechanism, USER, "hunter2-wrong");
        refused(&broker.bootstrap, &wrong, "SaslAuthenticationFailed").await;
    }
    let unknown = login("SASL_PLAINTEXT", "SCRAM-SHA-256", "nobody", PASSWORD);
    refused(&broker.bootstrap, &unknown, "SaslAuthenticationFailed").await;
    // Without SASL the front lets nothing past the handshake.
    let dir = crate::common::Dir::new();
    let plain = ["socket.timeout.ms=1500".to_string()];
    let out = import(&broker.bootstrap, &dir.database_url(), &plain).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[tokio::test]
async fn the_brokers_own_scram_refuses_a_user_it_does_not_know() {
    let broker = Broker::start(&["--authentication"]);
    for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let options = login("SASL_PLAINTEXT", mechanism, USER, PASSWORD);
        refused(&broker.bootstrap, &options, "unknown user").await;
    }
}

#[tokio::test]
async fn sasl_ssl_logs_in_inside_tls() {
    let ca = Authority::new("Kafka SASL test CA");
    let files = PemDir::new();
    let tls_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let advertised = format!("localhost:{}", tls_listener.local_addr().unwrap().port());
    let sasl_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sasl_port = sasl_listener.local_addr().unwrap().port();
    let (broker, _sasl) = broker_behind(&advertised, sasl_listener);
    let _tls = TlsFront::start(tls_listener, sasl_port, &ca.server(), &ca);
    write_topic(&broker).await;
    let ca_file = ca.write(&files, "ca.pem");
    let (cert, key) = ca.client("importer").write(&files, "client");
    let with_tls = |mut options: Vec<String>| {
        options.push(format!("ssl.ca.location={}", path(&ca_file)));
        options.push(format!("ssl.certificate.location={}", path(&cert)));
        options.push(format!("ssl.key.location={}", path(&key)));
        options
    };
    let right = with_tls(login("SASL_SSL", "SCRAM-SHA-512", USER, PASSWORD));
    imports(&broker.bootstrap, &right).await;
    let wrong = with_tls(login("SASL_SSL", "SCRAM-SHA-512", USER, "hunter2-wrong"));
    refused(&broker.bootstrap, &wrong, "SaslAuthenticationFailed").await;
}

#[tokio::test]
async fn a_follower_logs_in_with_scram() {
    let (broker, _front) = broker_behind_sasl().await;
    let dir = crate::common::Dir::new();
    let config = dir.write(
        "client.properties",
        &format!(
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\n\
             sasl.username={USER}\nsasl.password={PASSWORD}\n"
        ),
    );
    let server = serve(
        &dir.database_url(),
        &[
            "--follow-kafka",
            &broker.bootstrap,
            "--kafka-config",
            &config,
        ],
    )
    .await;
    let (_, follow) = server
        .until("/v1/follow", |_, body| body["lagRecords"] == 0)
        .await;
    assert_eq!(follow["following"], true, "{follow}");
    assert_eq!(follow["recordsApplied"], 1, "{follow}");
    let (status, versions) = server
        .until("/subjects/sasl-value/versions", |_, _| true)
        .await;
    assert_eq!((status, versions), (200, json!([1])));

    // With a wrong password the follower does not start, and says why.
    let other = crate::common::Dir::new();
    let database_url = other.database_url();
    let mut args = [
        "serve",
        "--database-url",
        &database_url,
        "--listen",
        "127.0.0.1:0",
    ]
    .map(String::from)
    .to_vec();
    args.extend(["--follow-kafka".to_string(), broker.bootstrap.clone()]);
    for option in login("SASL_PLAINTEXT", "SCRAM-SHA-256", USER, "hunter2-wrong") {
        args.extend(["--kafka-option".to_string(), option]);
    }
    let out = crate::import::schemata(args).await;
    let output = text(&out);
    assert!(!out.status.success(), "{output}");
    assert!(
        output.contains("cannot follow the storage topic")
            && output.contains("the SASL login as \"reader\" with SCRAM-SHA-256 failed"),
        "{output}"
    );
    assert!(!output.contains("hunter2"), "{output}");
}
