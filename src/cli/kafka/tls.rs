//! TLS to the Kafka cluster (`security.protocol` SSL and SASL_SSL, docs/migration.md §5.3)
//! on this build's one crypto provider, aws-lc-rs. The Kafka client (rskafka) would bring
//! TLS only with a second provider, so it is given TLS through its SOCKS5 hook instead: a
//! relay in this process, on a loopback port, takes the client's SOCKS5 `CONNECT broker:port`,
//! opens the TLS connection to that broker itself (its certificate checked against
//! `ssl.ca.location` or the system's roots, its name against the broker's host unless
//! `ssl.endpoint.identification.algorithm=none`, the client certificate presented when
//! given) and passes the bytes through. Every broker the cluster's metadata names is reached
//! the same way. The relay serves only sockets of this process (checked in `/proc`), so no
//! other local user can borrow its connections or its client certificate.

use anyhow::{bail, Context as _};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

/// The `ssl.*` options, as librdkafka names them.
#[derive(Default)]
pub(super) struct TlsOptions {
    pub ca: Option<String>,
    pub certificate: Option<String>,
    pub key: Option<String>,
    pub key_password_given: bool,
    /// `ssl.endpoint.identification.algorithm`: `https` (the default) checks the broker's
    /// name, `none` only its chain.
    pub check_name: bool,
}

/// The client side of TLS to the brokers, built from the options.
pub(super) fn client_config(options: &TlsOptions) -> anyhow::Result<Arc<ClientConfig>> {
    if options.key_password_given {
        bail!(
            "ssl.key.password: encrypted private keys are not supported; give ssl.key.location \
             an unencrypted PEM key (openssl pkey -in KEY -out KEY.plain) and protect the file"
        );
    }
    let provider = Arc::new(aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    match &options.ca {
        Some(path) => {
            for cert in certificates(Path::new(path), "ssl.ca.location")? {
                roots
                    .add(cert)
                    .with_context(|| format!("ssl.ca.location {path}"))?;
            }
        }
        None => {
            let (added, _) =
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            if added == 0 {
                bail!("no system root certificates found; give ssl.ca.location");
            }
        }
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .context("ssl.ca.location: no usable CA certificate")?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let builder = if options.check_name {
        builder.with_webpki_verifier(webpki)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyName(webpki)))
    };
    let config = match (&options.certificate, &options.key) {
        (Some(cert), Some(key)) => {
            let chain = certificates(Path::new(cert), "ssl.certificate.location")?;
            builder
                .with_client_auth_cert(chain, private_key(Path::new(key))?)
                .context("ssl.certificate.location and ssl.key.location")?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => bail!("ssl.certificate.location and ssl.key.location go together"),
    };
    Ok(Arc::new(config))
}

fn certificates(path: &Path, option: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|_| {
            anyhow::anyhow!("{option} {}: cannot read PEM certificates", path.display())
        })?;
    if certs.is_empty() {
        bail!("{option} {}: no CERTIFICATE in the file", path.display());
    }
    Ok(certs)
}

/// An unencrypted PEM private key; an encrypted one is refused by name.
fn private_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let text = std::fs::read(path)
        .with_context(|| format!("ssl.key.location {}: cannot read", path.display()))?;
    let encrypted = |marker: &[u8]| text.windows(marker.len()).any(|w| w == marker);
    if encrypted(b"ENCRYPTED PRIVATE KEY") || encrypted(b"Proc-Type: 4,ENCRYPTED") {
        bail!(
            "ssl.key.location {}: the key is encrypted, which is not supported; decrypt it \
             (openssl pkey -in KEY -out KEY.plain) and protect the file",
            path.display()
        );
    }
    PrivateKeyDer::from_pem_slice(&text)
        .map_err(|_| anyhow::anyhow!("ssl.key.location {}: no PEM private key", path.display()))
}

/// `ssl.endpoint.identification.algorithm=none`: the broker's chain is checked, its name not.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, tokio_rustls::rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(tokio_rustls::rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The relay: a loopback SOCKS5 port for the Kafka client, TLS to the brokers. Stopped when
/// dropped (connections already relayed end with their client).
pub(super) struct Relay {
    addr: SocketAddr,
    last_error: Arc<Mutex<Option<String>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Relay {
    /// Listen on a loopback port; `timeout` bounds each broker's connect and handshake.
    pub(super) async fn start(
        config: Arc<ClientConfig>,
        timeout: Duration,
    ) -> anyhow::Result<Relay> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot open the loopback port of the Kafka TLS relay")?;
        let addr = listener.local_addr()?;
        let last_error = Arc::new(Mutex::new(None));
        let connector = TlsConnector::from(config);
        let errors = last_error.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, peer)) = listener.accept().await else {
                    continue;
                };
                let (connector, errors) = (connector.clone(), errors.clone());
                tokio::spawn(async move {
                    if !own_socket(peer, addr) {
                        tracing::warn!(%peer, "Kafka TLS relay: refused a connection from outside this process");
                        return;
                    }
                    if let Err(why) = relay(inbound, connector, timeout).await {
                        tracing::debug!("Kafka TLS relay: {why}");
                        *errors.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                    }
                });
            }
        });
        Ok(Relay {
            addr,
            last_error,
            accept,
        })
    }

    /// `127.0.0.1:PORT`, for the client's SOCKS5 setting.
    pub(super) fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Why the last connection to a broker failed, if one did: the client itself only
    /// learns that its proxy could not connect.
    pub(super) fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// SOCKS5 replies: success, general failure, host unreachable, command not supported.
