//! Bearer tokens over real HTTP (`docs/rest-api.md` §10): JWTs signed with keys made in the
//! test, their JWKS in a file or served by a small HTTP server the test starts, checked
//! before any route runs.

use crate::common::*;
use crate::jwt::{epoch, jwks_document, unsigned, Alg, Keys};
use axum::extract::State;
use axum::http::StatusCode as AxumStatus;
use reqwest::StatusCode;
use schemata::api::auth::{Authentication, BasicAuth, BearerAuth, BearerOptions};
use schemata::registry::RegistryOptions;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ISSUER: &str = "https://idp.test/realms/schemata";
const AUDIENCE: &str = "schema-registry";

fn claims(sub: &str, roles: &[&str]) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "roles": roles,
           "iat": epoch(0), "exp": epoch(600)})
}

/// A registry on `backend` with this authentication.
async fn spawn(backend: Backend, auth: Authentication) -> (String, Option<TempDir>) {
    let (url, dir) = fresh_database(backend).await;
    let mut state = schemata::build_state(&url, RegistryOptions::default(), &store_options(4))
        .await
        .expect("start registry");
    state.auth = Some(Arc::new(auth));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(schemata::api::serve(listener, state));
    (base, dir)
}

/// A JWKS file removed when the test ends.
struct JwksFile(std::path::PathBuf);

