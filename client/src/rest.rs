//! The caching REST client.
//!
//! Caches, as Confluent's `CachedSchemaRegistryClient` keeps them, each a bounded moka cache:
//! id → schema, (subject, schema, normalize) → id, (subject, version) → registered schema,
//! and subject → latest version (with a TTL, since "latest" moves). Concurrent misses for the
//! same key are coalesced into one request.
//!
//! Requests go to the configured base URLs in turn; a transport error or a 408/429/5xx moves
//! on to the next URL, and after a full round the client sleeps with exponential backoff and
//! tries again, `max_retries` times. Any other status is returned at once as
//! [`Error::Registry`] with the server's `error_code` and message.

use crate::error::{Error, Result};
use crate::tls::TlsOptions;
use crate::types::{
    CompatibilityResult, RegisteredSchema, Schema, SchemaType, ServerConfig, VersionSelector,
};
use moka::future::Cache;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Credentials sent with every request.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    Basic { username: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    // Secrets are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// How to reach the registry.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URLs, tried in turn (failover).
    pub urls: Vec<String>,
    pub auth: Option<Auth>,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Extra rounds over all URLs after the first one fails with a retriable error.
    pub max_retries: u32,
    /// Backoff before the first retry; doubled each retry up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Entries kept in each cache.
    pub cache_capacity: u64,
    /// How long `get_latest_version` answers from the cache (zero: never cached).
    pub latest_ttl: Duration,
    /// HTTPS: the CAs trusted (default: the system's roots) and a client certificate.
    pub tls: TlsOptions,
}

impl ClientConfig {
    /// One URL or several separated by commas (`http://a:8081,http://b:8081`).
    pub fn new(urls: &str) -> Self {
        ClientConfig {
            urls: urls
                .split(',')
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty())
                .collect(),
            auth: None,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            cache_capacity: 1000,
            latest_ttl: Duration::from_secs(60),
            tls: TlsOptions::default(),
        }
    }

    /// Trust only these CA certificates (PEM) for HTTPS, instead of the system's roots.
    pub fn ca_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.ca_pem = Some(pem.into());
        self
    }

    /// Present this client certificate chain (PEM, leaf first) and private key (PEM) to
    /// registries that require one.
    pub fn client_certificate_pem(
        mut self,
        certificate: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.client_pem = Some((certificate.into(), key.into()));
        self
    }

    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth::Basic {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    pub fn bearer_auth(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Bearer(token.into()));
        self
    }

    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    pub fn timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }

    pub fn cache_capacity(mut self, n: u64) -> Self {
        self.cache_capacity = n;
        self
    }

    pub fn latest_ttl(mut self, ttl: Duration) -> Self {
        self.latest_ttl = ttl;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SchemaKey {
    subject: String,
    schema: Schema,
    normalize: bool,
}

struct Inner {
    config: ClientConfig,
    http: reqwest::Client,
    /// The URL that answered last; requests start there.
    preferred: AtomicUsize,
    by_id: Cache<u32, Arc<Schema>>,
    ids: Cache<SchemaKey, u32>,
    versions: Cache<(String, i32), Arc<RegisteredSchema>>,
    latest: Option<Cache<String, Arc<RegisteredSchema>>>,
}

/// An async, caching Schema Registry client. Cheap to clone (shared caches).
#[derive(Clone)]
pub struct SchemaRegistryClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SchemaRegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistryClient")
            .field("urls", &self.inner.config.urls)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error_code: i64,
    message: String,
}

#[derive(Deserialize)]
struct IdBody {
    id: u32,
}

