//! The regular expressions of a JSON Schema, compiled once, with bounded size, and paid for
//! from one budget per schema (docs/rest-api.md §8, "Limits").
//!
//! Two engines compile a schema's patterns: the model compiles every `patternProperties` key
//! with `regex-automata` (Rust syntax, Unicode classes: what the diff matches property names
//! with), and the instance validator compiles every `pattern` and `patternProperties` key
//! again, translated from ECMA-262 syntax (ASCII `\w`, `\d`). A pattern of a few bytes can
//! compile to megabytes (`^\p{L}{1,20}x0$` to ~1 MB, in each engine), so a small schema with many of them could make a parse spend unbounded memory and
//! CPU. Before either engine keeps anything, [`compile`] walks every document of the parse
//! (the root and its references, definitions and `propertyNames` included) and, for each
//! distinct pattern, compiles what each engine will compile with a size limit
//! ([`MAX_PATTERN_BYTES`]) and adds what it reports to the schema's total, refusing the
//! schema once the total passes [`MAX_SCHEMA_PATTERN_BYTES`]. The model keeps the compiles of
//! its own patterns ([`Patterns::model_regex`]); the validator's are measured and dropped,
//! and the validator is built with the same per-pattern limit (`super::build_validator`), so
//! no pattern that passed here can compile larger there.
//!
//! Every member `"pattern": "<string>"` and every key of a `patternProperties` object is
//! counted wherever it appears, since a `$ref` may point anywhere in a document: a schema is
//! never under-counted, at the price of also counting such strings inside `default` or
//! `examples`. Only a pattern that compiles too large is refused here; one that is not a
//! regular expression keeps the behaviour it had (the validator refuses it, or the model's
//! copy never matches).

use super::parse::{escape_segment, Docs};
use crate::SchemaError;
use regex_automata::meta::{Config, Regex};
use serde_json::Value;
use std::collections::HashMap;

/// The most one pattern may compile to in either engine (its NFA, as `regex-automata`
/// measures it). `^\p{L}{1,20}$` (~950 KiB) fits; `^\w{1,100}$` does not.
pub const MAX_PATTERN_BYTES: usize = 1 << 20;

/// The most all distinct patterns of one schema (with its references) may compile to, as
/// their engines report it. 8 MiB admits about 140 distinct `patternProperties` using
/// Unicode `\w` (~60 KiB each), thousands of patterns like `^[a-z0-9-]+$` (~3 KiB each), or
/// eight of the most expensive patterns allowed. The worst schema it accepts keeps 7.8 MB
/// and holds 9.5 MB at its peak (`tests/retained_bytes.rs`), less than the rest of a 1 MiB
/// schema may keep; one it refuses stops compiling at the pattern that passed the budget.
pub const MAX_SCHEMA_PATTERN_BYTES: usize = 8 << 20;

/// The compiled patterns of one parse and what they were charged.
#[derive(Debug, Default)]
pub(super) struct Patterns {
    /// Each distinct `patternProperties` key, compiled by the model's engine; `None` for one
    /// that is not a Rust regular expression (it never matches).
    model: HashMap<String, Option<Regex>>,
    /// What each distinct pattern the validator compiles reports, `None` for one it keeps
    /// no engine for (a counted class `^[a-z]{1,64}$`, or a pattern it refuses).
    validator: HashMap<String, Option<usize>>,
    /// The sum charged against [`MAX_SCHEMA_PATTERN_BYTES`].
    total: usize,
}

impl Patterns {
    /// The model's compile of a `patternProperties` key (cheap to clone: shared).
    pub(super) fn model_regex(&self, pattern: &str) -> Option<Regex> {
        self.model.get(pattern).cloned().flatten()
    }

    /// What the model's compiled patterns report, one per distinct pattern.
    pub(super) fn model_sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.model.values().flatten().map(Regex::memory_usage)
    }

    /// What the validator's compiled patterns report, one per distinct pattern; `None` for
    /// one it keeps no engine for.
    pub(super) fn validator_sizes(&self) -> impl Iterator<Item = Option<usize>> + '_ {
        self.validator.values().copied()
    }
}

