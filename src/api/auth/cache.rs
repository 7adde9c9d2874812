//! Credentials verified recently, so that an argon2 or bcrypt check (tens of milliseconds by
//! design), or a bearer token's signature check, is paid once per client and not on every
//! request (`docs/rest-api.md` §10).
//!
//! An entry is a keyed BLAKE2b hash of the credentials (user name and password, or a token;
//! the key is random and lives only in this process, so the map holds nothing an attacker
//! could test passwords against), what they were verified as (the users-file entry, or the
//! token's principal), and when it expires. Only successful checks are remembered. The map
//! is bounded: when it is full, expired entries go first, then the one closest to expiring.

use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use blake2::Blake2bMac;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// What a user name and password hash to.
pub(super) type Fingerprint = [u8; 32];

/// `V` is what the credentials were verified as: by default the index of the users-file
/// entry a password was checked against.
pub(super) struct Verified<V = usize> {
    /// The hash with its random key already absorbed, cloned for each fingerprint.
    keyed: Blake2bMac<U32>,
    capacity: usize,
    lifetime: Duration,
    entries: RwLock<HashMap<Fingerprint, Remembered<V>>>,
}

#[derive(Clone)]
struct Remembered<V> {
    /// What the credentials were verified as.
    entry: V,
    expires: Instant,
}

/// Entries kept at most.
pub(super) const CAPACITY: usize = 4096;
/// How long a verification is trusted.
pub(super) const LIFETIME: Duration = Duration::from_secs(60);

impl Verified<usize> {
    /// Entries kept at most.
    pub(super) const CAPACITY: usize = CAPACITY;
    /// How long a verification is trusted.
    pub(super) const LIFETIME: Duration = LIFETIME;

    /// Whether `fingerprint` was verified for users-file entry `entry` and has not expired.
    pub(super) fn holds(&self, fingerprint: &Fingerprint, entry: usize, now: Instant) -> bool {
        self.get(fingerprint, now) == Some(entry)
    }

    pub(super) fn remember(&self, fingerprint: Fingerprint, entry: usize, now: Instant) {
        self.remember_until(fingerprint, entry, now, now + self.lifetime);
    }
}

impl<V: Clone> Verified<V> {
    pub(super) fn new(capacity: usize, lifetime: Duration) -> Result<Verified<V>, String> {
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

    /// What a token hashes to (its own domain: a token never hashes like a user and password).
    pub(super) fn token_fingerprint(&self, token: &str) -> Fingerprint {
        let mut mac = self.keyed.clone();
        mac.update(&u64::MAX.to_le_bytes());
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// What `fingerprint` was verified as, unless that has expired.
    pub(super) fn get(&self, fingerprint: &Fingerprint, now: Instant) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(fingerprint)
            .filter(|r| now < r.expires)
            .map(|r| r.entry.clone())
    }

    /// Remember a verification until `expires`, and never longer than the lifetime.
    pub(super) fn remember_until(
        &self,
        fingerprint: Fingerprint,
        entry: V,
        now: Instant,
        expires: Instant,
    ) {
        let expires = expires.min(now + self.lifetime);
        if expires <= now {
            return;
        }
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
        let cache: Verified = Verified::new(8, Verified::LIFETIME).unwrap();
        let other: Verified = Verified::new(8, Verified::LIFETIME).unwrap();
        let a = cache.fingerprint("alice", "secret");
        assert_eq!(a, cache.fingerprint("alice", "secret"));
        assert_ne!(a, cache.fingerprint("alice", "secreT"));
        assert_ne!(a, cache.fingerprint("alic", "esecret"));
        assert_ne!(a, other.fingerprint("alice", "secret"));
        assert_ne!(a, cache.token_fingerprint("alicesecret"));
        assert_eq!(cache.token_fingerprint("t"), cache.token_fingerprint("t"));
        assert_ne!(cache.token_fingerprint("t"), cache.token_fingerprint("u"));
    }

    #[test]
    fn a_token_is_remembered_until_its_own_expiry_within_the_lifetime() {
        let cache: Verified<&str> = Verified::new(8, Duration::from_secs(60)).unwrap();
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let soon = cache.token_fingerprint("expires soon");
        let late = cache.token_fingerprint("expires late");
        cache.remember_until(soon, "soon", start, at(10));
        cache.remember_until(late, "late", start, at(3600));
        assert_eq!(cache.get(&soon, at(9)), Some("soon"));
        assert_eq!(
            cache.get(&soon, at(10)),
            None,
            "never beyond the token's expiry"
        );
        assert_eq!(cache.get(&late, at(59)), Some("late"));
        assert_eq!(cache.get(&late, at(60)), None, "never beyond the lifetime");
        let expired = cache.token_fingerprint("already expired");
        cache.remember_until(expired, "expired", at(100), at(100));
        assert_eq!(cache.len(), 2, "an expired token is not remembered");
    }

    #[test]
    fn entries_expire() {
        let cache: Verified = Verified::new(8, Duration::from_secs(60)).unwrap();
        let start = Instant::now();
        let alice = cache.fingerprint("alice", "secret");
        assert!(!cache.holds(&alice, 0, start));
        cache.remember(alice, 0, start);
        assert!(cache.holds(&alice, 0, start + Duration::from_secs(59)));
        assert!(!cache.holds(&alice, 0, start + Duration::from_secs(60)));
    }

    #[test]
    fn an_entry_holds_only_for_the_users_file_entry_it_was_verified_for() {
        let cache: Verified = Verified::new(8, Verified::LIFETIME).unwrap();
        let now = Instant::now();
        let alice = cache.fingerprint("alice", "secret");
        cache.remember(alice, 3, now);
        assert!(cache.holds(&alice, 3, now));
        assert!(!cache.holds(&alice, 4, now));
    }

    #[test]
    fn the_cache_is_bounded_expired_entries_going_first_then_the_oldest() {
        let cache: Verified = Verified::new(3, Duration::from_secs(60)).unwrap();
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
