//! The command line's options and their `SCHEMATA_*` environment variables, in one place
//! (clap derive + env). The registry's defaults come from `RegistryOptions`, so each is
//! written once.

use crate::api::auth::BearerOptions;
use crate::api::limits::ServerLimits;
use crate::registry::RegistryOptions;
use crate::store::{SqliteSynchronous, StoreOptions};
use clap::{ArgGroup, Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "schemata",
    version,
    about = "A Confluent-compatible schema registry"
)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log lines as human-readable text or as one JSON object each (for log pipelines).
    /// Logs always go to stderr, in colour only on a terminal and never with NO_COLOR.
    #[arg(
        long,
        global = true,
        env = "SCHEMATA_LOG_FORMAT",
        default_value = "text",
        value_parser = ["text", "json"]
    )]
    pub log_format: String,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Run the registry server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Check a schema's compatibility: offline against files, or against a registry subject.
    /// Exit 0 compatible, 1 incompatible, 2 invalid input or usage, 3 registry unreachable.
    Check(CheckArgs),
    /// Register a schema under a subject and print its id and version.
    Register(RegisterArgs),
    /// Read one JSON value on stdin, write one Confluent wire-format message on stdout.
    Encode(EncodeArgs),
    /// Read one Confluent wire-format message on stdin, write it as JSON on stdout.
    Decode(DecodeArgs),
    /// Ask a running server whether it is alive (or, with --ready, ready to serve): exit 0
    /// yes, 1 no. For container HEALTHCHECKs; needs no curl.
    Health(HealthArgs),
    /// Read a password on stdin (not echoed on a terminal, where it is asked twice) and print
    /// the `--basic-auth-file` line for USER with its argon2id hash, `USER: $argon2id$...`.
    /// Roles are appended by hand: `USER: $argon2id$...,admin,developer`.
    Passwd(PasswdArgs),
    /// Write everything in the database (schemas with their ids and versions, deletions,
    /// contexts, configs, modes) as JSON lines, format `schemata-export` version 1
    /// (docs/migration.md).
    Export(ExportArgs),
    /// Copy a registry into the database with every id and version kept: from an export
    /// file, or from any registry speaking Confluent's REST API. Checks for conflicts first
    /// (exit 1, nothing written), skips what is already there (a re-run is a no-op, an
    /// interrupted run resumes), and verifies at the end.
    Import(ImportArgs),
    /// Show the follower's status of a `serve --follow-kafka` server as JSON; with --stop,
    /// stop following (the cut-over): the server takes writes from then on. Exit 1 when it
    /// stopped behind the topic's end, or was not following.
    Follow(FollowArgs),
}

#[derive(Debug, Clone, Args)]
pub(super) struct FollowArgs {
    /// Stop following (POST /v1/follow/stop) instead of showing the status.
    #[arg(long)]
    pub stop: bool,
    /// With --stop, no server: remove the follower's mark from this database (left by a
    /// follower that crashed), so that its servers take writes again. Only when no server
    /// follows on it any more.
    #[arg(long = "database-url", requires = "stop", value_name = "URL")]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Args)]
pub(super) struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Write to this file (written beside it, then renamed) instead of stdout.
    #[arg(long, env = "SCHEMATA_EXPORT_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["from_file", "from", "from_kafka"])))]
pub(super) struct ImportArgs {
    /// The target database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Import a `schemata export` file.
    #[arg(long, env = "SCHEMATA_IMPORT_FILE", value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// Import from a registry's REST API (Confluent Schema Registry, Karapace, Redpanda,
    /// Apicurio's ccompat API, Schemata); --basic-auth or --bearer-token authenticate.
    /// (--registry-url is not used by import.)
    #[arg(long, env = "SCHEMATA_IMPORT_FROM", value_name = "URL")]
    pub from: Option<String>,
    /// Import from the Kafka storage topic of Confluent Schema Registry or Karapace
    /// (bootstrap servers, comma-separated), which also holds what REST cannot show: the
    /// permanently deleted history. See --topic, --kafka-option, --kafka-config.
    #[arg(long, env = "SCHEMATA_IMPORT_FROM_KAFKA", value_name = "BOOTSTRAP")]
    pub from_kafka: Option<String>,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// With --from: put the source's default context into this context of the target
    /// (other contexts keep their names; the source's `.__GLOBAL` settings are not copied).
    #[arg(
        long,
        env = "SCHEMATA_IMPORT_CONTEXT",
        value_name = "CONTEXT",
        requires = "from"
    )]
    pub context: Option<String>,
    /// With --from: only subjects matching one of these glob patterns (`*`, `?`), plus the
    /// subjects their schemas reference.
    #[arg(long, env = "SCHEMATA_IMPORT_SUBJECTS", value_name = "PATTERN", num_args = 1.., value_delimiter = ',', requires = "from")]
    pub subjects: Vec<String>,
    /// Write through this Schemata's REST API (IMPORT-mode registrations with their ids)
    /// instead of into --database-url; registration times are then the target's.
    #[arg(long, env = "SCHEMATA_IMPORT_TO", value_name = "URL")]
    pub to: Option<String>,
    /// With --to: the target's basic auth, USER:PASSWORD.
    #[arg(
        long,
        env = "SCHEMATA_IMPORT_TO_BASIC_AUTH",
        hide_env_values = true,
        requires = "to"
    )]
    pub to_basic_auth: Option<String>,
    /// With --to: the target's bearer token.
    #[arg(
        long,
        env = "SCHEMATA_IMPORT_TO_BEARER_TOKEN",
        hide_env_values = true,
        requires = "to"
    )]
    pub to_bearer_token: Option<String>,
    /// Check and count, report conflicts, write nothing.
    #[arg(long, env = "SCHEMATA_IMPORT_DRY_RUN")]
    pub dry_run: bool,
    /// No progress on stderr (a bar on a terminal, lines otherwise); conflicts, warnings
    /// and errors still show, and the plan and summary on stdout.
    #[arg(long, env = "SCHEMATA_IMPORT_QUIET")]
    pub quiet: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// The storage topic and how to reach its cluster (`import --from-kafka`, `serve
