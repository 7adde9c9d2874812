//! At most one costly password check (argon2, bcrypt) per core at a time. Each argon2 check
//! allocates its memory cost (19 MiB for `schemata passwd`'s lines); without a bound, a burst
//! of requests with wrong passwords would run one per request at once, each on its own
//! thread (`docs/rest-api.md` §10). Checks beyond the bound wait their turn, and beyond
//! [`MAX_WAITING`] waiting ones a check is refused at once (each waiting check holds a
//! thread).

use std::sync::{Condvar, Mutex, MutexGuard};

/// Checks that may wait for their turn; one more is refused.
pub(super) const MAX_WAITING: usize = 64;

pub(super) struct Throttle {
    /// (running, waiting).
    running: Mutex<(usize, usize)>,
    freed: Condvar,
    limit: usize,
}

impl Throttle {
    /// One check per core.
    pub(super) fn per_core() -> Throttle {
        Throttle::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    pub(super) fn new(limit: usize) -> Throttle {
        Throttle {
            running: Mutex::new((0, 0)),
            freed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Run `check` once fewer than the limit run, blocking the calling thread until then;
    /// `None` (nothing run) when [`MAX_WAITING`] checks already wait.
    pub(super) fn run<T>(&self, check: impl FnOnce() -> T) -> Option<T> {
        let mut state = self.lock();
        if state.0 >= self.limit {
            if state.1 >= MAX_WAITING {
                return None;
            }
            state.1 += 1;
            while state.0 >= self.limit {
                state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            state.1 -= 1;
        }
        state.0 += 1;
        drop(state);
        let _turn = Turn(self);
        Some(check())
    }

    fn lock(&self) -> MutexGuard<'_, (usize, usize)> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Gives the turn back when the check ends, also by a panic.
struct Turn<'a>(&'a Throttle);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.lock().0 -= 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn no_more_than_the_limit_run_at_once() {
        let throttle = Throttle::new(2);
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        throttle.run(|| {
                            let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(running, Ordering::SeqCst);
                            std::thread::yield_now();
                            now.fetch_sub(1, Ordering::SeqCst);
                        });
                    }
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert_eq!(throttle.lock().0, 0);
    }

    #[test]
    fn a_panicking_check_gives_its_turn_back() {
        let throttle = Throttle::new(1);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            throttle.run(|| panic!("check failed"))
        }));
        assert!(panicked.is_err());
        assert_eq!(throttle.run(|| 7), Some(7));
    }

    #[test]
    fn beyond_the_waiting_bound_a_check_is_refused_at_once() {
        let throttle = Throttle::new(1);
        // One check running and MAX_WAITING waiting: the state a burst leaves.
        *throttle.lock() = (1, MAX_WAITING);
        assert_eq!(throttle.run(|| 7), None);
        *throttle.lock() = (1, MAX_WAITING - 1);
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| throttle.run(|| 7));
            while throttle.lock().1 < MAX_WAITING {
                std::thread::yield_now();
            }
            // The running check ends: the waiter gets its turn.
            drop(Turn(&throttle));
            assert_eq!(waiter.join().unwrap(), Some(7));
        });
    }
}
