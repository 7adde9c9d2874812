//! The `schemata` binary on both ends of HTTPS (docs/tls.md): `schemata serve --tls-cert`,
//! and `check`/`register` reaching it with `--ca`, with a client certificate when the server
//! requires one, failing with exit 3 and the cause when the CA is wrong; certificates
//! re-read on SIGHUP, a bad file keeping the old ones.

use crate::certs::{Authority, PemDir};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SCHEMA: &str =
    r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;

/// `schemata serve` on a fresh SQLite file with these extra flags; stopped when dropped.
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
    _dir: PemDir,
}

impl Server {
    fn start(extra: &[&Path]) -> Server {
        Self::start_with(extra.iter().map(|p| p.as_os_str()).collect::<Vec<_>>())
    }

    fn start_with(extra: Vec<&std::ffi::OsStr>) -> Server {
        let dir = PemDir::new();
        let database = format!("sqlite://{}", dir.path("registry.db").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args([
                "serve",
                "--database-url",
                &database,
                "--listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .env_remove("SCHEMATA_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stderr.take().unwrap());
        let collected = log.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while lines.read_line(&mut line).unwrap_or(0) > 0 {
                collected.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let mut server = Server {
            child,
            url: String::new(),
            log,
            _dir: dir,
        };
        let line = server.wait_for_log("listening");
        let address = line
            .split("address=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("the listening line names the address");
        let port = address.rsplit(':').next().unwrap();
        server.url = format!("https://127.0.0.1:{port}");
        server
    }

    /// Wait (bounded) for a log line containing `text`; that line.
    fn wait_for_log(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(line) = self.log.lock().unwrap().lines().find(|l| l.contains(text)) {
                return line.to_string();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no log line with {text:?}: {}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn schemata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(args)
        .env_remove("SCHEMATA_REGISTRY_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `register` of [`SCHEMA`] under `subject` at `url`, with `tls` flags.
fn register(url: &str, schema: &Path, subject: &str, tls: &[&str]) -> Output {
    let mut args = vec![
        "register",
        "--registry-url",
        url,
        "--subject",
        subject,
        "--schema",
        text(schema),
        "--max-retries",
        "0",
    ];
    args.extend(tls);
    schemata(&args)
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn check_and_register_over_https_with_a_custom_ca() {
    let ca = Authority::new("Schemata test CA");
    let files = PemDir::new();
    let (cert, key) = ca.server().write(&files, "server");
    let ca_file = ca.write(&files, "ca.pem");
    let schema = files.write("user.avsc", SCHEMA);
    let server = Server::start(&[Path::new("--tls-cert"), &cert, Path::new("--tls-key"), &key]);
    assert!(server.wait_for_log("listening").contains("scheme=https"));

    let ca_flag = ["--ca", text(&ca_file)];
    let registered = register(&server.url, &schema, "users-value", &ca_flag);
    assert_eq!(code(&registered), 0, "{}", stderr(&registered));
    let answer: serde_json::Value = serde_json::from_slice(&registered.stdout).unwrap();
    assert_eq!(answer["id"], 1);
    let mut args = vec![
        "check",
        "--registry-url",
        &server.url,
        "--subject",
        "users-value",
        "--new",
        text(&schema),
    ];
    args.extend(ca_flag);
    let checked = schemata(&args);
    assert_eq!(code(&checked), 0, "{}", stderr(&checked));

    // `schemata health` (for HEALTHCHECKs) over HTTPS: 0 with the CA, 1 saying why without.
    let health = schemata(&["health", "--url", &server.url, "--ca", text(&ca_file)]);
    assert_eq!(code(&health), 0, "{health:?}");
    let health = schemata(&["health", "--url", &server.url]);
    assert_eq!(code(&health), 1, "{health:?}");
    let said = String::from_utf8_lossy(&health.stdout).into_owned();
    assert!(said.contains("UnknownIssuer"), "{said}");

    // Without --ca the system's roots do not know this CA: exit 3 (unreachable), saying why.
    let untrusted = register(&server.url, &schema, "users-value", &[]);
    assert_eq!(code(&untrusted), 3, "{}", stderr(&untrusted));
    assert!(
        stderr(&untrusted).contains("invalid peer certificate: UnknownIssuer"),
        "{}",
        stderr(&untrusted)
    );
    // A CA file that is not PEM is invalid input (2), named.
    let garbage = files.write("garbage.pem", "not a certificate");
    let bad_ca = register(
        &server.url,
        &schema,
        "users-value",
        &["--ca", text(&garbage)],
    );
    assert_eq!(code(&bad_ca), 2, "{}", stderr(&bad_ca));
    assert!(
        stderr(&bad_ca).contains("CA certificates"),
        "{}",
        stderr(&bad_ca)
    );
}

/// Under TLS 1.3 the server judges the client's certificate after the client has finished
/// its side of the handshake, so the client reads either the server's alert or, when it
/// wrote its request first, only that the connection (or hyper's channel to it) closed,
/// which hyper also words "connection was not ready" when the close came before the request
/// was sent.
fn refused_by_the_server(output: &Output, alert: &str) {
    let stderr = stderr(output);
    assert!(
        stderr.contains(alert)
            || stderr.contains(" closed")
            || stderr.contains("connection was not ready"),
        "{stderr}"
    );
}

#[test]
fn register_with_a_client_certificate_when_the_server_requires_one() {
    let ca = Authority::new("Schemata test CA");
    let clients = Authority::new("Clients CA");
    let files = PemDir::new();
    let (cert, key) = ca.server().write(&files, "server");
    let client_ca = clients.write(&files, "clients.pem");
    let ca_file = ca.write(&files, "ca.pem");
    let (alice_cert, alice_key) = clients.client("alice").write(&files, "alice");
    let (mallory_cert, mallory_key) = Authority::new("Other CA")
        .client("mallory")
        .write(&files, "mallory");
    let schema = files.write("user.avsc", SCHEMA);
    let server = Server::start(&[
        Path::new("--tls-cert"),
        &cert,
        Path::new("--tls-key"),
        &key,
        Path::new("--tls-client-ca"),
        &client_ca,
    ]);
    let ca_flag = ["--ca", text(&ca_file)];

    let alice = [
        ca_flag.as_slice(),
        &["--cert", text(&alice_cert), "--cert-key", text(&alice_key)],
    ]
    .concat();
    let registered = register(&server.url, &schema, "users-value", &alice);
    assert_eq!(code(&registered), 0, "{}", stderr(&registered));

    let anonymous = register(&server.url, &schema, "users-value", &ca_flag);
    assert_eq!(code(&anonymous), 3, "{}", stderr(&anonymous));
    refused_by_the_server(&anonymous, "CertificateRequired");

    let mallory = [
        ca_flag.as_slice(),
        &[
            "--cert",
            text(&mallory_cert),
            "--cert-key",
            text(&mallory_key),
        ],
    ]
    .concat();
    let refused = register(&server.url, &schema, "users-value", &mallory);
    assert_eq!(code(&refused), 3, "{}", stderr(&refused));
    refused_by_the_server(&refused, "UnknownCA");

    // `schemata health` presents the certificate too (probes need one).
    let mut health = vec!["health", "--url", &server.url];
    health.extend(&alice);
    let health = schemata(&health);
    assert_eq!(code(&health), 0, "{health:?}");

    // --cert without --cert-key is a usage error.
    let half = [ca_flag.as_slice(), &["--cert", text(&alice_cert)]].concat();
    assert_eq!(
        code(&register(&server.url, &schema, "users-value", &half)),
        2
    );
}

#[test]
fn certificates_are_reloaded_on_sighup_and_a_bad_file_keeps_the_old_ones() {
    let (first, second) = (Authority::new("First CA"), Authority::new("Second CA"));
    let files = PemDir::new();
    let (cert, key) = first.server().write(&files, "server");
    let first_ca = first.write(&files, "first.pem");
    let second_ca = second.write(&files, "second.pem");
    let schema = files.write("user.avsc", SCHEMA);
    let server = Server::start(&[Path::new("--tls-cert"), &cert, Path::new("--tls-key"), &key]);
    let with = |ca: &Path| register(&server.url, &schema, "users-value", &["--ca", text(ca)]);
    assert_eq!(code(&with(&first_ca)), 0);

    // Rotate: the second CA's certificate and key replace the files, then SIGHUP.
    second.server().write(&files, "server");
    server.signal("HUP");
    server.wait_for_log("TLS certificate and key reloaded");
    let rotated = with(&second_ca);
    assert_eq!(code(&rotated), 0, "{}", stderr(&rotated));
    assert_eq!(
        code(&with(&first_ca)),
        3,
        "the old certificate is no longer served"
    );

    // A key that does not parse: logged, and the second certificate stays in use.
    files.write(
        "server.key",
        "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
    );
    server.signal("HUP");
    let line = server.wait_for_log("TLS files not reloaded");
    assert!(line.contains("--tls-key"), "{line}");
    assert!(
        !line.contains("not base64"),
        "the key's text is not logged: {line}"
    );
    assert_eq!(code(&with(&second_ca)), 0);
}

#[test]
fn serve_refuses_tls_files_that_do_not_load() {
    let files = PemDir::new();
    let ca = Authority::new("Schemata test CA");
    let (cert, _) = ca.server().write(&files, "server");
    let (_, other_key) = ca.server().write(&files, "other");
    let database = format!("sqlite://{}", files.path("registry.db").display());
    let serve = |extra: &[&str]| {
        let mut args = vec![
            "serve",
            "--database-url",
            &database,
            "--listen",
            "127.0.0.1:0",
        ];
        args.extend(extra);
        schemata(&args)
    };
    let mismatched = serve(&["--tls-cert", text(&cert), "--tls-key", text(&other_key)]);
    assert_eq!(code(&mismatched), 1);
    assert!(
        stderr(&mismatched).contains("--tls-cert"),
        "{}",
        stderr(&mismatched)
    );
    let missing = serve(&[
        "--tls-cert",
        text(&files.path("none.pem")),
        "--tls-key",
        text(&other_key),
    ]);
    assert_eq!(code(&missing), 1);
    assert!(
        stderr(&missing).contains("none.pem"),
        "{}",
        stderr(&missing)
    );
    // A key without a certificate is a usage error.
    assert_eq!(code(&serve(&["--tls-key", text(&other_key)])), 2);
}
