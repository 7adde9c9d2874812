//! The domain: the values the registry works with, parsed at the edge so that no layer
//! handles raw strings — context-qualified subjects, version ids, modes, CSR's compatibility
//! config, the stored records — and the rules they must satisfy. It imports nothing else of
//! the crate (ARCHITECTURE.md, "Architecture invariants").

mod config;
mod contract_json;
mod error;
mod mode;
mod records;
mod rule_set;
mod subject;
mod version;

pub use config::{AllSettings, Config, EffectiveConfig};
pub use contract_json::{validate_metadata, without_nulls};
pub use error::DomainError;
pub use mode::Mode;
pub use records::{
    NewSchema, ReferenceTarget, SchemaRecord, SchemaReference, SeenHistory, SubjectSummary,
    VersionRecord,
};
pub use rule_set::validate_rule_set;
pub use subject::{
    context_scope, QualifiedSubject, DEFAULT_CONTEXT, GLOBAL_CONTEXT, MAX_SUBJECT_BYTES,
};
pub use version::VersionId;