/// --follow-kafka`; docs/migration.md §5).
#[derive(Debug, Clone, Args)]
pub(super) struct KafkaArgs {
    /// With --from-kafka or --follow-kafka: the registry's storage topic.
    #[arg(long, env = "SCHEMATA_KAFKA_TOPIC", default_value = "_schemas")]
    pub topic: String,
    /// With --from-kafka or --follow-kafka: a Kafka connection option as librdkafka names
    /// it, KEY=VALUE, repeated: security.protocol (PLAINTEXT, SSL, SASL_PLAINTEXT,
    /// SASL_SSL), sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), sasl.username,
    /// sasl.password, ssl.ca.location, ssl.certificate.location, ssl.key.location (an
    /// unencrypted key), ssl.endpoint.identification.algorithm (https, none),
    /// socket.timeout.ms, client.id. TLS is Linux-only (docs/migration.md §5.3).
    #[arg(long, value_name = "KEY=VALUE")]
    pub kafka_option: Vec<String>,
    /// With --from-kafka or --follow-kafka: a file of KEY=VALUE lines (a client.properties),
    /// read before --kafka-option; the place for sasl.password.
    #[arg(long, env = "SCHEMATA_KAFKA_CONFIG", value_name = "FILE")]
    pub kafka_config: Option<PathBuf>,
}

impl KafkaArgs {
    /// Whether any of these was given (they mean nothing without a Kafka source).
    pub(super) fn given(&self) -> bool {
        self.topic != "_schemas" || !self.kafka_option.is_empty() || self.kafka_config.is_some()
    }
}

#[derive(Debug, Clone, Args)]
pub(super) struct PasswdArgs {
    /// The user name the line is for.
    pub user: String,
}

#[derive(Debug, Clone, Args)]
pub(super) struct HealthArgs {
    /// The server's base URL, http:// or https://.
    #[arg(
        long,
        env = "SCHEMATA_HEALTH_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub url: String,
    #[command(flatten)]
    pub tls: TlsClientArgs,
    /// Check readiness (`/ready`: database reachable and migrated) instead of liveness.
    #[arg(long)]
    pub ready: bool,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5)]
    pub timeout: u64,
}

