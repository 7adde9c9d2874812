//! HTTPS (docs/tls.md): the server's certificate and key, and with `--tls-client-ca` the CA
//! a client certificate must be signed by, loaded into one rustls configuration that
//! `reload` replaces on SIGHUP (a file that does not load keeps the old configuration and is
//! logged). `handshake` serves one TLS connection; `peer` reads the client certificate's
//! name.

mod handshake;
mod peer;

pub(super) use handshake::{serve_tls, TlsConnection};
pub use peer::PeerCertificate;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};

/// The files HTTPS is served from (`--tls-cert`, `--tls-key`, `--tls-client-ca`).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The server's certificate chain, PEM, leaf first.
    pub cert: PathBuf,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// When set, every client must present a certificate signed by one of these CAs (PEM).
    pub client_ca: Option<PathBuf>,
}

/// The TLS configuration in force, replaced whole by [`Tls::reload`]. Connections take the
/// current one when they start; those already open keep theirs.
pub struct Tls {
    files: TlsFiles,
    current: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Read the files; the error names the file and what is wrong with it.
    pub fn load(files: TlsFiles) -> Result<Tls, String> {
        let config = server_config(&files)?;
        Ok(Tls {
            files,
            current: RwLock::new(Arc::new(config)),
        })
    }

    /// Whether clients must present a certificate.
    pub fn requires_client_certificates(&self) -> bool {
        self.files.client_ca.is_some()
    }

    /// Read the files again. On success they serve every new connection; on failure the
    /// configuration in force stays and the error says why.
    pub fn reload(&self) -> Result<(), String> {
        let config = server_config(&self.files)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
        Ok(())
    }

    pub(super) fn current(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Make rustls' `aws-lc-rs` provider the process default, unless one was chosen already. The
/// server names its provider itself; this is for reqwest (through `schemata-client`, built
/// with rustls but no provider of its own), whose clients cannot be built without a default
/// (docs/tls.md §4).
pub fn use_default_crypto() {
    let _ = aws_lc_rs::default_provider().install_default();
}

/// Re-read the TLS files on every SIGHUP, for the life of the process.
#[cfg(unix)]
pub(super) fn reload_on_hangup(tls: Arc<Tls>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!("SIGHUP: TLS certificate and key reloaded"),
                Err(e) => tracing::error!(
                    "SIGHUP: TLS files not reloaded, the previous ones stay in use: {e}"
                ),
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn reload_on_hangup(_: Arc<Tls>) -> std::io::Result<()> {
    Ok(())
}

fn server_config(files: &TlsFiles) -> Result<ServerConfig, String> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let certs = certificates(&files.cert, "--tls-cert")?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("--tls-key {}: {}", files.key.display(), pem_error(e)))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match &files.client_ca {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for cert in certificates(path, "--tls-client-ca")? {
                roots
                    .add(cert)
                    .map_err(|e| format!("--tls-client-ca {}: {e}", path.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("--tls-client-ca {}: {e}", path.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        format!(
            "--tls-cert {} and --tls-key {}: {e}",
            files.cert.display(),
            files.key.display()
        )
    })?;
    // HTTP/2 when the client offers it, HTTP/1.1 otherwise.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Every certificate of a PEM file; none is an error.
fn certificates(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{flag} {}: {}", path.display(), pem_error(e)))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no CERTIFICATE in the PEM file",
            path.display()
        ));
    }
    Ok(certs)
}

fn pem_error(e: tokio_rustls::rustls::pki_types::pem::Error) -> String {
    use tokio_rustls::rustls::pki_types::pem::Error;
    match e {
        Error::Io(e) => e.to_string(),
        Error::NoItemsFound => "no PEM section of the expected kind".into(),
        // The decoder's message would quote bytes of what may be a private key.
        Error::Base64Decode(_) => "a PEM section is not valid base64".into(),
        other => other.to_string(),
    }
}
