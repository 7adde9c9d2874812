//! Bearer tokens (`docs/rest-api.md` §10): `Authorization: Bearer <JWT>`, as OAuth 2 / OIDC
//! identity providers issue them, verified against the keys of a JWKS (`jwks`, read from
//! `keys`), checked (`token`), and read into a principal (`claims`). A token verified once
//! is remembered under a keyed hash of it (`cache`), for a minute at most and never beyond
//! its `exp`, so a client sending the same token does not pay a signature check per request.

mod claims;
mod jwks;
mod keys;
mod token;

pub use token::Invalid;

use super::cache::{self, Verified};
use super::{Principal, Refusal};
use claims::ClaimPaths;
use jwks::Jwks;
use std::sync::Arc;
use std::time::{Duration, Instant};
use token::Validations;

/// What the operator sets for bearer tokens (`--jwks` and the `--jwt-*` flags).
#[derive(Clone, Debug)]
pub struct BearerOptions {
    /// A JWKS file, or an `http(s)://` URL serving one.
    pub jwks: String,
    /// How often the JWKS is read again.
    pub refresh: Duration,
    /// The `iss` a token must carry; `None`: any.
    pub issuer: Option<String>,
    /// The `aud` values accepted (a token must carry one); empty: any.
    pub audience: Vec<String>,
    /// Claim (or dotted path) holding the principal's name.
    pub principal_claim: String,
    /// Claim (or dotted path) holding the principal's roles.
    pub roles_claim: String,
    /// Least time between two reads of the JWKS for tokens naming an unknown key id.
    pub refetch_interval: Duration,
}

impl BearerOptions {
    pub const DEFAULT_REFRESH_SECS: u64 = 300;
    pub const DEFAULT_PRINCIPAL_CLAIM: &'static str = "sub";
    pub const DEFAULT_ROLES_CLAIM: &'static str = "roles";
    pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

    /// The defaults, with keys from `jwks`.
    pub fn new(jwks: impl Into<String>) -> BearerOptions {
        BearerOptions {
            jwks: jwks.into(),
            refresh: Duration::from_secs(Self::DEFAULT_REFRESH_SECS),
            issuer: None,
            audience: Vec::new(),
            principal_claim: Self::DEFAULT_PRINCIPAL_CLAIM.into(),
            roles_claim: Self::DEFAULT_ROLES_CLAIM.into(),
            refetch_interval: Self::REFETCH_INTERVAL,
        }
    }
}

pub struct BearerAuth {
    jwks: Arc<Jwks>,
    validations: Validations,
    claims: ClaimPaths,
    verified: Verified<Principal>,
    /// Tokens verified (not answered from `verified`), for the tests.
    #[cfg(test)]
    checks: std::sync::atomic::AtomicUsize,
}

impl BearerAuth {
    /// Load the JWKS (an error says where and why) and keep it fresh in the background.
    pub async fn load(options: BearerOptions) -> Result<BearerAuth, String> {
        let jwks = Arc::new(Jwks::load(&options.jwks, options.refetch_interval).await?);
        jwks.refresh_every(options.refresh.max(Duration::from_secs(1)));
        Ok(BearerAuth {
            jwks,
            validations: Validations::new(options.issuer.as_deref(), &options.audience),
            claims: ClaimPaths::new(&options.principal_claim, &options.roles_claim),
            verified: Verified::new(cache::CAPACITY, cache::LIFETIME)?,
            #[cfg(test)]
            checks: Default::default(),
        })
    }

    /// Verification keys loaded now.
    pub fn key_count(&self) -> usize {
        self.jwks.keys().len()
    }

    /// The principal a token names, or why it is refused.
    pub(super) async fn principal(&self, token: &str) -> Result<Principal, Refusal> {
        self.verify(token, Instant::now())
            .await
            .map_err(Refusal::InvalidToken)
    }

    async fn verify(&self, token: &str, now: Instant) -> Result<Principal, Invalid> {
        if token.len() > token::MAX_TOKEN_BYTES {
            return Err(Invalid::TooLong);
        }
        let fingerprint = self.verified.token_fingerprint(token);
        if let Some(principal) = self.verified.get(&fingerprint, now) {
            return Ok(principal);
        }
        let header = token::header(token)?;
        #[cfg(test)]
        self.checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut keys = self.jwks.keys();
        if keys.candidates(&header).next().is_none() {
            self.jwks.refresh_for_unknown_key(&keys, now).await;
            keys = self.jwks.keys();
        }
        let claims = token::verify(token, &header, keys.candidates(&header), &self.validations)?;
        let principal = self.claims.principal(&claims)?;
        // Remembered until the token expires by the clock (no leeway), a minute at most.
        let epoch = jsonwebtoken::get_current_timestamp();
        let left = token::expiry(&claims).map_or(0, |exp| exp.saturating_sub(epoch));
        let until = now + Duration::from_secs(left);
        self.verified
            .remember_until(fingerprint, principal.clone(), now, until);
        Ok(principal)
    }
}

#[cfg(test)]
mod tests;