/// How to reach a registry (client subcommands).
#[derive(Debug, Clone, Args)]
pub(super) struct RegistryArgs {
    /// Registry base URL; several, comma-separated, for failover.
    #[arg(long, env = "SCHEMATA_REGISTRY_URL")]
    pub registry_url: Option<String>,
    /// Basic auth as USER:PASSWORD.
    #[arg(long, env = "SCHEMATA_REGISTRY_BASIC_AUTH", hide_env_values = true)]
    pub basic_auth: Option<String>,
    /// Bearer token.
    #[arg(long, env = "SCHEMATA_REGISTRY_BEARER_TOKEN", hide_env_values = true)]
    pub bearer_token: Option<String>,
    #[command(flatten)]
    pub tls: TlsClientArgs,
    /// Retries on 408/429/5xx and connection errors.
    #[arg(long, default_value_t = 3)]
    pub max_retries: u32,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

/// How a client subcommand talks HTTPS to a registry: the roots it trusts and the
/// certificate it presents (docs/tls.md).
#[derive(Debug, Clone, Default, Args)]
pub(super) struct TlsClientArgs {
    /// HTTPS: trust only the CA certificates of this PEM file (default: the system's roots).
    #[arg(long, env = "SCHEMATA_REGISTRY_CA", value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// HTTPS: present this client certificate (PEM, leaf first) to the registry; with
    /// --cert-key.
    #[arg(
        long,
        env = "SCHEMATA_REGISTRY_CERT",
        value_name = "FILE",
        requires = "cert_key"
    )]
    pub cert: Option<PathBuf>,
    /// HTTPS: the private key of --cert (PEM). (`--key` is encode's record-key switch.)
    #[arg(
        long,
        env = "SCHEMATA_REGISTRY_KEY",
        value_name = "FILE",
        requires = "cert"
    )]
    pub cert_key: Option<PathBuf>,
}

/// Without `--old` or `--subject` there is nothing to check against: a usage error (exit 2),
/// not a "compatible" that would let a misconfigured CI job pass.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("history").required(true).args(["old", "subject"])))]
pub(super) struct CheckArgs {
    /// Schema type: AVRO, PROTOBUF or JSON.
    #[arg(long = "type", value_name = "TYPE", default_value = "AVRO")]
    pub schema_type: String,
    /// Compatibility level for an offline check (NONE, BACKWARD, BACKWARD_TRANSITIVE,
    /// FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE). Not with --subject: the registry
    /// checks at the subject's configured level.
    #[arg(long, default_value = "BACKWARD", conflicts_with = "subject")]
    pub level: String,
    /// The candidate schema file.
    #[arg(long, value_name = "FILE")]
    pub new: PathBuf,
    /// Previous versions, oldest first (offline check).
    #[arg(long, value_name = "FILE", conflicts_with = "subject")]
    pub old: Vec<PathBuf>,
    /// References: NAME=FILE offline, NAME=SUBJECT:VERSION against a registry.
    #[arg(long = "ref", value_name = "NAME=FILE")]
    pub refs: Vec<String>,
    /// Print {"is_compatible": bool, "messages": [...]} instead of one reason a line; a
    /// failure prints {"error": "...", "exit_code": N}.
    #[arg(long)]
    pub json: bool,
    /// Check against this subject of the registry (at its configured level).
    #[arg(long, requires = "registry_url")]
    pub subject: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Args)]
