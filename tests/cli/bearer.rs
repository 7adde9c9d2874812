//! `schemata serve --jwks` and the client subcommands' `--bearer-token`, as processes: a
//! token the test signs registers a schema, a refused one is reported without the token
//! reaching the terminal or the server's log, and a JWKS that cannot be loaded stops the start.

use crate::common::Dir;
use crate::jwt::{epoch, jwks_document, Alg, Keys};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `schemata serve`, its whole log kept.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Dir, jwks: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env(
                "SCHEMATA_DATABASE_URL",
                format!("sqlite://{}", dir.0.join("r.db").display()),
            )
            .env("SCHEMATA_JWKS", jwks)
            .env("SCHEMATA_JWT_ISSUER", "https://idp.test")
            .env("SCHEMATA_JWT_AUDIENCE", "registry,other")
            .env("SCHEMATA_LOG", "debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let log = Arc::new(Mutex::new(String::new()));
        let started = Instant::now();
        let mut line = String::new();
        let base = loop {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{}",
                log.lock().unwrap()
            );
            line.clear();
            assert_ne!(
                stderr.read_line(&mut line).unwrap(),
                0,
                "exited: {}",
                log.lock().unwrap()
            );
            log.lock().unwrap().push_str(&line);
            if line.contains("schemata listening") {
                let address = line
                    .split("address=")
                    .nth(1)
                    .unwrap()
                    .split_whitespace()
                    .next()
                    .unwrap();
                break format!("http://{address}");
            }
        };
        let kept = log.clone();
        std::thread::spawn(move || {
            let mut rest = String::new();
            while stderr.read_line(&mut rest).unwrap_or(0) > 0 {
                kept.lock().unwrap().push_str(&rest);
                rest.clear();
            }
        });
        Server { child, base, log }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn schemata(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_schemata"));
    command.args(args).stdin(Stdio::null()).env("NO_COLOR", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn register_with_a_bearer_token_and_never_show_a_refused_one() {
    let dir = Dir::new();
    let keys = Keys::new("cli", false);
    let jwks = dir.write("jwks.json", &jwks_document(&[&keys]));
    let schema = dir.write("s.avsc", r#"{"type":"record","name":"R","fields":[]}"#);
    let server = Server::start(&dir, &jwks);
    let claims =
        |exp: u64| json!({"iss": "https://idp.test", "aud": "registry", "sub": "ci", "exp": exp});
    let token = keys.token(Alg::Es256, &claims(epoch(600)));

    let args = [
        "register",
        "--registry-url",
        &server.base,
        "--subject",
        "orders-value",
        "--schema",
        &schema,
    ];
    let flag = [&args[..], &["--bearer-token", &token]].concat();
    let registered = schemata(&flag, &[]);
    assert!(registered.status.success(), "{}", text(&registered));
    assert!(!text(&registered).contains(&token));

    // The same through the environment, with an expired token: refused, the reason shown,
    // the token not.
    let expired = keys.token(Alg::Es256, &claims(epoch(-3600)));
    let refused = schemata(&args, &[("SCHEMATA_REGISTRY_BEARER_TOKEN", &expired)]);
    assert!(!refused.status.success());
    let shown = text(&refused);
    assert!(shown.contains("expired"), "{shown}");
    for part in expired.split('.') {
        assert!(!shown.contains(part), "{shown}");
    }
    // `--help` does not show the value from the environment either.
    let help = schemata(
        &["register", "--help"],
        &[("SCHEMATA_REGISTRY_BEARER_TOKEN", &token)],
    );
    assert!(text(&help).contains("--bearer-token"));
    assert!(!text(&help).contains(&token));

    // Nor does the server's log, at DEBUG.
    let reply = raw::blocking_get_status(&server.base, &expired);
    assert_eq!(reply, 401);
    std::thread::sleep(Duration::from_millis(100));
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("bearer tokens accepted"), "{log}");
    for part in token.split('.').chain(expired.split('.')) {
        assert!(!log.contains(part), "the log shows a token:\n{log}");
    }
}

/// A blocking GET with a bearer token, over a plain TCP connection.
mod raw {
    use std::io::{Read, Write};

    pub(super) fn blocking_get_status(base: &str, token: &str) -> u16 {
        let address = base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET /subjects HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

#[test]
fn a_jwks_that_cannot_be_loaded_stops_the_server_naming_it() {
    let dir = Dir::new();
    let missing = dir.0.join("absent.json").display().to_string();
    let database = format!("sqlite://{}", dir.0.join("r.db").display());
    let out = schemata(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &database,
            "--jwks",
            &missing,
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains(&missing), "{}", text(&out));
    let hmac_only = dir.write(
        "hmac.json",
        r#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#,
    );
    let out = schemata(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &database,
            "--jwks",
            &hmac_only,
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("no usable key"), "{}", text(&out));
    // The --jwt-* checks mean nothing without keys: a usage error.
    let out = schemata(&["serve", "--jwt-issuer", "https://idp.test"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
