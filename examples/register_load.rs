//! Load generator for `bench/register_pg.sh`: N keep-alive HTTP/1.1 connections, each
//! registering new Avro schemas back to back, on one thread.
//!
//! Why not only wrk: with `register.lua`, wrk spends ~52 µs of CPU per request formatting
//! bodies in Lua, on the same 2 cores as the server and PostgreSQL, while pgbench (the
//! baseline) is a lean C client. This client builds each request with a few `write!`s into
//! a reused buffer and parses only the status line and `Content-Length`, so the load
//! generator's own cost stays small; it prints that cost (CPU µs per request) so the reader
//! can check. The requests are the ones `register.lua` sends: the same body template, the
//! same subject naming, every schema new and BACKWARD compatible with its subject's others.
//!
//! Usage: register_load HOST:PORT RUN_TAG SECONDS [CONNECTIONS=32] [SUBJECTS=2000] [WORKLOAD]
//!
//! WORKLOAD (bench/README.md, "Workloads"):
//! - `new-version` (the default): each request a new schema under one of SUBJECTS subjects;
//! - `new-subject`: each request a new schema under a subject never used before (version 1);
//! - `reregister`: SUBJECTS schemas are registered first (untimed), then registered again
//!   in turn (what a producer with `auto.register.schemas` does at start);
//! - `lookup`: the same set-up, then `POST /subjects/{s}` with each schema in turn;
//! - `get-id`: the same set-up, then `GET /schemas/ids/{id}` of each schema in turn.
//!
//! - `get-ids`: no set-up; `GET /schemas/ids/{id}` of ids 1..=SUBJECTS (all connections
//!   together), each once per pass in a scattered order (for stores filled directly);
//!   with `REGISTER_LOAD_PASSES=n` it stops after n passes (or at the deadline).
//!
//! `REGISTER_LOAD_PAD_FIELDS=N` adds N string fields to every registered schema (about 40
//! bytes each), for memory measurements with large schemas.
//!
//! Prints `STATUS200 n`, `NON200 n`, `RPS x`, `P50_MS`, `P99_MS`, `CPU_US_PER_REQUEST` and,
//! on an error, `FIRST_ERROR status body`.
// Its report is its output.
#![allow(clippy::print_stdout)]

use std::io::Write as _;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BODY_HEAD: &str = r#"{"schema":"{\"type\":\"record\",\"name\":\"PageView\",\"namespace\":\"com.example.bench\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"url\",\"type\":\"string\"},{\"name\":\"referrer\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"f_"#;
const BODY_TAIL: &str = r#"\",\"type\":\"string\",\"default\":\"\"}]}"}"#;

#[derive(Default)]
struct Tally {
    ok: u64,
    failed: u64,
    first_error: Option<String>,
    latencies_us: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    NewVersion,
    NewSubject,
    Reregister,
    Lookup,
    GetId,
    GetIds,
}

impl Workload {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "new-version" => Workload::NewVersion,
            "new-subject" => Workload::NewSubject,
            "reregister" => Workload::Reregister,
            "lookup" => Workload::Lookup,
            "get-id" => Workload::GetId,
            "get-ids" => Workload::GetIds,
            _ => return None,
        })
    }

    /// Whether the timed requests act on schemas registered in an untimed set-up.
    fn needs_setup(self) -> bool {
        matches!(
            self,
            Workload::Reregister | Workload::Lookup | Workload::GetId
        )
    }
}