pub(super) struct RegisterArgs {
    #[arg(long)]
    pub subject: String,
    /// The schema file.
    #[arg(long, value_name = "FILE")]
    pub schema: PathBuf,
    /// Schema type: AVRO, PROTOBUF or JSON.
    #[arg(long = "type", value_name = "TYPE", default_value = "AVRO")]
    pub schema_type: String,
    /// References as NAME=SUBJECT:VERSION.
    #[arg(long = "ref", value_name = "NAME=SUBJECT:VERSION")]
    pub refs: Vec<String>,
    /// Register with normalize=true.
    #[arg(long)]
    pub normalize: bool,
    /// On failure too, print one JSON object on stdout: {"error": ..., "exit_code": N}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Args)]
pub(super) struct EncodeArgs {
    /// Topic the message is for (the subject comes from it by the strategy).
    #[arg(long)]
    pub topic: String,
    /// Schema type: AVRO, PROTOBUF or JSON.
    #[arg(long = "type", value_name = "TYPE", default_value = "AVRO")]
    pub schema_type: String,
    /// The schema file (.avsc, .proto, JSON Schema).
    #[arg(long, value_name = "FILE")]
    pub schema: PathBuf,
    /// References as NAME=SUBJECT:VERSION, VERSION a number or `latest` (Protobuf: the
    /// import path as NAME).
    #[arg(long = "ref", value_name = "NAME=SUBJECT:VERSION")]
    pub refs: Vec<String>,
    /// Protobuf: the message type (full name); default the file's first message.
    #[arg(long)]
    pub message: Option<String>,
    /// Encode a record key (subject {topic}-key) instead of a value.
    #[arg(long)]
    pub key: bool,
    /// TopicName (default), RecordName or TopicRecordName.
    #[arg(long, default_value = "TopicName")]
    pub subject_name_strategy: String,
    /// Do not register the schema: it must already be registered.
    #[arg(long)]
    pub no_auto_register: bool,
    /// Write with the subject's latest schema.
    #[arg(long)]
    pub use_latest_version: bool,
    /// Register and look up with normalize=true.
    #[arg(long)]
    pub normalize: bool,
    /// How messages are written: `raw` bytes (one record only), or one `hex` or `base64`
    /// line per record.
    #[arg(long, value_enum, default_value_t = Framing::Raw)]
    pub output: Framing,
    /// Print {"id": N, "messages": [base64, ...]}, and on failure {"error": ..., "exit_code": N}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How wire-format messages are framed on stdin or stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Framing {
    /// The bytes themselves: one message.
    Raw,
    /// One message a line, in hexadecimal.
    Hex,
    /// One message a line, in standard base64.
    Base64,
}

#[derive(Debug, Clone, Args)]
pub(super) struct DecodeArgs {
    /// Print {"id": N, "value": ...} instead of the bare value.
    #[arg(long)]
    pub with_id: bool,
    /// How messages arrive on stdin: `raw` bytes (one message), or one `hex` or `base64`
    /// message a line (one JSON value a line out).
    #[arg(long, value_enum, default_value_t = Framing::Raw)]
    pub input: Framing,
    /// Print {"id": N, "value": ...} for each message, and on failure {"error": ..., "exit_code": N}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Args)]
pub(super) struct DatabaseArgs {
    /// postgres://user:pass@host/db or sqlite://file.db (created on first start).
    #[arg(
        long,
        env = "SCHEMATA_DATABASE_URL",
        default_value = "sqlite://schemata.db",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Connections kept in the pool [default: 32 on PostgreSQL, 4 on SQLite].
    #[arg(
        long,
        env = "SCHEMATA_DB_MAX_CONNECTIONS",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub db_max_connections: Option<u32>,
    /// SQLite only: when a commit counts as done. `full` waits for the disk on every
    /// commit. `normal` is faster but, after a power loss or an operating-system crash, can
    /// lose the last registrations already acknowledged, and hand their ids (which producers
    /// have written into messages) to other schemas.
    #[arg(
        long,
        env = "SCHEMATA_SQLITE_SYNCHRONOUS",
        default_value = "full",
        value_parser = ["full", "normal"]
    )]
    pub sqlite_synchronous: String,
}

impl DatabaseArgs {
    pub(crate) fn store_options(&self) -> StoreOptions {
        StoreOptions {
            max_connections: self.db_max_connections,
            sqlite_synchronous: match self.sqlite_synchronous.as_str() {
                "normal" => SqliteSynchronous::Normal,
                _ => SqliteSynchronous::Full,
            },
        }
    }
}

