//! The `{version}` path segment of subject URLs.

use super::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionId {
    Latest,
    Number(i64),
}

impl VersionId {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.eq_ignore_ascii_case("latest") {
            return Ok(VersionId::Latest);
        }
        match trimmed.parse::<i64>() {
            Ok(-1) => Ok(VersionId::Latest),
            Ok(n) if (1..=i64::from(i32::MAX)).contains(&n) => Ok(VersionId::Number(n)),
            _ => Err(DomainError::InvalidVersion(raw.to_string())),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
