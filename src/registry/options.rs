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
    /// One memory budget, in bytes, for every cache of the registry (`--cache-bytes`),
    /// shared out as [`RegistryOptions::cache_budget`] says.
    pub cache_bytes: u64,
    /// Parses and checks of large schemas that may wait for a core before requests are
    /// refused with 429 (`registry/cpu.rs`).
    pub max_waiting_checks: usize,
}

impl RegistryOptions {
    pub const DEFAULT_COMPATIBILITY: CompatibilityLevel = CompatibilityLevel::Backward;
    pub const DEFAULT_MAX_SCHEMA_BYTES: usize = 1024 * 1024;
    /// Sized for a small container: the caches of a 256 MiB container.
    pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;
    pub const DEFAULT_MAX_WAITING_CHECKS: usize = 64;
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            default_compatibility: Self::DEFAULT_COMPATIBILITY,
            max_schema_bytes: Self::DEFAULT_MAX_SCHEMA_BYTES,
            cache_bytes: Self::DEFAULT_CACHE_BYTES,
            max_waiting_checks: Self::DEFAULT_MAX_WAITING_CHECKS,
        }
    }
}

/// How `--cache-bytes` is shared between the caches (docs/performance.md, "Memory"). Every
/// cache weighs its entries in bytes, by their size: schema texts range from a hundred bytes
/// to a megabyte, so a count of entries would bound nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheBudget {
    /// Schemas by id (`GET /schemas/ids/{id}`): the record and its rendered answer.
    pub schemas: u64,
    /// Parse trees of stored schemas that compatibility checks and `?format=` use.
    pub parsed: u64,
    /// Subject histories remembered for registration, each with its newest schema parsed.
    pub histories: u64,
    /// The identities of texts parsed before (re-registration and lookup without parsing).
    pub identities: u64,
    /// Config and mode per scope and subject, as a number of entries (each is small; about
    /// 256 bytes are reckoned for one).
    pub config_mode_entries: u64,
}

impl CacheBudget {
    /// Half to schemas, a quarter to histories, an eighth to parse trees, a sixteenth to
    /// identities and a sixteenth to config and mode. Each gets at least 64 KiB.
    pub fn of(total: u64) -> Self {
        let share = |divisor: u64| (total / divisor).max(64 * 1024);
        CacheBudget {
            schemas: share(2),
            histories: share(4),
            parsed: share(8),
            identities: share(16),
            config_mode_entries: share(16) / 256,
        }
    }
}

impl RegistryOptions {
    pub fn cache_budget(&self) -> CacheBudget {
        CacheBudget::of(self.cache_bytes)
    }
}
