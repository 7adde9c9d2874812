//! HTTP conventions real clients depend on (`docs/rest-api.md` §7).

use crate::common::*;
use crate::on_both_backends;
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    bodies_are_json_whatever_the_content_type,
    accept_negotiation,
    paths_and_parameters
);

async fn bodies_are_json_whatever_the_content_type(app: &TestApp) {
    let body = json!({ "schema": record("H", &[field("a", "int")]).to_string(), "unknownField": {"x": 1} }).to_string();
    for content_type in [
        None,
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("application/vnd.schemaregistry.v1+json"),
        Some("application/vnd.schemaregistry+json"),
        Some("application/octet-stream"),
    ] {
        let mut req = app
            .client
            .post(app.url("/subjects/h/versions"))
            .body(body.clone());
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        app.raw(req).await.assert_ok();
    }
    // Chunked transfer encoding and no Content-Type, as Go clients stream their bodies.
    let chunked = app.raw_http(&format!(
        "POST /subjects/h/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        10, &body[..10], body.len() - 10, &body[10..]
    )).await;
    assert!(chunked.starts_with("HTTP/1.1 200"), "{chunked}");
    let r = app
        .raw(
            app.client
                .post(app.url("/subjects/h/versions"))
                .header("Content-Type", "text/plain")
                .body(body),
        )
        .await;
    r.assert_error(415, 415);
}

async fn accept_negotiation(app: &TestApp) {
    let get = |accept: &'static str| {
        app.client
            .get(app.url("/subjects"))
            .header("Accept", accept)
    };
    let r = app.raw(get("application/json")).await;
    assert_eq!(r.content_type, "application/json");
    let r = app
        .raw(get("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"))
        .await;
    assert_eq!(r.content_type, "application/vnd.schemaregistry.v1+json");
    let r = app.raw(app.client.get(app.url("/subjects"))).await;
    assert_eq!(r.content_type, "application/vnd.schemaregistry.v1+json");
    app.raw(get("text/html")).await.assert_error(406, 406);
    app.raw(get("application/vnd.schemaregistry.v2+json"))
        .await
        .assert_error(406, 406);
}

async fn paths_and_parameters(app: &TestApp) {
    // Subjects with `/`, sent as %2F (Protobuf reference subjects).
    let id = app
        .register(
            "com%2Facme%2Fcommon.proto",
            &record("P", &[field("a", "int")]),
        )
        .await;
    assert_eq!(
        app.get("/subjects").await.assert_ok(),
        json!(["com/acme/common.proto"])
    );
    assert_eq!(
        app.get("/subjects/com%2Facme%2Fcommon.proto/versions/1")
            .await
            .assert_ok()["id"],
        id
    );
    // Trailing slashes are tolerated.
    app.get("/subjects/").await.assert_ok();
    app.get("/subjects/com%2Facme%2Fcommon.proto/versions/")
        .await
        .assert_ok();
    // Booleans in Python spelling; `True` is true, `1` is not.
    app.delete("/subjects/com%2Facme%2Fcommon.proto?permanent=False")
        .await
        .assert_ok();
    assert_eq!(
        app.get("/subjects?deleted=True").await.assert_ok(),
        json!(["com/acme/common.proto"])
    );
    assert_eq!(app.get("/subjects?deleted=1").await.assert_ok(), json!([]));
    // Unknown routes and wrong methods, in the envelope.
    app.get("/nothing/here").await.assert_error(404, 404);
    app.request(Method::PATCH, "/subjects", None)
        .await
        .assert_error(405, 405);
    app.request(Method::PUT, "/schemas/types", Some(json!({})))
        .await
        .assert_error(405, 405);
}
