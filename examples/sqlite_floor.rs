//! Baseline for `bench/suite.sh` on SQLite: a plain loop inserting one row per transaction
//! into a file with the pragmas Schemata's store sets (WAL, `synchronous` FULL by default,
//! busy timeout, foreign keys), through the same driver (sqlx), from CONNECTIONS tasks on a
//! pool of that many connections. SQLite has one writer at a time, so this is the rate at
//! which the file takes commits: the floor a registration (one transaction of a few rows)
//! is measured against.
//!
//! Usage: sqlite_floor FILE SECONDS [CONNECTIONS=32] [SYNCHRONOUS=FULL]
//! Prints `ROWS n`, `RPS x`, `P50_MS`, `P99_MS` (per transaction, queueing included).
// Its report is its output.
#![allow(clippy::print_stdout)]

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::sqlite::{SqlitePool, SqliteSynchronous};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// A payload about the size of the schema row of the registration benchmark.
const PAYLOAD: &str = r#"{"type":"record","name":"PageView","namespace":"com.example.bench","fields":[{"name":"id","type":"long"},{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"url","type":"string"},{"name":"referrer","type":["null","string"],"default":null},{"name":"f","type":"string","default":""}]}"#;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: sqlite_floor FILE SECONDS [CONNECTIONS] [SYNCHRONOUS]");
        std::process::exit(2);
    }
    let seconds: f64 = args[1].parse().expect("SECONDS");
    let connections: u32 = args.get(2).map_or(32, |c| c.parse().expect("CONNECTIONS"));
    let synchronous = match args.get(3).map_or("FULL", String::as_str) {
        "NORMAL" | "normal" => SqliteSynchronous::Normal,
        _ => SqliteSynchronous::Full,
    };
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", args[0]))
        .expect("a file name")
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await
        .expect("open the file");
    sqlx::query("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(&pool)
        .await
        .expect("create the table");
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|task| tokio::spawn(insert_until(pool.clone(), task, until)))
        .collect();
    let mut latencies_us = Vec::new();
    for task in tasks {
        latencies_us.extend(task.await.expect("insert task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies_us.sort_unstable();
    let percentile = |p: f64| {
        let n = latencies_us.len();
        if n == 0 {
            return 0.0;
        }
        f64::from(latencies_us[((n - 1) as f64 * p) as usize]) / 1000.0
    };
    println!("ROWS {}", latencies_us.len());
    println!("RPS {:.1}", latencies_us.len() as f64 / elapsed);
    println!("P50_MS {:.2}", percentile(0.5));
    println!("P99_MS {:.2}", percentile(0.99));
}

/// One row per transaction (autocommit), back to back until the deadline.
async fn insert_until(pool: SqlitePool, task: u32, until: Instant) -> Vec<u32> {
    let mut latencies = Vec::new();
    let mut n: u64 = 0;
    while Instant::now() < until {
        n += 1;
        let started = Instant::now();
        sqlx::query("INSERT INTO floor (payload) VALUES ($1)")
            .bind(format!("{PAYLOAD}{task}-{n}"))
            .execute(&pool)
            .await
            .expect("insert");
        latencies.push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
    }
    latencies
}
