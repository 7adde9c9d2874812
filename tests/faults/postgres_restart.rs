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
const ACKED_BEFORE_RESTART: usize = 100;
/// Registrations sent and acknowledged after the database is back before the load stops.
const ACKED_AFTER_BACK: usize = 200;
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

    /// Restart the cluster (a fast shutdown: open sessions are terminated), waiting until
    /// it accepts connections again.
    fn restart(&self) {
        let status = std::process::Command::new("pg_ctlcluster")
            .args([
                "--skip-systemctl-redirect",
                &self.version,
                &self.name,
                "restart",
            ])
            .status()
            .expect("run pg_ctlcluster");
        assert!(status.success(), "pg_ctlcluster restart: {status}");
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
    stop: AtomicBool,
    /// When `pg_ctlcluster restart` returned.
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
    wait_until("the load before the restart", || {
        load.acked.load(Ordering::SeqCst) >= ACKED_BEFORE_RESTART
    })
    .await;
    tokio::task::spawn_blocking(move || cluster.restart())
        .await
        .unwrap();
    load.restarted.get_or_init(Instant::now);
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
    let failed = attempts
        .iter()
        .filter(|a| !matches!(a.answer, Ok((200, _))))
        .count();
    eprintln!(
        "{} requests, {failed} not answered 200; restart returned {:?} after the start, back {:?} later",
        attempts.len(),
        load.restarted.get().unwrap().duration_since(started),
        back.duration_since(*load.restarted.get().unwrap()),
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

/// The database holds exactly what was acknowledged: read back over HTTP from a second
/// server with empty caches, and counted with SQL.
async fn assert_stored(url: &str, acked: &BTreeMap<(String, i64), (i64, Value)>) {
    let reader = spawn_on(url, Backend::Postgres, Default::default()).await;
    let subjects: BTreeSet<&String> = acked.keys().map(|(subject, _)| subject).collect();
    let listed = reader.get("/subjects").await.assert_ok();
    assert_eq!(
        listed.as_array().unwrap().len(),
        subjects.len(),
        "every subject stored was acknowledged"
    );
    for subject in subjects {
        let versions = reader
            .get(&format!("/subjects/{subject}/versions"))
            .await
            .assert_ok();
        let expected: Vec<i64> = acked
            .keys()
            .filter(|(s, _)| s == subject)
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(versions, json!(expected), "versions of {subject}");
    }
    for ((subject, version), (id, schema)) in acked {
        let stored = reader
            .get(&format!("/subjects/{subject}/versions/{version}"))
            .await
            .assert_ok();
        assert_eq!(stored["id"], *id, "{subject} version {version}");
        let text: Value = serde_json::from_str(stored["schema"].as_str().unwrap()).unwrap();
        assert_eq!(&text, schema, "{subject} version {version}");
    }
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM subject_versions), \
                (SELECT count(DISTINCT (context, schema_id)) FROM subject_versions), \
                (SELECT count(*) FROM schemas)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let (versions, ids_used, schemas): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    let acked_ids: BTreeSet<i64> = acked.values().map(|(id, _)| *id).collect();
    assert_eq!(versions as usize, acked.len(), "versions stored");
    assert_eq!(ids_used as usize, acked_ids.len(), "ids stored");
    assert_eq!(schemas as usize, acked_ids.len(), "schemas stored");
    conn.close().await.unwrap();
}