struct Load {
    /// The body up to the field that makes each schema unique (`BODY_HEAD` and the padding).
    head: std::sync::Arc<str>,
    connections: usize,
    addr: String,
    run: String,
    connection: usize,
    subjects: usize,
    until: Instant,
    workload: Workload,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: register_load HOST:PORT RUN_TAG SECONDS [CONNECTIONS] [SUBJECTS]");
        std::process::exit(2);
    }
    let seconds: f64 = args[2].parse().expect("SECONDS");
    let connections: usize = args.get(3).map_or(32, |c| c.parse().expect("CONNECTIONS"));
    let subjects: usize = args.get(4).map_or(2000, |s| s.parse().expect("SUBJECTS"));
    let workload = args.get(5).map_or(Workload::NewVersion, |w| {
        Workload::parse(w).unwrap_or_else(|| {
            eprintln!(
                "unknown workload {w} (new-version, new-subject, reregister, lookup, get-id)"
            );
            std::process::exit(2);
        })
    });
    let per_connection = (subjects / connections).max(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let args = &args;
    let pad: usize = std::env::var("REGISTER_LOAD_PAD_FIELDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let head: std::sync::Arc<str> = padded_head(pad).into();
    let total_subjects = subjects;
    let loads = |until| {
        let head = head.clone();
        (0..connections).map(move |connection| Load {
            head: head.clone(),
            connections,
            addr: args[0].clone(),
            run: args[1].clone(),
            connection,
            subjects: if workload == Workload::GetIds {
                total_subjects
            } else {
                per_connection
            },
            until,
            workload,
        })
    };
    // The untimed set-up: every schema the timed requests act on, registered once.
    let ids: Vec<Vec<i64>> = if workload.needs_setup() {
        runtime.block_on(async {
            let far = Instant::now() + Duration::from_secs(3600);
            let tasks: Vec<_> = loads(far).map(|load| tokio::spawn(setup(load))).collect();
            let mut ids = Vec::new();
            for task in tasks {
                ids.push(task.await.expect("set-up task"));
            }
            ids
        })
    } else {
        vec![Vec::new(); connections]
    };
    let cpu_before = process_cpu();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let tallies = runtime.block_on(async {
        let tasks: Vec<_> = loads(until)
            .zip(ids)
            .map(|(load, ids)| tokio::spawn(drive(load, ids)))
            .collect();
        let mut tallies = Vec::new();
        for task in tasks {
            tallies.push(task.await.expect("connection task"));
        }
        tallies
    });
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = process_cpu() - cpu_before;
    let mut total = Tally::default();
    for tally in tallies {
        total.ok += tally.ok;
        total.failed += tally.failed;
        total.first_error = total.first_error.or(tally.first_error);
        total.latencies_us.extend(tally.latencies_us);
    }
    total.latencies_us.sort_unstable();
    let percentile = |p: f64| {
        let n = total.latencies_us.len();
        if n == 0 {
            return 0.0;
        }
        f64::from(total.latencies_us[((n - 1) as f64 * p) as usize]) / 1000.0
    };
    let requests = total.ok + total.failed;
    println!("STATUS200 {}", total.ok);
    println!("NON200 {}", total.failed);
    println!("RPS {:.1}", requests as f64 / elapsed);
    println!("P50_MS {:.2}", percentile(0.5));
    println!("P99_MS {:.2}", percentile(0.99));
    println!(
        "CPU_US_PER_REQUEST {:.1}",
        cpu.as_secs_f64() * 1e6 / requests.max(1) as f64
    );
    if let Some(error) = total.first_error {
        println!("FIRST_ERROR {error}");
    }
}

/// Register this connection's `load.subjects` schemas (one per subject) and return their
/// ids; exits the process on any failure, since the timed run would measure nothing.
async fn setup(load: Load) -> Vec<i64> {
    let mut stream = TcpStream::connect(&load.addr)
        .await
        .unwrap_or_else(|e| fail(&format!("set-up: cannot connect: {e}")));
    let _ = stream.set_nodelay(true);
    let (mut request, mut response) = (Vec::new(), Vec::new());
    let mut ids = Vec::with_capacity(load.subjects);
    for n in 0..load.subjects as u64 {
        build_request(&mut request, &load, Workload::NewVersion, n);
        let written = stream.write_all(&request).await;
        match (written, read_response(&mut stream, &mut response).await) {
            (Ok(()), Some((200, body))) => ids.push(
                body.split("\"id\":")
                    .nth(1)
                    .and_then(|rest| {
                        let end = rest
                            .find(|c: char| !c.is_ascii_digit())
                            .unwrap_or(rest.len());
                        rest[..end].parse().ok()
                    })
                    .unwrap_or_else(|| fail(&format!("set-up: no id in {body}"))),
            ),
            (_, Some((status, body))) => fail(&format!("set-up: {status} {body}")),
            _ => fail("set-up: connection lost"),
        }
    }
    ids
}

fn fail(why: &str) -> ! {
    eprintln!("{why}");
    std::process::exit(1);
}

/// One connection: requests back to back until the deadline; reconnects if the server
/// closes the connection (counted as a failure). `ids` are the set-up's schema ids.
async fn drive(load: Load, ids: Vec<i64>) -> Tally {
    let mut tally = Tally::default();
    let mut request = Vec::with_capacity(1024);
    let mut response = Vec::with_capacity(4096);
    let mut counter: u64 = 0;
    // get-ids: this connection's share of the requested passes over every id.
    let limit = match std::env::var("REGISTER_LOAD_PASSES")
        .ok()
        .and_then(|p| p.parse::<u64>().ok())
    {
        Some(passes) if load.workload == Workload::GetIds => {
            let (count, connections) = (load.subjects as u64, load.connections as u64);
            let share =
                count / connections + u64::from((load.connection as u64) < count % connections);
            passes * share
        }
        _ => u64::MAX,
    };
    'connect: while Instant::now() < load.until && counter < limit {
        let Ok(mut stream) = TcpStream::connect(&load.addr).await else {
            tally.failed += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        while Instant::now() < load.until && counter < limit {
            counter += 1;
            match load.workload {
                Workload::GetId => {
                    let id = ids[counter as usize % ids.len()];
                    build_get(&mut request, &load, id);
                }
                Workload::GetIds => build_get(&mut request, &load, scattered_id(&load, counter)),
                // The set-up registered numbers 0..subjects.
                Workload::Reregister | Workload::Lookup => build_request(
                    &mut request,
                    &load,
                    load.workload,
                    counter % load.subjects as u64,
                ),
                workload => build_request(&mut request, &load, workload, counter),
            }
            let sent = Instant::now();
            if stream.write_all(&request).await.is_err() {
                tally.failed += 1;
                continue 'connect;
            }
            match read_response(&mut stream, &mut response).await {
                Some((200, _)) => tally.ok += 1,
                Some((status, body)) => {
                    tally.failed += 1;
                    tally
                        .first_error
                        .get_or_insert_with(|| format!("{status} {body}"));
                }
                None => {
                    tally.failed += 1;
                    continue 'connect;
                }
            }
            let micros = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            tally.latencies_us.push(micros);
        }
    }
    tally
}

/// The request for schema number `counter` of this connection: its subject is
/// `bench-RUN-cCONNECTION-s(counter mod subjects)` (`-nCOUNTER` for `new-subject`), its
/// schema the base record with one more field named after the run, connection and counter.
fn build_request(out: &mut Vec<u8>, load: &Load, workload: Workload, counter: u64) {
    let connection = load.connection;
    let (subject_tag, subject_number, suffix) = match workload {
        Workload::NewSubject => ('n', counter, "/versions"),
        Workload::Lookup => ('s', counter % load.subjects as u64, ""),
        _ => ('s', counter % load.subjects as u64, "/versions"),
    };
    let body_len = load.head.len()
        + BODY_TAIL.len()
        + load.run.len()
        + 2
        + decimal_len(connection as u64)
        + decimal_len(counter);
    out.clear();
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "POST /subjects/bench-{}-c{}-{subject_tag}{subject_number}{suffix} HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\n\r\n\
         {}{}_{}_{}{BODY_TAIL}",
        load.run,
        connection,
        load.addr,
        body_len,
        load.head,
        load.run,
        connection,
        counter,
    );
}

