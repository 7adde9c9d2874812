//! The one error type of the registry. Each variant is one of CSR's error codes; the HTTP
//! mapping lives in `api/error.rs` and nowhere else. Domain validation errors and store
//! errors are wrapped, not flattened, so each keeps its own classification.

use crate::domain::DomainError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {0} not found.")]
    VersionNotFound(i64),
    #[error("Schema {0} not found")]
    SchemaIdNotFound(String),
    #[error("Schema not found")]
    SchemaNotFound,
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error("Subject '{0}' Version {1} was soft deleted.Set permanent=true to delete permanently")]
    VersionSoftDeleted(String, i64),
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, i64),
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectCompatibilityNotConfigured(String),
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotConfigured(String),
    #[error("Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]", messages.join(", "))]
    Incompatible {
        subject: String,
        messages: Vec<String>,
    },
    #[error("{0}")]
    InvalidSchema(String),
    /// A value that breaks a domain rule (subject name, version id, rule set).
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error("Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")]
    InvalidCompatibilityLevel,
    #[error("{0}")]
    InvalidMode(String),
    #[error("{0}")]
    OperationNotPermitted(String),
    #[error("One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={0},version={1}}}.")]
    ReferenceExists(String, i64),
    #[error("Schema already registered with id {0} instead of input id {1}")]
    IdDoesNotMatch(i64, i64),
    #[error("Register operation failed because schema is too large")]
    SchemaTooLarge,
    #[error("The specified context '{0}' is not empty.")]
    ContextNotEmpty(String),
    /// Too many CPU-heavy jobs (large schemas) already wait (`registry/cpu.rs`).
    #[error("Too many large schemas are being checked; retry in a moment")]
    Overloaded,
    #[error("Error in the backend data store: {0}")]
    Store(#[from] StoreError),
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
