//! What the operator sets for the registry (`schemata serve` flags), with each default
//! written once: the command line (`cli/options.rs`) and `Default` both take them from here.

use schemata_compat::CompatibilityLevel;

/// Server-wide options the registry needs.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Level used when no config along the chain sets one (CSR: BACKWARD).
    pub default_compatibility: CompatibilityLevel,
    /// Largest schema text accepted, in bytes (42209 above it).
    pub max_schema_bytes: usize,
    /// Schemas kept in the id cache.
    pub cache_capacity: u64,
    /// Subject versions remembered for the registration path, all subjects together (64
    /// bytes each).
    pub history_capacity: u64,
    /// Parses and checks of large schemas that may wait for a core before requests are
    /// refused with 429 (`registry/cpu.rs`).
    pub max_waiting_checks: usize,
}

impl RegistryOptions {
    pub const DEFAULT_COMPATIBILITY: CompatibilityLevel = CompatibilityLevel::Backward;
    pub const DEFAULT_MAX_SCHEMA_BYTES: usize = 1024 * 1024;
    pub const DEFAULT_CACHE_CAPACITY: u64 = 100_000;
    pub const DEFAULT_HISTORY_CAPACITY: u64 = 1_000_000;
    pub const DEFAULT_MAX_WAITING_CHECKS: usize = 64;
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            default_compatibility: Self::DEFAULT_COMPATIBILITY,
            max_schema_bytes: Self::DEFAULT_MAX_SCHEMA_BYTES,
            cache_capacity: Self::DEFAULT_CACHE_CAPACITY,
            history_capacity: Self::DEFAULT_HISTORY_CAPACITY,
            max_waiting_checks: Self::DEFAULT_MAX_WAITING_CHECKS,
        }
    }
}
