//! Command line and `SCHEMATA_*` environment, in one place (clap derive + env).

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "schemata",
    version,
    about = "A Confluent-compatible schema registry"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the registry server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// postgres://user:pass@host/db or sqlite://file.db (created on first start).
    #[arg(
        long,
        env = "SCHEMATA_DATABASE_URL",
        default_value = "sqlite://schemata.db",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Connections kept in the pool.
    #[arg(long, env = "SCHEMATA_DB_MAX_CONNECTIONS", default_value_t = 32)]
    pub db_max_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on.
    #[arg(long, env = "SCHEMATA_LISTEN", default_value = "0.0.0.0:8081")]
    pub listen: String,
    /// Compatibility level when none is configured.
    #[arg(
        long,
        env = "SCHEMATA_DEFAULT_COMPATIBILITY",
        default_value = "BACKWARD"
    )]
    pub default_compatibility: String,
    /// Largest schema accepted, in bytes.
    #[arg(long, env = "SCHEMATA_MAX_SCHEMA_BYTES", default_value_t = 1024 * 1024)]
    pub max_schema_bytes: usize,
    /// Schemas kept in the in-memory id cache.
    #[arg(long, env = "SCHEMATA_CACHE_CAPACITY", default_value_t = 100_000)]
    pub cache_capacity: u64,
}
