//! `/metrics` of the real binary, read with a strict parser of the Prometheus text format:
//! every family has help and a type, request durations are histograms by route template and
//! status class, and the cache, pool, build and process figures move with what the server
//! does (docs/operations.md).

use crate::common::start_server;
use std::collections::BTreeMap;

/// A scrape as the Prometheus text format (version 0.0.4) defines it, parsed strictly: a
/// line it cannot read fails the test.
#[derive(Default)]
struct Scrape {
    help: BTreeMap<String, String>,
    types: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut scrape = Scrape::default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
                let first = scrape.help.insert(name.into(), help.into()).is_none();
                assert!(first, "second HELP: {line}");
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect(line);
                let known = ["counter", "gauge", "histogram", "summary", "untyped"];
                assert!(known.contains(&kind), "{line}");
                let first = scrape.types.insert(name.into(), kind.into()).is_none();
                assert!(first, "second TYPE: {line}");
            } else if !line.starts_with('#') {
                scrape.samples.push(sample(line));
            }
        }
        scrape
    }

    /// The family a sample belongs to (a histogram's `_bucket`, `_sum` and `_count` are its).
    fn family<'a>(&self, name: &'a str) -> &'a str {
        ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|f| self.types.get(*f).is_some_and(|t| t == "histogram"))
            .unwrap_or(name)
    }

    /// The samples of `name` whose labels include `labels`.
    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

/// `name{label="value",...} value [timestamp]`; label values may hold `\\`, `\"` and `\n`
/// escapes, and braces (route templates do).
fn sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).expect(line);
    let name = &line[..name_end];
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    assert!(!name.is_empty() && name.chars().all(valid), "{line}");
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut inside) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = inside.strip_prefix('}') {
                rest = after;
                break;
            }
            let (label, after) = inside.split_once("=\"").expect(line);
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().expect(line) {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().expect(line).1 {
                        'n' => value.push('\n'),
                        c @ ('\\' | '"') => value.push(c),
                        other => panic!("bad escape \\{other}: {line}"),
                    },
                    (_, c) => value.push(c),
                }
            };
            assert!(labels.insert(label.to_string(), value).is_none(), "{line}");
            inside = &after[end + 1..];
            inside = inside.strip_prefix(',').unwrap_or(inside);
        }
    }
    let mut fields = rest.split_whitespace();
    let value = match fields.next().expect(line) {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        number => number
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}")),
    };
    if let Some(timestamp) = fields.next() {
        timestamp.parse::<i64>().expect(line);
    }
    assert!(fields.next().is_none(), "{line}");
    Sample {
        name: name.to_string(),
        labels,
        value,
    }
}

async fn scrape(client: &reqwest::Client, base: &str) -> Scrape {
    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    Scrape::parse(&response.text().await.unwrap())
}

/// The value of the first sample of `name` whose labels include `labels`.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape.matching(name, labels).next().map(|s| s.value)
}

const FIRST: &str = r#"{"schema": "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"}"#;
const COMPATIBLE: &str = r#"{"schema": "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}"}"#;
const INCOMPATIBLE: &str = r#"{"schema": "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}"}"#;

