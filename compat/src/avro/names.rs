//! Avro names: validation of identifiers, splitting of dotted names, namespace qualification.
//!
//! Follows Java's `Schema.Name`: a dotted name carries its own namespace (the `namespace`
//! attribute is then ignored), an empty namespace means "no namespace", and identifiers start
//! with a letter or `_` and continue with letters, digits or `_`.

use std::fmt;

/// A named type's name, split into namespace and simple name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Name {
    pub name: String,
    pub space: Option<String>,
}

impl Name {
    /// Build and validate a name, `raw` possibly dotted, `space` the namespace to use when
    /// `raw` has none.
    pub(super) fn parse(raw: &str, space: Option<&str>) -> Result<Name, String> {
        let name = Name::split(raw, space);
        validate_identifier(&name.name)?;
        if let Some(space) = &name.space {
            for segment in space.split('.') {
                validate_identifier(segment)?;
            }
        }
        Ok(name)
    }

    /// Split without validating (used for look-ups).
    pub(super) fn split(raw: &str, space: Option<&str>) -> Name {
        let (space, name) = match raw.rfind('.') {
            Some(dot) => (Some(&raw[..dot]), &raw[dot + 1..]),
            None => (space, raw),
        };
        Name {
            name: name.to_string(),
            space: space.filter(|s| !s.is_empty()).map(str::to_string),
        }
    }

    pub(super) fn full(&self) -> String {
        match &self.space {
            Some(space) => format!("{space}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The name as written where `default_space` is the enclosing namespace: the simple name
    /// when the namespaces agree (or this name has none), the full name otherwise.
    pub(super) fn qualified(&self, default_space: Option<&str>) -> String {
        match &self.space {
            None => self.name.clone(),
            Some(space) if Some(space.as_str()) == default_space => self.name.clone(),
            Some(_) => self.full(),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full())
    }
}

/// Java's `validateName`: non-empty, first character a letter or `_`, the rest letters,
/// digits or `_`.
pub(crate) fn validate_identifier(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("Empty name".to_string());
    };
    if !(first.is_alphabetic() || first == '_') {
        return Err(format!("Illegal initial character: {name}"));
    }
    if chars.any(|c| !(c.is_alphanumeric() || c == '_')) {
        return Err(format!("Illegal character in: {name}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_name_overrides_namespace() {
        let n = Name::parse("a.b.C", Some("x")).unwrap();
        assert_eq!(n.space.as_deref(), Some("a.b"));
        assert_eq!(n.name, "C");
        assert_eq!(n.full(), "a.b.C");
        assert_eq!(n.qualified(Some("a.b")), "C");
        assert_eq!(n.qualified(None), "a.b.C");
    }

    #[test]
    fn empty_namespace_is_none() {
        let n = Name::parse("C", Some("")).unwrap();
        assert_eq!(n.space, None);
        assert_eq!(n.full(), "C");
    }

    #[test]
    fn invalid_identifiers() {
        assert!(validate_identifier("").is_err());
        assert!(validate_identifier("1a").is_err());
        assert!(validate_identifier("a-b").is_err());
        assert!(validate_identifier("_a1").is_ok());
        assert!(Name::parse("a..B", None).is_err());
        assert!(Name::parse("9a.B", None).is_err());
    }
}
