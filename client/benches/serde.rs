//! Serialize and deserialize a typical record with a warm cache, against raw apache-avro /
//! prost encoding of the same value measured in the same run. At the end, the ratios
//! (ours / raw, mean time) are printed.
//!
//! A stub registry (a few lines of HTTP/1.1 on a local socket) answers the first calls; the
//! measured loops make none.

// Its report is its output.
#![allow(clippy::print_stdout)]

use criterion::{criterion_group, BenchmarkId, Criterion};
use prost::Message;
use schemata_client::apache_avro::reader::datum::GenericDatumReader;
use schemata_client::apache_avro::types::Value;
use schemata_client::apache_avro::writer::datum::GenericDatumWriter;
use schemata_client::avro::{AvroDeserializer, AvroSerializer};
use schemata_client::protobuf::{parse_proto, ProtobufDeserializer, ProtobufSerializer};
use schemata_client::{
    ClientConfig, DeserializerConfig, SchemaRegistryClient, SerializationContext, SerializerConfig,
};
use serde::Serialize;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AVRO: &str = r#"{"type":"record","name":"Payment","namespace":"bench","fields":[
 {"name":"id","type":"string"},{"name":"ts","type":"long"},{"name":"amount","type":"double"},
 {"name":"currency","type":"string"},{"name":"count","type":"int"},{"name":"flag","type":"boolean"},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"tags","type":{"type":"array","items":"string"}}]}"#;

const PROTO: &str = r#"syntax = "proto3";
package bench;
message Payment {
  string id = 1; int64 ts = 2; double amount = 3; string currency = 4;
  int32 count = 5; bool flag = 6; string note = 7; repeated string tags = 8;
}
"#;

#[derive(Clone, PartialEq, prost::Message, Serialize)]
struct Payment {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(int64, tag = "2")]
    ts: i64,
    #[prost(double, tag = "3")]
    amount: f64,
    #[prost(string, tag = "4")]
    currency: String,
    #[prost(int32, tag = "5")]
    count: i32,
    #[prost(bool, tag = "6")]
    flag: bool,
    #[prost(string, optional, tag = "7")]
    note: Option<String>,
    #[prost(string, repeated, tag = "8")]
    tags: Vec<String>,
}

fn payment() -> Payment {
    Payment {
        id: "pay-0001-2345-6789".into(),
        ts: 1_795_000_000_123,
        amount: 1234.56,
        currency: "EUR".into(),
        count: 42,
        flag: true,
        note: Some("monthly subscription".into()),
        tags: vec!["card".into(), "recurring".into(), "eu".into()],
    }
}

fn avro_value(p: &Payment) -> Value {
    Value::Record(vec![
        ("id".into(), Value::String(p.id.clone())),
        ("ts".into(), Value::Long(p.ts)),
        ("amount".into(), Value::Double(p.amount)),
        ("currency".into(), Value::String(p.currency.clone())),
        ("count".into(), Value::Int(p.count)),
        ("flag".into(), Value::Boolean(p.flag)),
        (
            "note".into(),
            Value::Union(1, Box::new(Value::String(p.note.clone().unwrap()))),
        ),
        (
            "tags".into(),
            Value::Array(p.tags.iter().cloned().map(Value::String).collect()),
        ),
    ])
}

