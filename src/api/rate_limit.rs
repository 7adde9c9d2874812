//! The rate limit (`--rate-limit N`, `docs/rest-api.md` §13): N requests a second per
//! principal, in bursts of up to 2N, by a token bucket per client; a request without a
//! principal (no authentication configured) counts against its remote address. Over the
//! rate: 429/42901 with `Retry-After`. `/health` and `/ready` are never limited.
//!
//! The table of buckets is bounded: a bucket that has refilled is the same as none, so it is
//! forgotten when room is needed; when every tracked client is active, a client not yet
//! tracked is answered 429 until one refills.

use super::auth::Principal;
use super::error::ApiError;
use super::listen::RemoteAddr;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Who a bucket is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Client {
    Principal(String),
    Address(IpAddr),
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Client::Principal(name) => write!(f, "user {name}"),
            Client::Address(ip) => write!(f, "address {ip}"),
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Table {
    buckets: HashMap<Client, Bucket>,
    /// When refilled buckets were last forgotten, to make room.
    swept: Option<Instant>,
}

/// Token buckets, one per client.
pub struct RateLimit {
    per_second: f64,
    burst: f64,
    capacity: usize,
    table: Mutex<Table>,
}

/// Why a request is not let through now, and when to retry.
#[derive(Debug, PartialEq)]
enum Limited {
    /// Its bucket is empty; one token is back after this long.
    Empty(Duration),
    /// Every tracked client is active and this one is not tracked yet.
    Full,
}

impl RateLimit {
    /// Clients tracked at once (a bucket is some 100 bytes).
    pub const DEFAULT_CLIENTS: usize = 10_000;
    /// Full tables are swept of refilled buckets at most this often.
    const SWEEP_EVERY: Duration = Duration::from_secs(1);

    /// `n` requests a second per client, in bursts of `2n` (`--rate-limit`).
    pub fn per_second(n: u32) -> RateLimit {
        let n = f64::from(n.max(1));
        RateLimit::new(n, 2.0 * n)
    }

    /// Any rate (tokens a second, above zero) and burst (at least one request).
    pub fn new(per_second: f64, burst: f64) -> RateLimit {
        RateLimit {
            per_second: per_second.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            capacity: Self::DEFAULT_CLIENTS,
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                swept: None,
            }),
        }
    }

    /// Track at most this many clients at once.
    pub fn clients(mut self, capacity: usize) -> RateLimit {
        self.capacity = capacity.max(1);
        self
    }

    /// Clients tracked now.
    pub fn tracked(&self) -> usize {
        self.lock().buckets.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer to a request over the limit, or `None` to let it through. Called after
    /// authentication, so the principal (if any) is known.
    pub(crate) fn admit(&self, request: &Request) -> Option<Response> {
        let path = request.uri().path();
        if path == "/health" || path == "/ready" {
            return None;
        }
        let client = match request.extensions().get::<Principal>() {
            Some(principal) => Client::Principal(principal.name.clone()),
            None => Client::Address(request.extensions().get::<RemoteAddr>()?.0.ip()),
        };
        let limited = self.take(&client, Instant::now()).err()?;
        Some(self.refusal(&client, limited))
    }

    fn refusal(&self, client: &Client, limited: Limited) -> Response {
        let (message, wait) = match limited {
            Limited::Empty(wait) => (
                format!(
                    "Too many requests from {client}: the limit is {} a second; retry in a moment",
                    self.per_second
                ),
                wait,
            ),
            Limited::Full => (
                "Too many clients are being rate-limited at once; retry in a moment".to_string(),
                Self::SWEEP_EVERY,
            ),
        };
        let mut response =
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, 42901, message).into_response();
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        response
    }

    /// Take a token from `client`'s bucket at `now`.
    fn take(&self, client: &Client, now: Instant) -> Result<(), Limited> {
        let mut table = self.lock();
        if !table.buckets.contains_key(client) && table.buckets.len() >= self.capacity {
            self.sweep(&mut table, now);
            if table.buckets.len() >= self.capacity {
                return Err(Limited::Full);
            }
        }
        let burst = self.burst;
        let bucket = table.buckets.entry(client.clone()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(Limited::Empty(Duration::from_secs_f64(wait.min(1e9))))
        }
    }

    /// Forget the buckets that have refilled (at most once a `SWEEP_EVERY`): a full bucket
    /// is what a new client gets, so nothing changes for them.
    fn sweep(&self, table: &mut Table, now: Instant) {
        if table
            .swept
            .is_some_and(|at| now.saturating_duration_since(at) < Self::SWEEP_EVERY)
        {
            return;
        }
        table.swept = Some(now);
        let (rate, burst) = (self.per_second, self.burst);
        table.buckets.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
            b.tokens + elapsed * rate < burst
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> Client {
        Client::Principal(name.into())
    }

    #[test]
    fn a_burst_of_2n_then_n_a_second() {
        let limit = RateLimit::per_second(2);
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        for _ in 0..4 {
            assert_eq!(limit.take(&user("a"), start), Ok(()));
        }
        assert_eq!(
            limit.take(&user("a"), start),
            Err(Limited::Empty(Duration::from_millis(500)))
        );
        // Another client has its own bucket.
        assert_eq!(limit.take(&user("b"), start), Ok(()));
        assert!(limit.take(&user("a"), at(250)).is_err());
        assert_eq!(limit.take(&user("a"), at(500)), Ok(()));
        assert!(limit.take(&user("a"), at(500)).is_err());
        // Refilled, but never beyond the burst.
        for _ in 0..4 {
            assert_eq!(limit.take(&user("a"), at(60_000)), Ok(()));
        }
        assert!(limit.take(&user("a"), at(60_000)).is_err());
    }

    #[test]
    fn the_table_is_bounded_and_refilled_buckets_make_room() {
        let limit = RateLimit::new(1.0, 2.0).clients(2);
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        assert_eq!(limit.take(&user("a"), start), Ok(()));
        assert_eq!(limit.take(&user("b"), start), Ok(()));
        assert_eq!(limit.take(&user("c"), start), Err(Limited::Full));
        assert_eq!(limit.tracked(), 2);
        // Still active a moment later (and the sweep just ran): still full.
        assert_eq!(limit.take(&user("c"), at(500)), Err(Limited::Full));
        // After a second both have refilled: forgotten, and c gets a bucket.
        assert_eq!(limit.take(&user("c"), at(1_500)), Ok(()));
        assert_eq!(limit.tracked(), 1);
        for name in ["d", "e", "f", "g"] {
            let _ = limit.take(&user(name), at(1_600));
            assert!(limit.tracked() <= 2);
        }
    }

    #[test]
    fn the_answer_is_429_42901_with_retry_after() {
        let limit = RateLimit::new(0.1, 1.0);
        let response = limit.refusal(&user("a"), Limited::Empty(Duration::from_millis(9_100)));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "10");
    }
}
