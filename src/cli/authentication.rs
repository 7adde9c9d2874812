//! The server's authentication from its flags (`docs/rest-api.md` §10): the users of a
//! `--basic-auth-file` (each weak password form logged as it is read), the keys of a `--jwks` for
//! bearer tokens, or both; none of them, no authentication.

use super::options::ServeArgs;
use crate::api::auth::{Authentication, BasicAuth, BearerAuth};
use std::sync::Arc;

pub(super) async fn build(args: &ServeArgs) -> anyhow::Result<Option<Arc<Authentication>>> {
    let bearer = args.jwt.bearer_options();
    if args.basic_auth_file.is_none() && bearer.is_none() && args.tls_client_ca.is_none() {
        return Ok(None);
    }
    let mut auth = Authentication::new(&args.basic_auth_roles);
    if let Some(path) = &args.basic_auth_file {
        // Weak password forms are warned of, line by line, as the file is read.
        let basic = BasicAuth::load(path).map_err(anyhow::Error::msg)?;
        tracing::info!(
            file = %path.display(),
            roles = %args.basic_auth_roles,
            "basic authentication required; the users file is re-read on SIGHUP and when it changes"
        );
        auth = auth.with_basic(basic);
    }
    if let Some(options) = bearer {
        if options.audience.is_empty() {
            tracing::warn!(
                "--jwt-audience is not set: a token the identity provider issued for any other \
                 application is accepted too"
            );
        }
        let bearer = BearerAuth::load(options)
            .await
            .map_err(anyhow::Error::msg)?;
        tracing::info!(
            keys = bearer.key_count(),
            roles = %args.basic_auth_roles,
            "bearer tokens accepted"
        );
        auth = auth.with_bearer(bearer);
    }
    if args.tls_client_ca.is_some() {
        tracing::info!("client certificates required; their subject CN is the principal");
        auth = auth.with_certificates();
    }
    Ok(Some(Arc::new(auth)))
}
