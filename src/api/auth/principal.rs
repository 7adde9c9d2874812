//! Who a request comes from, once authenticated (`docs/rest-api.md` §10): a name and the
//! roles it holds, whichever credential proved it. The front puts it in the request's
//! extensions, where authorization and the audit trail read it.

/// How a principal proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// A user and password of the `--basic-auth-file`.
    Basic,
    /// A bearer token (a JWT signed by a key of the `--jwks`).
    Bearer,
    /// A client certificate signed by the `--tls-client-ca` (docs/tls.md): the name is the
    /// certificate's subject CN, and it holds no roles.
    Certificate,
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user name: ACLs call it `user:NAME`.
    pub name: String,
    /// The roles it holds: ACLs call each `role:NAME`.
    pub roles: Vec<String>,
    pub scheme: Scheme,
}

impl Principal {
    /// Whether it holds one of these roles.
    pub fn has_any_role(&self, roles: &[String]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}
