//! Ids that tie a 5xx answer to the log line with its details: the client sees the id and
//! general words, the operator finds the cause under the same id in the log. Audit records
//! carry one too (`audit`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// A new id, unique in this process and unlikely to repeat across processes: a random
/// per-process prefix and a counter, 16 hex digits each.
pub(crate) fn new_request_id() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| RandomState::new().build_hasher().finish());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:016x}{n:016x}")
}

/// Log `error` at ERROR with `what` under a new request id, and return the id for the
/// answer: the details stay in the log.
pub(crate) fn log_with_request_id(what: &str, error: &dyn std::fmt::Display) -> String {
    let request_id = new_request_id();
    tracing::error!(%request_id, error = %error, "{what}");
    request_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_do_not_repeat() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!((a.len(), a[..16] == b[..16]), (32, true));
    }
}
