//! Progress of a long pass (docs/migration.md §1): a bar on stderr when it is a terminal;
//! plain lines (one every few seconds, then a last one) otherwise, which read well in a CI
//! log; nothing with `--quiet`; a following server's log instead.

use super::Output;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::{Duration, Instant};

/// How often a plain line is written while a pass runs.
const EVERY: Duration = Duration::from_secs(2);

/// How `schemata import` shows progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::cli) enum Display {
    /// A bar redrawn in place.
    Bar,
    /// A line every few seconds and one at the end.
    Lines,
    /// Nothing (problems and the summary still show).
    Quiet,
}

impl Display {
    /// The display for stderr: a bar on a terminal, lines elsewhere, nothing when quiet.
    pub(in crate::cli) fn choose(quiet: bool, stderr_is_terminal: bool) -> Self {
        match (quiet, stderr_is_terminal) {
            (true, _) => Display::Quiet,
            (false, true) => Display::Bar,
            (false, false) => Display::Lines,
        }
    }
}

pub(super) struct Progress {
    what: &'static str,
    unit: &'static str,
    out: Output,
    count: u64,
    last: Instant,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A pass over schemas, `total` of them when known.
    pub(super) fn new(what: &'static str, out: Output, total: Option<u64>) -> Self {
        Self::counting(what, "schemas", out, total)
    }

    /// A pass over things counted as `unit`.
    pub(super) fn counting(
        what: &'static str,
        unit: &'static str,
        out: Output,
        total: Option<u64>,
    ) -> Self {
        let bar = matches!(out, Output::Print(Display::Bar)).then(|| bar(what, unit, total));
        Progress {
            what,
            unit,
            out,
            count: 0,
            last: Instant::now(),
            bar,
        }
    }

    /// The total became known or grew (a crawl finds more subjects by reference).
    pub(super) fn set_total(&mut self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    /// One more done.
    pub(super) fn tick(&mut self) {
        self.count += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            return;
        }
        if self.last.elapsed() >= EVERY {
            self.line(&format!(
                "{}: {} {} so far",
                self.what, self.count, self.unit
            ));
            self.last = Instant::now();
        }
    }

    /// The pass is over.
    pub(super) fn done(&mut self, total: u64) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.line(&format!("{}: {total} {} done", self.what, self.unit));
    }

    /// A line shown as progress lines are (not with `--quiet`).
    pub(super) fn say(&self, line: &str) {
        self.line(line)
    }

    fn line(&self, line: &str) {
        match self.out {
            Output::Print(Display::Quiet) => {}
            Output::Print(_) => eprintln!("{line}"),
            Output::Log => tracing::info!("{line}"),
        }
    }
}

impl Drop for Progress {
    /// A pass that failed takes its bar away before the error is printed.
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn bar(what: &str, unit: &str, total: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = if total.is_some() {
        format!("{what} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{elapsed}}, {{eta}} left)")
    } else {
        format!("{what} {{spinner}} {{pos}} {unit} ({{elapsed}})")
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_on_a_terminal_lines_elsewhere_nothing_when_quiet() {
        assert_eq!(Display::choose(false, true), Display::Bar);
        assert_eq!(Display::choose(false, false), Display::Lines);
        assert_eq!(Display::choose(true, true), Display::Quiet);
        assert_eq!(Display::choose(true, false), Display::Quiet);
    }

    #[test]
    fn only_a_terminal_display_draws_a_bar() {
        let with = |out| Progress::new("checking", out, Some(3)).bar.is_some();
        assert!(with(Output::Print(Display::Bar)));
        assert!(!with(Output::Print(Display::Lines)));
        assert!(!with(Output::Print(Display::Quiet)));
        assert!(!with(Output::Log));
        let mut bar = Progress::new("checking", Output::Print(Display::Bar), None);
        bar.set_total(5);
        bar.tick();
        assert_eq!(
            bar.bar.as_ref().map(|b| (b.position(), b.length())),
            Some((1, Some(5)))
        );
        bar.done(1);
        assert!(bar.bar.is_none(), "the bar is gone once the pass is over");
    }
}
