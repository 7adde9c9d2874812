//! Credentials verified recently, so that an argon2 or bcrypt check (tens of milliseconds by
//! design) is paid once per client and not on every request (`docs/rest-api.md` §10).
//!
//! An entry is a keyed BLAKE2b hash of the user name and password (the key is random and
//! lives only in this process, so the map holds nothing an attacker could test passwords
//! against), the users-file entry it was verified for, and when it expires. Only successful
//! checks are remembered. The map is bounded: when it is full, expired entries go first, then
//! the one closest to expiring.

use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use blake2::Blake2bMac;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// What a user name and password hash to.
pub(super) type Fingerprint = [u8; 32];

pub(super) struct Verified {
    /// The hash with its random key already absorbed, cloned for each fingerprint.
    keyed: Blake2bMac<U32>,
    capacity: usize,
    lifetime: Duration,
    entries: RwLock<HashMap<Fingerprint, Remembered>>,
}

#[derive(Clone, Copy)]
struct Remembered {
    /// Index of the users-file entry the password was verified against.
    entry: usize,
    expires: Instant,
}

impl Verified {
    /// Entries kept at most.
    pub(super) const CAPACITY: usize = 4096;
    /// How long a verification is trusted.
    pub(super) const LIFETIME: Duration = Duration::from_secs(60);

    pub(super) fn new(capacity: usize, lifetime: Duration) -> Result<Verified, String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("no random bytes: {e}"))?;
        let keyed = <Blake2bMac<U32> as KeyInit>::new_from_slice(&key)
            .map_err(|_| "32 bytes is a valid BLAKE2b key length")?;
        Ok(Verified {
            keyed,
            capacity: capacity.max(1),
            lifetime,
            entries: RwLock::new(HashMap::new()),
        })
    }

    pub(super) fn fingerprint(&self, user: &str, password: &str) -> Fingerprint {
        let mut mac = self.keyed.clone();
        // The user's length first, so no two (user, password) pairs hash the same input.
        mac.update(&(user.len() as u64).to_le_bytes());
        mac.update(user.as_bytes());
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether `fingerprint` was verified for users-file entry `entry` and has not expired.
    pub(super) fn holds(&self, fingerprint: &Fingerprint, entry: usize, now: Instant) -> bool {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(fingerprint)
            .is_some_and(|r| r.entry == entry && now < r.expires)
    }

    pub(super) fn remember(&self, fingerprint: Fingerprint, entry: usize, now: Instant) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&fingerprint) {
            entries.retain(|_, r| now < r.expires);
            if entries.len() >= self.capacity {
                let soonest = entries.iter().min_by_key(|(_, r)| r.expires);
                if let Some(soonest) = soonest.map(|(f, _)| *f) {
                    entries.remove(&soonest);
                }
            }
        }
        let expires = now + self.lifetime;
        entries.insert(fingerprint, Remembered { entry, expires });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_on_user_password_and_key() {
        let cache = Verified::new(8, Verified::LIFETIME).unwrap();
        let other = Verified::new(8, Verified::LIFETIME).unwrap();
        let a = cache.fingerprint("alice", "secret");
        assert_eq!(a, cache.fingerprint("alice", "secret"));
        assert_ne!(a, cache.fingerprint("alice", "secreT"));
        assert_ne!(a, cache.fingerprint("alic", "esecret"));
        assert_ne!(a, other.fingerprint("alice", "secret"));
    }

    #[test]
    fn entries_expire() {
        let cache = Verified::new(8, Duration::from_secs(60)).unwrap();
        let start = Instant::now();
        let alice = cache.fingerprint("alice", "secret");
        assert!(!cache.holds(&alice, 0, start));
        cache.remember(alice, 0, start);
        assert!(cache.holds(&alice, 0, start + Duration::from_secs(59)));
        assert!(!cache.holds(&alice, 0, start + Duration::from_secs(60)));
    }

    #[test]
    fn an_entry_holds_only_for_the_users_file_entry_it_was_verified_for() {
        let cache = Verified::new(8, Verified::LIFETIME).unwrap();
        let now = Instant::now();
        let alice = cache.fingerprint("alice", "secret");
        cache.remember(alice, 3, now);
        assert!(cache.holds(&alice, 3, now));
        assert!(!cache.holds(&alice, 4, now));
    }

    #[test]
    fn the_cache_is_bounded_expired_entries_going_first_then_the_oldest() {
        let cache = Verified::new(3, Duration::from_secs(60)).unwrap();
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let users: Vec<Fingerprint> = (0..5)
            .map(|i| cache.fingerprint(&format!("user{i}"), "pw"))
            .collect();
        cache.remember(users[0], 0, at(0));
        cache.remember(users[1], 1, at(10));
        cache.remember(users[2], 2, at(20));
        assert_eq!(cache.len(), 3);
        // Full: the oldest (user0) makes room.
        cache.remember(users[3], 3, at(30));
        assert_eq!(cache.len(), 3);
        assert!(!cache.holds(&users[0], 0, at(30)));
        assert!(cache.holds(&users[1], 1, at(30)));
        // At 75 s user1 (10 + 60) and user2 (20 + 60 = 80: not yet) — only user1 expired.
        cache.remember(users[4], 4, at(75));
        assert_eq!(cache.len(), 3);
        assert!(cache.holds(&users[2], 2, at(75)));
        assert!(cache.holds(&users[3], 3, at(75)));
        assert!(cache.holds(&users[4], 4, at(75)));
        // Remembering again one already held refreshes it without evicting another.
        cache.remember(users[2], 2, at(76));
        assert_eq!(cache.len(), 3);
        assert!(cache.holds(&users[3], 3, at(76)));
    }
}
