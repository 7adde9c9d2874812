//! The server's log output as a log pipeline or a container runtime sees it: everything on
//! stderr, no colour codes when stderr is not a terminal, JSON lines that parse, and a
//! shutdown that says it drained.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Start `schemata serve` on a fresh SQLite file and a free port, wait until it listens,
/// stop it with SIGTERM, and return (stdout, stderr).
fn serve_and_stop(extra: &[&str]) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("schemata_logs_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("logs.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(["serve", "--database-url", &url, "--listen", "127.0.0.1:0"])
        .args(extra)
        .env_remove("SCHEMATA_LOG")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    let started = Instant::now();
    while !log.contains("listening") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never listened: {log}"
        );
        if stderr.read_line(&mut log).unwrap() == 0 {
            panic!("the server exited: {log}");
        }
    }
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let rest = child.wait_with_output().unwrap();
    log.push_str(&String::from_utf8_lossy(&rest.stderr));
    std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(rest.status.success(), "exit {:?}: {log}", rest.status);
    (String::from_utf8_lossy(&rest.stdout).into_owned(), log)
}

#[test]
fn text_logs_go_to_stderr_without_colour_codes() {
    let (stdout, stderr) = serve_and_stop(&[]);
    assert_eq!(stdout, "", "nothing on stdout");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes in a redirected log: {stderr:?}"
    );
    assert!(stderr.contains("schemata listening"), "{stderr}");
    assert!(stderr.contains("in-flight requests drained"), "{stderr}");
}

#[test]
fn json_logs_are_one_object_a_line() {
    let (stdout, stderr) = serve_and_stop(&["--log-format", "json"]);
    assert_eq!(stdout, "", "nothing on stdout");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| {
            assert!(l["timestamp"].is_string() && l["level"].is_string(), "{l}");
            assert!(l["target"].is_string(), "{l}");
            l["fields"]["message"].as_str().unwrap_or_default()
        })
        .collect();
    assert!(messages.contains(&"schemata listening"), "{messages:?}");
    assert!(
        messages.contains(&"stopped accepting connections; in-flight requests drained"),
        "{messages:?}"
    );
}