#[derive(Debug, Clone, Args)]
pub(super) struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Follow the Kafka storage topic of Confluent Schema Registry or Karapace (bootstrap
    /// servers, comma-separated) as a read replica: the topic is imported at start, then
    /// each new record applied as it arrives; writes are refused (READONLY, 42205) while
    /// following. Restart without it to take writes. See --topic, --kafka-option,
    /// --kafka-config.
    #[arg(long, env = "SCHEMATA_FOLLOW_KAFKA", value_name = "BOOTSTRAP")]
    pub follow_kafka: Option<String>,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Address to listen on.
    #[arg(long, env = "SCHEMATA_LISTEN", default_value = "0.0.0.0:8081")]
    pub listen: String,
    /// Compatibility level when none is configured.
    #[arg(
        long,
        env = "SCHEMATA_DEFAULT_COMPATIBILITY",
        default_value = RegistryOptions::DEFAULT_COMPATIBILITY.as_str()
    )]
    pub default_compatibility: String,
    /// Largest schema accepted, in bytes.
    #[arg(long, env = "SCHEMATA_MAX_SCHEMA_BYTES", default_value_t = RegistryOptions::DEFAULT_MAX_SCHEMA_BYTES)]
    pub max_schema_bytes: usize,
    /// Memory for all in-memory caches together, in bytes (schemas by id, parse trees,
    /// subject histories, schema identities, config and mode); every entry is weighed by its
    /// size. The default suits a small container; the process needs about 30 MB besides.
    #[arg(long, env = "SCHEMATA_CACHE_BYTES", default_value_t = RegistryOptions::DEFAULT_CACHE_BYTES)]
    pub cache_bytes: u64,
    /// Parses and compatibility checks of large schemas (over 4 KiB) that may wait for a core
    /// before further ones are refused with 429 and Retry-After; at most one runs per core.
    #[arg(
        long,
        env = "SCHEMATA_MAX_WAITING_CHECKS",
        default_value_t = RegistryOptions::DEFAULT_MAX_WAITING_CHECKS
    )]
    pub max_waiting_checks: usize,
    /// Require HTTP basic authentication; users from this file, one a line:
    /// `user: password[,role...]`. Passwords as argon2id (`schemata passwd USER` prints the
    /// line) or bcrypt PHC strings; Jetty's `MD5:`, `CRYPT:` and `OBF:`, `SHA256:<hex>` and
    /// clear text are accepted with a warning at startup.
    #[arg(long, env = "SCHEMATA_BASIC_AUTH_FILE", value_name = "FILE")]
    pub basic_auth_file: Option<PathBuf>,
    /// Roles let in when authentication is on (basic users and bearer-token principals):
    /// comma-separated, or `*` for any authenticated principal.
    #[arg(long, env = "SCHEMATA_BASIC_AUTH_ROLES", default_value = "*")]
    pub basic_auth_roles: String,
    #[command(flatten)]
    pub jwt: JwtArgs,
    /// Authorize each request by this ACL file (TOML, `[[allow]]` entries naming a principal,
    /// subjects and operations); whatever it does not allow is denied. Re-read on SIGHUP and
    /// when it changes. Needs authentication.
    #[arg(long, env = "SCHEMATA_ACL_FILE", value_name = "FILE")]
    pub acl_file: Option<PathBuf>,
    /// Write one JSON line for every change (register, delete, config, mode) and every
    /// refusal (401, 403) to this file (appended to), or to stderr with `-`; each is flushed
    /// before the response is sent.
    #[arg(long, env = "SCHEMATA_AUDIT_LOG", value_name = "PATH")]
    pub audit_log: Option<String>,
    /// Requests a second per principal (per remote address without authentication), in
    /// bursts of twice as many; beyond it 429 with Retry-After. `/health` is never limited.
    #[arg(long, env = "SCHEMATA_RATE_LIMIT", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Open client connections at most; one more is answered 503 and closed. Keep it below
    /// the process's file limit (`ulimit -n`).
    #[arg(long, env = "SCHEMATA_MAX_CONNECTIONS", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), default_value_t = ServerLimits::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Request body bytes held by all requests at once; a body that does not fit waits up to
    /// --buffered-wait seconds, then is answered 503 with Retry-After.
    #[arg(long, env = "SCHEMATA_MAX_BUFFERED_BYTES", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), default_value_t = ServerLimits::DEFAULT_MAX_BUFFERED_BYTES)]
    pub max_buffered_bytes: usize,
    /// Seconds a request body waits for room in --max-buffered-bytes.
    #[arg(long, env = "SCHEMATA_BUFFERED_WAIT", value_name = "SECONDS", default_value_t = ServerLimits::DEFAULT_BUFFERED_WAIT_SECS)]
    pub buffered_wait: u64,
    /// Seconds a client has to send a request's headers, from the connection's start or the
    /// previous response (idle keep-alive connections are closed after it).
    #[arg(long, env = "SCHEMATA_HEADER_READ_TIMEOUT", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = ServerLimits::DEFAULT_HEADER_READ_TIMEOUT_SECS)]
    pub header_read_timeout: u64,
    /// Seconds a client has to send a request's body once its headers have arrived (408).
    #[arg(long, env = "SCHEMATA_BODY_READ_TIMEOUT", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = ServerLimits::DEFAULT_BODY_READ_TIMEOUT_SECS)]
    pub body_read_timeout: u64,
    /// Seconds in-flight requests may take to finish after SIGTERM before their connections
    /// are closed.
    #[arg(long, env = "SCHEMATA_SHUTDOWN_TIMEOUT", value_name = "SECONDS", default_value_t = ServerLimits::DEFAULT_SHUTDOWN_TIMEOUT_SECS)]
    pub shutdown_timeout: u64,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); HTTP/2 and HTTP/1.1 by
    /// ALPN. Re-read with the key on SIGHUP.
    #[arg(
        long,
        env = "SCHEMATA_TLS_CERT",
        value_name = "PEM",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        env = "SCHEMATA_TLS_KEY",
        value_name = "PEM",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Require a client certificate signed by one of these CAs (PEM); its subject CN is the
    /// principal `user:CN` when a request has no Authorization header.
    #[arg(
        long,
        env = "SCHEMATA_TLS_CLIENT_CA",
        value_name = "PEM",
        requires = "tls_cert"
    )]
    pub tls_client_ca: Option<PathBuf>,
    /// Log every request (method, route, status, duration) at INFO; without it they are
    /// logged at DEBUG (`SCHEMATA_LOG=schemata::access=debug`).
    #[arg(long, env = "SCHEMATA_ACCESS_LOG")]
    pub access_log: bool,
}