fn segment(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// A subject (or any value) percent-encoded as one path segment, as the client sends it.
pub fn path_segment(s: &str) -> String {
    segment(s)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::BadResponse(format!(
            "{e}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ))
    })
}

fn version_segment(v: VersionSelector) -> String {
    match v {
        VersionSelector::Latest => "/latest".to_owned(),
        VersionSelector::Number(n) => format!("/{n}"),
        VersionSelector::All => String::new(),
    }
}

impl SchemaRegistryClient {
    pub fn new(config: ClientConfig) -> Result<Self> {
        if config.urls.is_empty() {
            return Err(Error::Config("no schema registry URL".into()));
        }
        for url in &config.urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::Config(format!("not an http(s) URL: {url}")));
            }
        }
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout);
        let http = crate::tls::configure(http, &config.tls)?
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        let capacity = config.cache_capacity.max(1);
        let latest = (!config.latest_ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(capacity)
                .time_to_live(config.latest_ttl)
                .support_invalidation_closures()
                .build()
        });
        Ok(SchemaRegistryClient {
            inner: Arc::new(Inner {
                http,
                preferred: AtomicUsize::new(0),
                by_id: Cache::builder().max_capacity(capacity).build(),
                ids: Cache::builder()
                    .max_capacity(capacity)
                    .support_invalidation_closures()
                    .build(),
                versions: Cache::builder()
                    .max_capacity(capacity)
                    .support_invalidation_closures()
                    .build(),
                latest,
                config,
            }),
        })
    }

    /// A client for one URL (or a comma-separated list) with default settings.
    pub fn from_url(urls: &str) -> Result<Self> {
        Self::new(ClientConfig::new(urls))
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    // ------------------------------------------------------------------ transport

    async fn send_once(
        &self,
        base: &str,
        method: &Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>> {
        let mut request = self
            .inner
            .http
            .request(method.clone(), format!("{base}{path}"))
            .header("Accept", CONTENT_TYPE);
        if let Some(body) = body {
            request = request
                .header("Content-Type", CONTENT_TYPE)
                .body(body.to_vec());
        }
        request = match &self.inner.config.auth {
            Some(Auth::Basic { username, password }) => {
                request.basic_auth(username, Some(password))
            }
            Some(Auth::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        let transport = |e: reqwest::Error| Error::Unavailable {
            attempts: 1,
            last: format!("{method} {base}{path}: {}", with_causes(&e)),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(e) => Error::Registry {
                status: status.as_u16(),
                error_code: e.error_code,
                message: e.message,
            },
            Err(_) => Error::Registry {
                status: status.as_u16(),
                error_code: -1,
                message: if bytes.is_empty() {
                    status
                        .canonical_reason()
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR.as_str())
                        .to_owned()
                } else {
                    String::from_utf8_lossy(&bytes).into_owned()
                },
            },
        })
    }

    /// One logical request: failover across URLs, retries with backoff on retriable errors.
    async fn request(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<Vec<u8>> {
        let config = &self.inner.config;
        let n = config.urls.len();
        let start = self.inner.preferred.load(Ordering::Relaxed) % n;
        let mut backoff = config.initial_backoff;
        let mut attempts = 0u32;
        let mut last = None;
        for round in 0..=config.max_retries {
            if round > 0 {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(config.max_backoff);
            }
            for k in 0..n {
                let i = (start + k) % n;
                attempts += 1;
                match self
                    .send_once(&config.urls[i], &method, path, body.as_deref())
                    .await
                {
                    Ok(bytes) => {
                        self.inner.preferred.store(i, Ordering::Relaxed);
                        return Ok(bytes);
                    }
                    Err(e) if e.is_retriable() => last = Some(e),
                    Err(e) => return Err(e),
                }
            }
        }
        let last = match last {
            Some(Error::Unavailable { last, .. }) => last,
            Some(other) => other.to_string(),
            None => "no attempt made".to_owned(),
        };
        Err(Error::Unavailable { attempts, last })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        parse(&self.request(Method::GET, path, None).await?)
    }

    async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T> {
        let body = serde_json::to_vec(&body).map_err(|e| Error::Serialization(e.to_string()))?;
        parse(&self.request(method, path, Some(body)).await?)
    }

    /// A GET of any path of the REST API (`/subjects?deleted=true`, `/config/{s}`, ...), with
    /// the same failover, retries and credentials as every other call: for tools (such as an
    /// importer) that read endpoints the typed methods do not cover. Path segments must
    /// already be percent-encoded ([`path_segment`]).
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.get(path).await
    }

    /// A POST of a JSON body to any path, as [`get_json`](Self::get_json).
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T> {
        self.send_json(Method::POST, path, body).await
    }

    /// A PUT of a JSON body to any path, as [`get_json`](Self::get_json).
    pub async fn put_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T> {
        self.send_json(Method::PUT, path, body).await
    }

    /// A DELETE of any path, as [`get_json`](Self::get_json).
    pub async fn delete_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        parse(&self.request(Method::DELETE, path, None).await?)
    }

    // ------------------------------------------------------------------ schemas

    /// Register `schema` under `subject` (or find it already registered): its global id.
    /// Cached: registering the same schema again makes no request.
    pub async fn register(&self, subject: &str, schema: &Schema, normalize: bool) -> Result<u32> {
        let key = SchemaKey {
            subject: subject.to_owned(),
            schema: schema.clone(),
            normalize,
        };
        if let Some(id) = self.inner.ids.get(&key).await {
            return Ok(id);
        }
        let path = format!(
            "/subjects/{}/versions?normalize={normalize}",
            segment(subject)
        );
        let body: IdBody = self
            .send_json(Method::POST, &path, serde_json::to_value(schema).unwrap())
            .await?;
        self.inner.ids.insert(key, body.id).await;
        Ok(body.id)
    }

    /// The version of `schema` under `subject` (`POST /subjects/{s}`); 404 when absent.
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<RegisteredSchema> {
        let path = format!(
            "/subjects/{}?normalize={normalize}&deleted=false",
            segment(subject)
        );
        let found: RegisteredSchema = self
            .send_json(Method::POST, &path, serde_json::to_value(schema).unwrap())
            .await?;
        let key = SchemaKey {
            subject: subject.to_owned(),
            schema: schema.clone(),
            normalize,
        };
        self.inner.ids.insert(key, found.id).await;
        Ok(found)
    }

    /// The id of `schema` under `subject`, from the cache or by lookup.
    pub async fn get_id(&self, subject: &str, schema: &Schema, normalize: bool) -> Result<u32> {
        let key = SchemaKey {
            subject: subject.to_owned(),
            schema: schema.clone(),
            normalize,
        };
        if let Some(id) = self.inner.ids.get(&key).await {
            return Ok(id);
        }
        Ok(self.lookup(subject, schema, normalize).await?.id)
    }

    /// The schema with global id `id` (`GET /schemas/ids/{id}`), cached for good (ids are
    /// immutable). A 404 becomes [`Error::UnknownSchemaId`].
    pub async fn get_by_id(&self, id: u32) -> Result<Arc<Schema>> {
        self.inner
            .by_id
            .try_get_with(id, async move {
                match self.get::<Schema>(&format!("/schemas/ids/{id}")).await {
                    Ok(s) => Ok(Arc::new(s)),
                    Err(e) if e.is_not_found() => Err(Error::UnknownSchemaId(id)),
                    Err(e) => Err(e),
                }
            })
            .await
            .map_err(|e: Arc<Error>| (*e).clone())
    }

    /// A version of a subject (cached).
    pub async fn get_version(&self, subject: &str, version: i32) -> Result<Arc<RegisteredSchema>> {
        self.inner
            .versions
            .try_get_with((subject.to_owned(), version), async move {
                let path = format!("/subjects/{}/versions/{version}", segment(subject));
                self.get::<RegisteredSchema>(&path).await.map(Arc::new)
            })
            .await
            .map_err(|e: Arc<Error>| (*e).clone())
    }

    /// The latest version of a subject (cached for `latest_ttl`).
    pub async fn get_latest_version(&self, subject: &str) -> Result<Arc<RegisteredSchema>> {
        let fetch = async move {
            let path = format!("/subjects/{}/versions/latest", segment(subject));
            self.get::<RegisteredSchema>(&path).await.map(Arc::new)
        };
        match &self.inner.latest {
            Some(cache) => cache
                .try_get_with(subject.to_owned(), fetch)
                .await
                .map_err(|e: Arc<Error>| (*e).clone()),
            None => fetch.await,
        }
    }

    /// Subjects, sorted as the server returns them.
    pub async fn get_subjects(&self, deleted: bool) -> Result<Vec<String>> {
        self.get(&format!("/subjects?deleted={deleted}")).await
    }

    /// Version numbers of a subject.
    pub async fn get_versions(&self, subject: &str) -> Result<Vec<i32>> {
        self.get(&format!("/subjects/{}/versions", segment(subject)))
            .await
    }

    /// Test `schema` against a subject (`verbose=true`, so reasons come back).
    pub async fn test_compatibility(
        &self,
        subject: &str,
        version: VersionSelector,
        schema: &Schema,
    ) -> Result<CompatibilityResult> {
        let path = format!(
            "/compatibility/subjects/{}/versions{}?verbose=true",
            segment(subject),
            version_segment(version)
        );
        self.send_json(Method::POST, &path, serde_json::to_value(schema).unwrap())
            .await
    }

    /// Soft (or, with `permanent`, hard) delete of a subject: the deleted versions.
    /// Evicts the subject's cached versions.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        let path = format!("/subjects/{}?permanent={permanent}", segment(subject));
        let versions: Vec<i32> = parse(&self.request(Method::DELETE, &path, None).await?)?;
        self.evict_subject(subject);
        Ok(versions)
    }

    /// Delete one version: its number. Evicts the subject's cached versions.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: i32,
        permanent: bool,
    ) -> Result<i32> {
        let path = format!(
            "/subjects/{}/versions/{version}?permanent={permanent}",
            segment(subject)
        );
        let deleted: i32 = parse(&self.request(Method::DELETE, &path, None).await?)?;
        self.evict_subject(subject);
        Ok(deleted)
    }

    fn evict_subject(&self, subject: &str) {
        let owned = subject.to_owned();
        let _ = self
            .inner
            .versions
            .invalidate_entries_if(move |(s, _), _| *s == owned);
        let owned = subject.to_owned();
        let _ = self
            .inner
            .ids
            .invalidate_entries_if(move |k, _| k.subject == owned);
        if let Some(latest) = &self.inner.latest {
            let owned = subject.to_owned();
            let _ = latest.invalidate_entries_if(move |s, _| *s == owned);
        }
    }

    // ------------------------------------------------------------------ config and mode

    fn config_path(subject: Option<&str>) -> String {
        match subject {
            Some(s) => format!("/config/{}", segment(s)),
            None => "/config".to_owned(),
        }
    }

    fn mode_path(subject: Option<&str>) -> String {
        match subject {
            Some(s) => format!("/mode/{}", segment(s)),
            None => "/mode".to_owned(),
        }
    }

    /// The configuration of a subject (falling back to the global one), or the global one.
    pub async fn get_config(&self, subject: Option<&str>) -> Result<ServerConfig> {
        let mut path = Self::config_path(subject);
        if subject.is_some() {
            path.push_str("?defaultToGlobal=true");
        }
        self.get(&path).await
    }

    /// The effective compatibility level of a subject (or the global one).
    pub async fn get_compatibility(&self, subject: Option<&str>) -> Result<String> {
        self.get_config(subject)
            .await?
            .compatibility_level
            .ok_or_else(|| Error::BadResponse("no compatibilityLevel in config".into()))
    }

    /// Set the compatibility level of a subject (or the global one): the level set.
    pub async fn set_compatibility(&self, subject: Option<&str>, level: &str) -> Result<String> {
        #[derive(Deserialize)]
        struct Body {
            compatibility: String,
        }
        let body: Body = self
            .send_json(
                Method::PUT,
                &Self::config_path(subject),
                json!({ "compatibility": level }),
            )
            .await?;
        Ok(body.compatibility)
    }

    /// Remove a subject's own configuration (it then follows the global one).
    pub async fn delete_config(&self, subject: &str) -> Result<()> {
        self.request(Method::DELETE, &Self::config_path(Some(subject)), None)
            .await
            .map(|_| ())
    }

    /// The mode (`READWRITE`, `READONLY`, `IMPORT`) of a subject (with fallback) or global.
    pub async fn get_mode(&self, subject: Option<&str>) -> Result<String> {
        #[derive(Deserialize)]
        struct Body {
            mode: String,
        }
        let mut path = Self::mode_path(subject);
        if subject.is_some() {
            path.push_str("?defaultToGlobal=true");
        }
        Ok(self.get::<Body>(&path).await?.mode)
    }

    /// Set the mode of a subject or the global mode: the mode set.
    pub async fn set_mode(&self, subject: Option<&str>, mode: &str, force: bool) -> Result<String> {
        #[derive(Deserialize)]
        struct Body {
            mode: String,
        }
        let path = format!("{}?force={force}", Self::mode_path(subject));
        let body: Body = self
            .send_json(Method::PUT, &path, json!({ "mode": mode }))
            .await?;
        Ok(body.mode)
    }

    /// Resolve the references of `schema` (transitively, dependencies first) into the form
    /// `schemata-compat` parses.
    pub async fn resolve_references(
        &self,
        schema: &Schema,
    ) -> Result<Vec<schemata_compat::ResolvedReference>> {
        let mut out: Vec<schemata_compat::ResolvedReference> = Vec::new();
        // Iterative depth-first walk; a name already resolved is not fetched again.
        let mut stack: Vec<(crate::types::SchemaReference, bool)> = schema
            .references
            .iter()
            .rev()
            .map(|r| (r.clone(), false))
            .collect();
        let mut fetched: std::collections::HashMap<String, Arc<RegisteredSchema>> =
            Default::default();
        while let Some((reference, expanded)) = stack.pop() {
            if out.iter().any(|r| r.name == reference.name) {
                continue;
            }
            let registered = match fetched.get(&reference.name) {
                Some(r) => r.clone(),
                None => {
                    let r = self
                        .get_version(&reference.subject, reference.version)
                        .await?;
                    fetched.insert(reference.name.clone(), r.clone());
                    r
                }
            };
            if expanded || registered.schema.references.is_empty() {
                out.push(schemata_compat::ResolvedReference {
                    name: reference.name.clone(),
                    schema_type: registered.schema.schema_type.to_compat(),
                    schema: registered.schema.schema.clone(),
                });
            } else {
                if stack.len() > 10_000 {
                    return Err(Error::InvalidSchema("reference graph too deep".into()));
                }
                stack.push((reference, true));
                for dep in registered.schema.references.iter().rev() {
                    stack.push((dep.clone(), false));
                }
            }
        }
        Ok(out)
    }

    /// Parse a schema from the registry with `schemata-compat`, references resolved.
    pub async fn parse_schema(&self, schema: &Schema) -> Result<schemata_compat::ParsedSchema> {
        let references = self.resolve_references(schema).await?;
        schemata_compat::ParsedSchema::parse(
            schema.schema_type.to_compat(),
            &schema.schema,
            &references,
            Default::default(),
        )
        .map_err(|e| Error::InvalidSchema(e.to_string()))
    }
}

/// A `SchemaType` check shared by the deserializers.
pub(crate) fn expect_type(id: u32, schema: &Schema, expected: SchemaType) -> Result<()> {
    if schema.schema_type != expected {
        return Err(Error::WrongSchemaType {
            id,
            actual: schema.schema_type.to_string(),
            expected: expected.to_string(),
        });
    }
    Ok(())
}
/// An error with the causes under it (`error sending request: client error (Connect):
/// tcp connect error: Connection refused (os error 111)`): the top line alone does not say
/// what went wrong. A cause whose text its parent already shows is not repeated.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let line = inner.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = inner.source();
    }
    text
}