/// `BODY_HEAD` with `pad` more string fields before the unique one.
fn padded_head(pad: usize) -> String {
    use std::fmt::Write as _;
    let (prefix, last) = BODY_HEAD
        .rsplit_once("{")
        .expect("the head ends with a field");
    let mut head = prefix.to_string();
    for n in 0..pad {
        let _ = write!(
            head,
            r#"{{\"name\":\"padding_field_{n:04}\",\"type\":\"string\"}},"#
        );
    }
    head.push('{');
    head.push_str(last);
    head
}

/// The `counter`-th id this connection reads in `get-ids`: the connections together read
/// every id of 1..=subjects once per pass, scattered (a stride coprime with the count).
fn scattered_id(load: &Load, counter: u64) -> i64 {
    let count = load.subjects.max(1) as u64;
    let n = ((counter - 1) * load.connections as u64 + load.connection as u64) % count;
    let stride = [1_000_003u64, 999_983, 7_919, 1]
        .into_iter()
        .find(|p| gcd(*p, count) == 1)
        .unwrap_or(1);
    ((n * stride) % count + 1) as i64
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn build_get(out: &mut Vec<u8>, load: &Load, id: i64) {
    out.clear();
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "GET /schemas/ids/{id} HTTP/1.1\r\nHost: {}\r\n\r\n",
        load.addr
    );
}

fn decimal_len(mut n: u64) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// Status and body of one response (`Content-Length` framing, as the server answers).
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(u16, String)> {
    buffer.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).ok()?;
            let status: u16 = head.get(9..12)?.parse().ok()?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            // The body of a success is read only when it is short (the set-up's `{"id":N}`
            // and a lookup's answer), so large GET answers cost no copy.
            let body = if status == 200 && length > 256 {
                String::new()
            } else {
                String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned()
            };
            return Some((status, body));
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// User + system CPU time of this process so far (from `/proc/self/stat`, in clock ticks of
/// 1/100 s, the kernel's `USER_HZ` on Linux).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}
