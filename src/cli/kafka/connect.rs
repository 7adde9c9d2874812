//! The connection to the Kafka cluster that holds a registry's storage topic: the
//! connection options as librdkafka names them (`--kafka-option KEY=VALUE`, `--kafka-config
//! FILE`), refused clearly when this build cannot honour them, and the reading of the
//! topic's one partition (docs/migration.md §5).

use anyhow::{bail, Context as _};
use rskafka::client::partition::{OffsetAt, PartitionClient, UnknownTopicHandling};
use rskafka::client::{ClientBuilder, Credentials, SaslConfig};
use rskafka::BackoffConfig;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls::ClientConfig;

use super::tls::{self, Relay, TlsOptions};

/// How long a request to the cluster is retried before the read fails, unless
/// `socket.timeout.ms` says otherwise.
const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// The bounds of `socket.timeout.ms`: 10 ms to an hour.
const TIMEOUT_MS: std::ops::RangeInclusive<u64> = 10..=3_600_000;
/// Bytes asked for in one fetch (a record larger than this still comes whole, alone).
const FETCH_BYTES: i32 = 4 << 20;
/// The largest response accepted from a broker.
const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Consecutive empty fetches below the end offset before the read gives up.
const MAX_EMPTY_FETCHES: u32 = 20;

/// The options this build understands, as librdkafka names them.
const SUPPORTED: &str = "security.protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), sasl.username, sasl.password, ssl.ca.location, ssl.certificate.location, ssl.key.location, ssl.endpoint.identification.algorithm (https, none), socket.timeout.ms, client.id";

/// Where the storage topic is and how to reach it.
#[derive(Clone)]
pub(in crate::cli) struct KafkaSource {
    pub bootstrap: Vec<String>,
    pub topic: String,
    client_id: String,
    sasl: Option<Sasl>,
    /// TLS to the brokers (SSL, SASL_SSL), through the relay of `tls.rs`.
    tls: Option<Arc<ClientConfig>>,
    /// How long a request is retried (`socket.timeout.ms`).
    timeout: Duration,
}

#[derive(Clone)]
struct Sasl {
    mechanism: Mechanism,
    username: String,
    password: String,
}

#[derive(Debug, Clone, Copy)]
enum Mechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl Mechanism {
    /// The name `sasl.mechanism` gives it.
    fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// Never shows the password.
impl fmt::Debug for KafkaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaSource")
            .field("bootstrap", &self.bootstrap)
            .field("topic", &self.topic)
            .field("client_id", &self.client_id)
            .field(
                "sasl",
                &self
                    .sasl
                    .as_ref()
                    .map(|s| format!("{:?} as {}", s.mechanism, s.username)),
            )
            .field("tls", &self.tls.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One record of the topic as the broker holds it.
#[derive(Debug, Clone)]
pub(in crate::cli) struct RawRecord {
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// The record's timestamp, milliseconds since the epoch.
    pub timestamp: i64,
}

impl KafkaSource {
    /// The source from `--from-kafka`/`--follow-kafka`, `--topic`, `--kafka-config` and
    /// `--kafka-option` (the latter win). Unknown or unsupported options are refused.
    pub(in crate::cli) fn new(
        bootstrap: &str,
        topic: &str,
        config_file: Option<&Path>,
        options: &[String],
    ) -> anyhow::Result<Self> {
        let bootstrap: Vec<String> = bootstrap
            .split(',')
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty())
            .collect();
        if bootstrap.is_empty() {
            bail!("no Kafka bootstrap server given");
        }
        if topic.is_empty() {
            bail!("the --topic name is empty");
        }
        let mut pairs = Vec::new();
        if let Some(path) = config_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the Kafka config {}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                    continue;
                }
                let (key, value) = line
                    .split_once('=')
                    .with_context(|| format!("{} line {}: not KEY=VALUE", path.display(), n + 1))?;
                pairs.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
        for option in options {
            let (key, value) = option
                .split_once('=')
                .with_context(|| format!("--kafka-option {:?} is not KEY=VALUE", redact(option)))?;
            pairs.push((key.trim().to_string(), value.to_string()));
        }
        Self::from_pairs(bootstrap, topic, pairs)
    }