/// A registry that knows two schemas: id 1 (Avro) and id 2 (Protobuf).
async fn stub_registry() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < end + 4 + length {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..end + 4 + length);
                    let line = head.lines().next().unwrap_or_default();
                    let body = if line.starts_with("POST /subjects/bench-avro") {
                        r#"{"id":1}"#.to_owned()
                    } else if line.starts_with("POST /subjects/bench-proto") {
                        r#"{"id":2}"#.to_owned()
                    } else if line.starts_with("GET /schemas/ids/1 ") {
                        serde_json::json!({ "schema": AVRO }).to_string()
                    } else if line.starts_with("GET /schemas/ids/2 ") {
                        serde_json::json!({ "schema": PROTO, "schemaType": "PROTOBUF" }).to_string()
                    } else {
                        r#"{"error_code":40401,"message":"not found"}"#.to_owned()
                    };
                    let status = if body.contains("error_code") {
                        "404 Not Found"
                    } else {
                        "200 OK"
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Ratios measured by alternating raw and schemata batches (so both see the same machine
/// load, which on a shared machine moves more than the difference being measured).
static PAIRED: Mutex<Vec<(String, f64, f64)>> = Mutex::new(Vec::new());

fn paired(name: &str, mut raw: impl FnMut(u64) -> Duration, mut ours: impl FnMut(u64) -> Duration) {
    const ROUNDS: usize = 301;
    const BATCH: u64 = 2000;
    raw(BATCH * 10);
    ours(BATCH * 10);
    let mut raw_ns = Vec::with_capacity(ROUNDS);
    let mut ratios = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let r = raw(BATCH).as_nanos() as f64 / BATCH as f64;
        let o = ours(BATCH).as_nanos() as f64 / BATCH as f64;
        raw_ns.push(r);
        ratios.push(o / r);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (raw_median, ratio_median) = (median(&mut raw_ns), median(&mut ratios));
    PAIRED
        .lock()
        .unwrap()
        .push((name.to_owned(), raw_median, ratio_median));
}

fn time(iters: u64, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed()
}

#[inline(never)]
async fn encode_async(p: &Payment) -> schemata_client::Result<Vec<u8>> {
    Ok(p.encode_to_vec())
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let url = rt.block_on(stub_registry());
    let client = SchemaRegistryClient::new(ClientConfig::new(&url)).unwrap();
    let p = payment();
    let value = avro_value(&p);

    // ---------------------------------------------------------------- Avro
    let schema = apache_avro::Schema::parse_str(AVRO).unwrap();
    let raw_writer = GenericDatumWriter::builder(&schema).build().unwrap();
    let raw_reader = GenericDatumReader::builder(&schema).build().unwrap();
    let ser = rt
        .block_on(AvroSerializer::from_str(
            client.clone(),
            AVRO,
            SerializerConfig::default(),
        ))
        .unwrap();
    let de = AvroDeserializer::new(client.clone(), DeserializerConfig::default());
    let ctx = SerializationContext::value("bench-avro");
    let message = rt.block_on(ser.serialize_value(&ctx, &value)).unwrap();
    let raw_bytes = message[5..].to_vec();
    assert_eq!(rt.block_on(de.deserialize_value(&message)).unwrap(), value);

    let mut g = c.benchmark_group("avro");
    g.bench_function(BenchmarkId::new("serialize_value", "raw"), |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(64);
            raw_writer
                .write_value_ref(&mut out, black_box(&value))
                .unwrap();
            out
        })
    });
    g.bench_function(BenchmarkId::new("serialize_value", "schemata"), |b| {
        b.to_async(&rt)
            .iter(|| async { ser.serialize_value(&ctx, black_box(&value)).await.unwrap() })
    });
    g.bench_function(BenchmarkId::new("serialize_serde", "raw"), |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(64);
            raw_writer.write_ser(&mut out, black_box(&p)).unwrap();
            out
        })
    });
    g.bench_function(BenchmarkId::new("serialize_serde", "schemata"), |b| {
        b.to_async(&rt)
            .iter(|| async { ser.serialize(&ctx, black_box(&p)).await.unwrap() })
    });
    g.bench_function(BenchmarkId::new("deserialize_value", "raw"), |b| {
        b.iter(|| {
            raw_reader
                .read_value(&mut black_box(&raw_bytes[..]))
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("deserialize_value", "schemata"), |b| {
        b.to_async(&rt)
            .iter(|| async { de.deserialize_value(black_box(&message)).await.unwrap() })
    });
    g.finish();
    paired(
        "avro serialize (Value)",
        |n| {
            time(n, || {
                let mut out = Vec::with_capacity(64);
                raw_writer
                    .write_value_ref(&mut out, black_box(&value))
                    .unwrap();
                black_box(out);
            })
        },
        |n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    black_box(ser.serialize_value(&ctx, black_box(&value)).await.unwrap());
                }
                start.elapsed()
            })
        },
    );
    paired(
        "avro serialize (serde)",
        |n| {
            time(n, || {
                let mut out = Vec::with_capacity(64);
                raw_writer.write_ser(&mut out, black_box(&p)).unwrap();
                black_box(out);
            })
        },
        |n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    black_box(ser.serialize(&ctx, black_box(&p)).await.unwrap());
                }
                start.elapsed()
            })
        },
    );
    paired(
        "avro deserialize (Value)",
        |n| {
            time(n, || {
                black_box(
                    raw_reader
                        .read_value(&mut black_box(&raw_bytes[..]))
                        .unwrap(),
                );
            })
        },
        |n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    black_box(de.deserialize_value(black_box(&message)).await.unwrap());
                }
                start.elapsed()
            })
        },
    );

    // ---------------------------------------------------------------- Protobuf
    let parsed = parse_proto(PROTO, &[]).unwrap();
    let descriptor = parsed.pool().get_message_by_name("bench.Payment").unwrap();
    let ser =
        ProtobufSerializer::<Payment>::new(client.clone(), descriptor, SerializerConfig::default());
    let de = ProtobufDeserializer::new(client.clone(), DeserializerConfig::default());
    let ctx = SerializationContext::value("bench-proto");
    let message = rt.block_on(ser.serialize(&ctx, &p)).unwrap();
    let raw_bytes = p.encode_to_vec();
    assert_eq!(&message[6..], &raw_bytes[..]);
    assert_eq!(rt.block_on(de.deserialize::<Payment>(&message)).unwrap(), p);

    let mut g = c.benchmark_group("protobuf");
    g.bench_function(BenchmarkId::new("serialize", "raw"), |b| {
        b.iter(|| black_box(&p).encode_to_vec())
    });
    g.bench_function(BenchmarkId::new("serialize", "schemata"), |b| {
        b.to_async(&rt)
            .iter(|| async { ser.serialize(&ctx, black_box(&p)).await.unwrap() })
    });
    g.bench_function(BenchmarkId::new("deserialize", "raw"), |b| {
        b.iter(|| Payment::decode(black_box(&raw_bytes[..])).unwrap())
    });
    g.bench_function(BenchmarkId::new("deserialize", "schemata"), |b| {
        b.to_async(&rt).iter(|| async {
            de.deserialize::<Payment>(black_box(&message))
                .await
                .unwrap()
        })
    });
    g.finish();
    paired(
        "protobuf serialize",
        |n| {
            time(n, || {
                black_box(black_box(&p).encode_to_vec());
            })
        },
        |n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    black_box(ser.serialize(&ctx, black_box(&p)).await.unwrap());
                }
                start.elapsed()
            })
        },
    );
    paired(
        "protobuf serialize (warm, sync)",
        |n| {
            time(n, || {
                black_box(black_box(&p).encode_to_vec());
            })
        },
        |n| {
            time(n, || {
                black_box(ser.serialize_warm(&ctx, black_box(&p)).unwrap());
            })
        },
    );
    // Control: raw prost called through the same async loop, to show what the harness
    // itself costs (an async call per message).
    paired(
        "protobuf serialize (control)",
        |n| {
            time(n, || {
                black_box(black_box(&p).encode_to_vec());
            })
        },
        |n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    black_box(encode_async(black_box(&p)).await.unwrap());
                }
                start.elapsed()
            })
        },
    );
    paired(
        "protobuf deserialize",
        |n| {
            time(n, || {
                black_box(Payment::decode(black_box(&raw_bytes[..])).unwrap());
            })
        },
        |n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    black_box(
                        de.deserialize::<Payment>(black_box(&message))
                            .await
                            .unwrap(),
                    );
                }
                start.elapsed()
            })
        },
    );
}

