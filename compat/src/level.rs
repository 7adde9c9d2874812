//! Compatibility levels and how a level turns into reader/writer checks against the history
//! of a subject (`docs/compatibility.md` §1.1).

use crate::{incompatibilities, ParsedSchema, Roles, DIFFERENT_SCHEMA_TYPE};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompatibilityLevel {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl CompatibilityLevel {
    pub const ALL: [CompatibilityLevel; 7] = [
        CompatibilityLevel::None,
        CompatibilityLevel::Backward,
        CompatibilityLevel::BackwardTransitive,
        CompatibilityLevel::Forward,
        CompatibilityLevel::ForwardTransitive,
        CompatibilityLevel::Full,
        CompatibilityLevel::FullTransitive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::None => "NONE",
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Transitive levels check every live version, the others only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::FullTransitive
        )
    }

    fn checks_backward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Backward
                | CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }

    fn checks_forward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Forward
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }

    /// Every reason `new` fails this level against one previous schema (transitivity is
    /// the caller's concern). FULL concatenates the forward messages and then the backward
    /// ones, repeats included. A previous schema of another type gives the single
    /// "different schema type" error, whatever the direction(s).
    pub fn check_pair(self, new: &ParsedSchema, old: &ParsedSchema) -> Vec<String> {
        if self == CompatibilityLevel::None {
            return Vec::new();
        }
        if new.schema_type() != old.schema_type() {
            return vec![DIFFERENT_SCHEMA_TYPE.to_string()];
        }
        let mut messages = Vec::new();
        if self.checks_forward() {
            messages.extend(incompatibilities(old, new, Roles::FORWARD));
        }
        if self.checks_backward() {
            messages.extend(incompatibilities(new, old, Roles::BACKWARD));
        }
        messages
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CompatibilityLevel {
    type Err = ();

    /// Case-insensitive, surrounding whitespace ignored, as CSR accepts levels.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        CompatibilityLevel::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

/// The first previous version `new` is incompatible with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatibilityFailure {
    /// Index into the `previous` slice given to [`check_compatibility`].
    pub index: usize,
    pub messages: Vec<String>,
}

/// Check `new` against a subject's live history, `previous` ordered newest first.
///
/// Non-transitive levels look at the newest entry only; transitive ones walk the whole list
/// and stop at the first failing version (CSR reports only that version's errors).
pub fn check_compatibility(
    level: CompatibilityLevel,
    new: &ParsedSchema,
    previous: &[&ParsedSchema],
) -> Result<(), CompatibilityFailure> {
    if level == CompatibilityLevel::None {
        return Ok(());
    }
    let considered = if level.is_transitive() {
        previous.len()
    } else {
        previous.len().min(1)
    };
    for (index, old) in previous.iter().take(considered).enumerate() {
        let messages = level.check_pair(new, old);
        if !messages.is_empty() {
            return Err(CompatibilityFailure { index, messages });
        }
    }
    Ok(())
}
