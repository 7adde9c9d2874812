//! PostgreSQL restarted (`pg_ctlcluster … restart`) in the middle of a 32-client registration
//! load: the server recovers by itself, every acknowledged registration is in the database
//! with the id and version it was answered with, no (subject, version) or id is given twice,
//! answers during the outage are 5xx in the error envelope (docs/rest-api.md §9: 50001),
//! and once the database answers again nothing is answered with a 5xx.
//!
//! Each client behaves like Confluent's: a 5xx is retried with the same body until it is
//! answered 200, so every version the database holds must have been acknowledged, and a
//! registration that committed before its answer was lost is answered with the same id and
//! version on the retry.

use crate::common::{fresh_database, postgres_admin_url, spawn_on, Backend};
use serde_json::{json, Value};
use sqlx::{Connection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
/// Registrations acknowledged before the restart starts, so it lands in a running load.
const ACKED_BEFORE_RESTART: usize = 64;
/// Registrations sent and acknowledged after the database is back before the load stops.
const ACKED_AFTER_BACK: usize = 128;
/// No request may go unanswered this long (a hang fails the test instead of stalling it).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// A bound on each phase of the test, far above what it needs on a loaded machine.
const PHASE_LIMIT: Duration = Duration::from_secs(180);

/// The PostgreSQL cluster (Debian's `postgresql-common`) that listens on the port of the
/// test database URL: the one `scripts/postgres.sh` starts.
struct Cluster {
    version: String,
    name: String,
}

impl Cluster {
    fn serving(url: &str) -> Cluster {
        let port = port_of(url);
        let listed = std::process::Command::new("pg_lsclusters")
            .arg("--no-header")
            .output()
            .expect("pg_lsclusters (postgresql-common) lists the clusters this test restarts");
        assert!(listed.status.success(), "pg_lsclusters: {listed:?}");
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        listed
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .find(|fields| fields.len() > 3 && fields[2] == port)
            .map(|fields| Cluster {
                version: fields[0].to_string(),
                name: fields[1].to_string(),
            })
            .unwrap_or_else(|| panic!("no local cluster listens on port {port}:\n{listed}"))
    }

    /// `pg_ctlcluster <action>`: `restart` (a fast shutdown, open sessions terminated, then
    /// a start), `stop` or `start`; each waits until it is done.
    fn ctl(&self, action: &str) {
        let status = std::process::Command::new("pg_ctlcluster")
            .args([
                "--skip-systemctl-redirect",
                &self.version,
                &self.name,
                action,
            ])
            .status()
            .expect("run pg_ctlcluster");
        assert!(status.success(), "pg_ctlcluster {action}: {status}");
    }
}

/// Starts the cluster again if a test fails while it is stopped, so the tests that follow
/// (and anyone else on the machine) find it running.
struct StartOnDrop<'a>(&'a Cluster);

impl Drop for StartOnDrop<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = std::process::Command::new("pg_ctlcluster")
                .args(["--skip-systemctl-redirect", &self.0.version, &self.0.name])
                .arg("start")
                .status();
        }
    }
}

/// The port of a `postgres://user:password@host:port/database` URL (5432 if none).
fn port_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    match host_port.rsplit_once(':') {
        Some((_, port)) if !port.is_empty() => port.to_string(),
        _ => "5432".to_string(),
    }
}

/// One request as a client saw it.
struct Attempt {
    subject: String,
    schema: Value,
    sent: Instant,
    /// Status and body, or why there was no answer.
    answer: Result<(u16, String), String>,
}

/// What the clients and the test share.
#[derive(Default)]
struct Load {
    attempts: Mutex<Vec<Attempt>>,
    acked: AtomicUsize,
    acked_after_back: AtomicUsize,
    /// Answers other than 200.
    failed: AtomicUsize,
    stop: AtomicBool,
    /// When the fault ended (`pg_ctlcluster restart` or `start` returned).
    restarted: OnceLock<Instant>,
    /// When the first request sent after the restart was answered 200: the database is back.
    back: OnceLock<Instant>,
}

