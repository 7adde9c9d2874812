//! HTTP basic authentication, as CSR offers it (`authentication.method=BASIC`,
//! `docs/rest-api.md` §10): users, passwords and roles come from a file, and every request
//! except `GET /health` (for load balancers and probes) must carry the credentials of a user
//! with one of the allowed roles. Missing or wrong credentials: 401 with `WWW-Authenticate`;
//! a known user without an allowed role: 403.
//!
//! The file has one user a line, in the format of Jetty's property-file login module that
//! CSR's JAAS set-up uses: `user: password[,role ...]`, where the password may be given as
//! `SHA256:<hex digest>` instead of in clear. Blank lines and lines starting with `#` are
//! ignored.

use super::error::ApiError;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub struct BasicAuth {
    /// User name → (SHA-256 of the password, roles).
    users: HashMap<String, ([u8; 32], Vec<String>)>,
    /// `None`: any authenticated user (`*`).
    allowed_roles: Option<Vec<String>>,
}

impl BasicAuth {
    /// Parse a users file; `roles` is a comma-separated list of the roles allowed in, or `*`.
    pub fn parse(users_file: &str, roles: &str) -> Result<BasicAuth, String> {
        let mut users = HashMap::new();
        for (number, line) in users_file.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, rest) = line.split_once(':').ok_or_else(|| {
                format!("line {}: expected 'user: password[,role...]'", number + 1)
            })?;
            let mut fields = rest.split(',').map(str::trim);
            let password = fields.next().unwrap_or_default();
            let digest = match password.strip_prefix("SHA256:") {
                Some(hex) => parse_hex_digest(hex)
                    .ok_or_else(|| format!("line {}: SHA256: needs 64 hex digits", number + 1))?,
                None => Sha256::digest(password.as_bytes()).into(),
            };
            let roles = fields.filter(|r| !r.is_empty()).map(String::from).collect();
            users.insert(user.trim().to_string(), (digest, roles));
        }
        if users.is_empty() {
            return Err("the users file names no user".into());
        }
        let roles: Vec<String> = roles
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(String::from)
            .collect();
        let allowed_roles = (!roles.iter().any(|r| r == "*") && !roles.is_empty()).then_some(roles);
        Ok(BasicAuth {
            users,
            allowed_roles,
        })
    }

    /// `None` when the request may go on; otherwise the 401 or 403 to answer with.
    pub fn refusal(&self, path: &str, headers: &HeaderMap) -> Option<Response> {
        if path == "/health" || path == "/ready" {
            return None;
        }
        let Some((user, password)) = credentials(headers) else {
            return Some(unauthorized());
        };
        let known = self.users.get(&user).filter(|(digest, _)| {
            let given: [u8; 32] = Sha256::digest(password.as_bytes()).into();
            same_digest(&given, digest)
        });
        let Some((_, roles)) = known else {
            return Some(unauthorized());
        };
        let allowed = match &self.allowed_roles {
            None => true,
            Some(allowed) => roles.iter().any(|r| allowed.contains(r)),
        };
        (!allowed).then(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                40301,
                format!("User {user} is not allowed to use this registry"),
            )
            .into_response()
        })
    }
}

fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Compared in time independent of where they differ.
fn same_digest(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn parse_hex_digest(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn unauthorized() -> Response {
    let mut response = ApiError::http(StatusCode::UNAUTHORIZED).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"schemata\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_password: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(user_password);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        headers
    }

    const USERS: &str = "# comment\n\nalice: secret,admin,developer\n\
        bob: SHA256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b,reader\n\
        carol: pw\n";

    #[test]
    fn accepts_known_users_with_an_allowed_role() {
        let auth = BasicAuth::parse(USERS, "admin,reader").unwrap();
        assert!(auth.refusal("/subjects", &basic("alice:secret")).is_none());
        // bob's password is "secret", given as its SHA-256.
        assert!(auth.refusal("/subjects", &basic("bob:secret")).is_none());
    }

    #[test]
    fn refuses_missing_or_wrong_credentials_with_401_and_a_challenge() {
        let auth = BasicAuth::parse(USERS, "*").unwrap();
        for headers in [
            HeaderMap::new(),
            basic("alice:wrong"),
            basic("nobody:secret"),
        ] {
            let refused = auth.refusal("/subjects", &headers).unwrap();
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                refused.headers()[header::WWW_AUTHENTICATE],
                "Basic realm=\"schemata\""
            );
        }
        assert!(auth.refusal("/health", &HeaderMap::new()).is_none());
    }

    #[test]
    fn a_user_without_an_allowed_role_gets_403() {
        let auth = BasicAuth::parse(USERS, "admin").unwrap();
        let refused = auth.refusal("/subjects", &basic("carol:pw")).unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        // Any role, `*`: carol (no roles) is in.
        let any = BasicAuth::parse(USERS, "*").unwrap();
        assert!(any.refusal("/subjects", &basic("carol:pw")).is_none());
    }

    #[test]
    fn malformed_files_are_refused() {
        assert!(BasicAuth::parse("", "*").is_err());
        assert!(BasicAuth::parse("no colon here", "*").is_err());
        assert!(BasicAuth::parse("u: SHA256:abc", "*").is_err());
    }
}
