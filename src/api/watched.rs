//! A file the server re-reads while it runs: the ACL file (`docs/rest-api.md` §11) and the
//! users file (§10). It is read again on SIGHUP and when its text changes (looked at every
//! few seconds; no file watcher), and parsed whole before it replaces what is in force: a
//! file that cannot be read or does not parse leaves the contents in force as they are, with
//! a WARN saying why, once per text. Requests take the contents in force when they arrive
//! and keep them to the end.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Duration;

/// What a watched file holds once parsed.
pub(crate) trait FileContents: Sized + Send + Sync + 'static {
    /// What the file is called in the log: `ACL file`, `users file`.
    const KIND: &'static str;

    /// The contents of the file's text, or why not. The reason names the place at fault
    /// and never quotes a secret: it is logged.
    fn parse(text: &str) -> Result<Self, String>;

    /// Called each time these contents come into force (at start and after each reload),
    /// to log what an operator should know of them.
    fn in_force(&self, _path: &Path) {}
}

/// Why a reload was asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Trigger {
    /// SIGHUP: read and, if it parses, apply, even when the text is the same.
    Signal,
    /// The periodic look: only a changed text is applied.
    Poll,
}

/// A file and the contents in force.
pub(crate) struct Watched<T> {
    path: PathBuf,
    live: RwLock<Arc<T>>,
    /// The text the live contents came from, and the last text (or read error) refused.
    texts: Mutex<Texts>,
}

struct Texts {
    live: String,
    refused: Option<String>,
}

impl<T: FileContents> Watched<T> {
    /// Read and parse the file: at start, an unreadable or malformed file is an error
    /// naming the file.
    pub(crate) fn load(path: impl Into<PathBuf>) -> Result<Watched<T>, String> {
        let path = path.into();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the {} {}: {e}", T::KIND, path.display()))?;
        let contents = T::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        contents.in_force(&path);
        Ok(Watched {
            path,
            live: RwLock::new(Arc::new(contents)),
            texts: Mutex::new(Texts {
                live: text,
                refused: None,
            }),
        })
    }

    /// The contents in force.
    pub(crate) fn current(&self) -> Arc<T> {
        self.live
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Read the file again and apply it if it changed (or on a signal) and parses.
    /// Returns whether new contents are in force.
    pub(crate) fn reload(&self, trigger: Trigger) -> bool {
        let (kind, file) = (T::KIND, self.path.display());
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) => {
                let mut texts = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
                let why = format!("unreadable: {e}");
                if trigger == Trigger::Signal || texts.refused.as_deref() != Some(why.as_str()) {
                    tracing::warn!(%file, error = %e, "{kind} not reloaded (unreadable); what it held stays in force");
                    texts.refused = Some(why);
                }
                return false;
            }
        };
        let mut texts = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        let unchanged = texts.live == text;
        let refused_before = texts.refused.as_deref() == Some(text.as_str());
        if trigger == Trigger::Poll && (unchanged || refused_before) {
            return false;
        }
        match T::parse(&text) {
            Ok(contents) => {
                contents.in_force(&self.path);
                *self.live.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(contents);
                texts.live = text;
                texts.refused = None;
                tracing::info!(%file, trigger = ?trigger, "{kind} reloaded");
                true
            }
            Err(e) => {
                tracing::warn!(%file, error = %e, "{kind} not reloaded (it does not parse); what it held stays in force");
                texts.refused = Some(text);
                false
            }
        }
    }

    /// Re-read the file on SIGHUP and, every `poll`, when it changed, for as long as
    /// `watched` lives.
    pub(crate) fn watch(watched: &Arc<Watched<T>>, poll: Duration) {
        let weak: Weak<Watched<T>> = Arc::downgrade(watched);
        tokio::spawn(async move {
            let mut hangup = hangups(T::KIND);
            loop {
                let trigger = tokio::select! {
                    () = tokio::time::sleep(poll) => Trigger::Poll,
                    Some(()) = next_hangup(&mut hangup) => Trigger::Signal,
                };
                let Some(watched) = weak.upgrade() else { break };
                // File reads are blocking (and parsing the users file hashes a decoy); they
                // are kept off the async workers.
                let _ = tokio::task::spawn_blocking(move || watched.reload(trigger)).await;
            }
        });
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangups(kind: &str) -> Hangups {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot catch SIGHUP; the {kind} is still re-read when it changes");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangups(_: &str) -> Hangups {
    None
}

/// The next SIGHUP; never, where there are none.
async fn next_hangup(hangups: &mut Hangups) -> Option<()> {
    #[cfg(unix)]
    if let Some(signal) = hangups {
        return signal.recv().await;
    }
    let _ = hangups;
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of numbers, one a line.
    struct Numbers(Vec<u32>);

    impl FileContents for Numbers {
        const KIND: &'static str = "numbers file";

        fn parse(text: &str) -> Result<Numbers, String> {
            text.lines()
                .enumerate()
                .map(|(i, l)| l.parse().map_err(|_| format!("line {}", i + 1)))
                .collect::<Result<_, _>>()
                .map(Numbers)
        }
    }

    #[test]
    fn a_changed_file_is_applied_and_a_broken_one_keeps_what_is_in_force() {
        let dir = std::env::temp_dir().join(format!("schemata_watched_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("numbers");
        std::fs::write(&path, "1\n2\n").unwrap();
        let watched: Watched<Numbers> = Watched::load(&path).unwrap();
        let before = watched.current();
        assert_eq!(before.0, [1, 2]);
        assert!(!watched.reload(Trigger::Poll), "unchanged: nothing to do");
        assert!(Arc::ptr_eq(&before, &watched.current()));
        std::fs::write(&path, "1\nx\n").unwrap();
        assert!(!watched.reload(Trigger::Poll));
        assert!(Arc::ptr_eq(&before, &watched.current()), "broken: kept");
        std::fs::remove_file(&path).unwrap();
        assert!(!watched.reload(Trigger::Signal));
        assert!(Arc::ptr_eq(&before, &watched.current()), "missing: kept");
        std::fs::write(&path, "3\n").unwrap();
        assert!(watched.reload(Trigger::Poll));
        assert_eq!(watched.current().0, [3]);
        assert!(
            watched.reload(Trigger::Signal),
            "a signal applies even the same text"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn at_start_a_missing_or_broken_file_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("schemata_watched0_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("numbers");
        let missing = Watched::<Numbers>::load(&path).err().unwrap();
        assert!(
            missing.starts_with("cannot read the numbers file") && missing.contains("numbers"),
            "{missing}"
        );
        std::fs::write(&path, "1\nx\n").unwrap();
        let broken = Watched::<Numbers>::load(&path).err().unwrap();
        assert_eq!(broken, format!("{}: line 2", path.display()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