impl JwksFile {
    fn new(document: &str) -> JwksFile {
        let path = std::env::temp_dir().join(format!("jwks-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&path, document).unwrap();
        JwksFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for JwksFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn options(jwks: &str) -> BearerOptions {
    BearerOptions {
        issuer: Some(ISSUER.into()),
        audience: vec![AUDIENCE.into()],
        ..BearerOptions::new(jwks)
    }
}

async fn bearer(options: BearerOptions) -> BearerAuth {
    BearerAuth::load(options).await.expect("load the JWKS")
}

async fn get(base: &str, path: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_algorithm_is_accepted_on_both_backends() {
    let keys = Keys::new("each", false);
    let file = JwksFile::new(&jwks_document(&[&keys]));
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let auth = Authentication::new("*").with_bearer(bearer(options(file.path())).await);
        let (base, _dir) = spawn(backend, auth).await;
        let client = reqwest::Client::new();
        for (i, alg) in Alg::ALL.into_iter().enumerate() {
            let token = keys.token(alg, &claims(&format!("svc-{}", alg.name()), &[]));
            let registered = client
                .post(format!("{base}/subjects/s{i}/versions"))
                .bearer_auth(&token)
                .json(&json!({"schema": format!("{{\"type\":\"fixed\",\"name\":\"f\",\"size\":{}}}", i + 1)}))
                .send()
                .await
                .unwrap();
            assert_eq!(
                registered.status(),
                StatusCode::OK,
                "{alg:?} on {backend:?}"
            );
            let id = registered.json::<Value>().await.unwrap()["id"].clone();
            let read = get(&base, &format!("/schemas/ids/{id}"), &token).await;
            assert_eq!(read.status(), StatusCode::OK, "{alg:?}");
            // A token without a kid is checked against every key of its algorithm.
            let no_kid = keys.token_with_kid(alg, None, &claims("anonymous-kid", &[]));
            let read = get(&base, "/subjects", &no_kid).await;
            assert_eq!(read.status(), StatusCode::OK, "{alg:?} without kid");
        }
        let subjects = get(
            &base,
            "/subjects",
            &keys.token(Alg::EdDsa, &claims("x", &[])),
        )
        .await;
        assert_eq!(
            subjects
                .json::<Value>()
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            4
        );
        // Probes need no token; anything else does, and the challenge names Bearer.
        assert_eq!(
            client
                .get(format!("{base}/health"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let anonymous = client.get(format!("{base}/subjects")).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            anonymous.headers()["www-authenticate"],
            "Bearer realm=\"schemata\""
        );
    }
}

/// A refused token: 401, the RFC 6750 challenge, a Confluent envelope with 40101 and
/// `reason`, and nothing of the token.
async fn assert_refused(base: &str, token: &str, reason: &str) {
    let reply = get(base, "/subjects", token).await;
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED, "{reason}");
    let challenge = reply.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer realm=\"schemata\", error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(challenge.contains(reason), "{challenge} / {reason}");
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["error_code"], 40101, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(reason), "{message} / {reason}");
    for part in token.split('.').filter(|p| p.len() > 8) {
        assert!(
            !message.contains(part) && !challenge.contains(part),
            "{message}"
        );
    }
}

#[tokio::test]
async fn bad_tokens_get_401_invalid_token_saying_why_in_general_terms() {
    let keys = Keys::new("bad", false);
    let stranger = Keys::new("bad", true);
    let file = JwksFile::new(&jwks_document(&[&keys]));
    let auth = Authentication::new("*").with_bearer(bearer(options(file.path())).await);
    let (base, _dir) = spawn(Backend::Sqlite, auth).await;
    let with = |change: Value| {
        let mut c = claims("svc", &[]);
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };

    for alg in Alg::ALL {
        let expired = keys.token(alg, &with(json!({"exp": epoch(-120)})));
        assert_refused(&base, &expired, "the token has expired").await;
    }
    let early = keys.token(Alg::Rs256, &with(json!({"nbf": epoch(600)})));
    assert_refused(&base, &early, "the token is not valid yet").await;
    let issuer = keys.token(Alg::Es256, &with(json!({"iss": "https://evil.test"})));
    assert_refused(&base, &issuer, "the token's issuer is not accepted").await;
    let no_issuer = keys.token(Alg::Es256, &with(json!({"iss": null})));
    assert_refused(&base, &no_issuer, "the token's issuer is not accepted").await;
    let audience = keys.token(Alg::EdDsa, &with(json!({"aud": ["another-app"]})));
    assert_refused(&base, &audience, "the token's audience is not accepted").await;
    let no_exp = keys.token(Alg::EdDsa, &with(json!({"exp": null})));
    assert_refused(&base, &no_exp, "the token has no expiry (exp)").await;
    let no_sub = keys.token(Alg::EdDsa, &with(json!({"sub": null})));
    assert_refused(&base, &no_sub, "the token names no principal").await;
    // Signed by another key under a known kid, for each kind of key.
    for alg in Alg::ALL {
        let forged = stranger.token_with_kid(alg, Some(&keys.kid(alg)), &claims("svc", &[]));
        assert_refused(&base, &forged, "the token's signature does not verify").await;
    }
    // A payload changed after signing.
    let token = keys.token(Alg::Ps256, &claims("svc", &[]));
    let parts: Vec<&str> = token.split('.').collect();
    let admin = crate::jwt::b64(claims("admin", &["admin"]).to_string().as_bytes());
    let tampered = format!("{}.{admin}.{}", parts[0], parts[2]);
    assert_refused(&base, &tampered, "the token's signature does not verify").await;
    // Unsigned, or HMAC with the public key as the secret: refused by their algorithm.
    let algorithm = "the token's algorithm is not accepted";
    assert_refused(&base, &unsigned(&claims("svc", &[])), algorithm).await;
    assert_refused(
        &base,
        &keys.hs256_with_public_key(&claims("svc", &[])),
        algorithm,
    )
    .await;
    // A key id the JWKS does not hold (and the file still does not after reading it again).
    let unknown = stranger.token_with_kid(Alg::EdDsa, Some("nobody"), &claims("svc", &[]));
    assert_refused(
        &base,
        &unknown,
        "not signed by a key of the configured JWKS",
    )
    .await;
    assert_refused(&base, "not-a-jwt", "the token is not a well-formed JWT").await;
    let long = format!("{}{}", token, "A".repeat(16 * 1024));
    assert_refused(&base, &long, "the token is too long").await;

    // Clocks may disagree by up to a minute: just expired, or valid in 30 s, is taken.
    let leeway = keys.token(
        Alg::Rs256,
        &with(json!({"exp": epoch(-30), "nbf": epoch(30)})),
    );
    assert_eq!(
        get(&base, "/subjects", &leeway).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn roles_from_a_nested_claim_meet_the_allowed_roles_gate() {
    let keys = Keys::new("roles", false);
    let file = JwksFile::new(&jwks_document(&[&keys]));
    let options = BearerOptions {
        principal_claim: "preferred_username".into(),
        roles_claim: "realm_access.roles".into(),
        ..options(file.path())
    };
    let auth = Authentication::new("admin,developer").with_bearer(bearer(options).await);
    let (base, _dir) = spawn(Backend::Sqlite, auth).await;
    let keycloak = |user: &str, realm_roles: &[&str], top_roles: &[&str]| {
        let mut c = claims("3f1c-uuid", top_roles);
        c["preferred_username"] = json!(user);
        c["realm_access"] = json!({ "roles": realm_roles });
        keys.token(Alg::Rs256, &c)
    };
    let admin = keycloak("alice", &["offline_access", "admin"], &[]);
    assert_eq!(
        get(&base, "/subjects", &admin).await.status(),
        StatusCode::OK
    );
    let viewer = get(
        &base,
        "/subjects",
        &keycloak("bob", &["viewer"], &["admin"]),
    )
    .await;
    assert_eq!(
        viewer.status(),
        StatusCode::FORBIDDEN,
        "roles come from the nested claim only"
    );
    let body: Value = viewer.json().await.unwrap();
    assert_eq!(body["error_code"], 40301);
    assert_eq!(
        body["message"],
        "User bob is not allowed to use this registry"
    );
    let none = get(&base, "/subjects", &keycloak("carol", &[], &[])).await;
    assert_eq!(none.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn basic_and_bearer_at_once_the_authorization_scheme_decides() {
    let keys = Keys::new("both", false);
    let file = JwksFile::new(&jwks_document(&[&keys]));
    let auth = Authentication::new("admin")
        .with_basic(BasicAuth::parse("ops: s3cret,admin\n").unwrap())
        .with_bearer(bearer(options(file.path())).await);
    let (base, _dir) = spawn(Backend::Sqlite, auth).await;
    let client = reqwest::Client::new();
    let basic = client
        .get(format!("{base}/subjects"))
        .basic_auth("ops", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
    let token = keys.token(Alg::Es256, &claims("ci", &["admin"]));
    assert_eq!(
        get(&base, "/subjects", &token).await.status(),
        StatusCode::OK
    );
    let not_admin = keys.token(Alg::Es256, &claims("ci", &["reader"]));
    assert_eq!(
        get(&base, "/subjects", &not_admin).await.status(),
        StatusCode::FORBIDDEN
    );

    // No credentials: a challenge for each scheme.
    let anonymous = client.get(format!("{base}/subjects")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let challenges: Vec<&str> = anonymous
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        challenges,
        ["Basic realm=\"schemata\"", "Bearer realm=\"schemata\""]
    );
    let wrong = client
        .get(format!("{base}/subjects"))
        .basic_auth("ops", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.headers().get_all("www-authenticate").iter().count(),
        2
    );
    // A password is not a token, nor a token a password.
    let password_as_token = get(&base, "/subjects", "s3cret").await;
    assert_eq!(password_as_token.status(), StatusCode::UNAUTHORIZED);
    let token_as_password = client
        .get(format!("{base}/subjects"))
        .basic_auth("ci", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(token_as_password.status(), StatusCode::UNAUTHORIZED);
}

/// A JWKS served over HTTP by the test, counting its reads; `fail` makes it answer 500.
#[derive(Clone, Default)]
struct Idp {
    document: Arc<Mutex<String>>,
    reads: Arc<AtomicUsize>,
    fail: Arc<std::sync::atomic::AtomicBool>,
}

impl Idp {
    async fn start(document: String) -> (Idp, String) {
        let idp = Idp::default();
        *idp.document.lock().unwrap() = document;
        let app = axum::Router::new()
            .route("/certs", axum::routing::get(serve_jwks))
            .with_state(idp.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/certs", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (idp, url)
    }

    fn publish(&self, document: String) {
        *self.document.lock().unwrap() = document;
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

async fn serve_jwks(State(idp): State<Idp>) -> (AxumStatus, String) {
    idp.reads.fetch_add(1, Ordering::SeqCst);
    if idp.fail.load(Ordering::SeqCst) {
        return (AxumStatus::INTERNAL_SERVER_ERROR, "down".into());
    }
    (AxumStatus::OK, idp.document.lock().unwrap().clone())
}

#[tokio::test]
async fn a_jwks_url_is_read_again_for_an_unknown_kid_but_not_for_every_one() {
    let (old, new) = (Keys::new("url-old", false), Keys::new("url-new", true));
    let (idp, url) = Idp::start(jwks_document(&[&old])).await;
    let options = BearerOptions {
        // Far longer than the test: only reads for unknown key ids happen.
        refresh: Duration::from_secs(3600),
        refetch_interval: Duration::from_secs(3600),
        ..options(&url)
    };
    let auth = Authentication::new("*").with_bearer(bearer(options).await);
    let (base, _dir) = spawn(Backend::Sqlite, auth).await;
    assert_eq!(idp.reads(), 1, "read once at start");
    let before = old.token(Alg::Rs256, &claims("svc", &[]));
    assert_eq!(
        get(&base, "/subjects", &before).await.status(),
        StatusCode::OK
    );
    assert_eq!(idp.reads(), 1, "a known kid reads nothing");

    // The identity provider rotates its keys: a token naming the new key makes the server
    // read the JWKS again, and it is accepted.
    idp.publish(jwks_document(&[&old, &new]));
    let rotated = new.token(Alg::Es256, &claims("svc", &[]));
    assert_eq!(
        get(&base, "/subjects", &rotated).await.status(),
        StatusCode::OK
    );
    assert_eq!(idp.reads(), 2);
    for alg in Alg::ALL {
        let token = new.token(alg, &claims("svc", &[]));
        assert_eq!(
            get(&base, "/subjects", &token).await.status(),
            StatusCode::OK
        );
    }

    // Tokens with made-up key ids, many at once: at most one more read in the interval.
    let requests = (0..40).map(|i| {
        let token = new.token_with_kid(Alg::EdDsa, Some(&format!("random-{i}")), &claims("x", &[]));
        let base = base.clone();
        async move { get(&base, "/subjects", &token).await.status() }
    });
    for status in futures_join_all(requests).await {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        idp.reads(),
        2,
        "the read for the rotation was the one of this interval"
    );
}

/// Run these futures concurrently and collect their outputs.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

#[tokio::test]
async fn a_jwks_url_is_read_every_refresh_interval_and_a_failed_read_keeps_the_keys() {
    let (old, new) = (Keys::new("every-old", false), Keys::new("every-new", true));
    let (idp, url) = Idp::start(jwks_document(&[&old])).await;
    let options = BearerOptions {
        refresh: Duration::from_secs(1),
        refetch_interval: Duration::from_secs(3600),
        ..options(&url)
    };
    let auth = Authentication::new("*").with_bearer(bearer(options).await);
    let (base, _dir) = spawn(Backend::Sqlite, auth).await;
    // Spend this interval's read for an unknown kid, so only the periodic read can help.
    let made_up = new.token_with_kid(Alg::EdDsa, Some("made-up"), &claims("x", &[]));
    assert_eq!(
        get(&base, "/subjects", &made_up).await.status(),
        StatusCode::UNAUTHORIZED
    );
    idp.publish(jwks_document(&[&old, &new]));
    let rotated = new.token(Alg::EdDsa, &claims("svc", &[]));
    let reads = idp.reads();
    wait_until(|| idp.reads() > reads).await;
    assert_eq!(
        get(&base, "/subjects", &rotated).await.status(),
        StatusCode::OK
    );

    // The identity provider fails: the keys already loaded stay in use.
    idp.fail.store(true, Ordering::SeqCst);
    let reads = idp.reads();
    wait_until(|| idp.reads() > reads + 1).await;
    let fresh = old.token(Alg::Ps256, &claims("svc-after-failure", &[]));
    assert_eq!(
        get(&base, "/subjects", &fresh).await.status(),
        StatusCode::OK
    );
}

/// Wait (30 s at most) until `done`.
async fn wait_until(done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "waited 30 s in vain"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_jwks_that_cannot_be_loaded_stops_the_start_naming_why() {
    let keys = Keys::new("load", false);
    let (idp, url) = Idp::start(jwks_document(&[&keys])).await;
    idp.fail.store(true, Ordering::SeqCst);
    let down = BearerAuth::load(options(&url)).await.err().unwrap();
    assert!(down.contains(&url) && down.contains("500"), "{down}");
    idp.fail.store(false, Ordering::SeqCst);
    idp.publish(format!(
        "{{\"keys\":[], \"pad\":\"{}\"}}",
        "x".repeat(1024 * 1024)
    ));
    let large = BearerAuth::load(options(&url)).await.err().unwrap();
    assert!(large.contains("larger than 1048576 bytes"), "{large}");
    idp.publish(r#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#.into());
    let symmetric = BearerAuth::load(options(&url)).await.err().unwrap();
    assert!(symmetric.contains("symmetric"), "{symmetric}");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/certs", listener.local_addr().unwrap())
    };
    let unreachable = BearerAuth::load(options(&closed)).await.err().unwrap();
    assert!(
        unreachable.contains("Connection refused") || unreachable.contains("connect"),
        "{unreachable}"
    );
    // A JWKS URL that accepts the connection and never answers: the fetch's time limit ends it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}/certs", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            connections.push(connection);
        }
    });
    let timed_out = BearerAuth::load(options(&silent_url)).await.err().unwrap();
    assert!(timed_out.contains("timed out"), "{timed_out}");
    held.abort();
}

#[tokio::test]
async fn the_rust_client_sends_a_static_bearer_token() {
    let keys = Keys::new("client", false);
    let file = JwksFile::new(&jwks_document(&[&keys]));
    let auth = Authentication::new("*").with_bearer(bearer(options(file.path())).await);
    let (base, _dir) = spawn(Backend::Sqlite, auth).await;
    use schemata_client::{ClientConfig, Schema, SchemaRegistryClient, SchemaType};
    let token = keys.token(Alg::Rs256, &claims("rust-client", &[]));
    let client = SchemaRegistryClient::new(ClientConfig::new(&base).bearer_auth(token)).unwrap();
    let schema = Schema::new(SchemaType::Avro, "\"string\"");
    let id = client
        .register("orders-value", &schema, false)
        .await
        .unwrap();
    assert_eq!(client.get_by_id(id).await.unwrap().schema, "\"string\"");
    let expired = keys.token(
        Alg::Rs256,
        &json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": epoch(-3600)}),
    );
    let refused = SchemaRegistryClient::new(ClientConfig::new(&base).bearer_auth(expired)).unwrap();
    let error = refused.get_subjects(false).await.unwrap_err().to_string();
    assert!(
        error.contains("40101") || error.contains("expired"),
        "{error}"
    );
}
