//! The server's log output as a log pipeline or a container runtime sees it: everything on
//! stderr, no colour codes when stderr is not a terminal, JSON lines that parse, and a
//! shutdown that says it drained.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Start `schemata serve` on a fresh SQLite file and a free port, wait until it listens,
/// stop it with SIGTERM, and return (stdout, stderr).
fn serve_and_stop(extra: &[&str]) -> (String, String) {
    serve_use_and_stop(extra, |_| {})
}

/// `serve_and_stop`, calling `between` with the listening address before the stop.
fn serve_use_and_stop(extra: &[&str], between: impl FnOnce(&str)) -> (String, String) {
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
    let address = log
        .split("address=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .or_else(|| {
            log.split("\"address\":\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
        })
        .expect("the listening line names the address")
        .to_string();
    between(&address);
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

/// One plain HTTP/1.1 GET, answered in full.
fn get(address: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn access_log_lines_are_written_at_info_with_the_flag() {
    let (_, stderr) = serve_use_and_stop(&["--access-log", "--log-format", "json"], |address| {
        assert!(get(address, "/subjects?deleted=true").starts_with("HTTP/1.1 200"));
        assert!(get(address, "/schemas/ids/77").starts_with("HTTP/1.1 404"));
    });
    let access: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["target"] == "schemata::access")
        .collect();
    assert_eq!(access.len(), 2, "{stderr}");
    assert_eq!(access[0]["level"], "INFO");
    assert_eq!(access[0]["fields"]["method"], "GET");
    assert_eq!(access[0]["fields"]["path"], "/subjects");
    assert_eq!(access[0]["fields"]["status"], 200);
    assert!(access[0]["fields"]["millis"].is_number());
    assert_eq!(access[1]["fields"]["path"], "/schemas/ids/77");
    assert_eq!(access[1]["fields"]["status"], 404);
}

#[test]
fn without_the_flag_requests_are_not_logged_at_info() {
    let (_, stderr) = serve_use_and_stop(&[], |address| {
        assert!(get(address, "/subjects").starts_with("HTTP/1.1 200"));
    });
    assert!(!stderr.contains("schemata::access"), "{stderr}");
    // The effective configuration is logged at start, every flag with its value.
    let configuration = stderr
        .lines()
        .find(|l| l.contains("effective configuration"))
        .unwrap_or_else(|| panic!("no configuration line: {stderr}"));
    for field in [
        "database_url=sqlite://",
        "max_connections=1000",
        "access_log=false",
    ] {
        assert!(
            configuration.contains(field),
            "{field} missing: {configuration}"
        );
    }
}
