//! `schemata serve` and `schemata migrate`.

use super::options::{DatabaseArgs, ServeArgs};
use crate::registry::RegistryOptions;
use anyhow::Context;
use schemata_compat::CompatibilityLevel;
use std::str::FromStr;

pub(super) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    log_configuration(&args);
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
    let tls = match args.tls_files() {
        Some(files) => {
            let tls = crate::api::tls::Tls::load(files).map_err(|e| anyhow::anyhow!(e))?;
            Some(std::sync::Arc::new(tls))
        }
        None => None,
    };
    let auth = authentication(&args)?;
    let mut state = crate::build_state(
        &args.database.database_url,
        options,
        &args.database.store_options(),
    )
    .await
    .context("cannot open the database")?;
    state.auth = auth;
    state.tls = tls;
    state.limits = args.server_limits();
    crate::api::log_requests_at_info(args.access_log);
    let durability = state.registry.database_durability().await?;
    tracing::info!(%durability, "database opened");
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    crate::api::serve(listener, state).await?;
    Ok(())
}

/// The ways in: the `--basic-auth-file`'s users, client certificates (`--tls-client-ca`),
/// both, or neither (`None`: no authentication).
fn authentication(
    args: &ServeArgs,
) -> anyhow::Result<Option<std::sync::Arc<crate::api::auth::Authentication>>> {
    if args.basic_auth_file.is_none() && args.tls_client_ca.is_none() {
        return Ok(None);
    }
    let mut auth = crate::api::auth::Authentication::new(&args.basic_auth_roles);
    if let Some(path) = &args.basic_auth_file {
        let users = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let basic = crate::api::auth::BasicAuth::parse(&users)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        for weak in basic.weak_entries() {
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
        auth = auth.with_basic(basic);
    }
    if args.tls_client_ca.is_some() {
        tracing::info!("client certificates required; their subject CN is the principal");
        auth = auth.with_certificates();
    }
    Ok(Some(std::sync::Arc::new(auth)))
}

/// Everything the server runs with, once at start; the database password is never shown.
fn log_configuration(args: &ServeArgs) {
    tracing::info!(
        database_url = %super::redact::redact_url(&args.database.database_url),
        db_max_connections = args.database.db_max_connections,
        sqlite_synchronous = %args.database.sqlite_synchronous,
        listen = %args.listen,
        default_compatibility = %args.default_compatibility,
        max_schema_bytes = args.max_schema_bytes,
        cache_capacity = args.cache_capacity,
        history_cache_versions = args.history_cache_versions,
        max_waiting_checks = args.max_waiting_checks,
        basic_auth_file = ?args.basic_auth_file,
        basic_auth_roles = %args.basic_auth_roles,
        max_connections = args.max_connections,
        max_buffered_bytes = args.max_buffered_bytes,
        buffered_wait_secs = args.buffered_wait,
        header_read_timeout_secs = args.header_read_timeout,
        body_read_timeout_secs = args.body_read_timeout,
        shutdown_timeout_secs = args.shutdown_timeout,
        access_log = args.access_log,
        tls_cert = ?args.tls_cert,
        tls_key = ?args.tls_key,
        tls_client_ca = ?args.tls_client_ca,
        "effective configuration"
    );
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
