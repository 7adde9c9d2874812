//! Request count and duration per route: `schemata_http_requests_total` by method, route
//! template and status, `schemata_http_request_duration_seconds` (a histogram, so it adds up
//! across processes) by method, route template and status class.
//!
//! Every series is a fixed slot of atomics, counted into as the request ends and read when
//! scraped: a request costs a few atomic additions, and the memory is the same after a
//! billion requests as after one, whether or not anything scrapes (docs/operations.md). The
//! `metrics` recorder's histograms keep every sample until a scrape or an upkeep drains them,
//! which is why these two families, by far the busiest, do not go through it.

use super::super::access_log::{access_log, access_log_on};
use super::super::ROUTES;
use super::DURATION_BUCKETS;
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One request being measured: its series, its start, and what its access-log line needs.
/// Every label comes from a fixed table (the route template from [`ROUTES`], the method,
/// the status), so each label set has a slot in [`RequestMetrics`] and the hot path neither
/// allocates nor looks the series up by name.
pub(in crate::api) struct Measure {
    route: usize,
    method: usize,
    started: Instant,
    /// The request's method and path, kept only when its access-log line will be written.
    logged: Option<(Method, String)>,
}

impl Measure {
    /// Start measuring a request the router has matched (its route template is in its
    /// extensions) or not.
    pub(in crate::api) fn start(req: &Request) -> Measure {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .and_then(|p| route_index(p.as_str()))
            .unwrap_or(UNMATCHED);
        Measure {
            route,
            method: method_index(req.method()),
            started: Instant::now(),
            logged: access_log_on().then(|| (req.method().clone(), req.uri().path().to_owned())),
        }
    }

    /// Start measuring a request answered before routing, as the route `template` of
    /// [`ROUTES`] would answer it.
    pub(in crate::api) fn start_as(template: &str, req: &Request) -> Measure {
        Measure {
            route: route_index(template).unwrap_or(UNMATCHED),
            method: method_index(req.method()),
            started: Instant::now(),
            logged: access_log_on().then(|| (req.method().clone(), req.uri().path().to_owned())),
        }
    }

    /// Count the request's answer, and log it when the access log is on.
    pub(in crate::api) fn finish(self, response: &Response) {
        let elapsed = self.started.elapsed();
        let status = response.status();
        if let Some((method, path)) = self.logged {
            access_log(&method, &path, status, elapsed);
        }
        let (route, method) = (self.route, self.method);
        let metrics = RequestMetrics::get();
        metrics.counts[count_slot(route, method, status_index(status))].fetch_add(1, Relaxed);
        metrics.durations[duration_slot(route, method, class_index(status))].record(elapsed);
    }
}

/// The index in [`ROUTES`] of a route template: one hash lookup, not a scan of the table.
fn route_index(template: &str) -> Option<usize> {
    static INDEX: OnceLock<HashMap<&'static str, usize, foldhash::fast::RandomState>> =
        OnceLock::new();
    INDEX
        .get_or_init(|| {
            let mut index = HashMap::with_hasher(Default::default());
            for (i, (_, path)) in ROUTES.iter().enumerate() {
                index.entry(*path).or_insert(i);
            }
            index
        })
        .get(template)
        .copied()
}

/// The route index of requests that matched no route.
const UNMATCHED: usize = ROUTES.len();
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "HEAD", "OTHER"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const STATUSES: [&str; 15] = [
    "200", "204", "400", "404", "405", "406", "409", "413", "415", "422", "500", "503", "2xx",
    "4xx", "5xx",
];

fn route_label(route: usize) -> &'static str {
    ROUTES.get(route).map_or("unmatched", |(_, path)| *path)
}

/// Whether `family` is one of the two this module counts and renders.
pub(super) fn owns(family: &str) -> bool {
    family == "schemata_http_requests_total" || family == "schemata_http_request_duration_seconds"
}

/// The series of both families, one slot per label set, all zero at start.
struct RequestMetrics {
    /// By route, method and status ([`count_slot`]).
    counts: Box<[AtomicU64]>,
    /// By route, method and status class ([`duration_slot`]).
    durations: Box<[DurationHistogram]>,
}

impl RequestMetrics {
    fn get() -> &'static RequestMetrics {
        static METRICS: OnceLock<RequestMetrics> = OnceLock::new();
        METRICS.get_or_init(|| {
            let routes = ROUTES.len() + 1;
            RequestMetrics {
                counts: (0..routes * METHODS.len() * STATUSES.len())
                    .map(|_| AtomicU64::new(0))
                    .collect(),
                durations: (0..routes * METHODS.len() * CLASSES.len())
                    .map(|_| DurationHistogram::default())
                    .collect(),
            }
        })
    }
}

