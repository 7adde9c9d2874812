//! Domain newtypes parsed at the edge, so the registry never handles raw strings:
//! context-qualified subjects, version ids, modes, and the JSON entities stored with a schema.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::registry::RegistryError;

/// The default context: subjects without a `:.ctx:` prefix live here.
pub const DEFAULT_CONTEXT: &str = ".";
/// Longest subject (and context) name accepted for writes. Kafka topics stop at 249
/// characters and Protobuf import paths are far shorter; the bound keeps every name well
/// inside what a database index entry can hold (PostgreSQL refuses index rows over ~2.7 KB,
/// which would otherwise surface as a 500).
pub const MAX_SUBJECT_BYTES: usize = 1024;
/// Context used only for configuration and mode that apply to every context.
pub const GLOBAL_CONTEXT: &str = ".__GLOBAL";

/// A subject inside its context. `:.ctx:name` on the wire; a bare `name` is in the default
/// context. An empty `name` denotes the context itself (`:.ctx:`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedSubject {
    pub context: String,
    pub name: String,
}

impl QualifiedSubject {
    /// Split a wire subject into context and name. Never fails: validity is checked
    /// separately, because reads accept names that writes reject.
    pub fn parse(raw: &str) -> Self {
        if let Some(rest) = raw.strip_prefix(':') {
            if let Some(end) = rest.find(':') {
                let context = &rest[..end];
                if context.starts_with('.') {
                    let context = if context == "." {
                        DEFAULT_CONTEXT
                    } else {
                        context
                    };
                    return QualifiedSubject {
                        context: context.to_string(),
                        name: rest[end + 1..].to_string(),
                    };
                }
            }
        }
        QualifiedSubject {
            context: DEFAULT_CONTEXT.to_string(),
            name: raw.to_string(),
        }
    }

    pub fn in_context(context: &str, name: &str) -> Self {
        QualifiedSubject {
            context: context.to_string(),
            name: name.to_string(),
        }
    }

    pub fn is_default_context(&self) -> bool {
        self.context == DEFAULT_CONTEXT
    }

    /// The context itself rather than a subject in it (`:.ctx:` or the empty subject).
    pub fn is_context_only(&self) -> bool {
        self.name.is_empty()
    }

    /// The wire form: bare for the default context, `:.ctx:name` otherwise.
    pub fn qualified(&self) -> String {
        if self.is_default_context() {
            self.name.clone()
        } else {
            format!(":{}:{}", self.context, self.name)
        }
    }

    /// The key under which config and mode are stored for this subject, or for its
    /// context when the name is empty ("" is the global scope = the default context).
    pub fn scope(&self) -> String {
        if self.is_context_only() {
            context_scope(&self.context)
        } else {
            self.qualified()
        }
    }

    /// Rules for names that may be written to (register, config, mode): CSR's 42208. The
    /// `.__GLOBAL` context holds config and mode only (`:.__GLOBAL:` itself), no subjects.
    pub fn validate_for_write(&self) -> Result<(), RegistryError> {
        let invalid = (self.context == GLOBAL_CONTEXT && !self.is_context_only())
            || self.name.len() > MAX_SUBJECT_BYTES
            || self.context.len() > MAX_SUBJECT_BYTES
            || self.name == "__GLOBAL"
            || self.name == "__EMPTY"
            || self.name.chars().any(|c| c.is_control())
            || self.context.chars().any(|c| c.is_control() || c == ':');
        if invalid {
            return Err(RegistryError::InvalidSubject(self.qualified()));
        }
        Ok(())
    }

    /// Like [`validate_for_write`](Self::validate_for_write), and the name must not be empty.
    pub fn validate_for_register(&self) -> Result<(), RegistryError> {
        self.validate_for_write()?;
        if self.name.trim().is_empty() || self.context == GLOBAL_CONTEXT {
            return Err(RegistryError::InvalidSubject(self.qualified()));
        }
        Ok(())
    }
}

impl fmt::Display for QualifiedSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.qualified())
    }
}

/// Config/mode key of a context: "" for the default context (= global), `:.ctx:` otherwise.
pub fn context_scope(context: &str) -> String {
    if context == DEFAULT_CONTEXT {
        String::new()
    } else {
        format!(":{context}:")
    }
}

/// The `{version}` path segment: `latest`/`-1` or a positive number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionId {
    Latest,
    Number(i64),
}

impl VersionId {
    pub fn parse(raw: &str) -> Result<Self, RegistryError> {
        let trimmed = raw.trim();
        if trimmed.eq_ignore_ascii_case("latest") {
            return Ok(VersionId::Latest);
        }
        match trimmed.parse::<i64>() {
            Ok(-1) => Ok(VersionId::Latest),
            Ok(n) if (1..=i64::from(i32::MAX)).contains(&n) => Ok(VersionId::Number(n)),
            _ => Err(RegistryError::InvalidVersion(raw.to_string())),
        }
    }

    /// The number CSR prints in "Version N not found." (`-1` for latest).
    pub fn display_number(self) -> i64 {
        match self {
            VersionId::Latest => -1,
            VersionId::Number(n) => n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ReadWrite,
    ReadOnly,
    ReadOnlyOverride,
    Import,
    Forward,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
            Mode::Forward => "FORWARD",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Mode::ReadWrite,
            Mode::ReadOnly,
            Mode::ReadOnlyOverride,
            Mode::Import,
            Mode::Forward,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    pub fn is_read_only(self) -> bool {
        matches!(self, Mode::ReadOnly | Mode::ReadOnlyOverride)
    }

    /// Modes in which a registration carries its own id (replication, migration).
    pub fn accepts_explicit_ids(self) -> bool {
        matches!(self, Mode::Import | Mode::Forward)
    }
}

/// A reference from one schema to a version of another subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i64,
}

/// The config that applies to a subject, every field resolved along its chain.
#[derive(Debug, Clone)]
pub struct EffectiveConfig {
    pub level: schemata_compat::CompatibilityLevel,
    pub config: Config,
}

impl EffectiveConfig {
    /// `?normalize=` OR the config's `normalize`, as CSR combines them (a plain boolean
    /// parameter: an explicit `false`, which the Java client always sends, is no override).
    pub fn normalize_with(&self, param: Option<bool>) -> bool {
        param == Some(true) || self.normalize == Some(true)
    }

