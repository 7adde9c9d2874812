//! The process metrics Prometheus' client libraries export under the same names
//! (`process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_open_fds`, ...),
//! read from `/proc/self` at each scrape and written as text (the recorder's counters are
//! integers; CPU seconds are not). Elsewhere than Linux they are absent.

use std::fmt::Write;

/// Clock ticks a second in `/proc/<pid>/stat` (`USER_HZ`): the kernel reports CPU times in
/// these units, and it is 100 on every architecture Linux exports to user space this way.
const USER_HZ: f64 = 100.0;

/// What one scrape read; a figure that could not be read is `None` and its gauge keeps
/// its last value.
#[derive(Debug, Default, PartialEq)]
pub(super) struct ProcessStats {
    pub cpu_seconds: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub virtual_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub threads: Option<u64>,
    pub start_time_seconds: Option<f64>,
}

impl ProcessStats {
    pub(super) fn read() -> ProcessStats {
        let mut stats = ProcessStats::default();
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            stats.read_stat(&stat, boot_time());
        }
        stats.resident_bytes = status_kib("VmRSS:").map(|kib| kib * 1024);
        stats.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|dir| dir.count() as u64);
        stats.max_fds = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|limits| max_open_files(&limits));
        stats
    }

    /// Append each figure that was read as a family of its own.
    pub(super) fn render(&self, text: &mut String) {
        let families: [(&str, &str, &str, Option<f64>); 7] = [
            (
                "process_cpu_seconds_total",
                "counter",
                "User and system CPU time of the process, in seconds.",
                self.cpu_seconds,
            ),
            (
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory of the process, in bytes.",
                self.resident_bytes.map(|b| b as f64),
            ),
            (
                "process_virtual_memory_bytes",
                "gauge",
                "Virtual memory of the process, in bytes.",
                self.virtual_bytes.map(|b| b as f64),
            ),
            (
                "process_open_fds",
                "gauge",
                "Open file descriptors of the process.",
                self.open_fds.map(|n| n as f64),
            ),
            (
                "process_max_fds",
                "gauge",
                "The process's limit of open file descriptors.",
                self.max_fds.map(|n| n as f64),
            ),
            (
                "process_threads",
                "gauge",
                "Threads of the process.",
                self.threads.map(|n| n as f64),
            ),
            (
                "process_start_time_seconds",
                "gauge",
                "When the process started, in seconds since the epoch.",
                self.start_time_seconds,
            ),
        ];
        for (name, kind, help, value) in families {
            if let Some(value) = value {
                // Writing to a String cannot fail.
                let _ = write!(
                    text,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n\n"
                );
            }
        }
    }

    /// Fields of `/proc/self/stat` (proc(5)): after the command name in parentheses (which
    /// may itself hold spaces and parentheses), field 3 is the state; utime and stime are
    /// fields 14 and 15, num_threads 20, starttime 22 (ticks after boot), vsize 23.
    fn read_stat(&mut self, stat: &str, boot_time: Option<u64>) {
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `fields[0]` is field 3.
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
        if let (Some(user), Some(system)) = (field(14), field(15)) {
            self.cpu_seconds = Some((user + system) as f64 / USER_HZ);
        }
        self.threads = field(20);
        self.virtual_bytes = field(23);
        if let (Some(start), Some(boot)) = (field(22), boot_time) {
            self.start_time_seconds = Some(boot as f64 + start as f64 / USER_HZ);
        }
    }
}

/// Seconds since the epoch at boot (`btime` in `/proc/stat`).
fn boot_time() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// A `kB` figure of `/proc/self/status`.
fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The soft limit of "Max open files" in `/proc/self/limits`.
fn max_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        // A command name with a space and a parenthesis, as proc(5) warns.
        let stat = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194304 1000 0 0 0 \
                    250 150 0 0 20 0 7 0 5000 123456789 2000 18446744073709551615";
        let mut stats = ProcessStats::default();
        stats.read_stat(stat, Some(1_700_000_000));
        assert_eq!(stats.cpu_seconds, Some(4.0));
        assert_eq!(stats.threads, Some(7));
        assert_eq!(stats.virtual_bytes, Some(123_456_789));
        assert_eq!(stats.start_time_seconds, Some(1_700_000_050.0));
    }

    #[test]
    fn figures_read_are_written_with_help_and_type() {
        let stats = ProcessStats {
            cpu_seconds: Some(1.25),
            open_fds: Some(9),
            ..ProcessStats::default()
        };
        let mut text = String::new();
        stats.render(&mut text);
        assert!(text.contains("# HELP process_cpu_seconds_total "), "{text}");
        assert!(text.contains(
            "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.25\n"
        ));
        assert!(text.contains("# TYPE process_open_fds gauge\nprocess_open_fds 9\n"));
        assert!(!text.contains("process_threads"), "not read: not written");
    }

    #[test]
    fn the_soft_open_files_limit_is_read() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             95668                95668                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(max_open_files(limits), Some(1024));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_read() {
        let stats = ProcessStats::read();
        assert!(stats.resident_bytes.unwrap() > 0);
        assert!(stats.open_fds.unwrap() > 0);
        assert!(stats.max_fds.unwrap() >= stats.open_fds.unwrap());
        assert!(stats.threads.unwrap() >= 1);
        assert!(stats.start_time_seconds.unwrap() > 1_600_000_000.0);
    }
}