/// Bearer tokens (JWTs) and where their keys come from.
#[derive(Debug, Clone, Args)]
pub(super) struct JwtArgs {
    /// Accept bearer tokens (JWTs) signed by a key of this JWKS: a file, or an http(s) URL
    /// (read again every --jwks-refresh seconds and when a token names an unknown key id).
    #[arg(long, env = "SCHEMATA_JWKS", value_name = "FILE_OR_URL")]
    pub jwks: Option<String>,
    /// Seconds between two reads of the --jwks.
    #[arg(long, env = "SCHEMATA_JWKS_REFRESH", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = BearerOptions::DEFAULT_REFRESH_SECS)]
    pub jwks_refresh: u64,
    /// The issuer (`iss`) a token must carry.
    #[arg(long, env = "SCHEMATA_JWT_ISSUER", requires = "jwks")]
    pub jwt_issuer: Option<String>,
    /// The audience (`aud`) a token must carry; several, comma-separated, for any of them.
    #[arg(long, env = "SCHEMATA_JWT_AUDIENCE", requires = "jwks")]
    pub jwt_audience: Option<String>,
    /// The claim holding the principal's name (a dotted path for a nested one).
    #[arg(long, env = "SCHEMATA_JWT_PRINCIPAL_CLAIM", default_value = BearerOptions::DEFAULT_PRINCIPAL_CLAIM)]
    pub jwt_principal_claim: String,
    /// The claim holding the principal's roles: an array of names, or one string of names
    /// separated by spaces or commas. A dotted path for a nested one (`realm_access.roles`).
    #[arg(long, env = "SCHEMATA_JWT_ROLES_CLAIM", default_value = BearerOptions::DEFAULT_ROLES_CLAIM)]
    pub jwt_roles_claim: String,
}

impl JwtArgs {
    /// The bearer-token options, when --jwks is given.
    pub(super) fn bearer_options(&self) -> Option<BearerOptions> {
        let jwks = self.jwks.as_ref()?;
        let audience = self.jwt_audience.iter().flat_map(|a| a.split(','));
        Some(BearerOptions {
            refresh: std::time::Duration::from_secs(self.jwks_refresh),
            issuer: self.jwt_issuer.clone(),
            audience: audience
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect(),
            principal_claim: self.jwt_principal_claim.clone(),
            roles_claim: self.jwt_roles_claim.clone(),
            ..BearerOptions::new(jwks)
        })
    }
}

impl ServeArgs {
    /// The HTTPS files, when --tls-cert is given.
    pub(super) fn tls_files(&self) -> Option<crate::api::tls::TlsFiles> {
        Some(crate::api::tls::TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            client_ca: self.tls_client_ca.clone(),
        })
    }

    /// The HTTP server's limits from the flags.
    pub(super) fn server_limits(&self) -> ServerLimits {
        use std::time::Duration;
        ServerLimits {
            max_connections: self.max_connections,
            max_buffered_bytes: self.max_buffered_bytes,
            buffered_wait: Duration::from_secs(self.buffered_wait),
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            body_read_timeout: Duration::from_secs(self.body_read_timeout),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// The README's configuration table repeats the defaults for readers; clap's come from
    /// `RegistryOptions`. This keeps the copy honest.
    /// clap's own consistency checks (unique names, valid `requires`), for every subcommand.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_readme_states_the_same_defaults() {
        let readme = include_str!("../../README.md");
        let command = Cli::command();
        let serve = command.find_subcommand("serve").expect("serve");
        let mut checked = 0;
        for arg in serve.get_arguments() {
            let (Some(long), Some(default)) = (arg.get_long(), arg.get_default_values().first())
            else {
                continue;
            };
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `--{long}`")))
                .unwrap_or_else(|| panic!("README.md has no row for --{long}"));
            let default = default.to_str().expect("UTF-8");
            assert!(
                row.replace(',', "").contains(default),
                "README.md's row for --{long} does not state the default {default}: {row}"
            );
            checked += 1;
        }
        assert!(checked >= 7, "only {checked} defaults found");
    }
}