const SUCCEEDED: u8 = 0;
const FAILED: u8 = 1;
const UNREACHABLE: u8 = 4;
const UNSUPPORTED: u8 = 7;

/// One client connection: the SOCKS5 greeting (no authentication) and CONNECT, then TLS to
/// the named broker, then bytes both ways until either side closes.
async fn relay(
    mut inbound: TcpStream,
    connector: TlsConnector,
    timeout: Duration,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("SOCKS5 from the Kafka client: {e}");
    let mut head = [0u8; 2];
    inbound.read_exact(&mut head).await.map_err(io)?;
    let mut methods = vec![0u8; usize::from(head[1])];
    inbound.read_exact(&mut methods).await.map_err(io)?;
    if head[0] != 5 || !methods.contains(&0) {
        let _ = inbound.write_all(&[5, 0xff]).await;
        return Err("SOCKS5 from the Kafka client: no usable method".into());
    }
    inbound.write_all(&[5, 0]).await.map_err(io)?;
    let mut request = [0u8; 4];
    inbound.read_exact(&mut request).await.map_err(io)?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            inbound.read_exact(&mut ip).await.map_err(io)?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            inbound.read_exact(&mut len).await.map_err(io)?;
            let mut name = vec![0u8; usize::from(len[0])];
            inbound.read_exact(&mut name).await.map_err(io)?;
            String::from_utf8(name).map_err(|_| "SOCKS5: a host name that is not UTF-8")?
        }
        4 => {
            let mut ip = [0u8; 16];
            inbound.read_exact(&mut ip).await.map_err(io)?;
            std::net::Ipv6Addr::from(ip).to_string()
        }
        _ => {
            reply(&mut inbound, UNSUPPORTED).await;
            return Err("SOCKS5: unknown address type".into());
        }
    };
    let mut port = [0u8; 2];
    inbound.read_exact(&mut port).await.map_err(io)?;
    let port = u16::from_be_bytes(port);
    if request[0] != 5 || request[1] != 1 {
        reply(&mut inbound, UNSUPPORTED).await;
        return Err("SOCKS5: only CONNECT is relayed".into());
    }
    let broker = format!("{host}:{port}");
    let outbound =
        match tokio::time::timeout(timeout, TcpStream::connect((host.as_str(), port))).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                reply(&mut inbound, UNREACHABLE).await;
                return Err(format!("cannot connect to {broker}: {e}"));
            }
            Err(_) => {
                reply(&mut inbound, UNREACHABLE).await;
                return Err(format!("cannot connect to {broker}: timed out"));
            }
        };
    let name = ServerName::try_from(host.clone())
        .map_err(|e| format!("{broker}: not a name TLS can check: {e}"))?;
    let mut tls = match tokio::time::timeout(timeout, connector.connect(name, outbound)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            reply(&mut inbound, FAILED).await;
            return Err(format!("TLS handshake with {broker} failed: {e}"));
        }
        Err(_) => {
            reply(&mut inbound, FAILED).await;
            return Err(format!("TLS handshake with {broker} failed: timed out"));
        }
    };
    reply(&mut inbound, SUCCEEDED).await;
    // Either side closing (or failing) ends the relay; the client sees the close.
    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut tls).await;
    Ok(())
}

async fn reply(inbound: &mut TcpStream, status: u8) {
    let _ = inbound
        .write_all(&[5, status, 0, 1, 0, 0, 0, 0, 0, 0])
        .await;
}

/// Whether the loopback connection from `peer` to the relay at `relay` was opened by this
/// process: its socket (the entry of `/proc/net/tcp` from `peer` to `relay`) is one of this
/// process's file descriptors. Anything that cannot be read counts as no.
fn own_socket(peer: SocketAddr, relay: SocketAddr) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/self/net/tcp") else {
        return false;
    };
    let port_of = |field: &str| {
        field
            .rsplit_once(':')
            .and_then(|(_, port)| u16::from_str_radix(port, 16).ok())
    };
    let inode = table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (local, remote, inode) = (fields.get(1)?, fields.get(2)?, fields.get(9)?);
        (port_of(local)? == peer.port() && port_of(remote)? == relay.port())
            .then(|| inode.to_string())
    });
    let Some(inode) = inode else {
        return false;
    };
    let wanted = format!("socket:[{inode}]");
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == wanted.as_str())
    })
}
