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
        cache_bytes: args.cache_bytes,
        max_waiting_checks: args.max_waiting_checks,
    };
    let auth = super::authentication::build(&args).await?;
    let acl = match &args.acl_file {
        Some(_) if auth.is_none() => anyhow::bail!(
            "--acl-file needs authentication (--basic-auth-file, --jwks or --tls-client-ca): without it no \
             request names a principal the ACL could allow"
        ),
        Some(path) => {
            let acl = crate::api::acl::Acl::load(path).map_err(|e| anyhow::anyhow!(e))?;
            tracing::info!(file = %path.display(), "authorization by ACL file");
            Some(std::sync::Arc::new(acl))
        }
        None => None,
    };
    let audit = match &args.audit_log {
        Some(path) => {
            let log = crate::api::audit::AuditLog::open(path)
                .with_context(|| format!("cannot open the audit log {path}"))?;
            Some(std::sync::Arc::new(log))
        }
        None => None,
    };
    let tls = match args.tls_files() {
        Some(files) => {
            let tls = crate::api::tls::Tls::load(files).map_err(|e| anyhow::anyhow!(e))?;
            Some(std::sync::Arc::new(tls))
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
    state.acl = acl;
    state.audit = audit;
    state.rate_limit = args
        .rate_limit
        .map(|n| std::sync::Arc::new(crate::api::rate_limit::RateLimit::per_second(n)));
    state.tls = tls;
    state.limits = args.server_limits();
    crate::api::log_requests_at_info(args.access_log);
    let registry = state.registry.clone();
    match &args.follow_kafka {
        Some(bootstrap) => {
            if let Err(e) =
                super::kafka::follow::start(registry.clone(), bootstrap, &args.kafka).await
            {
                clear_follower_mark(&registry).await;
                return Err(e.context("cannot follow the storage topic"));
            }
        }
        None if args.kafka.given() => {
            anyhow::bail!("--topic, --kafka-option and --kafka-config apply to --follow-kafka only")
        }
        None => {
            if let Some(who) = registry.followed_source().await? {
                tracing::warn!("writes are refused: {who}");
            }
        }
    }
    let served = async {
        let durability = state.registry.database_durability().await?;
        tracing::info!(%durability, "database opened");
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        crate::api::serve(listener, state).await?;
        anyhow::Ok(())
    }
    .await;
    if args.follow_kafka.is_some() {
        clear_follower_mark(&registry).await;
    }
    served?;
    Ok(())
}

/// A follower that exits (cleanly, or failing to start) removes its mark from the database,
/// so other servers on it take writes again (docs/migration.md §6.4).
async fn clear_follower_mark(registry: &crate::registry::Registry) {
    match registry.stop_following().await {
        Ok(true) => tracing::info!("stopped following: the database's follower mark is removed"),
        Ok(false) => {}
        Err(e) => {
            tracing::error!(error = %e, "cannot remove the database's follower mark; `schemata follow --stop --database-url` removes it")
        }
    }
}

/// Everything the server runs with, once at start; the database password is never shown.
fn log_configuration(args: &ServeArgs) {
    tracing::info!(
        database_url = %super::redact::redact_url(&args.database.database_url),
        db_max_connections = ?args.database.db_max_connections,
        sqlite_synchronous = %args.database.sqlite_synchronous,
        listen = %args.listen,
        default_compatibility = %args.default_compatibility,
        max_schema_bytes = args.max_schema_bytes,
        cache_bytes = args.cache_bytes,
        max_waiting_checks = args.max_waiting_checks,
        basic_auth_file = ?args.basic_auth_file,
        basic_auth_roles = %args.basic_auth_roles,
        jwks = ?args.jwt.jwks.as_deref().map(super::redact::redact_url),
        jwks_refresh_secs = args.jwt.jwks_refresh,
        jwt_issuer = ?args.jwt.jwt_issuer,
        jwt_audience = ?args.jwt.jwt_audience,
        jwt_principal_claim = %args.jwt.jwt_principal_claim,
        jwt_roles_claim = %args.jwt.jwt_roles_claim,
        acl_file = ?args.acl_file,
        audit_log = ?args.audit_log,
        rate_limit = ?args.rate_limit,
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
        follow_kafka = ?args.follow_kafka,
        topic = %args.kafka.topic,
        kafka_config = ?args.kafka.kafka_config,
        // Option names only: a value may be a password.
        kafka_options = ?args.kafka.kafka_option.iter().map(|o| o.split('=').next().unwrap_or_default()).collect::<Vec<_>>(),
        "effective configuration"
    );
}

pub(super) async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let options = crate::store::StoreOptions {
        max_connections: Some(1),
        ..args.store_options()
    };
    crate::store::Store::connect(&args.database_url, &options)
        .await
        .context("migration failed")?;
    tracing::info!("migrations applied");
    Ok(())
}
