//! Where the verification keys come from and how they are kept fresh (`docs/rest-api.md`
//! §10): a JWKS file or URL, read at start (the server does not start without a usable
//! key), read again every `--jwks-refresh` seconds and when a token names a key id that is
//! not known. Reads for unknown key ids are at most one per `refetch_interval` (and one at
//! a time; requests that wait for it use its result), so tokens with made-up key ids cannot
//! make the server hammer the identity provider. A fetch has a time limit and a size bound;
//! a failed one keeps the keys already loaded.

use super::keys::{KeySet, Parsed};
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Largest JWKS document read, in bytes.
pub(super) const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;
/// Time a fetch of a JWKS URL may take, connection included.
pub(super) const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A JWKS file or URL.
enum Source {
    File(PathBuf),
    Url(reqwest::Url, reqwest::Client),
}

impl Source {
    fn new(location: &str) -> Result<Source, String> {
        let lower = location.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Ok(Source::File(PathBuf::from(location)));
        }
        let url = reqwest::Url::parse(location).map_err(|e| format!("invalid JWKS URL: {e}"))?;
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| format!("cannot build the JWKS HTTP client: {e}"))?;
        Ok(Source::Url(url, client))
    }

    /// For logs and errors: a URL without credentials or query.
    fn describe(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Url(url, _) => {
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                let host = url.host_str().unwrap_or_default();
                format!("{}://{host}{port}{}", url.scheme(), url.path())
            }
        }
    }

    /// Whether the keys travel where they could be changed on the way (plain HTTP to
    /// another host).
    fn tamperable(&self) -> bool {
        let Source::Url(url, _) = self else {
            return false;
        };
        let host = url.host_str().unwrap_or_default();
        let ip = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = host.eq_ignore_ascii_case("localhost")
            || ip
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        url.scheme() == "http" && !loopback
    }

    async fn read(&self) -> Result<Vec<u8>, String> {
        match self {
            Source::File(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || read_file(&path))
                    .await
                    .map_err(|e| format!("the file read did not finish: {e}"))?
            }
            Source::Url(url, client) => fetch(client, url).await,
        }
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut document = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut document)
        .map_err(|e| e.to_string())?;
    if document.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(format!("larger than {MAX_DOCUMENT_BYTES} bytes"));
    }
    Ok(document)
}

async fn fetch(client: &reqwest::Client, url: &reqwest::Url) -> Result<Vec<u8>, String> {
    // reqwest's own message is only "error sending request": its causes follow it.
    let failed = |e: reqwest::Error| {
        let e = e.without_url();
        let mut message = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            message.push_str(&format!(": {c}"));
            cause = c.source();
        }
        message
    };
    let mut response = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(failed)?;
    if !response.status().is_success() {
        return Err(format!("answered HTTP {}", response.status()));
    }
    if response
        .content_length()
        .is_some_and(|l| l > MAX_DOCUMENT_BYTES)
    {
        return Err(format!("larger than {MAX_DOCUMENT_BYTES} bytes"));
    }
    let mut document = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if (document.len() + chunk.len()) as u64 > MAX_DOCUMENT_BYTES {
            return Err(format!("larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
        document.extend_from_slice(&chunk);
    }
    Ok(document)
}

/// The keys in use, and how they are refreshed.
pub(super) struct Jwks {
    source: Source,
    keys: RwLock<Arc<KeySet>>,
    /// When the last read for an unknown key id started; held while one runs.
    on_demand: Mutex<Option<Instant>>,
    refetch_interval: Duration,
}

impl Jwks {
    /// Read the keys once; an error names the source and the cause.
    pub(super) async fn load(location: &str, refetch_interval: Duration) -> Result<Jwks, String> {
        let source = Source::new(location)?;
        if source.tamperable() {
            tracing::warn!(
                jwks = %source.describe(),
                "the JWKS is fetched over plain HTTP: whoever can change it on the way can sign tokens; use HTTPS"
            );
        }
        let keys = read(&source)
            .await
            .map_err(|e| format!("cannot load the JWKS {}: {e}", source.describe()))?;
        Ok(Jwks {
            source,
            keys: RwLock::new(Arc::new(keys)),
            on_demand: Mutex::new(None),
            refetch_interval,
        })
    }

    pub(super) fn keys(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Read the keys again; on failure the previous ones stay, and why is logged.
    pub(super) async fn refresh(&self) {
        match read(&self.source).await {
            Ok(keys) => {
                tracing::debug!(jwks = %self.source.describe(), keys = keys.len(), "JWKS read");
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
            }
            Err(e) => tracing::warn!(
                jwks = %self.source.describe(),
                "cannot read the JWKS, keeping the keys already loaded: {e}"
            ),
        }
    }

    /// A token names a key that `seen` does not hold: read the keys again, unless another
    /// request already did while this one waited, or the last such read was less than
    /// `refetch_interval` ago.
    pub(super) async fn refresh_for_unknown_key(&self, seen: &Arc<KeySet>, now: Instant) {
        let mut last = self.on_demand.lock().await;
        if !Arc::ptr_eq(&self.keys(), seen) {
            return;
        }
        if last.is_some_and(|at| now.saturating_duration_since(at) < self.refetch_interval) {
            return;
        }
        *last = Some(now);
        tracing::info!(jwks = %self.source.describe(), "a token names an unknown key id: reading the JWKS again");
        self.refresh().await;
    }

    /// Read the keys again every `every`, for as long as they are in use.
    pub(super) fn refresh_every(self: &Arc<Self>, every: Duration) {
        let jwks: Weak<Jwks> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(jwks) = jwks.upgrade() else {
                    return;
                };
                jwks.refresh().await;
            }
        });
    }
}

async fn read(source: &Source) -> Result<KeySet, String> {
    let document = source.read().await?;
    let Parsed { keys, skipped } = KeySet::parse(&document)?;
    for why in skipped {
        tracing::warn!(jwks = %source.describe(), "JWKS key skipped: {why}");
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_files_unless_they_are_http_urls() {
        assert!(matches!(Source::new("/etc/jwks.json"), Ok(Source::File(_))));
        assert!(matches!(Source::new("jwks.json"), Ok(Source::File(_))));
        let url = Source::new("https://user:pw@idp.example:8443/certs?key=x").unwrap();
        assert_eq!(url.describe(), "https://idp.example:8443/certs");
        assert!(!url.tamperable());
        assert!(Source::new("http://idp.example/certs")
            .unwrap()
            .tamperable());
        assert!(!Source::new("http://127.0.0.1:9/certs")
            .unwrap()
            .tamperable());
        assert!(!Source::new("http://localhost/certs").unwrap().tamperable());
        assert!(!Source::new("http://[::1]:80/certs").unwrap().tamperable());
        assert!(Source::new("https://").is_err());
    }

    #[test]
    fn a_file_larger_than_the_bound_is_refused() {
        let path = std::env::temp_dir().join(format!("jwks-{}.json", std::process::id()));
        std::fs::write(&path, vec![b' '; MAX_DOCUMENT_BYTES as usize + 1]).unwrap();
        let refused = read_file(&path);
        std::fs::remove_file(&path).unwrap();
        assert!(refused.unwrap_err().contains("larger than"));
    }
}
