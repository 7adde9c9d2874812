//! The users file (`--basic-auth-file`), in the format of Jetty's property-file login module
//! that CSR's JAAS set-up uses: `user: password[,role ...]`, one user a line, blank lines
//! and lines starting with `#` ignored (`docs/rest-api.md` §10). A line that cannot be read
//! is an error naming its number and never its password.
//!
//! [`Users`] is one reading of the file with what goes with it: the decoy an unknown user
//! is checked against, and the verifications remembered against its entries. A reload
//! (`watched`) makes a new one, so nothing verified against the old file outlives it.

use super::cache::Verified;
use super::password::{Form, Stored};
use crate::api::watched::FileContents;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// The users of one reading of the file.
pub(super) struct Users {
    pub entries: Vec<Entry>,
    /// User name → index in `entries`.
    pub by_user: HashMap<String, usize>,
    /// What an unknown user's password is checked against.
    pub decoy: Stored,
    /// Successful checks against these entries, remembered; empty for each new reading.
    pub verified: Verified,
}

impl Users {
    /// Parse a users file, remembering up to `capacity` verifications for `lifetime`. The
    /// error names the line at fault, never its password.
    pub(super) fn parse(file: &str, capacity: usize, lifetime: Duration) -> Result<Users, String> {
        let entries = parse(file)?;
        let by_user = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.user.clone(), i))
            .collect();
        let decoy = Stored::decoy(entries.iter().map(|e| &e.password))?;
        Ok(Users {
            entries,
            by_user,
            decoy,
            verified: Verified::new(capacity, lifetime)?,
        })
    }

    /// The entries whose password is in a weak form (everything but argon2 and bcrypt), in
    /// file order.
    pub(super) fn weak_entries(&self) -> impl Iterator<Item = WeakEntry<'_>> {
        self.entries.iter().filter_map(|e| {
            Some(WeakEntry {
                line: e.line,
                user: &e.user,
                weakness: e.form.weakness()?,
            })
        })
    }
}

impl FileContents for Users {
    const KIND: &'static str = "users file";

    fn parse(text: &str) -> Result<Users, String> {
        Users::parse(text, Verified::CAPACITY, Verified::LIFETIME)
    }

    /// One warning for each weak password form, naming the line and the user.
    fn in_force(&self, path: &Path) {
        for weak in self.weak_entries() {
            tracing::warn!(
                file = %path.display(),
                line = weak.line,
                user = %weak.user,
                "weak password form: {}; replace it with the line `schemata passwd {}` prints",
                weak.weakness,
                weak.user,
            );
        }
    }
}

/// A users-file entry whose password form is weak.
pub(super) struct WeakEntry<'a> {
    pub line: usize,
    pub user: &'a str,
    pub weakness: &'static str,
}

pub(super) struct Entry {
    /// 1-based line number in the file.
    pub line: usize,
    pub user: String,
    pub password: Stored,
    pub form: Form,
    pub roles: Vec<String>,
}

pub(super) fn parse(file: &str) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, line) in file.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let entry = parse_line(number, line)?;
        if let Some(first) = seen.insert(entry.user.clone(), number) {
            return Err(format!(
                "line {number}: user {} is already defined on line {first}",
                entry.user
            ));
        }
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err("the users file names no user".into());
    }
    Ok(entries)
}

fn parse_line(number: usize, line: &str) -> Result<Entry, String> {
    let (user, rest) = line
        .split_once(':')
        .ok_or_else(|| format!("line {number}: expected 'user: password[,role...]'"))?;
    let user = user.trim();
    if user.is_empty() {
        return Err(format!("line {number}: no user name before ':'"));
    }
    let (password, roles) = split_password(rest.trim_start())
        .ok_or_else(|| format!("line {number} (user {user}): not an argon2 PHC string"))?;
    let (password, form) = Stored::parse(password.trim())
        .map_err(|problem| format!("line {number} (user {user}): {problem}"))?;
    let roles = roles
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect();
    Ok(Entry {
        line: number,
        user: user.to_string(),
        password,
        form,
        roles,
    })
}