impl Load {
    fn record(&self, attempt: Attempt) -> bool {
        let acked = matches!(attempt.answer, Ok((200, _)));
        if acked {
            self.acked.fetch_add(1, Ordering::SeqCst);
            if let Some(&restarted) = self.restarted.get() {
                if attempt.sent >= restarted {
                    self.back.get_or_init(Instant::now);
                }
            }
            if self.back.get().is_some_and(|&back| attempt.sent >= back) {
                self.acked_after_back.fetch_add(1, Ordering::SeqCst);
            }
        }
        if !acked {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
        self.attempts.lock().unwrap().push(attempt);
        acked
    }
}

/// Version `n` of client `c`'s own subject: one more field with a default each time, so
/// each version is backward compatible with the last.
fn grown(c: usize, n: usize) -> Value {
    let mut fields = vec![json!({"name": "key", "type": "string"})];
    fields.extend((0..n).map(|f| json!({"name": format!("f{f}"), "type": "int", "default": 0})));
    json!({"type": "record", "name": format!("Grown{c}"), "fields": fields})
}

/// The first schema of a new subject.
fn fresh(c: usize, n: usize) -> Value {
    json!({"type": "record", "name": format!("Fresh{c}x{n}"), "fields": [
        {"name": "value", "type": "long"}
    ]})
}

/// One client: alternately a new version of its own subject and a new subject, each
/// retried (after a 5xx) until it is answered 200, until the test says stop.
async fn client(c: usize, base: String, load: Arc<Load>) {
    let http = reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .build()
        .unwrap();
    let mut n = 0;
    while !load.stop.load(Ordering::SeqCst) {
        let (subject, schema) = if n % 2 == 0 {
            (format!("grown-{c}"), grown(c, n / 2))
        } else {
            (format!("fresh-{c}-{n}"), fresh(c, n))
        };
        n += 1;
        loop {
            let sent = Instant::now();
            let answer = match http
                .post(format!("{base}/subjects/{subject}/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(json!({ "schema": schema.to_string() }).to_string())
                .send()
                .await
            {
                Ok(response) => {
                    let status = response.status().as_u16();
                    match response.text().await {
                        Ok(body) => Ok((status, body)),
                        Err(e) => Err(format!("reading the body: {e}")),
                    }
                }
                Err(e) => Err(format!("sending: {e}")),
            };
            let retry = matches!(answer, Ok((500..=599, _)));
            let attempt = Attempt {
                subject: subject.clone(),
                schema: schema.clone(),
                sent,
                answer,
            };
            if load.record(attempt) || !retry {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Wait until `done` holds, failing the test after [`PHASE_LIMIT`].
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PHASE_LIMIT, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn postmaster_started(database_url: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
    let started: String = sqlx::query_scalar("SELECT pg_postmaster_start_time()::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    started
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_loses_nothing_acknowledged() {
    under_load(|cluster, _| cluster.ctl("restart")).await;
}

/// The database stays down until a quarter of the clients have been answered with an error
/// (a request waits up to the pool's 10 s for a connection, then fails): the outage's
/// answers are checked too, not only the recovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_longer_postgres_outage_under_load_answers_5xx_then_recovers() {
    under_load(|cluster, load| {
        cluster.ctl("stop");
        let stopped = Instant::now();
        while load.failed.load(Ordering::SeqCst) < CLIENTS / 4 {
            assert!(stopped.elapsed() < PHASE_LIMIT, "no request failed");
            std::thread::sleep(Duration::from_millis(100));
        }
        cluster.ctl("start");
    })
    .await;
}

/// Run the load on a server over a fresh database, inflict `fault` on the cluster once the
/// load is going, keep the load up until long after the database is back, then check every
/// answer and what the database holds.
async fn under_load(fault: impl FnOnce(&Cluster, &Load) + Send + 'static) {
    let _alone = crate::one_at_a_time().await;
    let cluster = Cluster::serving(&postgres_admin_url());
    let (url, _) = fresh_database(Backend::Postgres).await;
    let before = postmaster_started(&url).await;
    let app = spawn_on(&url, Backend::Postgres, Default::default()).await;

    let load = Arc::new(Load::default());
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(client(c, app.base.clone(), load.clone())))
        .collect();
    wait_until("the load before the fault", || {
        load.acked.load(Ordering::SeqCst) >= ACKED_BEFORE_RESTART
    })
    .await;
    let during = load.clone();
    tokio::task::spawn_blocking(move || {
        let _restart = StartOnDrop(&cluster);
        fault(&cluster, &during);
    })
    .await
    .expect("the fault");
    let restarted = *load.restarted.get_or_init(Instant::now);
    wait_until("the load after the database is back", || {
        load.acked_after_back.load(Ordering::SeqCst) >= ACKED_AFTER_BACK
    })
    .await;
    load.stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.expect("a client task panicked");
    }
    assert_ne!(
        postmaster_started(&url).await,
        before,
        "PostgreSQL was restarted"
    );

    let attempts = std::mem::take(&mut *load.attempts.lock().unwrap());
    let back = *load.back.get().expect("the database came back");
    eprintln!(
        "{} requests, {} not answered 200; the fault ended after {:?}, the database was back \
         {:?} later, the load ran {:?}",
        attempts.len(),
        load.failed.load(Ordering::SeqCst),
        restarted - started,
        back - restarted,
        started.elapsed(),
    );
    assert_answers(&attempts, back);
    let acked = acknowledged(&attempts);
    assert_stored(&url, &acked).await;
    crate::common::drop_database(Backend::Postgres, &url).await;
}

/// Every request was answered (no hang, no dropped connection); every failure is a 5xx in
/// the envelope with the documented code; nothing sent once the database was back failed.
fn assert_answers(attempts: &[Attempt], back: Instant) {
    let mut failures = Vec::new();
    for attempt in attempts {
        let problem = match &attempt.answer {
            Err(e) => Some(format!("no answer: {e}")),
            Ok((200, _)) => None,
            Ok((status, body)) if attempt.sent >= back => {
                Some(format!("{status} after the database was back: {body}"))
            }
            Ok((status, body)) => {
                let envelope: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                let documented = (500..=599).contains(status)
                    && envelope["error_code"] == 50001
                    && envelope["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("request id"));
                (!documented).then(|| format!("{status} during the outage: {body}"))
            }
        };
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", attempt.subject));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} requests failed:\n{}",
        failures.len(),
        attempts.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// What the clients were told: (subject, version) → (id, schema), checked for a version or
/// an id given twice.
fn acknowledged(attempts: &[Attempt]) -> BTreeMap<(String, i64), (i64, Value)> {
    let mut acked = BTreeMap::new();
    let mut schema_of_id: HashMap<i64, &Value> = HashMap::new();
    for attempt in attempts {
        let Ok((200, body)) = &attempt.answer else {
            continue;
        };
        let answer: Value = serde_json::from_str(body).unwrap();
        let (id, version) = (
            answer["id"].as_i64().unwrap(),
            answer["version"].as_i64().unwrap(),
        );
        let same_id = schema_of_id.entry(id).or_insert(&attempt.schema);
        assert_eq!(*same_id, &attempt.schema, "id {id} given to two schemas");
        let key = (attempt.subject.clone(), version);
        if let Some((earlier, schema)) = acked.insert(key, (id, attempt.schema.clone())) {
            assert!(
                earlier == id && schema == attempt.schema,
                "{} version {version} answered twice, as id {earlier} and {id}",
                attempt.subject
            );
        }
    }
    acked
}

/// The database holds exactly what was acknowledged: every version with the id and schema
/// it was answered with, and nothing else (read with SQL); a second server, with empty
/// caches, lists the same subjects and versions over HTTP.
async fn assert_stored(url: &str, acked: &BTreeMap<(String, i64), (i64, Value)>) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT v.subject, v.version, v.schema_id, s.schema_text, v.deleted \
         FROM subject_versions v JOIN schemas s ON s.context = v.context AND s.id = v.schema_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let schemas: i64 = sqlx::query_scalar("SELECT count(*) FROM schemas")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mut stored = BTreeMap::new();
    for row in &rows {
        let text: String = row.get(3);
        let deleted: i64 = row.get(4);
        assert_eq!(deleted, 0);
        stored.insert(
            (row.get::<String, _>(0), row.get::<i64, _>(1)),
            (
                row.get::<i64, _>(2),
                serde_json::from_str::<Value>(&text).unwrap(),
            ),
        );
    }
    for (key, answered) in acked {
        assert_eq!(stored.get(key), Some(answered), "{key:?} as acknowledged");
    }
    let unacknowledged: Vec<_> = stored.keys().filter(|k| !acked.contains_key(*k)).collect();
    assert!(
        unacknowledged.is_empty(),
        "stored, never acknowledged: {unacknowledged:?}"
    );
    let ids: BTreeSet<i64> = acked.values().map(|(id, _)| *id).collect();
    assert_eq!(schemas as usize, ids.len(), "schemas stored");

    let reader = spawn_on(url, Backend::Postgres, Default::default()).await;
    let subjects: BTreeSet<&String> = acked.keys().map(|(subject, _)| subject).collect();
    let listed = reader.get("/subjects").await.assert_ok();
    let listed: BTreeSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(listed, subjects.iter().map(|s| s.as_str()).collect());
    for subject in subjects.iter().filter(|s| s.starts_with("grown-")) {
        let versions = reader
            .get(&format!("/subjects/{subject}/versions"))
            .await
            .assert_ok();
        let expected: Vec<i64> = acked
            .keys()
            .filter(|(s, _)| s == *subject)
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(versions, json!(expected), "versions of {subject}");
    }
}
