//! Authentication (`docs/rest-api.md` §10): every request except `GET /health` and
//! `GET /ready` (for load balancers and probes) must prove who it comes from, and that
//! principal (`principal`) must hold one of the allowed roles. Missing or wrong credentials:
//! 401 with `WWW-Authenticate`; a principal without an allowed role: 403.
//!
//! HTTP basic authentication is as CSR offers it (`authentication.method=BASIC`). The file (`users`) has one user a line, `user: password[,role ...]`, in the format of
//! Jetty's property-file login module that CSR's JAAS set-up uses; the password forms are in
//! `password`. An unknown user is checked against a decoy stored like the costliest entry, so
//! the answer takes as long as for a known one; successful checks are remembered for a
//! minute (`cache`), so argon2's cost is paid once per client and not per request; at most
//! one costly check runs per core at a time (`throttle`). The file is re-read on SIGHUP and
//! when it changes (`watched`); each reading forgets every remembered check.
//!
//! Bearer tokens (JWTs an OAuth 2 / OIDC identity provider signs) are checked by `bearer`.
//! Both ways in may be on at once: the scheme of the `Authorization` header picks one.
//! With `--tls-client-ca`, the connection's verified client certificate is a way in too
//! (docs/tls.md): a request without an `Authorization` header comes from `user:CN`, with no
//! roles; one with the header is judged by the header alone.

mod bearer;
mod cache;
mod jetty;
mod password;
mod principal;
mod throttle;
mod unix_crypt;
mod users;

pub use bearer::{BearerAuth, BearerOptions, Invalid};
pub use password::argon2id_line;
pub use principal::{Principal, Scheme};

use super::error::ApiError;
use super::tls::PeerCertificate;
use super::watched::Watched;
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use cache::Verified;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use throttle::Throttle;
use tokio::runtime::{Handle, RuntimeFlavor};
use users::{Entry, Users};

/// Every way in that is configured, and the roles let in.
pub struct Authentication {
    basic: Option<BasicAuth>,
    bearer: Option<BearerAuth>,
    /// Whether a verified client certificate authenticates (`--tls-client-ca`).
    certificates: bool,
    /// `None`: any authenticated principal (`*`).
    allowed_roles: Option<Vec<String>>,
}

impl Authentication {
    /// No credential accepted yet; `roles` is a comma-separated list of the roles allowed
    /// in, or `*`.
    pub fn new(roles: &str) -> Authentication {
        let roles: Vec<String> = roles
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(String::from)
            .collect();
        let allowed_roles = (!roles.iter().any(|r| r == "*") && !roles.is_empty()).then_some(roles);
        Authentication {
            basic: None,
            bearer: None,
            certificates: false,
            allowed_roles,
        }
    }

    /// Accept the users of a `--basic-auth-file`.
    pub fn with_basic(mut self, basic: BasicAuth) -> Authentication {
        self.basic = Some(basic);
        self
    }

    /// Accept the subject CN of a verified client certificate (`--tls-client-ca`).
    pub fn with_certificates(mut self) -> Authentication {
        self.certificates = true;
        self
    }

    /// Re-read the users file on SIGHUP and when it changes (`BasicAuth::watch`).
    pub fn watch(&self) {
        if let Some(basic) = &self.basic {
            basic.watch();
        }
    }

    /// Accept bearer tokens signed by the keys of a `--jwks`.
    pub fn with_bearer(mut self, bearer: BearerAuth) -> Authentication {
        self.bearer = Some(bearer);
        self
    }

    /// The principal a request comes from (`None` for the paths open to probes), or why it
    /// is refused. `extensions` are the request's: the connection's client certificate is
    /// there.
    pub async fn admit(
        &self,
        path: &str,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Result<Option<Principal>, Refusal> {
        if path == "/health" || path == "/ready" {
            return Ok(None);
        }
        let challenge = Challenge {
            basic: self.basic.is_some(),
            bearer: self.bearer.is_some(),
        };
        let peer = extensions
            .get::<PeerCertificate>()
            .filter(|_| self.certificates);
        let principal = match (&self.basic, &self.bearer, bearer_token(headers), peer) {
            (_, _, _, Some(peer)) if !headers.contains_key(header::AUTHORIZATION) => Principal {
                name: peer.0.to_string(),
                roles: Vec::new(),
                scheme: Scheme::Certificate,
            },
            (_, Some(bearer), Some(token), _) => bearer.principal(token).await?,
            (Some(basic), _, None, _) => basic
                .principal(headers)
                .map_err(|refused| refused.challenging(challenge))?,
            _ => return Err(Refusal::Unauthenticated(challenge)),
        };
        let allowed = match &self.allowed_roles {
            None => true,
            Some(allowed) => principal.has_any_role(allowed),
        };
        if !allowed {
            return Err(Refusal::RoleNotAllowed(principal.name));
        }
        Ok(Some(principal))
    }
}

/// The schemes a 401 invites the client to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub basic: bool,
    pub bearer: bool,
}

