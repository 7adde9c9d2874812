//! Request count and duration per route: `schemata_http_requests_total` by method, route
//! template and status, `schemata_http_request_duration_seconds` (a histogram, so it adds up
//! across processes) by method, route template and status class.

use super::super::access_log::{access_log, access_log_on};
use super::super::ROUTES;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

/// Every label comes from a fixed table (the route template from [`ROUTES`], the method,
/// the status), so each label set has a slot in [`RequestMetrics`] and the hot path neither
/// allocates nor looks the series up by name.
pub(in crate::api) async fn record(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| route_index(p.as_str()))
        .unwrap_or(UNMATCHED);
    let method = method_index(req.method());
    let started = Instant::now();
    // The request's method and path, kept only when its access-log line will be written.
    let logged = access_log_on().then(|| (req.method().clone(), req.uri().path().to_owned()));
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    if let Some((method, path)) = logged {
        access_log(&method, &path, response.status(), elapsed);
    }
    let handles = RequestMetrics::get();
    handles
        .counter(route, method, status_index(response.status()))
        .increment(1);
    handles
        .histogram(route, method, class_index(response.status()))
        .record(elapsed.as_secs_f64());
    response
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

/// Handles of the request series, registered with the recorder on first use. The global
/// recorder is installed (`metrics::handle`) before the router serves anything and never
/// replaced, so a handle stays valid for the life of the process.
struct RequestMetrics {
    counters: Vec<OnceLock<metrics::Counter>>,
    histograms: Vec<OnceLock<metrics::Histogram>>,
}

impl RequestMetrics {
    fn get() -> &'static RequestMetrics {
        static HANDLES: OnceLock<RequestMetrics> = OnceLock::new();
        HANDLES.get_or_init(|| {
            let routes = ROUTES.len() + 1;
            RequestMetrics {
                counters: (0..routes * METHODS.len() * STATUSES.len())
                    .map(|_| OnceLock::new())
                    .collect(),
                histograms: (0..routes * METHODS.len() * CLASSES.len())
                    .map(|_| OnceLock::new())
                    .collect(),
            }
        })
    }

    fn counter(&self, route: usize, method: usize, status: usize) -> &metrics::Counter {
        let slot = (route * METHODS.len() + method) * STATUSES.len() + status;
        self.counters[slot].get_or_init(|| {
            metrics::counter!("schemata_http_requests_total",
                "method" => METHODS[method], "route" => route_label(route), "status" => STATUSES[status])
        })
    }

    fn histogram(&self, route: usize, method: usize, class: usize) -> &metrics::Histogram {
        let slot = (route * METHODS.len() + method) * CLASSES.len() + class;
        self.histograms[slot].get_or_init(|| {
            metrics::histogram!("schemata_http_request_duration_seconds",
                "method" => METHODS[method], "route" => route_label(route), "status" => CLASSES[class])
        })
    }
}

fn method_index(method: &axum::http::Method) -> usize {
    use axum::http::Method;
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
}
