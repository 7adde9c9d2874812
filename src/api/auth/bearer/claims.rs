//! Who a verified token names (`docs/rest-api.md` §10): the principal's name from
//! `--jwt-principal-claim` and its roles from `--jwt-roles-claim`, each a claim name or a
//! dotted path into nested objects (`realm_access.roles`, as Keycloak issues them).

use super::token::Invalid;
use crate::api::auth::{Principal, Scheme};
use serde_json::Value;

/// Roles taken from one token at most; the rest are ignored.
const MAX_ROLES: usize = 256;

/// Where in the claims the principal and its roles are.
pub(super) struct ClaimPaths {
    principal: String,
    roles: String,
}

impl ClaimPaths {
    pub(super) fn new(principal: &str, roles: &str) -> ClaimPaths {
        ClaimPaths {
            principal: principal.to_string(),
            roles: roles.to_string(),
        }
    }

    /// The principal the claims name: a non-empty string (or a number) at the principal
    /// path; roles from an array of strings, or a string of space- or comma-separated names
    /// (as a `scope` claim), at the roles path; no roles when that claim is absent.
    pub(super) fn principal(&self, claims: &Value) -> Result<Principal, Invalid> {
        let name = match lookup(claims, &self.principal) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(Invalid::NoPrincipal),
        };
        let roles = match lookup(claims, &self.roles) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .filter(|r| !r.is_empty())
                .take(MAX_ROLES)
                .map(String::from)
                .collect(),
            Some(Value::String(s)) => s
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|r| !r.is_empty())
                .take(MAX_ROLES)
                .map(String::from)
                .collect(),
            _ => Vec::new(),
        };
        Ok(Principal {
            name,
            roles,
            scheme: Scheme::Bearer,
        })
    }
}

/// The claim named `path`: a top-level claim of exactly that name first (claim names may
/// hold dots, as namespaced URLs do), else the dotted path through nested objects.
fn lookup<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    path.split('.')
        .try_fold(claims, |value, key| value.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn principal_and_roles_from_top_level_claims() {
        let paths = ClaimPaths::new("sub", "roles");
        let p = paths
            .principal(&json!({"sub": "svc-orders", "roles": ["writer", 7, "reader"]}))
            .unwrap();
        assert_eq!(p.name, "svc-orders");
        assert_eq!(p.roles, ["writer", "reader"]);
        assert_eq!(p.scheme, Scheme::Bearer);
    }

    #[test]
    fn roles_from_a_nested_path_or_a_scope_string() {
        let keycloak = json!({
            "preferred_username": "alice",
            "realm_access": {"roles": ["admin", "offline_access"]}
        });
        let p = ClaimPaths::new("preferred_username", "realm_access.roles")
            .principal(&keycloak)
            .unwrap();
        assert_eq!(
            (p.name.as_str(), p.roles.as_slice()),
            (
                "alice",
                &["admin".to_string(), "offline_access".to_string()][..]
            )
        );
        let scope = json!({"sub": "ci", "scope": "registry:read registry:write"});
        let p = ClaimPaths::new("sub", "scope").principal(&scope).unwrap();
        assert_eq!(p.roles, ["registry:read", "registry:write"]);
        // A claim name that holds dots is taken whole before it is walked.
        let namespaced = json!({"sub": "x", "https://example.com/roles": ["a"]});
        let p = ClaimPaths::new("sub", "https://example.com/roles")
            .principal(&namespaced)
            .unwrap();
        assert_eq!(p.roles, ["a"]);
    }

    #[test]
    fn a_missing_roles_claim_is_no_roles_but_a_missing_principal_is_refused() {
        let paths = ClaimPaths::new("sub", "realm_access.roles");
        let p = paths.principal(&json!({"sub": "bob"})).unwrap();
        assert!(p.roles.is_empty());
        for claims in [json!({}), json!({"sub": ""}), json!({"sub": ["x"]})] {
            assert_eq!(paths.principal(&claims), Err(Invalid::NoPrincipal));
        }
        assert_eq!(paths.principal(&json!({"sub": 42})).unwrap().name, "42");
    }
}