impl Challenge {
    const BASIC: Challenge = Challenge {
        basic: true,
        bearer: false,
    };
}

/// Why a request is not let in; each has its answer (`into_response`).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials, or wrong ones: 401 with a challenge for each scheme that is on.
    Unauthenticated(Challenge),
    /// A bearer token that does not verify: 401 with `error="invalid_token"` and why.
    InvalidToken(Invalid),
    /// This principal holds none of the allowed roles: 403.
    RoleNotAllowed(String),
    /// Too many costly password checks already wait (`throttle`): the credentials were not
    /// checked, so the answer is "retry" (503), not "wrong".
    Busy,
}

impl Refusal {
    /// The same refusal, challenging for every scheme that is on.
    fn challenging(self, challenge: Challenge) -> Refusal {
        match self {
            Refusal::Unauthenticated(_) => Refusal::Unauthenticated(challenge),
            other => other,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthenticated(challenge) => unauthorized(challenge),
            Refusal::InvalidToken(why) => invalid_token(why),
            Refusal::RoleNotAllowed(name) => ApiError::new(
                StatusCode::FORBIDDEN,
                40301,
                format!("User {name} is not allowed to use this registry"),
            )
            .into_response(),
            Refusal::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                503,
                "Too many password checks are waiting; retry in a moment",
            )
            .into_response(),
        }
    }
}

/// The users of a `--basic-auth-file` and the bound on the costly checks running at once.
pub struct BasicAuth {
    users: UsersSource,
    /// Bounds the argon2 and bcrypt checks running at once, across reloads.
    throttle: Throttle,
    /// How often the file is looked at for a change.
    poll: Duration,
    /// Password checks run (not answered from the remembered ones), for the tests.
    #[cfg(test)]
    checks: std::sync::atomic::AtomicUsize,
}

/// Where the users come from.
enum UsersSource {
    /// Text given once (embedding, tests): never re-read.
    Fixed(Arc<Users>),
    /// A file, re-read on SIGHUP and when it changes once [`BasicAuth::watch`] is called.
    File(Arc<Watched<Users>>),
}

impl BasicAuth {
    /// How often the file is looked at for a change.
    pub const DEFAULT_POLL: Duration = Duration::from_secs(2);

    /// Parse the text of a users file, never re-read. The error names the line at fault,
    /// never its password.
    pub fn parse(users_file: &str) -> Result<BasicAuth, String> {
        Self::with_cache(users_file, Verified::CAPACITY, Verified::LIFETIME)
    }

    fn with_cache(
        users_file: &str,
        capacity: usize,
        lifetime: Duration,
    ) -> Result<BasicAuth, String> {
        let users = Users::parse(users_file, capacity, lifetime)?;
        Ok(Self::from_source(UsersSource::Fixed(Arc::new(users))))
    }

    /// Read a users file, which [`BasicAuth::watch`] then re-reads on SIGHUP and when it
    /// changes. Each weak password form is logged as a warning naming its line. The error
    /// names the file and the line at fault, never a password.
    pub fn load(path: impl Into<PathBuf>) -> Result<BasicAuth, String> {
        let file = Watched::load(path)?;
        Ok(Self::from_source(UsersSource::File(Arc::new(file))))
    }

    fn from_source(users: UsersSource) -> BasicAuth {
        BasicAuth {
            users,
            throttle: Throttle::per_core(),
            poll: Self::DEFAULT_POLL,
            #[cfg(test)]
            checks: Default::default(),
        }
    }

    /// Look at the file for changes this often instead.
    pub fn poll_every(mut self, interval: Duration) -> BasicAuth {
        self.poll = interval;
        self
    }

    /// Re-read the file on SIGHUP and when it changes (for as long as the process runs);
    /// nothing for users given as text. A new reading replaces the users whole and starts
    /// with no remembered verification, so a removed user or a changed password is refused
    /// from the next request on; a file that does not parse keeps the users in force.
    pub fn watch(&self) {
        if let UsersSource::File(file) = &self.users {
            Watched::watch(file, self.poll);
        }
    }

