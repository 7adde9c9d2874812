//! Progress of a long pass as plain lines on stderr (one every few seconds), which read the
//! same on a terminal and in a CI log; in a following server's log instead.

use super::Output;
use std::time::{Duration, Instant};

/// How often a line is written while a pass runs.
const EVERY: Duration = Duration::from_secs(2);

pub(super) struct Progress {
    what: &'static str,
    out: Output,
    count: u64,
    last: Instant,
}

impl Progress {
    pub(super) fn new(what: &'static str, out: Output) -> Self {
        Progress {
            what,
            out,
            count: 0,
            last: Instant::now(),
        }
    }

    /// One more schema handled.
    pub(super) fn tick(&mut self) {
        self.count += 1;
        if self.last.elapsed() >= EVERY {
            let line = format!("{}: {} schemas so far", self.what, self.count);
            match self.out {
                Output::Print => eprintln!("{line}"),
                Output::Log => tracing::info!("{line}"),
            }
            self.last = Instant::now();
        }
    }

    /// The pass is over.
    pub(super) fn done(&self, total: u64) {
        let line = format!("{}: {total} schemas done", self.what);
        match self.out {
            Output::Print => eprintln!("{line}"),
            Output::Log => tracing::info!("{line}"),
        }
    }
}
