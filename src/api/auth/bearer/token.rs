//! Verifying one bearer token (`docs/rest-api.md` §10): its header is read first and only
//! RS256, PS256, ES256 and EdDSA get further (`alg: none` and the HMAC algorithms, which
//! would take a public key as their secret, are refused before any key is looked at); then
//! the signature against the candidate keys of the JWKS, then `exp` (required), `nbf`,
//! `iss` and `aud`, with a leeway of `LEEWAY_SECS` for clocks that disagree.

use super::keys::Key;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// Longest token read, in bytes.
pub(super) const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Seconds a token is still taken after its `exp`, and already before its `nbf`.
pub(super) const LEEWAY_SECS: u64 = 60;
/// The algorithms accepted, as a token's header names them.
const ACCEPTED: [(&str, Algorithm); 4] = [
    ("RS256", Algorithm::RS256),
    ("PS256", Algorithm::PS256),
    ("ES256", Algorithm::ES256),
    ("EdDSA", Algorithm::EdDSA),
];

/// Why a token is refused, in general terms: the answer never repeats the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    Malformed,
    TooLong,
    Algorithm,
    UnknownKey,
    Signature,
    Expired,
    NotYetValid,
    Issuer,
    Audience,
    NoExpiry,
    NoPrincipal,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invalid::Malformed => "the token is not a well-formed JWT",
            Invalid::TooLong => "the token is too long",
            Invalid::Algorithm => {
                "the token's algorithm is not accepted (RS256, PS256, ES256 and EdDSA are)"
            }
            Invalid::UnknownKey => "the token is not signed by a key of the configured JWKS",
            Invalid::Signature => "the token's signature does not verify",
            Invalid::Expired => "the token has expired",
            Invalid::NotYetValid => "the token is not valid yet",
            Invalid::Issuer => "the token's issuer is not accepted",
            Invalid::Audience => "the token's audience is not accepted",
            Invalid::NoExpiry => "the token has no expiry (exp)",
            Invalid::NoPrincipal => "the token names no principal",
        })
    }
}

/// What the token's header says about how to check it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) alg: Algorithm,
    pub(super) kid: Option<String>,
}

/// The header of a compact JWS (`header.payload.signature`), refused unless its algorithm is
/// one of the accepted ones and it asks for no extension (`crit`).
pub(super) fn header(token: &str) -> Result<Header, Invalid> {
    #[derive(Deserialize)]
    struct Raw {
        alg: String,
        kid: Option<String>,
        crit: Option<Value>,
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Invalid::TooLong);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Invalid::Malformed);
    };
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| Invalid::Malformed)?;
    let raw: Raw = serde_json::from_slice(&json).map_err(|_| Invalid::Malformed)?;
    if raw.crit.is_some() {
        return Err(Invalid::Malformed);
    }
    let alg = ACCEPTED
        .iter()
        .find(|(name, _)| *name == raw.alg)
        .map(|(_, alg)| *alg)
        .ok_or(Invalid::Algorithm)?;
    Ok(Header { alg, kid: raw.kid })
}

/// What a token's claims must satisfy, one per accepted algorithm.
pub(super) struct Validations(Vec<Validation>);

impl Validations {
    pub(super) fn new(issuer: Option<&str>, audience: &[String]) -> Validations {
        let each = ACCEPTED.iter().map(|(_, alg)| {
            let mut v = Validation::new(*alg);
            v.leeway = LEEWAY_SECS;
            v.validate_exp = true;
            v.validate_nbf = true;
            let mut required = vec!["exp"];
            if let Some(issuer) = issuer {
                v.set_issuer(&[issuer]);
                required.push("iss");
            }
            if audience.is_empty() {
                v.validate_aud = false;
            } else {
                v.set_audience(audience);
                required.push("aud");
            }
            v.set_required_spec_claims(&required);
            v
        });
        Validations(each.collect())
    }

    fn of(&self, alg: Algorithm) -> &Validation {
        let index = ACCEPTED.iter().position(|(_, a)| *a == alg);
        &self.0[index.unwrap_or_default()]
    }
}

