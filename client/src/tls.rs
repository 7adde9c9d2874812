//! HTTPS to the registry (docs/tls.md): rustls with the aws-lc-rs provider; the server's
//! certificate is checked against the system's roots, or only against the CAs given with
//! [`TlsOptions::ca_pem`]; a client certificate and key for registries that require one.

use crate::error::{Error, Result};

/// What the client trusts and presents over HTTPS. Plain-HTTP URLs ignore it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM CA certificates that replace the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// The client certificate chain (PEM, leaf first) and its private key (PEM).
    pub client_pem: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for TlsOptions {
    // The private key is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<PEM>"))
            .field(
                "client_pem",
                &self.client_pem.as_ref().map(|_| "<PEM, key ***>"),
            )
            .finish()
    }
}

/// reqwest's builder with these options applied.
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
    options: &TlsOptions,
) -> Result<reqwest::ClientBuilder> {
    // reqwest takes rustls' process-wide provider; aws-lc-rs unless the program chose another.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut builder = builder.tls_backend_rustls();
    if let Some(pem) = &options.ca_pem {
        let roots = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| Error::Config(format!("CA certificates: {e}")))?;
        if roots.is_empty() {
            return Err(Error::Config(
                "CA certificates: no CERTIFICATE in the PEM".into(),
            ));
        }
        builder = builder.tls_certs_only(roots);
    }
    if let Some((cert, key)) = &options.client_pem {
        let mut both = cert.clone();
        both.push(b'\n');
        both.extend_from_slice(key);
        // reqwest's message could quote the key's bytes: only what is wrong is said.
        let identity = reqwest::Identity::from_pem(&both).map_err(|_| {
            Error::Config(
                "client certificate and key: not a PEM certificate and private key".into(),
            )
        })?;
        builder = builder.identity(identity);
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_never_printed() {
        let options = TlsOptions {
            ca_pem: Some(b"-----BEGIN CERTIFICATE-----".to_vec()),
            client_pem: Some((b"CERT".to_vec(), b"SECRET KEY BYTES".to_vec())),
        };
        let printed = format!("{options:?}");
        assert!(!printed.contains("SECRET"), "{printed}");
        assert!(printed.contains("key ***"), "{printed}");
    }

    #[test]
    fn unusable_pem_is_a_configuration_error() {
        let no_ca = TlsOptions {
            ca_pem: Some(b"not a certificate".to_vec()),
            client_pem: None,
        };
        let error = configure(reqwest::Client::builder(), &no_ca).unwrap_err();
        assert!(matches!(error, Error::Config(ref m) if m.contains("CA certificates")));
        let key_only = TlsOptions {
            ca_pem: None,
            client_pem: Some((b"no certificate".to_vec(), b"secret-ish".to_vec())),
        };
        let error = configure(reqwest::Client::builder(), &key_only).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("client certificate and key"), "{message}");
        assert!(!message.contains("secret-ish"), "{message}");
    }
}