    /// The users in force.
    fn users(&self) -> Arc<Users> {
        match &self.users {
            UsersSource::Fixed(users) => users.clone(),
            UsersSource::File(file) => file.current(),
        }
    }

    /// The principal whose credentials the request carries, or why not.
    pub fn principal(&self, headers: &HeaderMap) -> Result<Principal, Refusal> {
        let Some((user, password)) = credentials(headers) else {
            return Err(Refusal::Unauthenticated(Challenge::BASIC));
        };
        match self.authenticate(&user, &password, Instant::now()) {
            Ok(Some(principal)) => Ok(principal),
            Ok(None) => Err(Refusal::Unauthenticated(Challenge::BASIC)),
            Err(busy) => Err(busy),
        }
    }

    /// The principal of the entry whose user and password these are, under the users in
    /// force. A remembered success answers at once; otherwise the password is checked, an
    /// unknown user's against the decoy.
    fn authenticate(
        &self,
        user: &str,
        password: &str,
        now: Instant,
    ) -> Result<Option<Principal>, Refusal> {
        let users = self.users();
        let index = users.by_user.get(user).copied();
        let fingerprint = users.verified.fingerprint(user, password);
        if let Some(index) = index {
            if users.verified.holds(&fingerprint, index, now) {
                return Ok(Some(principal_of(&users.entries[index])));
            }
        }
        #[cfg(test)]
        self.checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stored = index.map_or(&users.decoy, |i| &users.entries[i].password);
        let matches = if stored.costly() {
            off_the_async_workers(|| self.throttle.run(|| stored.verify(password)))
                .ok_or(Refusal::Busy)?
        } else {
            stored.verify(password)
        };
        let Some(index) = std::hint::black_box(index).filter(|_| matches) else {
            return Ok(None);
        };
        users.verified.remember(fingerprint, index, now);
        Ok(Some(principal_of(&users.entries[index])))
    }
}

fn principal_of(entry: &Entry) -> Principal {
    Principal {
        name: entry.user.clone(),
        roles: entry.roles.clone(),
        scheme: Scheme::Basic,
    }
}

/// Run a costly check so that the async worker it blocks hands its other tasks to another
/// thread first (on a multi-threaded runtime; elsewhere, inline).
fn off_the_async_workers<T>(check: impl FnOnce() -> T) -> T {
    let multi_threaded =
        Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    if multi_threaded {
        tokio::task::block_in_place(check)
    } else {
        check()
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

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn unauthorized(challenge: Challenge) -> Response {
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, 40101, "HTTP 401 Unauthorized").into_response();
    let headers = response.headers_mut();
    if challenge.basic {
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"schemata\""),
        );
    }
    if challenge.bearer {
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"schemata\""),
        );
    }
    response
}

