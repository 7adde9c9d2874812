//! `/metrics` by Prometheus' conventions (`docs/operations.md`): every family has `# HELP`
//! and `# TYPE`; durations are histograms (they add up across the processes behind one
//! load balancer, where summaries cannot); gauges of the caches, the connection pool and the
//! process are read when scraped.

mod process;
mod requests;

pub(super) use requests::Measure;

use crate::registry::Registry;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use process::ProcessStats;
use std::sync::OnceLock;

/// Upper bounds of the request duration buckets, in seconds: a cached read answers in well
/// under a millisecond, a registration of a large schema may take seconds.
const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Upper bounds of the registrations grouped into one PostgreSQL transaction.
const GROUP_SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// Every family the server exports, with its help text. `metrics` registers a family on
/// first use; the help is given here once for all.
const FAMILIES: &[(Kind, &str, &str)] = &[
    (Kind::Counter, "schemata_http_requests_total", "HTTP requests answered, by method, route template and status."),
    (Kind::Histogram, "schemata_http_request_duration_seconds", "Time to answer an HTTP request, by method, route template and status class."),
    (Kind::Counter, "schemata_schemas_registered_total", "Schema versions registered, by write path: one_statement (the grouped write) or general."),
    (Kind::Histogram, "schemata_registration_group_size", "Registrations written together in one transaction."),
    (Kind::Counter, "schemata_compatibility_checks_total", "Compatibility checks run, on registration and by the compatibility API, by outcome: compatible or incompatible."),
    (Kind::Counter, "schemata_cache_hits_total", "Lookups answered from a cache, by cache: schemas (by id), histories (subjects' versions for registration), config_mode."),
    (Kind::Counter, "schemata_cache_misses_total", "Lookups a cache could not answer, by cache."),
    (Kind::Counter, "schemata_cache_evictions_total", "Entries a cache dropped to stay within its capacity, by cache."),
    (Kind::Gauge, "schemata_cache_entries", "Entries a cache holds, by cache."),
    (Kind::Gauge, "schemata_cache_bytes", "Estimated bytes a cache's entries hold, by cache."),
    (Kind::Gauge, "schemata_db_pool_connections", "Database connections the pool holds (idle and in use)."),
    (Kind::Gauge, "schemata_db_pool_in_use", "Database connections in use."),
    (Kind::Gauge, "schemata_db_pool_max_connections", "Database connections the pool may hold (--db-max-connections)."),
    (Kind::Counter, "schemata_db_pool_timeouts_total", "Requests for a database connection that found none free within the acquire timeout."),
    (Kind::Counter, "schemata_db_write_slot_waits_total", "Write transactions that waited for a write slot (SQLite: the one writer; PostgreSQL: half the pool)."),
    (Kind::Counter, "schemata_invalidation_listener_reconnects_total", "Times the PostgreSQL LISTEN connection for cache invalidations was lost (each clears the caches)."),
    (Kind::Gauge, "schemata_build_info", "Always 1; the labels name the running build."),
    (Kind::Gauge, "schemata_follow_lag_records", "Records of the followed storage topic not applied yet (serve --follow-kafka; absent otherwise)."),
    (Kind::Gauge, "schemata_follow_lag_seconds", "Seconds the follower has been behind the followed topic's end; 0 when caught up."),
    (Kind::Gauge, "schemata_follow_records_applied", "Records of the followed topic applied since the server started."),
    (Kind::Gauge, "schemata_follow_errors", "Records of the followed topic that could not be applied, and failed reads, since the server started."),
];

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// The process-wide Prometheus recorder, installed once (however many apps a test starts),
/// with every family described and the histograms' buckets set.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("schemata_http_request_duration_seconds".into()),
                    DURATION_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("schemata_registration_group_size".into()),
                        GROUP_SIZE_BUCKETS,
                    )
                })
                .expect("bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (embedding); then ours just stays empty.
            if metrics::set_global_recorder(recorder).is_ok() {
                describe();
            }
            handle
        })
        .clone()
}

fn describe() {
    // The request families are counted and rendered by `requests` itself.
    for (kind, name, help) in FAMILIES.iter().filter(|(_, name, _)| !requests::owns(name)) {
        match kind {
            Kind::Counter => metrics::describe_counter!(*name, *help),
            Kind::Gauge => metrics::describe_gauge!(*name, *help),
            Kind::Histogram => metrics::describe_histogram!(*name, *help),
        }
    }
    metrics::gauge!("schemata_build_info",
        "version" => env!("CARGO_PKG_VERSION"), "commit" => build_commit())
    .set(1.0);
}

/// The commit the binary was built from, when the build knew it (`build.rs`).
fn build_commit() -> &'static str {
    option_env!("SCHEMATA_BUILD_COMMIT").unwrap_or("unknown")
}

/// The help text of a family of [`FAMILIES`].
fn help(family: &str) -> &'static str {
    FAMILIES
        .iter()
        .find(|(_, name, _)| *name == family)
        .map_or("", |(_, _, help)| help)
}

/// Drain what the recorder's histograms hold into their buckets every few seconds, so that
/// their memory stays bounded when nothing scrapes (a scrape drains them too). The task runs
/// until the returned handle is aborted, when the server stops.
pub(super) fn keep_drained(handle: &PrometheusHandle) -> tokio::task::JoinHandle<()> {
    let handle = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    })
}

/// The text of a scrape: the gauges read now, then every family.
pub(super) async fn render(handle: &PrometheusHandle, registry: &Registry) -> String {
    for cache in registry.cache_stats().await {
        metrics::gauge!("schemata_cache_entries", "cache" => cache.name).set(cache.entries as f64);
        if let Some(bytes) = cache.bytes {
            metrics::gauge!("schemata_cache_bytes", "cache" => cache.name).set(bytes as f64);
        }
    }
    let follow = registry.follow_status();
    if follow.source.is_some() {
        metrics::gauge!("schemata_follow_lag_records").set(follow.lag_records as f64);
        metrics::gauge!("schemata_follow_lag_seconds").set(follow.lag_seconds as f64);
        metrics::gauge!("schemata_follow_records_applied").set(follow.records_applied as f64);
        metrics::gauge!("schemata_follow_errors").set(follow.errors as f64);
    }
    let pool = registry.pool_stats();
    metrics::gauge!("schemata_db_pool_connections").set(pool.connections);
    metrics::gauge!("schemata_db_pool_in_use").set(pool.connections.saturating_sub(pool.idle));
    metrics::gauge!("schemata_db_pool_max_connections").set(pool.max);
    let mut text = handle.render();
    requests::render(&mut text, help);
    ProcessStats::read().render(&mut text);
    text
}
