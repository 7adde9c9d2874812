//! Passwords for basic authentication, through the real binary: `schemata passwd` with a
//! piped password, and `schemata serve --basic-auth-file` with a file carried over from CSR
//! (weak entries warned about at startup, a malformed line refused with its number).

use crate::common::Dir;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn schemata(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(args)
        .env_remove("SCHEMATA_LOG")
        .env_remove("SCHEMATA_BASIC_AUTH_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// A `schemata serve` started with a users file; stopped with SIGTERM on drop.
struct Server {
    child: Child,
    base: String,
    log: String,
}

impl Server {
    /// Start the server and read its log until it listens; `Err(log)` when it exits first.
    fn start(dir: &Dir, users_file: &str) -> Result<Server, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args(["serve", "--database-url", &dir.database_url()])
            .args(["--listen", "127.0.0.1:0", "--basic-auth-roles", "admin"])
            .env("SCHEMATA_BASIC_AUTH_FILE", users_file)
            .env_remove("SCHEMATA_LOG")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut log = String::new();
        let started = Instant::now();
        while !log.contains("schemata listening") {
            assert!(started.elapsed() < Duration::from_secs(60), "{log}");
            if stderr.read_line(&mut log).unwrap() == 0 {
                child.wait().unwrap();
                return Err(log);
            }
        }
        let address = log
            .split("address=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {log}"));
        let base = format!("http://{address}");
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        });
        Ok(Server { child, base, log })
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

fn passwd(user: &str, password: &str) -> String {
    let out = schemata(&["passwd", user], format!("{password}\n").as_bytes());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(!line.contains(password), "{line}");
    line.trim_end().to_string()
}

async fn status(base: &str, user: &str, password: &str) -> u16 {
    crate::common::http_client()
        .get(format!("{base}/subjects"))
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn passwd_prints_an_argon2id_line() {
    let line = passwd("alice", "correct horse battery");
    assert!(line.starts_with("alice: $argon2id$v=19$"), "{line}");
    // Two runs salt differently.
    assert_ne!(line, passwd("alice", "correct horse battery"));
    // A CRLF line ending is not part of the password; a line after the first is ignored.
    let out = schemata(&["passwd", "bob"], b"pw\r\nsecond line\n");
    assert!(out.status.success());
    let bob = String::from_utf8(out.stdout).unwrap();
    let auth = schemata::api::auth::BasicAuth::parse(&bob).unwrap();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("authorization", "Basic Ym9iOnB3".parse().unwrap()); // bob:pw
    assert_eq!(auth.principal(&headers).unwrap().name, "bob");
}

#[test]
fn passwd_refuses_an_empty_password_and_impossible_user_names() {
    for (user, stdin) in [
        ("alice", ""),
        ("alice", "\n"),
        ("al:ice", "pw\n"),
        ("al,ice", "pw\n"),
        ("#alice", "pw\n"),
        (" alice", "pw\n"),
        ("", "pw\n"),
    ] {
        let out = schemata(&["passwd", user], stdin.as_bytes());
        assert_eq!(out.status.code(), Some(2), "{user:?} {stdin:?}");
        assert_eq!(out.stdout, b"", "{user:?} {stdin:?}");
    }
}

#[tokio::test]
async fn the_server_accepts_passwd_lines_and_carried_over_files_with_warnings() {
    let dir = Dir::new();
    let strong = passwd("strong", "correct horse");
    // "secret" as Jetty stores it (see src/api/auth/password.rs for the vectors' sources).
    let file = format!(
        "# carried over from CSR\n\
         {strong},admin\n\
         md5: MD5:5ebe2294ecd0e0f08eab7690d2a6ee69,admin\n\
         crypt: CRYPT:abNANd1rDfiNc,admin\n\
         obf: OBF:1yta1t331v8w1v9q1t331ytc,admin\n\
         sha: SHA256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b,admin\n\
         clear: secret,admin\n"
    );
    let path = dir.write("users.txt", &file);
    let server = tokio::task::spawn_blocking(move || Server::start(&dir, &path).map(|s| (s, dir)))
        .await
        .unwrap();
    let (server, _dir) = server.unwrap_or_else(|log| panic!("did not start: {log}"));

    let warnings: Vec<&str> = server.log.lines().filter(|l| l.contains("WARN")).collect();
    for (line, user) in [
        (3, "md5"),
        (4, "crypt"),
        (5, "obf"),
        (6, "sha"),
        (7, "clear"),
    ] {
        let warned = warnings
            .iter()
            .filter(|w| w.contains(&format!("line={line} ")) && w.contains(&format!("user={user}")))
            .count();
        assert_eq!(warned, 1, "line {line}: {warnings:#?}");
    }
    assert_eq!(warnings.len(), 5, "{warnings:#?}");
    for secret in [
        "5ebe2294",
        "abNANd1r",
        "1yta1t33",
        "2bb80d53",
        "secret,",
        "$argon2id",
    ] {
        assert!(!server.log.contains(secret), "{secret} in the log");
    }

    let base = &server.base;
    assert_eq!(status(base, "strong", "correct horse").await, 200);
    assert_eq!(status(base, "strong", "correct horse").await, 200);
    for user in ["md5", "crypt", "obf", "sha", "clear"] {
        assert_eq!(status(base, user, "secret").await, 200, "{user}");
    }
    assert_eq!(status(base, "strong", "wrong").await, 401);
    assert_eq!(status(base, "nobody", "correct horse").await, 401);
    assert_eq!(
        status(base, "md5", "MD5:5ebe2294ecd0e0f08eab7690d2a6ee69").await,
        401,
        "the stored hash is not the password"
    );
}

#[test]
fn a_malformed_line_stops_startup_with_its_number_and_not_its_secret() {
    for (file, expected) in [
        (
            "ok: pw,admin\n\nbad: $argon2id$v=19$m=64,t=2,p=1$c2NoZW1hdGEtc2FsdA$@@SECRET@@\n",
            "line 3 (user bad)",
        ),
        ("ok: pw\nbad: MD5:SECRETSECRET\n", "line 2 (user bad)"),
        ("ok: pw\nbad:\n", "line 2 (user bad): the password is empty"),
        ("no colon SECRET\n", "line 1: expected"),
    ] {
        let dir = Dir::new();
        let path = dir.write("users.txt", file);
        let log = match Server::start(&dir, &path) {
            Ok(server) => panic!("started with {file:?}: {}", server.log),
            Err(log) => log,
        };
        assert!(log.contains(expected), "{file:?}: {log}");
        assert!(!log.contains("SECRET"), "{log}");
    }
}

#[test]
fn the_server_reads_the_users_file_from_its_flag_too() {
    let dir = Dir::new();
    let path = dir.write("users.txt", "bad: MD5:nothex\n");
    let out = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(["serve", "--database-url", &dir.database_url()])
        .args(["--listen", "127.0.0.1:0", "--basic-auth-file", &path])
        .env_remove("SCHEMATA_BASIC_AUTH_FILE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    assert!(!out.status.success());
    let mut log = String::new();
    out.stderr.as_slice().read_to_string(&mut log).unwrap();
    assert!(log.contains("line 1 (user bad)"), "{log}");
}