/// RFC 6750's answer to a bad token; the reason is one of `Invalid`'s fixed sentences, never
/// anything of the token.
fn invalid_token(why: Invalid) -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        40101,
        format!("Bearer token refused: {why}"),
    )
    .into_response();
    let challenge =
        format!("Bearer realm=\"schemata\", error=\"invalid_token\", error_description=\"{why}\"");
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
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

    /// `admit`, waited for.
    trait AdmitNow {
        fn admit_now(&self, path: &str, headers: &HeaderMap) -> Result<Option<Principal>, Refusal>;
    }

    impl AdmitNow for Authentication {
        fn admit_now(&self, path: &str, headers: &HeaderMap) -> Result<Option<Principal>, Refusal> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(self.admit(path, headers, &Extensions::new()))
        }
    }

    /// `admit` of a request on a connection whose client certificate names `peer`, waited for.
    fn admit_with_peer(
        auth: &Authentication,
        headers: &HeaderMap,
        peer: &str,
    ) -> Result<Option<Principal>, Refusal> {
        let mut extensions = Extensions::new();
        extensions.insert(PeerCertificate(peer.into()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(auth.admit("/subjects", headers, &extensions))
    }

    #[test]
    fn a_client_certificate_without_an_authorization_header_is_the_principal() {
        let auth = Authentication::new("*").with_certificates();
        let principal = admit_with_peer(&auth, &HeaderMap::new(), "alice").unwrap();
        assert_eq!(
            principal,
            Some(Principal {
                name: "alice".into(),
                roles: vec![],
                scheme: Scheme::Certificate,
            })
        );
        // No certificate and no basic file: nothing proves who it is.
        let refused = auth.admit_now("/subjects", &HeaderMap::new()).unwrap_err();
        assert!(
            matches!(refused, Refusal::Unauthenticated(_)),
            "{refused:?}"
        );
    }

    #[test]
    fn an_authorization_header_is_judged_alone_even_with_a_certificate() {
        let auth = gate(USERS, "*").with_certificates();
        let principal = admit_with_peer(&auth, &basic("alice:secret"), "mallory")
            .unwrap()
            .unwrap();
        assert_eq!(
            (principal.name.as_str(), principal.scheme),
            ("alice", Scheme::Basic)
        );
        let wrong = admit_with_peer(&auth, &basic("alice:wrong"), "mallory");
        assert!(
            matches!(wrong, Err(Refusal::Unauthenticated(_))),
            "{wrong:?}"
        );
    }

    #[test]
    fn certificates_count_only_when_enabled_and_hold_no_roles() {
        // Without --tls-client-ca the extension is ignored (it cannot be there anyway).
        let basic_only = gate(USERS, "*");
        let refused = admit_with_peer(&basic_only, &HeaderMap::new(), "alice");
        assert!(
            matches!(refused, Err(Refusal::Unauthenticated(_))),
            "{refused:?}"
        );
        // A certificate principal holds no role, so a role list lets it in only with `*`.
        let admins = Authentication::new("admin").with_certificates();
        let refused = admit_with_peer(&admins, &HeaderMap::new(), "alice");
        assert_eq!(
            refused.unwrap_err(),
            Refusal::RoleNotAllowed("alice".into())
        );
    }

    fn gate(users: &str, roles: &str) -> Authentication {
        Authentication::new(roles).with_basic(BasicAuth::parse(users).unwrap())
    }

    const USERS: &str = "# comment\n\nalice: secret,admin,developer\n\
        bob: SHA256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b,reader\n\
        carol: pw\n";

    #[test]
    fn accepts_known_users_with_an_allowed_role() {
        let auth = gate(USERS, "admin,reader");
        let alice = auth.admit_now("/subjects", &basic("alice:secret"));
        assert_eq!(
            alice.unwrap(),
            Some(Principal {
                name: "alice".into(),
                roles: vec!["admin".into(), "developer".into()],
                scheme: Scheme::Basic,
            })
        );
        // bob's password is "secret", given as its SHA-256.
        assert!(auth.admit_now("/subjects", &basic("bob:secret")).is_ok());
    }

    #[test]
    fn refuses_missing_or_wrong_credentials_with_401_and_a_challenge() {
        let auth = gate(USERS, "*");
        for headers in [
            HeaderMap::new(),
            basic("alice:wrong"),
            basic("nobody:secret"),
        ] {
            let refused = auth
                .admit_now("/subjects", &headers)
                .unwrap_err()
                .into_response();
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                refused.headers()[header::WWW_AUTHENTICATE],
                "Basic realm=\"schemata\""
            );
        }
        assert_eq!(auth.admit_now("/health", &HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn a_user_without_an_allowed_role_gets_403() {
        let auth = gate(USERS, "admin");
        let refused = auth
            .admit_now("/subjects", &basic("carol:pw"))
            .unwrap_err()
            .into_response();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        // Any role, `*`: carol (no roles) is in.
        let any = gate(USERS, "*");
        assert!(any.admit_now("/subjects", &basic("carol:pw")).is_ok());
    }

    #[test]
    fn malformed_files_are_refused() {
        assert!(BasicAuth::parse("").is_err());
        assert!(BasicAuth::parse("no colon here").is_err());
        assert!(BasicAuth::parse("u: SHA256:abc").is_err());
        assert!(BasicAuth::parse("u: $argon2id$v=19$m=64").is_err());
    }

    /// The hashes of "secret" in each of Jetty's forms (see `password.rs` for where they come
    /// from), and an argon2id one of "correct horse".
    const CARRIED_OVER: &str = "md5: MD5:5ebe2294ecd0e0f08eab7690d2a6ee69,admin\n\
        crypt: CRYPT:abNANd1rDfiNc,admin\n\
        obf: OBF:1yta1t331v8w1v9q1t331ytc,admin\n\
        strong: $argon2id$v=19$m=64,t=2,p=1$c2NoZW1hdGEtc2FsdA$\
        vszcVWNNbt47A7VxvaE1cg9EBhGLyWdTfaW+xBrGK28,admin\n";

    #[test]
    fn jetty_forms_are_verified_as_what_they_are() {
        let auth = gate(CARRIED_OVER, "admin");
        for user in ["md5", "crypt", "obf"] {
            let ok = auth.admit_now("/subjects", &basic(&format!("{user}:secret")));
            assert!(ok.is_ok(), "{user}");
        }
        // The stored string itself is not the password.
        for given in [
            "md5:MD5:5ebe2294ecd0e0f08eab7690d2a6ee69",
            "crypt:CRYPT:abNANd1rDfiNc",
            "obf:OBF:1yta1t331v8w1v9q1t331ytc",
        ] {
            let refused = auth
                .admit_now("/subjects", &basic(given))
                .unwrap_err()
                .into_response();
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{given}");
        }
        assert!(auth
            .admit_now("/subjects", &basic("strong:correct horse"))
            .is_ok());
    }

    #[test]
    fn weak_entries_are_listed_by_line_and_user() {
        let auth = BasicAuth::parse(&format!("# users\n{CARRIED_OVER}clear: pw\n")).unwrap();
        let users = auth.users();
        let weak: Vec<(usize, &str)> = users.weak_entries().map(|w| (w.line, w.user)).collect();
        assert_eq!(weak, [(2, "md5"), (3, "crypt"), (4, "obf"), (6, "clear")]);
        assert!(users.weak_entries().all(|w| !w.weakness.is_empty()));
    }

    fn checks(auth: &BasicAuth) -> usize {
        auth.checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    #[test]
    fn an_unknown_user_is_checked_against_a_decoy_like_the_costliest_entry() {
        let auth = BasicAuth::parse(CARRIED_OVER).unwrap();
        assert!(matches!(auth.users().decoy, password::Stored::Argon2(_)));
        let now = Instant::now();
        assert!(auth
            .authenticate("nobody", "correct horse", now)
            .unwrap()
            .is_none());
        assert!(auth
            .authenticate("nobody", "correct horse", now)
            .unwrap()
            .is_none());
        assert_eq!(checks(&auth), 2, "each attempt is checked in full");
    }

    #[test]
    fn a_verified_password_is_remembered_until_it_expires() {
        let auth = BasicAuth::with_cache(CARRIED_OVER, 16, Duration::from_secs(60)).unwrap();
        let now = Instant::now();
        let later = |s| now + Duration::from_secs(s);
        assert!(auth
            .authenticate("strong", "correct horse", now)
            .unwrap()
            .is_some());
        assert!(auth
            .authenticate("strong", "correct horse", later(59))
            .unwrap()
            .is_some());
        assert_eq!(
            checks(&auth),
            1,
            "the second request is answered from memory"
        );
        assert!(auth
            .authenticate("strong", "correct horse", later(60))
            .unwrap()
            .is_some());
        assert_eq!(checks(&auth), 2, "expired: checked again");
        // Failures are not remembered, and a remembered password is not another user's.
        assert!(auth
            .authenticate("strong", "wrong", later(61))
            .unwrap()
            .is_none());
        assert!(auth
            .authenticate("strong", "wrong", later(61))
            .unwrap()
            .is_none());
        assert!(auth
            .authenticate("md5", "correct horse", later(61))
            .unwrap()
            .is_none());
        assert_eq!(checks(&auth), 5);
    }

    #[test]
    fn a_new_reading_of_the_file_forgets_every_remembered_check() {
        let dir = std::env::temp_dir().join(format!("schemata_users_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users.txt");
        let strong = CARRIED_OVER.lines().last().unwrap();
        std::fs::write(&path, format!("{strong}\n")).unwrap();
        let auth = BasicAuth::load(&path).unwrap();
        let reload = |trigger| match &auth.users {
            UsersSource::File(file) => file.reload(trigger),
            UsersSource::Fixed(_) => unreachable!(),
        };
        let now = Instant::now();
        let admitted = |user, password| auth.authenticate(user, password, now).unwrap();
        assert!(admitted("strong", "correct horse").is_some());
        assert!(admitted("strong", "correct horse").is_some());
        assert_eq!(checks(&auth), 1, "remembered");

        std::fs::write(&path, "strong: changed,admin\n").unwrap();
        assert!(reload(crate::api::watched::Trigger::Poll));
        assert!(
            admitted("strong", "correct horse").is_none(),
            "the old password is refused at once"
        );
        assert!(admitted("strong", "changed").is_some());
        assert_eq!(checks(&auth), 3, "checked afresh");

        // A broken file keeps the users in force.
        std::fs::write(&path, "strong: changed,admin\nno colon\n").unwrap();
        assert!(!reload(crate::api::watched::Trigger::Signal));
        assert!(admitted("strong", "changed").is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
