//! The one error of the domain: a value parsed at the edge that breaks a rule.

/// What is wrong with a value. Each variant is one of CSR's 422 error codes, but
/// `InvalidMetadata`, a wrongly typed field (400); the registry wraps it (`RegistryError`),
/// the API maps it to a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"")]
    InvalidVersion(String),
    #[error("The specified subject '{0}' is not a valid.")]
    InvalidSubject(String),
    #[error("{0}")]
    InvalidRuleSet(String),
    #[error("{0}")]
    InvalidMetadata(String),
}
