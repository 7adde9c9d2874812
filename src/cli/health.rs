//! `schemata health`: one request to a running server's `/health` (or `/ready`), exit 0 when
//! it answers 200 and 1 otherwise. A few lines of HTTP/1.1 on a socket (over TLS for an
//! `https://` URL, `health_tls`), so a container image needs no curl for its HEALTHCHECK.

use super::options::HealthArgs;
use std::process::ExitCode;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub(super) async fn run(args: HealthArgs) -> ExitCode {
    let path = if args.ready { "/ready" } else { "/health" };
    let timeout = Duration::from_secs(args.timeout.max(1));
    match tokio::time::timeout(timeout, status_of(&args, path)).await {
        Ok(Ok(200)) => {
            println!("{path}: 200 OK");
            ExitCode::SUCCESS
        }
        Ok(Ok(status)) => {
            println!("{path}: {status}");
            ExitCode::from(1)
        }
        Ok(Err(e)) => {
            println!("{path}: {e}");
            ExitCode::from(1)
        }
        Err(_) => {
            println!("{path}: no answer within {} s", timeout.as_secs());
            ExitCode::from(1)
        }
    }
}

/// The HTTP status `GET {url}{path}` answers with.
async fn status_of(args: &HealthArgs, path: &str) -> Result<u16, String> {
    let base = args.url.as_str();
    let (https, authority) = if let Some(rest) = base.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = base.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(format!(
            "{base}: only http:// and https:// URLs are supported"
        ));
    };
    let authority = authority.trim_end_matches('/');
    let (host, prefix) = authority.split_once('/').unwrap_or((authority, ""));
    let address = if host
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
    {
        host.to_string()
    } else if https {
        format!("{host}:443")
    } else {
        format!("{host}:80")
    };
    let stream = tokio::net::TcpStream::connect(&address)
        .await
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("/{prefix}")
    };
    let request =
        format!("GET {prefix}{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if !https {
        return exchange(stream, &request, &address).await;
    }
    let client = args.tls.cert.as_deref().zip(args.tls.cert_key.as_deref());
    let connector = super::health_tls::connector(args.tls.ca.as_deref(), client)?;
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = tokio_rustls::rustls::pki_types::ServerName::try_from(name.to_string())
        .map_err(|e| format!("{name}: {e}"))?;
    let stream = connector
        .connect(server_name, stream)
        .await
        .map_err(|e| format!("{address}: TLS: {e}"))?;
    exchange(stream, &request, &address).await
}

/// Send `request` and read the status of the answer.
async fn exchange(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    request: &str,
    address: &str,
) -> Result<u16, String> {
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("{address}: {e}"))?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..]).await {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(format!("{address}: {e}")),
        }
    }
    // "HTTP/1.1 200 OK": the status is the second word.
    String::from_utf8_lossy(&head[..read])
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{address}: not an HTTP answer"))
}