/// Compile and charge every pattern of `docs`; an error names the first pattern that is too
/// large alone or that takes the schema past its budget.
pub(super) fn compile(docs: &Docs) -> Result<Patterns, SchemaError> {
    let mut patterns = Patterns::default();
    for (doc, d) in docs.docs.iter().enumerate() {
        let mut path = Vec::new();
        walk(&d.value, &mut path, &mut |pattern, path, in_model| {
            patterns.charge(pattern, in_model).map_err(|reason| {
                let pointer: String = path
                    .iter()
                    .map(|s| format!("/{}", escape_segment(s)))
                    .collect();
                let at = docs.location(&(doc, pointer));
                SchemaError::new(format!(
                    "Invalid JSON Schema: the regular expression '{}' at '{at}' {reason}",
                    shortened(pattern)
                ))
            })
        })?;
    }
    Ok(patterns)
}

type Visit<'f, 'v> = dyn FnMut(&'v str, &[&'v str], bool) -> Result<(), SchemaError> + 'f;

/// Call `visit` with every `"pattern": "<string>"` value (`false`: the validator compiles it)
/// and every `patternProperties` key (`true`: the model compiles it too) under `value`.
/// Recursive: parsing refuses JSON nested more than `MAX_JSON_DEPTH` levels.
fn walk<'v>(
    value: &'v Value,
    path: &mut Vec<&'v str>,
    visit: &mut Visit<'_, 'v>,
) -> Result<(), SchemaError> {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                path.push(key);
                match (key.as_str(), member) {
                    ("pattern", Value::String(pattern)) => visit(pattern, path, false)?,
                    ("patternProperties", Value::Object(patterns)) => {
                        for pattern in patterns.keys() {
                            path.push(pattern);
                            visit(pattern, path, true)?;
                            path.pop();
                        }
                    }
                    _ => {}
                }
                walk(member, path, visit)?;
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                // Array indices are rare on a path to a pattern; name them without allocating
                // for each item.
                path.push(INDEX_SEGMENTS.get(i).copied().unwrap_or("-"));
                walk(item, path, visit)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

/// Names of the first array positions, for error locations (`-` beyond).
const INDEX_SEGMENTS: &[&str] = &[
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
];

impl Patterns {
    fn charge(&mut self, pattern: &str, in_model: bool) -> Result<(), String> {
        let mut bytes = 0;
        if in_model && !self.model.contains_key(pattern) {
            let regex = match build(pattern) {
                Ok(regex) => Some(regex),
                Err(Failure::TooLarge) => return Err(too_large()),
                Err(Failure::Unreadable) => None,
            };
            bytes += regex.as_ref().map_or(0, Regex::memory_usage);
            self.model.insert(pattern.to_string(), regex);
        }
        if !self.validator.contains_key(pattern) {
            let size = validator_size(pattern)?;
            bytes += size.unwrap_or(0);
            self.validator.insert(pattern.to_string(), size);
        }
        self.total += bytes;
        if self.total > MAX_SCHEMA_PATTERN_BYTES {
            return Err(format!(
                "takes the regular expressions of the schema and its references past {} MiB \
                 compiled, the limit for one schema",
                MAX_SCHEMA_PATTERN_BYTES >> 20
            ));
        }
        Ok(())
    }
}

fn too_large() -> String {
    format!(
        "compiles to more than {} MiB, the limit for one pattern",
        MAX_PATTERN_BYTES >> 20
    )
}

/// Why a pattern did not compile.
#[derive(Debug)]
enum Failure {
    /// Over [`MAX_PATTERN_BYTES`].
    TooLarge,
    /// Not a regular expression in Rust's syntax.
    Unreadable,
}

/// The model's compile: Rust syntax, Unicode, at most [`MAX_PATTERN_BYTES`].
fn build(pattern: &str) -> Result<Regex, Failure> {
    Regex::builder()
        .configure(Config::new().nfa_size_limit(Some(MAX_PATTERN_BYTES)))
        .build(pattern)
        .map_err(|e| match e.size_limit() {
            Some(_) => Failure::TooLarge,
            None => Failure::Unreadable,
        })
}

/// What the validator will compile for `pattern`, measured: the pattern translated from
/// ECMA-262 syntax, in the cheaper form the validator searches with when it has one; `None`
/// when it compiles no engine (a single counted class, which it matches by counting
/// characters, or a pattern it refuses as not a regular expression).
fn validator_size(pattern: &str) -> Result<Option<usize>, String> {
    let Ok(translated) = jsonschema_regex::to_rust_regex(pattern) else {
        return Ok(None);
    };
    let form = match jsonschema_regex::search_form(pattern, &translated) {
        Some(jsonschema_regex::Search::RepeatedClass(_)) => return Ok(None),
        Some(jsonschema_regex::Search::Collapsed(collapsed)) => collapsed,
        None => translated.into_owned(),
    };
    match build(&form) {
        Ok(regex) => Ok(Some(regex.memory_usage())),
        Err(Failure::TooLarge) => Err(too_large()),
        // Lookaround and backreferences: the validator's engine compiles the pieces around
        // them, which together compile to about what the pattern does without them.
        Err(Failure::Unreadable) => match build(&without_lookaround(&form)) {
            Ok(regex) => Ok(Some(regex.memory_usage())),
            Err(Failure::TooLarge) => Err(too_large()),
            Err(Failure::Unreadable) => Ok(Some(MAX_PATTERN_BYTES)),
        },
    }
}

/// `pattern` with each lookaround opener made a plain group and each backreference an empty
/// group: a regular expression `regex-automata` reads, of about the size of the pieces a
/// backtracking engine compiles for the original.
fn without_lookaround(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    let mut in_class = false;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' => {
                let Some(next) = rest.chars().next() else {
                    out.push(c);
                    break;
                };
                if !in_class && next.is_ascii_digit() && next != '0' {
                    rest = rest.trim_start_matches(|d: char| d.is_ascii_digit());
                    out.push_str("(?:)");
                } else if !in_class && next == 'k' && rest[1..].starts_with('<') {
                    rest = rest.split_once('>').map_or("", |(_, after)| after);
                    out.push_str("(?:)");
                } else {
                    rest = &rest[next.len_utf8()..];
                    out.push(c);
                    out.push(next);
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            '(' if !in_class => {
                let opener = ["?=", "?!", "?<=", "?<!"]
                    .into_iter()
                    .find(|o| rest.starts_with(o));
                match opener {
                    Some(opener) => {
                        rest = &rest[opener.len()..];
                        out.push_str("(?:");
                    }
                    None => out.push(c),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `pattern` for an error message: its first 100 characters.
fn shortened(pattern: &str) -> String {
    match pattern.char_indices().nth(100) {
        Some((end, _)) => format!("{}...", &pattern[..end]),
        None => pattern.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookaround_and_backreferences_become_plain_groups() {
        assert_eq!(without_lookaround(r"^(?=.*\d)(?!x)a$"), r"^(?:.*\d)(?:x)a$");
        assert_eq!(without_lookaround(r"(?<=a)(?<!b)c"), r"(?:a)(?:b)c");
        assert_eq!(
            without_lookaround(r"(a)\1\k<n>[(?=\1]"),
            r"(a)(?:)(?:)[(?=\1]"
        );
        assert_eq!(without_lookaround(r"\(?=x\\"), r"\(?=x\\");
        assert!(build(&without_lookaround(r"^(?!foo)(?=\w).*$")).is_ok());
    }

    #[test]
    fn long_patterns_are_shortened_in_messages() {
        assert_eq!(shortened("abc"), "abc");
        let long = "é".repeat(150);
        assert_eq!(shortened(&long), format!("{}...", "é".repeat(100)));
    }
}
