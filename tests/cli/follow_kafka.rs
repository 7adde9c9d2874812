//! `schemata serve --follow-kafka` (docs/migration.md §6), the real binary following a CSR
//! storage topic on a real Kafka-protocol broker (tansu), on SQLite and PostgreSQL: it
//! serves the topic's history at start, applies records written while it runs (a new
//! version, a config, a permanent delete), refuses writes with CSR's READONLY answer,
//! reports its lag on `/metrics` and `GET /v1/follow` until it reaches 0; restarted after
//! records were written while it was down (one a permanent delete), it catches up; restarted
//! without the flag (the cut-over), it takes writes with new ids above every id the topic
//! gave out.

use crate::app::{drop_database, fresh_database, Backend};
use crate::common::http_client;
use crate::import_kafka::write_history;
use crate::tansu::{avro, csr, Broker, T0};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `schemata serve` process on `database_url`, killed when dropped.
pub(crate) struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start the binary and wait until it listens (after catching up with the topic).
pub(crate) async fn serve(database_url: &str, extra: &[&str]) -> Server {
    let (database_url, extra): (String, Vec<String>) = (
        database_url.into(),
        extra.iter().map(|s| s.to_string()).collect(),
    );
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args([
                "serve",
                "--database-url",
                &database_url,
                "--listen",
                "127.0.0.1:0",
            ])
            .args(["--log-format", "json"])
            .args(&extra)
            .env("SCHEMATA_LOG", "info")
            .env_remove("SCHEMATA_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let started = Instant::now();
        let mut line = String::new();
        let mut log = String::new();
        let address = loop {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "never listened:\n{log}"
            );
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "the server exited:\n{log}"
            );
            log.push_str(&line);
            let event: Value = serde_json::from_str(&line).unwrap_or_default();
            if event["fields"]["message"] == "schemata listening" {
                break event["fields"]["address"].as_str().unwrap().to_string();
            }
        };
        std::thread::spawn(move || for _ in stderr.lines() {});
        Server {
            child,
            base: format!("http://{address}"),
        }
    })
    .await
    .unwrap()
}

