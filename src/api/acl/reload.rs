//! Re-reading the ACL file (`docs/rest-api.md` §11): on SIGHUP, and when its text changes
//! (looked at every few seconds; no file watcher). A file that cannot be read or does not
//! parse leaves the rules in force as they are, with a WARN saying why, once per text.

use super::{Acl, Rules};
use std::sync::{Arc, PoisonError, Weak};

/// The text the live rules came from, and the last text refused.
pub(super) struct Texts {
    live: String,
    refused: Option<String>,
}

impl Texts {
    pub(super) fn new(live: String) -> Texts {
        Texts {
            live,
            refused: None,
        }
    }
}

/// Why a reload was asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Trigger {
    /// SIGHUP: read and, if it parses, apply, even when the text is the same.
    Signal,
    /// The periodic look: only a changed text is applied.
    Poll,
}

impl Acl {
    /// Read the file again and apply it if it changed (or on a signal) and parses.
    /// Returns whether new rules are in force.
    pub(super) fn reload(&self, trigger: Trigger) -> bool {
        let file = self.path.display();
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) => {
                let mut texts = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
                let why = format!("unreadable: {e}");
                if trigger == Trigger::Signal || texts.refused.as_deref() != Some(why.as_str()) {
                    tracing::warn!(%file, error = %e, "ACL file not reloaded (unreadable); the previous rules stay in force");
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
        match Rules::parse(&text) {
            Ok(rules) => {
                *self.live.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(rules);
                texts.live = text;
                texts.refused = None;
                tracing::info!(%file, trigger = ?trigger, "ACL file reloaded");
                true
            }
            Err(e) => {
                tracing::warn!(%file, error = %e, "ACL file not reloaded (it does not parse); the previous rules stay in force");
                texts.refused = Some(text);
                false
            }
        }
    }

    /// Re-read the file on SIGHUP and when it changes, for as long as `acl` lives.
    pub fn watch(acl: &Arc<Acl>) {
        let weak: Weak<Acl> = Arc::downgrade(acl);
        let poll = acl.poll;
        tokio::spawn(async move {
            let mut hangup = hangups();
            loop {
                let trigger = tokio::select! {
                    () = tokio::time::sleep(poll) => Trigger::Poll,
                    Some(()) = next_hangup(&mut hangup) => Trigger::Signal,
                };
                let Some(acl) = weak.upgrade() else { break };
                let acl = Arc::clone(&acl);
                // File reads are blocking; they are small, but kept off the async workers.
                let _ = tokio::task::spawn_blocking(move || acl.reload(trigger)).await;
            }
        });
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangups() -> Hangups {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot catch SIGHUP; the ACL file is still re-read when it changes");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangups() -> Hangups {
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

    const ONE: &str = "[[allow]]\nprincipal = \"user:a\"\nglobal = [\"read\"]\n";
    const TWO: &str = "[[allow]]\nprincipal = \"user:b\"\nglobal = [\"read\"]\n";

    #[test]
    fn a_changed_file_is_applied_and_a_broken_one_keeps_the_rules() {
        let dir = std::env::temp_dir().join(format!("schemata_acl_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("acl.toml");
        std::fs::write(&path, ONE).unwrap();
        let acl = Acl::load(&path).unwrap();
        let before = acl.rules();
        assert!(!acl.reload(Trigger::Poll), "unchanged: nothing to do");
        assert!(Arc::ptr_eq(&before, &acl.rules()));
        std::fs::write(&path, "[[allow]\nbroken").unwrap();
        assert!(!acl.reload(Trigger::Poll));
        assert!(Arc::ptr_eq(&before, &acl.rules()), "broken: old rules kept");
        std::fs::remove_file(&path).unwrap();
        assert!(!acl.reload(Trigger::Signal));
        assert!(
            Arc::ptr_eq(&before, &acl.rules()),
            "missing: old rules kept"
        );
        std::fs::write(&path, TWO).unwrap();
        assert!(acl.reload(Trigger::Poll));
        assert!(!Arc::ptr_eq(&before, &acl.rules()));
        assert!(
            acl.reload(Trigger::Signal),
            "a signal applies even the same text"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
