//! Subcommands of the `schemata` binary, one file each. Their output goes to stdout, so this
//! is the one module where printing to it is allowed.
#![allow(clippy::print_stdout)]

mod archive;
mod authentication;
mod check;
mod decode;
mod encode;
mod export;
mod follow;
mod framing;
mod health;
mod health_tls;
mod import;
mod kafka;
mod options;
mod passwd;
mod redact;
mod register;
mod serve;

use anyhow::Context;
use clap::Parser;
use options::{Cli, Command, RegistryArgs};
use schemata_client::{ClientConfig, SchemaReference, SchemaRegistryClient};
use std::process::ExitCode;
use std::time::Duration;

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::api::tls::use_default_crypto();
    let server = matches!(cli.command, Command::Serve(_) | Command::Migrate(_));
    init_logs(server, &cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Migrate(args) => serve::migrate(args).await.map(|()| ExitCode::SUCCESS),
            // `check` reports its own errors with exit status 2.
            Command::Check(args) => Ok(check::run(args).await),
            Command::Register(args) => reporting(args.json, register::run(args)).await,
            Command::Encode(args) => reporting(args.json, encode::run(args)).await,
            Command::Decode(args) => reporting(args.json, decode::run(args)).await,
            Command::Health(args) => Ok(health::run(args).await),
            Command::Passwd(args) => passwd::run(args).map(|()| ExitCode::SUCCESS),
            Command::Export(args) => export::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Import(args) => import::run(args).await,
            Command::Follow(args) => follow::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if server {
                ExitCode::FAILURE
            } else {
                client_failure(&e)
            }
        }
    }
}

/// The exit status of a failed client subcommand, so a CI job can tell an outage from a bad
/// schema: 3 when the registry could not be reached or failed (5xx), 1 when it refused the
/// schema as incompatible (409), 2 for everything else (invalid input or usage).
fn client_failure(error: &anyhow::Error) -> ExitCode {
    ExitCode::from(failure_number(error))
}

/// The exit status of [`client_failure`], as a number (for `--json` reports). A Kafka
/// cluster that cannot be reached or fails (`import --from-kafka`) is an outage too: 3.
fn failure_number(error: &anyhow::Error) -> u8 {
    let kafka = error
        .chain()
        .any(|e| e.downcast_ref::<rskafka::client::error::Error>().is_some());
    if kafka {
        return 3;
    }
    match error.downcast_ref::<schemata_client::Error>() {
        Some(schemata_client::Error::Unavailable { .. }) => 3,
        Some(schemata_client::Error::Registry { status, .. }) if *status >= 500 => 3,
        Some(schemata_client::Error::Registry { status: 409, .. }) => 1,
        _ => 2,
    }
}

/// Logs go to stderr, always: stdout is the client subcommands' output, and one stream keeps
/// a server's log lines and its fatal error together. Colour only on a terminal, and never
/// with `NO_COLOR` set; `json` writes one object a line (timestamp, level, target, message
/// and fields).
fn init_logs(server: bool, format: &str) {
    use std::io::IsTerminal;
    // PostgreSQL's NOTICEs (`migrate` meets "relation already exists, skipping") are not news.
    let filter = tracing_subscriber::EnvFilter::try_from_env("SCHEMATA_LOG").unwrap_or_else(|_| {
        if server {
            format!("info,{}=warn", crate::store::DATABASE_NOTICES_LOG_TARGET).into()
        } else {
            "warn".into()
        }
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().with_ansi(false).init();
    } else {
        let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        builder.with_ansi(colour).init();
    }
}

/// A registry client from the common flags.
fn registry_client(args: &RegistryArgs) -> anyhow::Result<SchemaRegistryClient> {
    let url = args
        .registry_url
        .as_deref()
        .context("--registry-url (or SCHEMATA_REGISTRY_URL) is required")?;
    let mut config = ClientConfig::new(url)
        .max_retries(args.max_retries)
        .timeouts(
            Duration::from_secs(args.timeout.clamp(1, 10)),
            Duration::from_secs(args.timeout.max(1)),
        );
    if let Some(user_info) = &args.basic_auth {
        let (user, password) = user_info
            .split_once(':')
            .context("--basic-auth must be USER:PASSWORD")?;
        config = config.basic_auth(user, password);
    }
    if let Some(token) = &args.bearer_token {
        config = config.bearer_auth(token.clone());
    }
    if let Some(ca) = &args.tls.ca {
        config = config.ca_certificates_pem(read_bytes(ca, "--ca")?);
    }
    if let (Some(cert), Some(key)) = (&args.tls.cert, &args.tls.cert_key) {
        config = config
            .client_certificate_pem(read_bytes(cert, "--cert")?, read_bytes(key, "--cert-key")?);
    }
    Ok(SchemaRegistryClient::new(config)?)
}

/// `NAME=SUBJECT:VERSION` references; `VERSION` may be `latest`, looked up now.
async fn registry_references(
    client: &SchemaRegistryClient,
    refs: &[String],
) -> anyhow::Result<Vec<SchemaReference>> {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let (name, subject, version) = r
            .split_once('=')
            .and_then(|(name, rest)| {
                let (subject, version) = rest.rsplit_once(':')?;
                Some((name, subject, version))
            })
            .with_context(|| format!("--ref {r:?} is not NAME=SUBJECT:VERSION"))?;
        let version = match version {
            "latest" => client.get_latest_version(subject).await?.version,
            number => number.parse().ok().filter(|v| *v > 0).with_context(|| {
                format!("--ref {r:?}: the version is a positive number or latest")
            })?,
        };
        out.push(SchemaReference {
            name: name.to_owned(),
            subject: subject.to_owned(),
            version,
        });
    }
    Ok(out)
}

/// What a client subcommand run with `--json` prints on stdout when it fails: CI reads one
/// object there whatever happened.
fn failure_json(error: &anyhow::Error) -> serde_json::Value {
    serde_json::json!({ "error": format!("{error:#}"), "exit_code": failure_number(error) })
}

/// Run a client subcommand; with `json`, a failure is also reported as [`failure_json`].
async fn reporting(
    json: bool,
    run: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    let result = run.await;
    if let (true, Err(e)) = (json, &result) {
        println!("{}", failure_json(e));
    }
    result
}

/// A PEM file of the TLS flags; the error names the flag and the file.
fn read_bytes(path: &std::path::Path, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{flag}: cannot read {}", path.display()))
}

fn read_file(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
