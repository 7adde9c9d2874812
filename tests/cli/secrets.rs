//! The database password never reaches the terminal, the log or an HTTP answer, on any
//! error path we can provoke (docs/rest-api.md §9): a URL the server cannot use (or whose
//! parameters the driver does not know, which it would log with their value), a database
//! that does not answer or does not exist, `migrate` failing, a running server whose
//! database disappears (500s, `/ready`), and wrong basic-auth passwords.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "Zq7-database-secret-91x";

fn admin_url() -> String {
    std::env::var("SCHEMATA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// The admin URL with `SECRET` as its password (trust authentication ignores it) and
/// `database` as its database.
fn url_with_secret(database: &str) -> String {
    let admin = admin_url();
    let (scheme, rest) = admin.split_once("://").expect("a URL");
    let (credentials, host_and_db) = rest.split_once('@').unwrap_or(("postgres", rest));
    let user = credentials.split(':').next().unwrap_or("postgres");
    let host = host_and_db.split('/').next().unwrap();
    format!("{scheme}://{user}:{SECRET}@{host}/{database}")
}

/// Run the binary to its end (it is expected to fail) and return stdout + stderr.
fn fails(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(args)
        .env("SCHEMATA_LOG", "debug")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "{args:?} succeeded");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!text.trim().is_empty(), "{args:?} failed without a word");
    text
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} shows the password:\n{text}");
}

#[test]
fn failing_to_start_never_shows_the_password() {
    let cases = [
        (
            "unsupported scheme",
            format!("mysql://root:{SECRET}@127.0.0.1:3306/x"),
        ),
        (
            "closed port",
            format!("postgres://postgres:{SECRET}@127.0.0.1:1/x"),
        ),
        (
            "missing database",
            url_with_secret("schemata_no_such_database"),
        ),
        (
            "unparsable URL",
            format!("postgres://postgres:{SECRET}@[bad/x"),
        ),
        // The driver logs the value of a parameter it does not know; libpq's sslpassword
        // (a key's passphrase) is one (docs/tls.md §3).
        (
            "key passphrase",
            format!("postgres://postgres@127.0.0.1:1/x?sslmode=require&sslpassword={SECRET}"),
        ),
        (
            "misspelt parameter",
            format!("postgres://postgres@127.0.0.1:1/x?passwrd={SECRET}"),
        ),
    ];
    for (what, url) in &cases {
        for command in ["serve", "migrate"] {
            let mut args = vec![command, "--database-url", url];
            if command == "serve" {
                args.extend(["--listen", "127.0.0.1:0"]);
            }
            let text = fails(&args);
            assert_no_secret(&format!("{command} with a {what}"), &text);
        }
    }
}

async fn admin_execute(sql: &str) {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin_url())
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_database_disappears_never_shows_the_password() {
    let database = format!("schemata_secret_{}", uuid::Uuid::new_v4().simple());
    admin_execute(&format!("CREATE DATABASE {database}")).await;
    let users = std::env::temp_dir().join(format!("{database}.users"));
    std::fs::write(&users, format!("admin: {SECRET}-user,admin\n")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(["serve", "--database-url", &url_with_secret(&database)])
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--basic-auth-file")
        .arg(&users)
        .env("SCHEMATA_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let collected = log.clone();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buffer) {
            if n == 0 {
                break;
            }
            collected
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    let started = Instant::now();
    let address = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never listened"
        );
        let text = log.lock().unwrap().clone();
        if let Some(line) = text.lines().find(|l| l.contains("schemata listening")) {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            break event["fields"]["address"].as_str().unwrap().to_string();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let base = format!("http://{address}");
    let client = crate::common::http_client();
    let mut answers = String::new();
    let wrong = client
        .get(format!("{base}/subjects"))
        .basic_auth("admin", Some(format!("{SECRET}-wrong")))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    answers.push_str(&wrong.text().await.unwrap());
    let registered = client
        .post(format!("{base}/subjects/s/versions"))
        .basic_auth("admin", Some(format!("{SECRET}-user")))
        .body(r#"{"schema": "\"string\""}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 200);

    admin_execute(&format!("DROP DATABASE {database} WITH (FORCE)")).await;
    let mut server_errors = 0;
    for path in [
        "/subjects",
        "/schemas/ids/999",
        "/config",
        "/ready",
        "/subjects/s/versions",
    ] {
        let reply = client
            .get(format!("{base}{path}"))
            .basic_auth("admin", Some(format!("{SECRET}-user")))
            .send()
            .await
            .unwrap();
        if reply.status().is_server_error() {
            server_errors += 1;
        }
        answers.push_str(&reply.text().await.unwrap());
    }
    assert!(server_errors >= 3, "the database is gone: {answers}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    reader.join().unwrap();
    let _ = std::fs::remove_file(&users);
    let log = log.lock().unwrap().clone();
    assert!(
        log.contains("request_id"),
        "the 5xx causes are logged: {log}"
    );
    assert!(
        log.contains("effective configuration") && log.contains(":****@"),
        "the configuration is logged with the password redacted: {log}"
    );
    assert_no_secret("an HTTP answer", &answers);
    assert_no_secret("the log", &log);
}

#[test]
fn startup_failures_name_the_place_and_the_cause_at_once() {
    let cases = [
        (
            format!("postgres://postgres:{SECRET}@127.0.0.1:1/x"),
            ["127.0.0.1:1/x", "Connection refused"],
        ),
        (
            url_with_secret("schemata_no_such_database"),
            ["schemata_no_such_database", "does not exist"],
        ),
        (
            "sqlite:///nonexistent-schemata-dir/x.db".to_string(),
            [
                "the SQLite file /nonexistent-schemata-dir/x.db",
                "unable to open",
            ],
        ),
    ];
    for (url, expected) in &cases {
        // The pool used to wait out its 10 s acquire timeout and say only "pool timed out".
        let text = fails(&["migrate", "--database-url", url]);
        for part in expected {
            assert!(text.contains(part), "{url}: {part:?} missing from {text}");
        }
        assert_no_secret("a startup failure", &text);
    }
}

/// A file that is not a SQLite database opens fine and fails at its first statement: one
/// line naming the file and the cause, at once (it was twelve driver ERROR lines over ten
/// seconds, then "pool timed out").
#[test]
fn a_corrupt_sqlite_file_is_named_once() {
    let dir = std::env::temp_dir().join(format!(
        "schemata_corrupt_{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("corrupt.db");
    std::fs::write(&file, vec![0x5a_u8; 64 * 1024]).unwrap();
    let url = format!("sqlite://{}", file.display());
    for command in ["migrate", "serve"] {
        let text = fails(&[command, "--database-url", &url]);
        let place = format!("the SQLite file {}", file.display());
        assert!(text.contains(&place), "{command}: {text}");
        assert_eq!(
            text.matches("file is not a database").count(),
            1,
            "{command}: {text}"
        );
        assert!(!text.contains("pool timed out"), "{command}: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
