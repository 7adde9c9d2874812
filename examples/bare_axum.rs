//! Baseline for `bench/get_by_id.sh`: a bare axum server that answers every GET with the
//! same bytes and content type Schemata returns for `GET /schemas/ids/{id}`.
//!
//! Usage: `bare_axum LISTEN_ADDR BODY_FILE [CONTENT_TYPE]`
//! (content type defaults to `application/vnd.schemaregistry.v1+json`).
//! The runtime is tokio's multi-threaded one with default settings, as in Schemata.

use axum::{
    body::Bytes,
    http::{header, HeaderValue},
    response::IntoResponse,
    routing::get,
    Router,
};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:18080".to_owned());
    let body_file = args
        .next()
        .expect("usage: bare_axum LISTEN_ADDR BODY_FILE [CONTENT_TYPE]");
    let content_type = args
        .next()
        .unwrap_or_else(|| "application/vnd.schemaregistry.v1+json".to_owned());

    let body = Bytes::from(std::fs::read(&body_file)?);
    let content_type = HeaderValue::from_str(&content_type).expect("valid content type");

    let handler = move || {
        let body = body.clone();
        let content_type = content_type.clone();
        async move { ([(header::CONTENT_TYPE, content_type)], body).into_response() }
    };
    let app = Router::new().route("/schemas/ids/{id}", get(handler));

    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("bare_axum listening on {listen}");
    axum::serve(listener, app).await
}
