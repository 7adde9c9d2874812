//! Progress of a long pass as plain lines on stderr (one every few seconds), which read the
//! same on a terminal and in a CI log.

use std::time::{Duration, Instant};

/// How often a line is written while a pass runs.
const EVERY: Duration = Duration::from_secs(2);

pub(super) struct Progress {
    what: &'static str,
    count: u64,
    last: Instant,
}

impl Progress {
    pub(super) fn new(what: &'static str) -> Self {
        Progress {
            what,
            count: 0,
            last: Instant::now(),
        }
    }

    /// One more schema handled.
    pub(super) fn tick(&mut self) {
        self.count += 1;
        if self.last.elapsed() >= EVERY {
            eprintln!("{}: {} schemas so far", self.what, self.count);
            self.last = Instant::now();
        }
    }

    /// The pass is over.
    pub(super) fn done(&self, total: u64) {
        eprintln!("{}: {total} schemas done", self.what);
    }
}