fn output_dir() -> PathBuf {
    std::env::temp_dir().join("schemata-client-bench")
}

fn mean_ns(group: &str, function: &str, variant: &str) -> Option<f64> {
    let path = output_dir()
        .join(group)
        .join(function)
        .join(variant)
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn report() {
    println!("\ncriterion means (schemata / raw):");
    for (group, function) in [
        ("avro", "serialize_value"),
        ("avro", "serialize_serde"),
        ("avro", "deserialize_value"),
        ("protobuf", "serialize"),
        ("protobuf", "deserialize"),
    ] {
        if let (Some(raw), Some(ours)) = (
            mean_ns(group, function, "raw"),
            mean_ns(group, function, "schemata"),
        ) {
            println!(
                "  {group:<9} {function:<18} raw {raw:>9.1} ns   schemata {ours:>9.1} ns   ratio {:.2}x",
                ours / raw
            );
        }
    }
    println!("\npaired, interleaved batches (median of 301 rounds of 2000 calls each):");
    for (name, raw, ratio) in PAIRED.lock().unwrap().iter() {
        println!("  {name:<26} raw {raw:>9.1} ns   ratio {ratio:.2}x");
    }
}

criterion_group! {
    name = serde_benches;
    config = Criterion::default().output_directory(&output_dir());
    targets = benches
}

fn main() {
    serde_benches();
    Criterion::default()
        .output_directory(&output_dir())
        .configure_from_args()
        .final_summary();
    report();
}
