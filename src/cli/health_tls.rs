//! The TLS side of `schemata health` (docs/tls.md §4): a rustls connector trusting the
//! system's roots or only `--ca`, presenting `--cert`/`--cert-key` when given, offering
//! HTTP/1.1.

use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// A connector for `https://` health URLs; the error names the flag and file at fault.
pub(super) fn connector(
    ca: Option<&Path>,
    client: Option<(&Path, &Path)>,
) -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(path) => {
            for cert in certificates(path, "--ca")? {
                roots
                    .add(cert)
                    .map_err(|e| format!("--ca {}: {e}", path.display()))?;
            }
        }
        None => {
            let (added, _) =
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            if added == 0 {
                return Err("no system root certificates found; give --ca".into());
            }
        }
    }
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let mut config = match client {
        Some((cert, key)) => {
            let chain = certificates(cert, "--cert")?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|_| format!("--cert-key {}: no PEM private key", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("--cert and --cert-key: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

fn certificates(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|_| format!("{flag} {}: cannot read PEM certificates", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no CERTIFICATE in the file",
            path.display()
        ));
    }
    Ok(certs)
}