#[tokio::test]
async fn every_family_has_help_and_a_type_and_counts_what_happened() {
    let server = start_server(&[]);
    let client = reqwest::Client::new();
    let base = &server.base;
    let post =
        |path: &str, body: &'static str| client.post(format!("{base}{path}")).body(body).send();
    let registered: serde_json::Value = post("/subjects/orders-value/versions", FIRST)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = registered["id"].as_i64().expect("registered");
    for (candidate, compatible) in [(COMPATIBLE, true), (INCOMPATIBLE, false)] {
        let path = "/compatibility/subjects/orders-value/versions/latest";
        let verdict: serde_json::Value = post(path, candidate).await.unwrap().json().await.unwrap();
        assert_eq!(verdict["is_compatible"], compatible, "{verdict}");
    }
    // Two reads of the id: at least one is answered from the cache.
    for _ in 0..2 {
        let read = client
            .get(format!("{base}/schemas/ids/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 200);
    }
    let missing = client
        .get(format!("{base}/subjects/none/versions"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let refused = client
        .get(format!("{base}/schemas/types"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 406);

    let scrape = scrape(&client, base).await;

    // Help and type for every family that has samples.
    assert!(!scrape.samples.is_empty());
    for sample in &scrape.samples {
        let family = scrape.family(&sample.name);
        assert!(
            scrape.types.contains_key(family),
            "no # TYPE for {}",
            sample.name
        );
        let help = scrape.help.get(family);
        assert!(
            help.is_some_and(|h| !h.is_empty()),
            "no # HELP for {family}"
        );
    }

    // Request durations: a histogram per route template and status class, buckets rising
    // to +Inf, which holds every request.
    let duration = "schemata_http_request_duration_seconds";
    assert_eq!(scrape.types[duration], "histogram");
    let by_id = [
        ("route", "/schemas/ids/{id}"),
        ("method", "GET"),
        ("status", "2xx"),
    ];
    let bucket = format!("{duration}_bucket");
    let buckets: Vec<(f64, f64)> = scrape
        .matching(&bucket, &by_id)
        .map(|s| {
            (
                s.labels["le"].replace("+Inf", "inf").parse().unwrap(),
                s.value,
            )
        })
        .collect();
    assert!(buckets.len() > 5, "{buckets:?}");
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
        "{buckets:?}"
    );
    assert_eq!(buckets.last(), Some(&(f64::INFINITY, 2.0)));
    assert_eq!(
        value(&scrape, &format!("{duration}_count"), &by_id),
        Some(2.0)
    );
    let not_found = [("route", "/subjects/{subject}/versions"), ("status", "4xx")];
    assert_eq!(
        value(&scrape, &format!("{duration}_count"), &not_found),
        Some(1.0)
    );
    assert_eq!(
        value(
            &scrape,
            "schemata_http_requests_total",
            &[
                ("route", "/subjects/{subject}/versions"),
                ("method", "GET"),
                ("status", "404")
            ]
        ),
        Some(1.0)
    );

    // A request refused by content negotiation is counted too.
    assert_eq!(
        value(
            &scrape,
            "schemata_http_requests_total",
            &[
                ("route", "/schemas/types"),
                ("method", "GET"),
                ("status", "406")
            ]
        ),
        Some(1.0)
    );

    // What the registry did.
    assert_eq!(
        value(&scrape, "schemata_schemas_registered_total", &[]),
        Some(1.0)
    );
    assert_eq!(
        value(
            &scrape,
            "schemata_compatibility_checks_total",
            &[("outcome", "compatible")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &scrape,
            "schemata_compatibility_checks_total",
            &[("outcome", "incompatible")]
        ),
        Some(1.0)
    );
    assert!(
        value(
            &scrape,
            "schemata_cache_hits_total",
            &[("cache", "schemas")]
        )
        .unwrap()
            >= 1.0
    );
    assert!(value(&scrape, "schemata_cache_entries", &[("cache", "schemas")]).unwrap() >= 1.0);
    assert!(value(&scrape, "schemata_cache_bytes", &[("cache", "schemas")]).unwrap() > 100.0);
    assert!(value(
        &scrape,
        "schemata_cache_entries",
        &[("cache", "config_mode")]
    )
    .is_some());

    // The pool, the build and the process.
    let max = value(&scrape, "schemata_db_pool_max_connections", &[]).unwrap();
    let connections = value(&scrape, "schemata_db_pool_connections", &[]).unwrap();
    let in_use = value(&scrape, "schemata_db_pool_in_use", &[]).unwrap();
    assert!(max >= 1.0 && connections >= 1.0 && connections <= max && in_use <= connections);
    assert_eq!(
        value(
            &scrape,
            "schemata_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    let rss = value(&scrape, "process_resident_memory_bytes", &[]).unwrap();
    assert!(rss > 1_000_000.0, "{rss}");
    assert!(value(&scrape, "process_open_fds", &[]).unwrap() >= 3.0);
    assert!(value(&scrape, "process_cpu_seconds_total", &[]).unwrap() > 0.0);
}
