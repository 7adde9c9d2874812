//! Subjects and contexts: the `:.ctx:name` wire form, the default and `.__GLOBAL` contexts,
//! the config/mode scope of each, and the rules for names that may be written to.

use super::DomainError;
use std::fmt;

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
    pub fn validate_for_write(&self) -> Result<(), DomainError> {
        let invalid = (self.context == GLOBAL_CONTEXT && !self.is_context_only())
            || self.name.len() > MAX_SUBJECT_BYTES
            || self.context.len() > MAX_SUBJECT_BYTES
            || self.name == "__GLOBAL"
            || self.name == "__EMPTY"
            || self.name.chars().any(|c| c.is_control())
            || self.context.chars().any(|c| c.is_control() || c == ':');
        if invalid {
            return Err(DomainError::InvalidSubject(self.qualified()));
        }
        Ok(())
    }

    /// Like [`validate_for_write`](Self::validate_for_write), and the name must not be empty.
    pub fn validate_for_register(&self) -> Result<(), DomainError> {
        self.validate_for_write()?;
        if self.name.trim().is_empty() || self.context == GLOBAL_CONTEXT {
            return Err(DomainError::InvalidSubject(self.qualified()));
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
}