    /// The `compatibilityGroup` metadata property, when one is set: only versions whose
    /// metadata has the same value for it are checked against.
    pub fn group(&self) -> Option<&str> {
        self.compatibility_group
            .as_deref()
            .filter(|g| !g.is_empty())
    }

    /// How many of the (group's) live versions, newest first, a registration is checked
    /// against: the latest alone unless the level is transitive; none for NONE.
    pub fn versions_checked(&self) -> usize {
        match self.level {
            schemata_compat::CompatibilityLevel::None => 0,
            level if level.is_transitive() => usize::MAX,
            _ => 1,
        }
    }
}

impl std::ops::Deref for EffectiveConfig {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.config
    }
}

/// Per-scope configuration, stored as sent (partial) and merged along the resolution chain.
/// Field names are CSR's; the level is `compatibilityLevel` here and `compatibility` in PUT.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_fields: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_new_schemas: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_rules: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_metadata: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_metadata: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_rule_set: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_rule_set: Option<serde_json::Value>,
}

impl Config {
    /// Fill the fields this config leaves unset from `fallback`. The compatibility level is
    /// not inherited: a subject config without a level means the server default (CSR quirk).
    pub fn merged_with(mut self, fallback: &Config) -> Config {
        macro_rules! inherit {
            ($($field:ident),*) => { $( if self.$field.is_none() { self.$field = fallback.$field.clone(); } )* };
        }
        inherit!(
            alias,
            normalize,
            validate_fields,
            validate_new_schemas,
            validate_rules,
            compatibility_policy,
            compatibility_group,
            default_metadata,
            override_metadata,
            default_rule_set,
            override_rule_set
        );
        self
    }

    /// Overwrite the fields `update` sets (partial update of PUT /config).
    pub fn apply(&mut self, update: Config) {
        macro_rules! take {
            ($($field:ident),*) => { $( if update.$field.is_some() { self.$field = update.$field; } )* };
        }
        take!(
            alias,
            normalize,
            validate_fields,
            validate_new_schemas,
            validate_rules,
            compatibility_level,
            compatibility_policy,
            compatibility_group,
            default_metadata,
            override_metadata,
            default_rule_set,
            override_rule_set
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_context_qualified_subjects() {
        let s = QualifiedSubject::parse(":.ctx:orders-value");
        assert_eq!(
            (s.context.as_str(), s.name.as_str()),
            (".ctx", "orders-value")
        );
        assert_eq!(s.qualified(), ":.ctx:orders-value");
        let d = QualifiedSubject::parse(":.:orders");
        assert!(d.is_default_context());
        assert_eq!(d.qualified(), "orders");
        let plain = QualifiedSubject::parse("com/acme/common.proto");
        assert_eq!(plain.name, "com/acme/common.proto");
        let not_ctx = QualifiedSubject::parse(":foo:bar");
        assert_eq!(not_ctx.name, ":foo:bar");
        assert!(QualifiedSubject::parse(":.ctx:").is_context_only());
        assert_eq!(QualifiedSubject::parse(":.ctx:").scope(), ":.ctx:");
        assert_eq!(QualifiedSubject::parse("").scope(), "");
    }

    #[test]
    fn rejects_reserved_and_control_character_subjects() {
        let too_long = "s".repeat(MAX_SUBJECT_BYTES + 1);
        assert!(QualifiedSubject::parse(&too_long)
            .validate_for_write()
            .is_err());
        assert!(QualifiedSubject::parse(&too_long[1..])
            .validate_for_write()
            .is_ok());
        for bad in ["__GLOBAL", "__EMPTY", "a\u{1}b", ":.__GLOBAL:x"] {
            assert!(
                QualifiedSubject::parse(bad).validate_for_write().is_err(),
                "{bad:?}"
            );
        }
        assert!(QualifiedSubject::parse("").validate_for_register().is_err());
        // Config and mode of the `.__GLOBAL` context itself can be set; nothing registers there.
        let global = QualifiedSubject::parse(":.__GLOBAL:");
        assert!(global.validate_for_write().is_ok());
        assert!(global.validate_for_register().is_err());
        assert!(QualifiedSubject::parse("ok")
            .validate_for_register()
            .is_ok());
    }

    #[test]
    fn parses_version_ids() {
        assert_eq!(VersionId::parse("latest").unwrap(), VersionId::Latest);
        assert_eq!(VersionId::parse(" LATEST ").unwrap(), VersionId::Latest);
        assert_eq!(VersionId::parse("-1").unwrap(), VersionId::Latest);
        assert_eq!(VersionId::parse("3").unwrap(), VersionId::Number(3));
        for bad in ["0", "-2", "abc", "2147483648", ""] {
            assert!(VersionId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_modes_case_insensitively() {
        assert_eq!(Mode::parse("import"), Some(Mode::Import));
        assert_eq!(
            Mode::parse("READONLY_OVERRIDE"),
            Some(Mode::ReadOnlyOverride)
        );
        assert_eq!(Mode::parse("nope"), None);
    }
}