fn count_slot(route: usize, method: usize, status: usize) -> usize {
    (route * METHODS.len() + method) * STATUSES.len() + status
}

fn duration_slot(route: usize, method: usize, class: usize) -> usize {
    (route * METHODS.len() + method) * CLASSES.len() + class
}

/// One histogram series: how many durations fell into each bucket (not cumulative; the
/// scrape adds them up, and their total is the count) and their sum in nanoseconds.
#[derive(Default)]
struct DurationHistogram {
    /// One per bound of [`DURATION_BUCKETS`], then one for longer durations.
    buckets: [AtomicU64; DURATION_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl DurationHistogram {
    fn record(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(DURATION_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }
}

/// Both families in the Prometheus text format, each with its help (`help` gives it by
/// family name) and type; series that have counted nothing are left out.
pub(super) fn render(text: &mut String, help: impl Fn(&str) -> &'static str) {
    let metrics = RequestMetrics::get();
    let requests = "schemata_http_requests_total";
    let _ = write!(
        text,
        "# HELP {requests} {}\n# TYPE {requests} counter\n",
        help(requests)
    );
    for route in 0..=ROUTES.len() {
        for (method, method_label) in METHODS.iter().enumerate() {
            for (status, status_label) in STATUSES.iter().enumerate() {
                let count = metrics.counts[count_slot(route, method, status)].load(Relaxed);
                if count > 0 {
                    let labels = labels(method_label, route, status_label);
                    let _ = writeln!(text, "{requests}{{{labels}}} {count}");
                }
            }
        }
    }
    text.push('\n');
    let duration = "schemata_http_request_duration_seconds";
    let _ = write!(
        text,
        "# HELP {duration} {}\n# TYPE {duration} histogram\n",
        help(duration)
    );
    for route in 0..=ROUTES.len() {
        for (method, method_label) in METHODS.iter().enumerate() {
            for (class, class_label) in CLASSES.iter().enumerate() {
                let series = &metrics.durations[duration_slot(route, method, class)];
                // Read once: the cumulative buckets, +Inf and the count agree even while
                // requests are counted.
                let buckets: Vec<u64> = series.buckets.iter().map(|b| b.load(Relaxed)).collect();
                let count: u64 = buckets.iter().sum();
                if count == 0 {
                    continue;
                }
                let labels = labels(method_label, route, class_label);
                let mut below = 0;
                for (bound, bucket) in DURATION_BUCKETS.iter().zip(&buckets) {
                    below += bucket;
                    let _ = writeln!(text, "{duration}_bucket{{{labels},le=\"{bound}\"}} {below}");
                }
                let _ = writeln!(text, "{duration}_bucket{{{labels},le=\"+Inf\"}} {count}");
                let sum = series.sum_nanos.load(Relaxed) as f64 / 1e9;
                let _ = writeln!(text, "{duration}_sum{{{labels}}} {sum}");
                let _ = writeln!(text, "{duration}_count{{{labels}}} {count}");
            }
        }
    }
    text.push('\n');
}

/// The label set of a series. The values come from fixed tables with nothing to escape in
/// the text format (a test checks).
fn labels(method: &str, route: usize, status: &str) -> String {
    format!(
        "method=\"{method}\",route=\"{}\",status=\"{status}\"",
        route_label(route)
    )
}

fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::DELETE => 3,
        Method::HEAD => 4,
        _ => 5,
    }
}

/// The codes with a label of their own, in [`STATUSES`] order; others go by class.
const OWN_LABEL: [u16; 12] = [200, 204, 400, 404, 405, 406, 409, 413, 415, 422, 500, 503];

fn status_index(status: StatusCode) -> usize {
    let code = status.as_u16();
    OWN_LABEL
        .iter()
        .position(|c| *c == code)
        // The class labels follow the own ones in STATUSES: 2xx, 4xx, 5xx.
        .unwrap_or(match code {
            c if c < 300 => OWN_LABEL.len(),
            c if c < 500 => OWN_LABEL.len() + 1,
            _ => OWN_LABEL.len() + 2,
        })
}

/// The index in [`CLASSES`] of a status's class.
fn class_index(status: StatusCode) -> usize {
    (usize::from(status.as_u16() / 100)).clamp(1, 5) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_name_their_codes() {
        for (index, code) in OWN_LABEL.iter().enumerate() {
            let status = StatusCode::from_u16(*code).unwrap();
            assert_eq!(STATUSES[status_index(status)], code.to_string());
            assert_eq!(status_index(status), index);
        }
        assert_eq!(STATUSES[status_index(StatusCode::CREATED)], "2xx");
        assert_eq!(STATUSES[status_index(StatusCode::FORBIDDEN)], "4xx");
        assert_eq!(STATUSES[status_index(StatusCode::BAD_GATEWAY)], "5xx");
    }

    #[test]
    fn status_classes_are_labelled_by_their_first_digit() {
        for (code, class) in [
            (101, "1xx"),
            (204, "2xx"),
            (304, "3xx"),
            (404, "4xx"),
            (503, "5xx"),
        ] {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(CLASSES[class_index(status)], class);
        }
    }

    #[test]
    fn every_route_template_finds_its_index() {
        for (i, (_, path)) in ROUTES.iter().enumerate() {
            let found = route_index(path).unwrap();
            assert_eq!(ROUTES[found].1, *path, "{i}");
        }
        assert_eq!(route_index("/no/such/route"), None);
    }

    #[test]
    fn unmatched_requests_have_their_own_route_label() {
        assert_eq!(route_label(UNMATCHED), "unmatched");
        assert_eq!(route_label(0), ROUTES[0].1);
    }

    #[test]
    fn label_values_need_no_escaping() {
        let values = ROUTES
            .iter()
            .map(|(_, path)| *path)
            .chain(METHODS)
            .chain(STATUSES)
            .chain(CLASSES);
        for value in values {
            assert!(!value.contains(['"', '\\', '\n']), "{value}");
        }
    }

    #[test]
    fn a_duration_falls_into_the_first_bucket_that_holds_it() {
        let series = DurationHistogram::default();
        series.record(Duration::from_micros(50));
        series.record(Duration::from_micros(100));
        series.record(Duration::from_millis(3));
        series.record(Duration::from_secs(60));
        let counts: Vec<u64> = series.buckets.iter().map(|b| b.load(Relaxed)).collect();
        assert_eq!(counts[0], 2, "up to 100 µs: {counts:?}");
        let three_ms = DURATION_BUCKETS.iter().position(|b| *b == 0.005).unwrap();
        assert_eq!(counts[three_ms], 1, "{counts:?}");
        assert_eq!(counts[DURATION_BUCKETS.len()], 1, "beyond the last bound");
        assert_eq!(counts.iter().sum::<u64>(), 4);
        assert_eq!(series.sum_nanos.load(Relaxed), 60_003_150_000);
    }

    #[test]
    fn the_scrape_shows_counted_series_with_cumulative_buckets() {
        // The slots are process-wide; this test uses a route and method no other test of
        // this binary counts.
        let route = route_index("/contexts/{context}").unwrap();
        let (method, status) = (method_index(&Method::HEAD), StatusCode::IM_A_TEAPOT);
        let metrics = RequestMetrics::get();
        metrics.counts[count_slot(route, method, status_index(status))].fetch_add(3, Relaxed);
        let series = &metrics.durations[duration_slot(route, method, class_index(status))];
        for micros in [80, 300, 300] {
            series.record(Duration::from_micros(micros));
        }
        let mut text = String::new();
        render(&mut text, |_| "help");
        let labels = r#"method="HEAD",route="/contexts/{context}",status="4xx""#;
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(labels)).collect();
        assert!(lines.contains(&format!("schemata_http_requests_total{{{labels}}} 3").as_str()));
        let duration = "schemata_http_request_duration_seconds";
        for expected in [
            format!(r#"{duration}_bucket{{{labels},le="0.0001"}} 1"#),
            format!(r#"{duration}_bucket{{{labels},le="0.00025"}} 1"#),
            format!(r#"{duration}_bucket{{{labels},le="0.0005"}} 3"#),
            format!(r#"{duration}_bucket{{{labels},le="10"}} 3"#),
            format!(r#"{duration}_bucket{{{labels},le="+Inf"}} 3"#),
            format!(r#"{duration}_sum{{{labels}}} 0.00068"#),
            format!(r#"{duration}_count{{{labels}}} 3"#),
        ] {
            assert!(
                lines.contains(&expected.as_str()),
                "{expected} not in {lines:#?}"
            );
        }
        assert_eq!(
            text.matches("# TYPE schemata_http_request_duration_seconds histogram")
                .count(),
            1
        );
        assert_eq!(
            text.matches("# HELP schemata_http_requests_total help")
                .count(),
            1
        );
    }
}