/// The password and the roles after it. Roles follow the first comma, except in an argon2
/// PHC string, whose parameters (`m=…,t=…,p=…`) hold commas: there the password runs to the
/// first comma after its last field. `None` for an argon2 string with too few fields.
fn split_password(rest: &str) -> Option<(&str, &str)> {
    let end = if rest.starts_with("$argon2") {
        // `$argon2id[$v=19]$params$salt$hash`: the hash field starts after the 4th or 5th `$`.
        let versioned = rest.split('$').nth(2)?.starts_with("v=");
        let fields = if versioned { 5 } else { 4 };
        let (hash_start, _) = rest.match_indices('$').nth(fields - 1)?;
        rest[hash_start..]
            .find(',')
            .map_or(rest.len(), |i| hash_start + i)
    } else {
        rest.find(',').unwrap_or(rest.len())
    };
    let (password, roles) = rest.split_at(end);
    Some((password, roles.strip_prefix(',').unwrap_or(roles)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARGON2ID: &str =
        "$argon2id$v=19$m=64,t=2,p=1$c2NoZW1hdGEtc2FsdA$vszcVWNNbt47A7VxvaE1cg9EBhGLyWdTfaW+xBrGK28";

    #[test]
    fn argon2_parameters_are_not_roles() {
        for (rest, password, roles) in [
            (format!("{ARGON2ID},admin, dev"), ARGON2ID, "admin, dev"),
            (ARGON2ID.to_string(), ARGON2ID, ""),
            ("secret,admin".to_string(), "secret", "admin"),
            ("secret".to_string(), "secret", ""),
        ] {
            assert_eq!(split_password(&rest), Some((password, roles)), "{rest}");
        }
        let unversioned = "$argon2id$m=64,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g,reader";
        assert_eq!(
            split_password(unversioned),
            Some(("$argon2id$m=64,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "reader"))
        );
        assert_eq!(split_password("$argon2id$v=19$m=64,t=2"), None);
    }

    #[test]
    fn lines_give_users_roles_and_line_numbers() {
        let file = format!("# users\n\nalice: {ARGON2ID},admin,dev\n  bob : secret\n");
        let entries = parse(&file).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[0].line, entries[0].user.as_str(), entries[0].form),
            (3, "alice", Form::Argon2)
        );
        assert_eq!(entries[0].roles, ["admin", "dev"]);
        assert!(entries[0].password.verify("correct horse"));
        assert_eq!(
            (entries[1].line, entries[1].user.as_str(), entries[1].form),
            (4, "bob", Form::Clear)
        );
        assert!(entries[1].roles.is_empty());
    }

    #[test]
    fn a_malformed_line_is_named_by_its_number_without_its_secret() {
        for (file, expected) in [
            ("alice: secret\nno colon here\n", "line 2: expected"),
            ("\n: secret\n", "line 2: no user name"),
            ("alice:\n", "line 1 (user alice): the password is empty"),
            (
                "alice: ,admin\n",
                "line 1 (user alice): the password is empty",
            ),
            (
                "#\nalice: MD5:0123456789abcdef0123456789abcdeX,admin\n",
                "line 2 (user alice): MD5: needs 32 hex digits",
            ),
            (
                "alice: $argon2id$v=19$m=64,t=2,p=1$c2NoZW1hdGEtc2FsdA$@@@@\n",
                "line 1 (user alice): not an argon2 PHC string",
            ),
            (
                "alice: a\nalice: b\n",
                "line 2: user alice is already defined on line 1",
            ),
            ("# nobody\n", "the users file names no user"),
        ] {
            let Err(error) = parse(file) else {
                panic!("{file:?} was accepted");
            };
            assert!(error.starts_with(expected), "{file:?}: {error}");
            assert!(!error.contains("0123456789abcdeX") && !error.contains("@@@@"));
        }
    }
}
