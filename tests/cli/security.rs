//! The ACL file, audit log and rate limit through the real binary: start-up refusals, the
//! ACL and the users file re-read on SIGHUP (which must not stop the server), audit records
//! on stderr.

use crate::common::Dir;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USERS: &str = "admin: pw,admin\nbob: pw\n";
const ACL: &str = "[[allow]]\nprincipal = \"role:admin\"\nsubjects = [\"*\"]\noperations = [\"all\"]\nglobal = [\"all\"]\n\n[[allow]]\nprincipal = \"user:bob\"\nglobal = [\"read\"]\n";

fn serve(dir: &Dir, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_schemata"));
    command
        .args([
            "serve",
            "--database-url",
            &dir.database_url(),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env_remove("SCHEMATA_LOG")
        .env_remove("SCHEMATA_BASIC_AUTH_FILE")
        .env_remove("SCHEMATA_ACL_FILE")
        .env("NO_COLOR", "1");
    command
}

/// Run a server that must not start; its stderr.
fn refused(dir: &Dir, extra: &[&str]) -> String {
    let out = serve(dir, extra).output().unwrap();
    assert!(!out.status.success(), "started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_acl_file_needs_authentication_and_must_parse() {
    let dir = Dir::new();
    let acl = dir.write("acl.toml", ACL);
    let log = refused(&dir, &["--acl-file", &acl]);
    assert!(log.contains("--acl-file needs authentication"), "{log}");

    let users = dir.write("users.txt", USERS);
    let bad = dir.write(
        "bad.toml",
        &format!("{ACL}\n[[allow]]\nprincipal = \"user:x\"\nglobal = [\"reed\"]\n"),
    );
    let log = refused(&dir, &["--basic-auth-file", &users, "--acl-file", &bad]);
    assert!(
        log.contains("[[allow]] #3") && log.contains("reed"),
        "{log}"
    );
}

/// A server whose stderr is collected as it comes; stopped with SIGTERM on drop.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(command: &mut Command) -> Server {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let collected = log.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).unwrap_or(0) > 0 {
                collected.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let mut server = Server {
            child,
            base: String::new(),
            log,
        };
        server.base = server.wait_for("schemata listening", |log| {
            let address = log.split("address=").nth(1)?.split_whitespace().next()?;
            Some(format!("http://{address}"))
        });
        server
    }

    /// Wait (up to 30 s) until `found` finds something in the log.
    fn wait_for<T>(&mut self, what: &str, found: impl Fn(&str) -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = found(&self.log.lock().unwrap()) {
                return found;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "exited ({status}) before {what}: {}",
                    self.log.lock().unwrap()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no {what}: {}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([name, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.signal("-TERM");
        let _ = self.child.wait();
    }
}

async fn status(base: &str, user: &str, path: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .basic_auth(user, Some("pw"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn sighup_rereads_the_acl_file_and_refusals_are_audited_on_stderr() {
    let dir = Dir::new();
    let users = dir.write("users.txt", USERS);
    let acl = dir.write("acl.toml", ACL);
    let mut server = Server::start(&mut serve(
        &dir,
        &[
            "--basic-auth-file",
            &users,
            "--acl-file",
            &acl,
            "--audit-log",
            "-",
            "--rate-limit",
            "1000",
        ],
    ));
    assert_eq!(status(&server.base, "bob", "/subjects").await, 200);
    assert_eq!(status(&server.base, "bob", "/config").await, 403);
    // The refusal's audit record is on stderr, one JSON object.
    let record = server.wait_for("an audit record", |log| {
        log.lines()
            .find(|l| l.starts_with('{') && l.contains("\"status\":403"))
            .map(str::to_string)
    });
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["principal"], "bob");
    assert_eq!(record["operation"], "config_read");

    std::fs::write(
        &acl,
        ACL.replace(
            "global = [\"read\"]",
            "global = [\"read\", \"config_read\"]",
        ),
    )
    .unwrap();
    server.signal("-HUP");
    server.wait_for("the reload on SIGHUP", |log| {
        log.lines()
            .find(|l| l.contains("ACL file reloaded") && l.contains("Signal"))
            .map(|_| ())
    });
    // Still serving, with the new rules.
    assert_eq!(status(&server.base, "bob", "/config").await, 200);
    assert_eq!(status(&server.base, "bob", "/health").await, 200);
}

async fn status_as(base: &str, user: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/subjects"))
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The users file is re-read on SIGHUP (docs/rest-api.md §10): a new password works and the
/// old one is refused at once; a broken file keeps the users in force and the warning names
/// the line, never what is on it.
#[tokio::test]
async fn sighup_rereads_the_users_file() {
    let dir = Dir::new();
    let users = dir.write("users.txt", "alice: first-Pw,admin\n");
    let mut server = Server::start(&mut serve(&dir, &["--basic-auth-file", &users]));
    assert_eq!(status_as(&server.base, "alice", "first-Pw").await, 200);

    std::fs::write(&users, "alice: second-Pw,admin\n").unwrap();
    server.signal("-HUP");
    server.wait_for("the reload on SIGHUP", |log| {
        log.lines()
            .find(|l| l.contains("users file reloaded") && l.contains("Signal"))
            .map(|_| ())
    });
    assert_eq!(status_as(&server.base, "alice", "first-Pw").await, 401);
    assert_eq!(status_as(&server.base, "alice", "second-Pw").await, 200);

    std::fs::write(
        &users,
        "alice: second-Pw,admin\nbob: MD5:Leaked-Hash-Text\n",
    )
    .unwrap();
    server.signal("-HUP");
    let warning = server.wait_for("the refused reload", |log| {
        log.lines()
            .find(|l| l.contains("users file not reloaded"))
            .map(str::to_string)
    });
    assert!(warning.contains("line 2 (user bob)"), "{warning}");
    assert_eq!(status_as(&server.base, "alice", "second-Pw").await, 200);
    assert_eq!(status_as(&server.base, "bob", "x").await, 401);
    let log = server.log.lock().unwrap().clone();
    for secret in ["first-Pw", "second-Pw", "Leaked-Hash-Text"] {
        assert!(!log.contains(secret), "{secret} logged: {log}");
    }
}
