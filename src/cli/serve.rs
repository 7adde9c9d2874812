//! `schemata serve` and `schemata migrate`.

use super::options::{DatabaseArgs, ServeArgs};
use crate::registry::RegistryOptions;
use anyhow::Context;
use schemata_compat::CompatibilityLevel;
use std::str::FromStr;

pub(super) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let default_compatibility =
        CompatibilityLevel::from_str(&args.default_compatibility).map_err(|_| {
            anyhow::anyhow!(
                "invalid --default-compatibility {}",
                args.default_compatibility
            )
        })?;
    let options = RegistryOptions {
        default_compatibility,
        max_schema_bytes: args.max_schema_bytes,
        cache_capacity: args.cache_capacity,
        history_capacity: args.history_cache_versions,
        max_waiting_checks: args.max_waiting_checks,
    };
    let auth = match &args.basic_auth_file {
        Some(path) => {
            let users = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let auth = crate::api::auth::BasicAuth::parse(&users, &args.basic_auth_roles)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            for weak in auth.weak_entries() {
                tracing::warn!(
                    file = %path.display(),
                    line = weak.line,
                    user = %weak.user,
                    "weak password form: {}; replace it with the line `schemata passwd {}` prints",
                    weak.weakness,
                    weak.user,
                );
            }
            tracing::info!(roles = %args.basic_auth_roles, "basic authentication required");
            Some(std::sync::Arc::new(auth))
        }
        None => None,
    };
    let mut state = crate::build_state(
        &args.database.database_url,
        options,
        &args.database.store_options(),
    )
    .await
    .context("cannot open the database")?;
    state.auth = auth;
    let durability = state.registry.database_durability().await?;
    tracing::info!(%durability, "database opened");
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    crate::api::serve(listener, state).await?;
    Ok(())
}

pub(super) async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let options = crate::store::StoreOptions {
        max_connections: 1,
        ..args.store_options()
    };
    crate::store::Store::connect(&args.database_url, &options)
        .await
        .context("migration failed")?;
    tracing::info!("migrations applied");
    Ok(())
}