    fn from_pairs(
        bootstrap: Vec<String>,
        topic: &str,
        pairs: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        let mut protocol = "PLAINTEXT".to_string();
        let mut mechanism = None;
        let (mut username, mut password) = (None, None);
        let mut client_id = format!("schemata-{}", env!("CARGO_PKG_VERSION"));
        let mut ssl = TlsOptions {
            check_name: true,
            ..Default::default()
        };
        let mut ssl_given = None;
        let mut timeout_ms = DEFAULT_TIMEOUT_MS;
        for (key, value) in pairs {
            if key.starts_with("ssl.") {
                ssl_given = Some(key.clone());
            }
            match key.as_str() {
                "security.protocol" => protocol = value.to_ascii_uppercase(),
                "sasl.mechanism" | "sasl.mechanisms" => mechanism = Some(value.to_ascii_uppercase()),
                "sasl.username" => username = Some(value),
                "sasl.password" => password = Some(value),
                "client.id" => client_id = value,
                "ssl.ca.location" => ssl.ca = Some(value),
                "ssl.certificate.location" => ssl.certificate = Some(value),
                "ssl.key.location" => ssl.key = Some(value),
                "ssl.key.password" => ssl.key_password_given = true,
                "ssl.endpoint.identification.algorithm" => {
                    ssl.check_name = match value.to_ascii_lowercase().as_str() {
                        "https" => true,
                        "none" => false,
                        _ => bail!(
                            "ssl.endpoint.identification.algorithm {value:?}: https (the default) or none"
                        ),
                    }
                }
                "socket.timeout.ms" => {
                    timeout_ms = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|ms| TIMEOUT_MS.contains(ms))
                        .with_context(|| {
                            format!(
                                "socket.timeout.ms {value:?}: milliseconds from {} to {}",
                                TIMEOUT_MS.start(),
                                TIMEOUT_MS.end()
                            )
                        })?
                }
                "bootstrap.servers" => bail!("give the bootstrap servers as the flag's value, not as bootstrap.servers"),
                k => bail!("unsupported Kafka option {k}; supported: {SUPPORTED}"),
            }
        }
        let (with_sasl, with_tls) = match protocol.as_str() {
            "PLAINTEXT" => (false, false),
            "SSL" => (false, true),
            "SASL_PLAINTEXT" => (true, false),
            "SASL_SSL" => (true, true),
            other => bail!(
                "unknown security.protocol {other}; supported: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"
            ),
        };
        let sasl = if with_sasl {
            let mechanism = match mechanism.as_deref().unwrap_or("PLAIN") {
                "PLAIN" => Mechanism::Plain,
                "SCRAM-SHA-256" => Mechanism::ScramSha256,
                "SCRAM-SHA-512" => Mechanism::ScramSha512,
                other => bail!(
                    "sasl.mechanism {other} is not supported; supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"
                ),
            };
            let (Some(username), Some(password)) = (username, password) else {
                bail!("security.protocol={protocol} needs sasl.username and sasl.password");
            };
            Some(Sasl {
                mechanism,
                username,
                password,
            })
        } else {
            if mechanism.is_some() || username.is_some() || password.is_some() {
                bail!("sasl.* options need security.protocol=SASL_PLAINTEXT or SASL_SSL");
            }
            None
        };
        let tls = if with_tls {
            Some(tls::client_config(&ssl)?)
        } else {
            if let Some(key) = ssl_given {
                bail!("Kafka option {key} needs security.protocol=SSL or SASL_SSL");
            }
            None
        };
        Ok(KafkaSource {
            bootstrap,
            topic: topic.to_string(),
            client_id,
            sasl,
            tls,
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    /// `BOOTSTRAP/topic`, for messages.
    pub(in crate::cli) fn describe(&self) -> String {
        format!("topic {} on {}", self.topic, self.bootstrap.join(","))
    }

    /// Connect and open the topic's partition 0. A topic that does not exist is an error
    /// (asked by listing topics first, so a broker that creates topics on first use does
    /// not create it); a topic of more than one partition is read from partition 0 only, as
    /// the registries write it.
    pub(in crate::cli) async fn open(&self) -> anyhow::Result<TopicReader> {
        let mut builder = ClientBuilder::new(self.bootstrap.clone())
            .client_id(self.client_id.clone())
            .max_message_size(MAX_MESSAGE_BYTES)
            .backoff_config(BackoffConfig {
                deadline: Some(self.timeout),
                max_backoff: Duration::from_secs(2),
                ..Default::default()
            });
        let relay = match &self.tls {
            Some(config) => {
                let relay = Relay::start(config.clone(), self.timeout).await?;
                builder = builder.socks5_proxy(relay.address());
                Some(relay)
            }
            None => None,
        };
        // A broker the relay could not reach over TLS: its reason, which the client only
        // knows as a failed proxy connection.
        let why = |e: anyhow::Error| match relay.as_ref().and_then(Relay::last_error) {
            Some(tls) => e.context(tls),
            None => e,
        };
        if let Some(sasl) = &self.sasl {
            let credentials = Credentials::new(sasl.username.clone(), sasl.password.clone());
            builder = builder.sasl_config(match sasl.mechanism {
                Mechanism::Plain => SaslConfig::Plain(credentials),
                Mechanism::ScramSha256 => SaslConfig::ScramSha256(credentials),
                Mechanism::ScramSha512 => SaslConfig::ScramSha512(credentials),
            });
        }
        let client = builder
            .build()
            .await
            .with_context(|| format!("cannot connect to Kafka at {}", self.bootstrap.join(",")))
            .map_err(why)
            .map_err(|e| self.login_failed(e))?;
        let topics = client
            .list_topics()
            .await
            .with_context(|| format!("cannot list the topics of {}", self.bootstrap.join(",")))
            .map_err(why)?;
        let Some(topic) = topics.iter().find(|t| t.name == self.topic) else {
            bail!("{} does not exist", self.describe());
        };
        if !topic.partitions.contains(&0) {
            bail!("{} has no partition 0", self.describe());
        }
        if topic.partitions.len() > 1 {
            tracing::warn!(topic = %self.topic, partitions = topic.partitions.len(),
                "the storage topic has more than one partition; reading partition 0, where the registries write");
        }
        let partition = client
            .partition_client(self.topic.clone(), 0, UnknownTopicHandling::Error)
            .await
            .with_context(|| format!("cannot open {}", self.describe()))
            .map_err(why)?;
        let next = partition
            .get_offset(OffsetAt::Earliest)
            .await
            .with_context(|| format!("cannot read the first offset of {}", self.describe()))
            .map_err(why)?;
        Ok(TopicReader {
            partition,
            next,
            describe: self.describe(),
            _relay: relay,
        })
    }

    /// A failed SASL login said as such, with what to check: the client reports it only as
    /// a connection that failed its "Sasl handshake" (a wrong password, an unknown user, or a
    /// mechanism the broker does not offer). The password is not named.
    fn login_failed(&self, e: anyhow::Error) -> anyhow::Error {
        match &self.sasl {
            Some(sasl) if format!("{e:#}").contains("Sasl handshake failed") => e.context(format!(
                "the SASL login as {:?} with {} failed: check sasl.mechanism, sasl.username and \
                 sasl.password",
                sasl.username,
                sasl.mechanism.name()
            )),
            _ => e,
        }
    }
}

/// `KEY=VALUE` with the value hidden when the key names a password.
fn redact(option: &str) -> String {
    match option.split_once('=') {
        Some((key, _)) if key.contains("password") => format!("{key}=****"),
        _ if option.contains("password") => "****".into(),
        _ => option.to_string(),
    }
}

/// Reads the partition in order, from its first offset.
pub(in crate::cli) struct TopicReader {
    partition: PartitionClient,
    /// The next offset to read.
    next: i64,
    describe: String,
    /// TLS to the brokers, for as long as the reader reads.
    _relay: Option<Relay>,
}

impl TopicReader {
    /// The offset the next record will have once written (the end of the partition).
    pub(in crate::cli) async fn end(&self) -> anyhow::Result<i64> {
        self.partition
            .get_offset(OffsetAt::Latest)
            .await
            .with_context(|| format!("cannot read the end offset of {}", self.describe))
    }

    /// The offset of the next record this reader returns.
    pub(in crate::cli) fn position(&self) -> i64 {
        self.next
    }

    /// The records after the position, waiting up to `wait` for some to arrive; and the
    /// partition's high watermark as the broker reported it.
    pub(in crate::cli) async fn fetch(
        &mut self,
        wait: Duration,
    ) -> anyhow::Result<(Vec<RawRecord>, i64)> {
        let wait_ms = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
        let (records, high_watermark) = self
            .partition
            .fetch_records(self.next, 1..FETCH_BYTES, wait_ms)
            .await
            .with_context(|| format!("cannot read {} at offset {}", self.describe, self.next))?;
        let records: Vec<RawRecord> = records
            .into_iter()
            .filter(|r| r.offset >= self.next)
            .map(|r| RawRecord {
                offset: r.offset,
                key: r.record.key,
                value: r.record.value,
                timestamp: r.record.timestamp.timestamp_millis(),
            })
            .collect();
        if let Some(last) = records.last() {
            self.next = last.offset + 1;
        }
        Ok((records, high_watermark))
    }

    /// Every record up to the end offset as it was when called, handed to `each` in order.
    pub(in crate::cli) async fn read_to_end(
        &mut self,
        mut each: impl FnMut(RawRecord) -> anyhow::Result<()>,
    ) -> anyhow::Result<u64> {
        let end = self.end().await?;
        let mut read = 0u64;
        let mut empty = 0;
        while self.next < end {
            let (records, _) = self.fetch(Duration::from_millis(500)).await?;
            if records.is_empty() {
                empty += 1;
                if empty >= MAX_EMPTY_FETCHES {
                    bail!(
                        "{}: no record between offset {} and the end offset {end}",
                        self.describe,
                        self.next
                    );
                }
                continue;
            }
            empty = 0;
            for record in records {
                read += 1;
                each(record)?;
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::KafkaSource;

    fn source(options: &[&str]) -> anyhow::Result<KafkaSource> {
        let options: Vec<String> = options.iter().map(|s| s.to_string()).collect();
        KafkaSource::new("k1:9092, k2:9092", "_schemas", None, &options)
    }

    #[test]
    fn options_as_librdkafka_names_them() {
        let plain = source(&[]).unwrap();
        assert_eq!(plain.bootstrap, ["k1:9092", "k2:9092"]);
        assert!(plain.sasl.is_none());
        let scram = source(&[
            "security.protocol=sasl_plaintext",
            "sasl.mechanism=SCRAM-SHA-512",
            "sasl.username=reader",
            "sasl.password=s3cr=t",
        ])
        .unwrap();
        let sasl = scram.sasl.as_ref().unwrap();
        assert_eq!(sasl.password, "s3cr=t");
        assert!(!format!("{scram:?}").contains("s3cr"), "{scram:?}");
        assert_eq!(scram.timeout, std::time::Duration::from_secs(30));
        let quick = source(&["socket.timeout.ms=1500"]).unwrap();
        assert_eq!(quick.timeout, std::time::Duration::from_millis(1500));
        assert!(quick.tls.is_none());
    }

    #[test]
    fn what_cannot_be_honoured_is_refused_by_name() {
        let refused = |options: &[&str], expected: &str| {
            let e = source(options).unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        };
        refused(
            &["security.protocol=SASL_SSL"],
            "SASL_SSL needs sasl.username and sasl.password",
        );
        refused(
            &["ssl.ca.location=/ca.pem"],
            "ssl.ca.location needs security.protocol=SSL or SASL_SSL",
        );
        refused(
            &["security.protocol=SSL", "ssl.key.password=hunter2"],
            "encrypted private keys are not supported",
        );
        refused(
            &[
                "security.protocol=SSL",
                "ssl.ca.location=/nonexistent/ca.pem",
            ],
            "ssl.ca.location /nonexistent/ca.pem: cannot read PEM certificates",
        );
        refused(
            &[
                "security.protocol=SSL",
                "ssl.endpoint.identification.algorithm=maybe",
            ],
            "https (the default) or none",
        );
        refused(&["socket.timeout.ms=0"], "milliseconds from 10 to 3600000");
        refused(
            &["socket.timeout.ms=soon"],
            "milliseconds from 10 to 3600000",
        );
        refused(
            &["security.protocol=QUIC"],
            "unknown security.protocol QUIC",
        );
        refused(
            &["fetch.wait.max.ms=10"],
            "unsupported Kafka option fetch.wait.max.ms",
        );
        refused(
            &[
                "security.protocol=SASL_PLAINTEXT",
                "sasl.mechanism=GSSAPI",
                "sasl.username=u",
                "sasl.password=hunter2",
            ],
            "GSSAPI is not supported",
        );
        refused(
            &["security.protocol=SASL_PLAINTEXT", "sasl.username=u"],
            "needs sasl.username and sasl.password",
        );
        refused(
            &["sasl.password=hunter2"],
            "need security.protocol=SASL_PLAINTEXT",
        );
        refused(&["sasl.passwordhunter2"], "is not KEY=VALUE");
    }
}
