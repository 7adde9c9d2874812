//! `schemata health`: one request to a running server's `/health` (or `/ready`), exit 0 when
//! it answers 200 and 1 otherwise. A few lines of HTTP/1.1 on a socket, so a container image
//! needs no curl for its HEALTHCHECK.

use super::options::HealthArgs;
use std::process::ExitCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub(super) async fn run(args: HealthArgs) -> ExitCode {
    let path = if args.ready { "/ready" } else { "/health" };
    let timeout = Duration::from_secs(args.timeout.max(1));
    match tokio::time::timeout(timeout, status_of(&args.url, path)).await {
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

/// The HTTP status `GET {base}{path}` answers with.
async fn status_of(base: &str, path: &str) -> Result<u16, String> {
    let authority = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("{base}: only http:// URLs are supported"))?
        .trim_end_matches('/');
    let (host, prefix) = authority.split_once('/').unwrap_or((authority, ""));
    let address = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("/{prefix}")
    };
    let request =
        format!("GET {prefix}{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
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
