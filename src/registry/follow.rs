//! A registry that follows another registry's storage topic (`schemata serve
//! --follow-kafka`, docs/migration.md §6): while following, every scope is read-only to
//! clients (CSR's READONLY answers, 42205) and mode changes are refused too, since the topic
//! decides them; only the follower writes, through the import methods. Stopping (the
//! cut-over) ends that for good in this process. How far behind the
//! topic it is, in records and seconds, is kept here for `/metrics` and `GET /v1/follow`.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The follower's state; all zeros and `following: false` on a server that does not follow.
#[derive(Debug, Default)]
pub struct Follow {
    following: AtomicBool,
    /// What is followed: `topic T on BOOTSTRAP`.
    source: OnceLock<String>,
    /// The offset of the next record to apply.
    position: AtomicI64,
    /// The partition's end as the broker last reported it.
    high_watermark: AtomicI64,
    /// When (ms since the epoch) the follower was last seen behind the end; 0: caught up.
    behind_since: AtomicI64,
    /// The timestamp of the last record applied (ms since the epoch); 0: none yet.
    last_record_timestamp: AtomicI64,
    records_applied: AtomicU64,
    errors: AtomicU64,
    last_error: Mutex<Option<String>>,
    /// Another server's mark in the database as last read, and when: re-read at most every
    /// [`MARK_READ_EVERY`], so a write does not cost a query.
    other_mark: Mutex<Option<(Instant, Option<String>)>>,
}

/// How long another server's follower mark, or its absence, is trusted: writes on other
/// servers are refused at most this long after a follower starts (docs/migration.md §6.4).
pub(crate) const MARK_READ_EVERY: Duration = Duration::from_secs(1);

/// A snapshot of [`Follow`], as `GET /v1/follow` answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowStatus {
    pub following: bool,
    pub source: Option<String>,
    pub position: i64,
    pub high_watermark: i64,
    pub lag_records: i64,
    pub lag_seconds: i64,
    pub last_record_timestamp: Option<i64>,
    pub records_applied: u64,
    pub errors: u64,
    pub last_error: Option<String>,
}

impl Follow {
    /// From now on clients cannot write: the server follows `source`.
    pub fn start(&self, source: String) {
        let _ = self.source.set(source);
        self.following.store(true, Ordering::SeqCst);
    }

    /// Stop following (`POST /v1/follow/stop`, the cut-over): clients may write again, as
    /// their modes allow, and the follower applies no further record. Whether it was
    /// following.
    pub fn stop(&self) -> bool {
        self.following.swap(false, Ordering::SeqCst)
    }

    /// Another server's mark as last read, if read within [`MARK_READ_EVERY`].
    pub(crate) fn remembered_mark(&self) -> Option<Option<String>> {
        let seen = self.other_mark.lock().unwrap_or_else(|e| e.into_inner());
        seen.as_ref()
            .filter(|(at, _)| at.elapsed() < MARK_READ_EVERY)
            .map(|(_, mark)| mark.clone())
    }

    /// Remember another server's mark (or that there is none) as just read.
    pub(crate) fn remember_mark(&self, mark: Option<String>) {
        *self.other_mark.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), mark));
    }

    pub fn is_following(&self) -> bool {
        self.following.load(Ordering::Relaxed)
    }

    /// The broker's end of the partition and the follower's position, as just read.
    pub fn observe(&self, position: i64, high_watermark: i64, now: i64) {
        self.position.store(position, Ordering::Relaxed);
        self.high_watermark.store(high_watermark, Ordering::Relaxed);
        if position >= high_watermark {
            self.behind_since.store(0, Ordering::Relaxed);
        } else {
            let _ =
                self.behind_since
                    .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// One record applied (or skipped as unreadable): the position moves past it.
    pub fn applied(&self, offset: i64, timestamp: i64, now: i64) {
        self.records_applied.fetch_add(1, Ordering::Relaxed);
        self.last_record_timestamp
            .store(timestamp, Ordering::Relaxed);
        let high = self.high_watermark.load(Ordering::Relaxed);
        self.observe(offset + 1, high, now);
    }

    /// A record that could not be applied, or a failed read.
    pub fn failed(&self, error: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    }

    /// The state now; after [`Self::stop`] still the position and lag reached when it
    /// stopped, with `following: false`.
    pub fn status(&self, now: i64) -> FollowStatus {
        let Some(source) = self.source.get() else {
            return FollowStatus::default();
        };
        let position = self.position.load(Ordering::Relaxed);
        let high_watermark = self.high_watermark.load(Ordering::Relaxed);
        let lag_records = (high_watermark - position).max(0);
        let behind_since = self.behind_since.load(Ordering::Relaxed);
        let lag_seconds = if lag_records == 0 || behind_since == 0 {
            0
        } else {
            (now - behind_since).max(0) / 1000
        };
        let last = self.last_record_timestamp.load(Ordering::Relaxed);
        FollowStatus {
            following: self.is_following(),
            source: Some(source.clone()),
            position,
            high_watermark,
            lag_records,
            lag_seconds,
            last_record_timestamp: (last != 0).then_some(last),
            records_applied: self.records_applied.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Follow;

    #[test]
    fn lag_in_records_and_seconds() {
        let follow = Follow::default();
        assert!(!follow.status(0).following);
        follow.start("topic _schemas on k:9092".into());
        follow.observe(0, 10, 1_000);
        let status = follow.status(6_000);
        assert_eq!((status.lag_records, status.lag_seconds), (10, 5));
        // Still behind: the time counts from when it first fell behind.
        follow.applied(8, 500, 7_000);
        let status = follow.status(9_000);
        assert_eq!(
            (status.position, status.lag_records, status.lag_seconds),
            (9, 1, 8)
        );
        follow.applied(9, 600, 9_500);
        let status = follow.status(10_000);
        assert_eq!(
            (
                status.lag_records,
                status.lag_seconds,
                status.records_applied
            ),
            (0, 0, 2)
        );
        assert_eq!(status.last_record_timestamp, Some(600));
        // A broker whose reported end lags the records read never makes the lag negative.
        follow.observe(12, 11, 11_000);
        assert_eq!(follow.status(12_000).lag_records, 0);
        follow.failed("boom".into());
        assert_eq!(follow.status(0).last_error.as_deref(), Some("boom"));
        assert!(follow.stop());
        let stopped = follow.status(13_000);
        assert!(!stopped.following && !follow.is_following());
        assert_eq!((stopped.position, stopped.source.is_some()), (12, true));
        assert!(!follow.stop());
    }
}