impl Server {
    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut request = http_client()
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json");
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let (status, text) = self.request(reqwest::Method::GET, path, None).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Ask `path` until `done` holds of the answer (the follower applies records in the
    /// background); the last answer.
    pub(crate) async fn until(
        &self,
        path: &str,
        done: impl Fn(u16, &Value) -> bool,
    ) -> (u16, Value) {
        let started = Instant::now();
        loop {
            let (status, body) = self.get(path).await;
            if done(status, &body) {
                return (status, body);
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{path} never reached the expected answer; last: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn metrics(&self) -> String {
        self.request(reqwest::Method::GET, "/metrics", None).await.1
    }
}

/// `schemata follow ARGS --registry-url` against `server`: exit status, stdout then stderr.
async fn follow_command(server: &Server, args: &[&str]) -> (Option<i32>, String) {
    let mut command = vec![
        "follow".to_string(),
        "--registry-url".into(),
        server.base.clone(),
    ];
    command.extend(args.iter().map(|s| s.to_string()));
    let out = crate::import::schemata(command).await;
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The value of a sample line `name value` of a scrape.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Every write a client can make is refused with 422/42205 while following.
async fn writes_are_refused(server: &Server) {
    use reqwest::Method;
    for (method, path, body) in [
        (
            Method::POST,
            "/subjects/new-subject/versions",
            Some(json!({"schema": avro("N", "n")})),
        ),
        (
            Method::POST,
            "/subjects/new-subject/versions",
            Some(json!({"schema": avro("N", "n"), "id": 500, "version": 1})),
        ),
        (
            Method::PUT,
            "/config",
            Some(json!({"compatibility": "NONE"})),
        ),
        (
            Method::PUT,
            "/config/avro-value",
            Some(json!({"compatibility": "NONE"})),
        ),
        (Method::DELETE, "/config/avro-value", None),
        (Method::PUT, "/mode", Some(json!({"mode": "READWRITE"}))),
        (
            Method::PUT,
            "/mode/avro-value",
            Some(json!({"mode": "IMPORT"})),
        ),
        (Method::DELETE, "/mode/proto-value", None),
        (Method::DELETE, "/subjects/avro-value", None),
        (Method::DELETE, "/subjects/avro-value/versions/1", None),
        (Method::DELETE, "/contexts/.staging", None),
    ] {
        let (status, text) = server.request(method.clone(), path, body).await;
        let answer: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            (status, answer["error_code"].clone()),
            (422, json!(42205)),
            "{method} {path}: {text}"
        );
        assert!(text.contains("read-only mode"), "{method} {path}: {text}");
    }
}

/// The modes a follower shows: the stored ones, and READONLY everywhere with
/// `defaultToGlobal=true` while it follows (the stored ones once it stopped).
async fn modes_show_read_only(server: &Server, following: bool) {
    let resolved = if following { "READONLY" } else { "READWRITE" };
    assert_eq!(server.get("/mode").await.1, json!({"mode": "READWRITE"}));
    for path in [
        "/mode?defaultToGlobal=true",
        "/mode/:.:?defaultToGlobal=true",
        "/mode/avro-value?defaultToGlobal=true",
        "/mode/:.staging:?defaultToGlobal=true",
    ] {
        assert_eq!(
            server.get(path).await.1,
            json!({"mode": resolved}),
            "{path}"
        );
    }
    // A subject's own mode as stored; none of its own is 40409, as anywhere.
    assert_eq!(
        server.get("/mode/proto-value").await.1,
        json!({"mode": "READONLY"})
    );
    let (status, answer) = server.get("/mode/avro-value").await;
    assert_eq!((status, answer["error_code"].clone()), (404, json!(40409)));
}

#[tokio::test]
async fn a_follower_serves_the_topic_live_refuses_writes_and_takes_over_at_the_cut_over() {
    let broker = Broker::start(&[]);
    let topic = broker.topic("_schemas").await;
    write_history(&topic).await;
    let follow = ["--follow-kafka", broker.bootstrap.as_str()];
    let mut at = T0 + 2_000_000;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (database_url, _dir) = fresh_database(backend).await;
        let server = serve(&database_url, &follow).await;
        // The history is there from the start.
        let (_, status) = server.get("/v1/follow").await;
        assert_eq!(status["following"], true, "{status}");
        assert!(
            status["source"].as_str().unwrap().contains("_schemas"),
            "{status}"
        );
        assert_eq!(
            server.get("/subjects/avro-value/versions/2").await.1["id"],
            3
        );
        assert_eq!(server.get("/schemas/ids/11").await.0, 404);
        writes_are_refused(&server).await;
        modes_show_read_only(&server, true).await;

        // Records written while it runs arrive.
        let subject = format!("live-{backend:?}");
        let id = if backend == Backend::Sqlite { 12 } else { 13 };
        at += 1000;
        topic
            .write(
                &csr::schema_key(&subject, 1),
                Some(csr::schema(
                    &subject,
                    1,
                    id,
                    &avro("Live", &format!("{backend:?}")),
                    false,
                    json!({}),
                )),
                at,
            )
            .await;
        topic
            .write(
                &csr::config_key(Some(&subject)),
                Some(json!({"compatibilityLevel": "NONE"})),
                at,
            )
            .await;
        topic
            .write(
                &csr::schema_key("hard-value", 1),
                Some(csr::schema(
                    "hard-value",
                    1,
                    8,
                    &avro("H", "f1"),
                    true,
                    json!({}),
                )),
                at,
            )
            .await;
        let last = topic
            .write(&csr::schema_key("hard-value", 1), None, at)
            .await;
        let path = format!("/subjects/{subject}/versions/1");
        let (_, version) = server.until(&path, |s, _| s == 200).await;
        assert_eq!(
            (version["id"].clone(), version["ts"].clone()),
            (json!(id), json!(at)),
            "{version}"
        );
        server
            .until(&format!("/config/{subject}"), |s, b| {
                s == 200 && b["compatibilityLevel"] == "NONE"
            })
            .await;
        server
            .until("/subjects/hard-value/versions?deleted=true", |s, _| {
                s == 404
            })
            .await;
        assert_eq!(server.get("/schemas/ids/8").await.0, 404);
        // Caught up: the lag is 0 in records and seconds, on both.
        let (_, status) = server
            .until("/v1/follow", |_, b| {
                b["position"] == last + 1 && b["lagRecords"] == 0
            })
            .await;
        assert_eq!(status["lagSeconds"], 0, "{status}");
        assert_eq!(
            status["errors"], 1,
            "the unreadable record of the history: {status}"
        );
        let metrics = server.metrics().await;
        assert_eq!(
            sample(&metrics, "schemata_follow_lag_records"),
            Some(0.0),
            "{metrics}"
        );
        assert_eq!(
            sample(&metrics, "schemata_follow_lag_seconds"),
            Some(0.0),
            "{metrics}"
        );
        assert!(
            metrics.contains("# HELP schemata_follow_lag_records"),
            "{metrics}"
        );
        writes_are_refused(&server).await;
        drop(server);

        // Written while it was down: a permanent delete and a mode. A restart catches up.
        at += 1000;
        topic
            .write(&csr::schema_key("avro-value", 3), None, at)
            .await;
        topic
            .write(
                &csr::mode_key(Some(&subject)),
                Some(json!({"subject": subject, "mode": "READONLY"})),
                at,
            )
            .await;
        let server = serve(&database_url, &follow).await;
        assert_eq!(
            server
                .get("/subjects/avro-value/versions?deleted=true")
                .await
                .1,
            json!([1, 2])
        );
        assert_eq!(
            server.get(&format!("/mode/{subject}")).await.1["mode"],
            "READONLY"
        );

        // The cut-over in place: `schemata follow` shows the status, `--stop` ends the
        // following at lag 0, and the server takes writes with ids above every id the
        // topic gave out.
        let out = follow_command(&server, &[]).await;
        assert_eq!(out.0, Some(0), "{}", out.1);
        let shown: Value = serde_json::from_str(out.1.lines().next().unwrap()).unwrap();
        assert_eq!(shown["following"], true, "{}", out.1);
        server
            .until("/v1/follow", |_, b| b["lagRecords"] == 0)
            .await;
        let out = follow_command(&server, &["--stop"]).await;
        assert_eq!(out.0, Some(0), "{}", out.1);
        let stopped: Value = serde_json::from_str(out.1.lines().next().unwrap()).unwrap();
        assert_eq!(
            (stopped["following"].clone(), stopped["lagRecords"].clone()),
            (json!(false), json!(0)),
            "{}",
            out.1
        );
        assert!(out.1.contains("stopped following at lag 0"), "{}", out.1);
        modes_show_read_only(&server, false).await;
        let (status, text) = server
            .request(
                reqwest::Method::POST,
                "/subjects/after-stop/versions",
                Some(json!({"schema": avro("Stop", "s")})),
            )
            .await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap()["id"],
            id + 1,
            "{text}"
        );
        // Stopping again changes nothing, and says the server does not follow.
        let out = follow_command(&server, &["--stop"]).await;
        assert_eq!(out.0, Some(1), "{}", out.1);
        drop(server);

        // Or restarted without the flag: it takes writes, ids continuing.
        let server = serve(&database_url, &[]).await;
        assert_eq!(
            server.get("/v1/follow").await.1,
            json!({"following": false})
        );
        let (status, text) = server
            .request(
                reqwest::Method::POST,
                "/subjects/after-cut-over/versions",
                Some(json!({"schema": avro("After", "a")})),
            )
            .await;
        assert_eq!(status, 200, "{text}");
        let new_id = serde_json::from_str::<Value>(&text).unwrap()["id"]
            .as_i64()
            .unwrap();
        assert_eq!(new_id, id + 2, "{text}");
        assert_eq!(
            sample(&server.metrics().await, "schemata_follow_lag_records"),
            None
        );
        drop(server);
        drop_database(backend, &database_url).await;
    }
}

#[tokio::test]
async fn a_follower_that_cannot_start_says_why() {
    let broker = Broker::start(&[]);
    let dir = crate::common::Dir::new();
    let database_url = dir.database_url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args([
                "serve",
                "--database-url",
                &database_url,
                "--listen",
                "127.0.0.1:0",
            ])
            .args(["--follow-kafka", &broker.bootstrap, "--topic", "_absent"])
            .env_remove("SCHEMATA_DATABASE_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot follow the storage topic")
            && stderr.contains("_absent")
            && stderr.contains("does not exist"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_sasl_password_never_reaches_the_log() {
    let broker = Broker::start(&[]);
    let dir = crate::common::Dir::new();
    let config = dir.write(
        "client.properties",
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=reader\nsasl.password=hunter2-from-file\n",
    );
    let database_url = dir.database_url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args([
                "serve",
                "--database-url",
                &database_url,
                "--listen",
                "127.0.0.1:0",
            ])
            .args(["--follow-kafka", &broker.bootstrap, "--topic", "_absent"])
            .args(["--kafka-config", &config])
            .args(["--kafka-option", "sasl.password=hunter2-on-the-line"])
            .env("SCHEMATA_LOG", "debug")
            .env_remove("SCHEMATA_DATABASE_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The broker has no SASL users: the start fails, one way or another.
    assert!(!out.status.success(), "{output}");
    assert!(
        output.contains("sasl.password"),
        "the option is named in the configuration log: {output}"
    );
    assert!(!output.contains("hunter2"), "{output}");
}

/// A registration on `server`: its status and answer.
async fn register(server: &Server, subject: &str, schema: &str) -> (u16, Value) {
    let (status, text) = server
        .request(
            reqwest::Method::POST,
            &format!("/subjects/{subject}/versions"),
            Some(json!({"schema": schema})),
        )
        .await;
    (status, serde_json::from_str(&text).unwrap_or_default())
}

/// A registration on `server` once it succeeds: other servers read the follower's mark at
/// most once a second (docs/migration.md §6.4), so its removal reaches them within that.
async fn registers_within_a_second(server: &Server, subject: &str, schema: &str) -> Value {
    let mut last = (0, Value::Null);
    for _ in 0..30 {
        last = register(server, subject, schema).await;
        if last.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last.0, 200, "{}", last.1);
    last.1
}

/// Another server on the follower's database refuses every write with 42205, saying who
/// follows (once it has read the mark: within a second, docs/migration.md §6.4).
async fn refused_elsewhere(other: &Server) {
    use reqwest::Method;
    let probe = || other.request(Method::PUT, "/mode", Some(json!({"mode": "READWRITE"})));
    for _ in 0..30 {
        if probe().await.0 == 422 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (method, path, body) in [
        (
            Method::POST,
            "/subjects/other-value/versions",
            Some(json!({"schema": avro("Other", "o")})),
        ),
        (
            Method::PUT,
            "/config/avro-value",
            Some(json!({"compatibility": "NONE"})),
        ),
        (Method::PUT, "/mode", Some(json!({"mode": "READWRITE"}))),
        (Method::DELETE, "/subjects/avro-value/versions/1", None),
    ] {
        let (status, text) = other.request(method.clone(), path, body).await;
        let answer: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            (status, answer["error_code"].clone()),
            (422, json!(42205)),
            "{method} {path}: {text}"
        );
        assert!(
            text.contains("another server on this database follows topic _schemas"),
            "{method} {path}: {text}"
        );
    }
}

/// Send SIGTERM to the server and wait for it to exit.
fn terminate(mut server: Server) {
    let pid = server.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    assert!(server.child.wait().unwrap().success());
}

#[tokio::test]
async fn other_servers_on_the_database_refuse_writes_while_one_follows() {
    let broker = Broker::start(&[]);
    let topic = broker.topic("_schemas").await;
    write_history(&topic).await;
    let follow = ["--follow-kafka", broker.bootstrap.as_str()];
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (database_url, _dir) = fresh_database(backend).await;
        // A server started before the follower, and one after.
        let before = serve(&database_url, &[]).await;
        let follower = serve(&database_url, &follow).await;
        let after = serve(&database_url, &[]).await;
        for other in [&before, &after] {
            refused_elsewhere(other).await;
            // Its modes read as the follower's do.
            for path in [
                "/mode?defaultToGlobal=true",
                "/mode/avro-value?defaultToGlobal=true",
            ] {
                assert_eq!(
                    other.get(path).await.1,
                    json!({"mode": "READONLY"}),
                    "{path}"
                );
            }
            assert_eq!(other.get("/mode").await.1, json!({"mode": "READWRITE"}));
            // Reads are served, re-registering a schema that is there answers its id.
            assert_eq!(
                other.get("/subjects/avro-value/versions/2").await.1["id"],
                3
            );
            let (status, again) = register(other, "hard-value", &avro("H", "f1")).await;
            assert_eq!((status, again["id"].clone()), (200, json!(8)), "{again}");
        }
        // The cut-over on the follower lifts it for all.
        let out = follow_command(&follower, &["--stop"]).await;
        assert_eq!(out.0, Some(0), "{}", out.1);
        registers_within_a_second(&before, "after-stop", &avro("Stop", "s")).await;
        assert_eq!(
            before.get("/mode?defaultToGlobal=true").await.1,
            json!({"mode": "READWRITE"})
        );

        // A follower that crashed leaves its mark: `follow --stop --database-url` clears it.
        drop(follower);
        let follower = serve(&database_url, &follow).await;
        drop(follower);
        refused_elsewhere(&after).await;
        let clear = |url: &str| {
            crate::import::schemata(vec![
                "follow".into(),
                "--stop".into(),
                "--database-url".into(),
                url.to_string(),
            ])
        };
        let out = clear(&database_url).await;
        let said = crate::import::text(&out);
        assert_eq!(out.status.code(), Some(0), "{said}");
        assert!(said.contains("\"cleared\":true"), "{said}");
        assert!(said.contains("topic _schemas on"), "{said}");
        registers_within_a_second(&after, "after-clear", &avro("Clear", "c")).await;
        let out = clear(&database_url).await;
        assert_eq!(out.status.code(), Some(1), "{}", crate::import::text(&out));

        // A follower that exits cleanly (SIGTERM) removes its mark itself.
        let follower = serve(&database_url, &follow).await;
        refused_elsewhere(&before).await;
        terminate(follower);
        registers_within_a_second(&before, "after-exit", &avro("Exit", "e")).await;
        drop((before, after));
        drop_database(backend, &database_url).await;
    }
}
