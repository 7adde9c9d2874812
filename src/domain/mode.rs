//! Modes of a scope (READWRITE, READONLY, READONLY_OVERRIDE, IMPORT, FORWARD): what each lets
//! a registration do.

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

#[cfg(test)]
mod tests {
    use super::*;

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
