//! What one client can hold of the server (docs/rest-api.md §8): a connection that never
//! finishes its headers or sits idle is closed, a trickling body is answered 408, a
//! connection over the cap is answered 503, and a body that finds no room in the
//! buffered-bytes budget waits, then is answered 503. Each server here has small limits.

use crate::common::{fresh_database, store_options, TempDir};
use schemata::api::limits::ServerLimits;
use schemata::registry::RegistryOptions;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any limit below: a test waiting this long has found the limit missing.
const PATIENCE: Duration = Duration::from_secs(20);

struct Server {
    addr: String,
    _dir: Option<TempDir>,
}

async fn serve(limits: ServerLimits) -> Server {
    let (url, dir) = fresh_database(crate::common::Backend::Sqlite).await;
    let mut state = schemata::build_state(&url, RegistryOptions::default(), &store_options(4))
        .await
        .expect("start registry");
    state.limits = limits;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(schemata::api::serve(listener, state));
    Server { addr, _dir: dir }
}

fn limits() -> ServerLimits {
    ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        buffered_wait: Duration::from_millis(200),
        ..ServerLimits::default()
    }
}

/// Read until the server closes the connection (or PATIENCE runs out: a failure).
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    match tokio::time::timeout(PATIENCE, stream.read_to_end(&mut out)).await {
        Ok(_) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => panic!(
            "still connected after {PATIENCE:?}; received {:?}",
            String::from_utf8_lossy(&out)
        ),
    }
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let server = serve(limits()).await;
    let mut stream = TcpStream::connect(&server.addr).await.unwrap();
    stream
        .write_all(b"GET /schemas/types HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    read_until_closed(&mut stream).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = serve(limits()).await;
    let mut stream = TcpStream::connect(&server.addr).await.unwrap();
    stream
        .write_all(b"GET /schemas/types HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_body_that_trickles_is_answered_408() {
    let server = serve(limits()).await;
    let mut stream = TcpStream::connect(&server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /subjects/s/versions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"schema\":",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error_code":408"#), "{answer}");
}

#[tokio::test]
async fn a_connection_over_the_cap_is_answered_503_and_closed() {
    let server = serve(ServerLimits {
        max_connections: 2,
        ..ServerLimits::default()
    })
    .await;
    let first = TcpStream::connect(&server.addr).await.unwrap();
    let second = TcpStream::connect(&server.addr).await.unwrap();
    // The server has accepted both once it answers a request on one of them.
    let mut second = second;
    second
        .write_all(b"GET /schemas/types HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 12];
    second.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");

    let mut third = TcpStream::connect(&server.addr).await.unwrap();
    third
        .write_all(b"GET /schemas/types HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(body).expect("an error envelope");
    assert_eq!(body["error_code"], 503);

    // A place freed is a place taken again.
    drop(first);
    drop(second);
    let mut answered = false;
    for _ in 0..100 {
        let mut again = TcpStream::connect(&server.addr).await.unwrap();
        again
            .write_all(b"GET /schemas/types HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        if read_until_closed(&mut again)
            .await
            .starts_with("HTTP/1.1 200")
        {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answered, "the freed places were never given back");
}

#[tokio::test]
async fn a_body_that_finds_no_room_is_answered_503_and_one_that_does_is_read() {
    let server = serve(ServerLimits {
        max_buffered_bytes: 64 * 1024,
        buffered_wait: Duration::from_millis(200),
        body_read_timeout: Duration::from_secs(10),
        ..ServerLimits::default()
    })
    .await;
    // Holds 60 KiB of the 64 KiB budget while its body is (slowly) arriving.
    let mut holder = TcpStream::connect(&server.addr).await.unwrap();
    holder
        .write_all(
            b"POST /subjects/s/versions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 61440\r\n\r\n{",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let client = reqwest::Client::new();
    let schema =
        serde_json::json!({"type": "record", "name": "r", "fields": [], "doc": "x".repeat(20_000)});
    let body = serde_json::json!({ "schema": schema.to_string() }).to_string();
    let url = format!("http://{}/subjects/t/versions", server.addr);
    let refused = client.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let envelope: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(envelope["error_code"], 503, "{envelope}");

    // Small bodies still fit, and reads need no room at all.
    let small = client
        .post(format!("http://{}/subjects/u/versions", server.addr))
        .body(r#"{"schema": "\"string\""}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    let read = client
        .get(format!("http://{}/schemas/ids/1", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);

    // Once the holder goes away, the large body is read.
    drop(holder);
    let mut accepted = None;
    for _ in 0..100 {
        let reply = client.post(&url).body(body.clone()).send().await.unwrap();
        if reply.status() != 503 {
            accepted = Some(reply.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(accepted, Some(reqwest::StatusCode::OK));
}
