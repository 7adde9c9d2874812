//! Schemata: a Confluent-compatible schema registry.
//!
//! `main.rs` only hands the command line to [`cli::run`]; everything lives in this library so
//! integration tests drive the real application in-process.

pub mod api;
pub mod cli;
pub mod domain;
pub mod registry;
pub mod store;

#[cfg(test)]
mod tidy;

use std::sync::Arc;

/// Connect to the database, migrate, and build the shared application state. Also makes
/// rustls' `aws-lc-rs` provider the process default (`api::tls::use_default_crypto`).
pub async fn build_state(
    database_url: &str,
    options: registry::RegistryOptions,
    store_options: &store::StoreOptions,
) -> anyhow::Result<api::AppState> {
    api::tls::use_default_crypto();
    let store = store::Store::connect(database_url, store_options).await?;
    let registry = Arc::new(registry::Registry::new(store, options));
    registry.upgrade_stored_identities().await?;
    Ok(api::AppState::new(registry))
}