/// The token's claims, once its signature verifies with one of `candidates` (the keys of the
/// JWKS that fit its header) and its claims pass `validations`.
pub(super) fn verify<'k>(
    token: &str,
    header: &Header,
    candidates: impl Iterator<Item = &'k Key>,
    validations: &Validations,
) -> Result<Value, Invalid> {
    let validation = validations.of(header.alg);
    let mut refused = Invalid::UnknownKey;
    for key in candidates {
        match jsonwebtoken::decode::<Value>(token, &key.decoding, validation) {
            Ok(data) => return Ok(data.claims),
            // The signature was checked first: whatever else is wrong is about the claims.
            Err(e) => match e.kind() {
                ErrorKind::ExpiredSignature => return Err(Invalid::Expired),
                ErrorKind::ImmatureSignature => return Err(Invalid::NotYetValid),
                ErrorKind::InvalidIssuer => return Err(Invalid::Issuer),
                ErrorKind::InvalidAudience => return Err(Invalid::Audience),
                ErrorKind::MissingRequiredClaim(claim) => {
                    return Err(match claim.as_str() {
                        "iss" => Invalid::Issuer,
                        "aud" => Invalid::Audience,
                        _ => Invalid::NoExpiry,
                    })
                }
                ErrorKind::InvalidClaimFormat(_)
                | ErrorKind::Json(_)
                | ErrorKind::Utf8(_)
                | ErrorKind::Base64(_)
                | ErrorKind::InvalidToken => return Err(Invalid::Malformed),
                // This key did not verify it: the next might.
                _ => refused = Invalid::Signature,
            },
        }
    }
    Err(refused)
}

/// Seconds since the epoch when the claims expire (`exp`, checked present by `verify`).
pub(super) fn expiry(claims: &Value) -> Option<u64> {
    let exp = claims.get("exp")?;
    exp.as_u64()
        .or_else(|| exp.as_f64().map(|f| f.max(0.0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(header: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.{}", b64(header), b64("{}"), b64("sig"))
    }

    #[test]
    fn only_the_four_asymmetric_algorithms_pass_the_header() {
        let rs = header(&encoded(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#)).unwrap();
        assert_eq!(
            rs,
            Header {
                alg: Algorithm::RS256,
                kid: Some("k1".into())
            }
        );
        for alg in ["PS256", "ES256", "EdDSA"] {
            let h = header(&encoded(&format!(r#"{{"alg":"{alg}"}}"#))).unwrap();
            assert_eq!(h.kid, None);
        }
        for alg in [
            "none", "None", "HS256", "HS384", "HS512", "RS512", "ES384", "",
        ] {
            let refused = header(&encoded(&format!(r#"{{"alg":"{alg}"}}"#)));
            assert_eq!(refused, Err(Invalid::Algorithm), "{alg}");
        }
    }

    #[test]
    fn malformed_headers_and_long_tokens_are_refused() {
        for token in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "!!!.e30.c2ln",
            &encoded("not json"),
            &encoded(r#"{"kid":"no alg"}"#),
            &encoded(r#"{"alg":"RS256","crit":["exp"]}"#),
        ] {
            assert_eq!(header(token), Err(Invalid::Malformed), "{token}");
        }
        let long = format!(
            "{}{}",
            encoded(r#"{"alg":"RS256"}"#),
            "a".repeat(MAX_TOKEN_BYTES)
        );
        assert_eq!(header(&long), Err(Invalid::TooLong));
    }

    #[test]
    fn reasons_are_general_and_never_empty() {
        for reason in [Invalid::Expired, Invalid::Audience, Invalid::Signature] {
            assert!(reason.to_string().starts_with("the token"));
        }
    }

    #[test]
    fn expiry_reads_integer_and_fractional_seconds() {
        assert_eq!(
            expiry(&serde_json::json!({"exp": 1700000000})),
            Some(1700000000)
        );
        assert_eq!(
            expiry(&serde_json::json!({"exp": 1700000000.5})),
            Some(1700000000)
        );
        assert_eq!(expiry(&serde_json::json!({})), None);
    }
}
