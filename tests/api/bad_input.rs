//! Bad input: a clear error in the envelope, never a 5xx, nothing half-written.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(bad_input_is_rejected_cleanly);

async fn bad_input_is_rejected_cleanly(app: &TestApp) {
    let good = record("B", &[field("a", "int")]).to_string();
    // Malformed JSON body and wrong field types: 400.
    let r = app
        .raw(
            app.client
                .post(app.url("/subjects/b/versions"))
                .body("{\"schema\": "),
        )
        .await;
    r.assert_error(400, 400);
    app.register_body("b", json!({ "schema": 42 }))
        .await
        .assert_error(400, 400);
    // Empty body and empty schema.
    let r = app
        .raw(app.client.post(app.url("/subjects/b/versions")).body(""))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    app.register_body("b", json!({ "schema": "" }))
        .await
        .assert_error(422, 42201);
    app.register_body("b", json!({}))
        .await
        .assert_error(422, 42201);
    // Invalid schemas.
    for schema in [
        "{not json",
        "{\"type\":\"record\",\"name\":\"X\"}",
        "{\"type\":\"nosuchtype\"}",
        "{\"type\":\"record\",\"name\":\"1bad\",\"fields\":[]}",
        "{\"type\":\"record\",\"name\":\"D\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":\"x\"}]}",
        "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}",
    ] {
        app.register_body("b", json!({ "schema": schema })).await.assert_error(422, 42201);
    }
    // Unknown schema type.
    app.register_body("b", json!({ "schema": good, "schemaType": "XML" }))
        .await
        .assert_error(422, 42201);
    // Absurd nesting: arrays of arrays far beyond any real schema.
    let deep = format!(
        "{}\"int\"{}",
        "{\"type\":\"array\",\"items\":".repeat(5000),
        "}".repeat(5000)
    );
    app.register_body("b", json!({ "schema": deep }))
        .await
        .assert_error(422, 42201);
    // Bad version ids.
    for bad in ["0", "-2", "abc", "99999999999"] {
        app.get(&format!("/subjects/b/versions/{bad}"))
            .await
            .assert_error(422, 42202);
    }
    // Bad subject names.
    app.register_body("__GLOBAL", json!({ "schema": good }))
        .await
        .assert_error(422, 42208);
    app.register_body("bad%01name", json!({ "schema": good }))
        .await
        .assert_error(422, 42208);
    // Subject names beyond the explicit limit (1 KiB; random text so the database cannot
    // compress it under its index limit).
    let long: String = (0..2048)
        .map(|i| char::from(b'a' + ((i * 7919 + i / 3) % 26) as u8))
        .collect();
    app.register_body(&long, json!({ "schema": good }))
        .await
        .assert_error(422, 42208);
    app.put(
        &format!("/config/{long}"),
        json!({ "compatibility": "NONE" }),
    )
    .await
    .assert_error(422, 42208);
    // Schema larger than the explicit limit (1 MiB by default): 42209.
    let big_doc = "x".repeat(1024 * 1024 + 1);
    let big = json!({ "type": "record", "name": "Big", "doc": big_doc, "fields": [] }).to_string();
    app.register_body("b", json!({ "schema": big }))
        .await
        .assert_error(422, 42209);
    // Body larger than the request limit (8 MiB): 413 in the envelope.
    let huge = "y".repeat(9 * 1024 * 1024);
    let r = app
        .raw(
            app.client
                .post(app.url("/subjects/b/versions"))
                .body(format!("{{\"schema\":\"{huge}\"}}")),
        )
        .await;
    r.assert_error(413, 413);
    // A body announced far beyond the limit is refused before any of it is read.
    let answer = app
        .raw_http(
            "POST /subjects/b/versions HTTP/1.1\r\nHost: x\r\n\
             Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{",
        )
        .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"error_code\":413"), "{answer}");
    // Streamed (chunked, no length) past the limit: read to the end, then 413.
    let chunk = "z".repeat(1024 * 1024);
    let mut streamed = String::from(
        "POST /subjects/b/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
    );
    for _ in 0..9 {
        streamed.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    streamed.push_str("0\r\n\r\n");
    let answer = app.raw_http(&streamed).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Too many references in one request.
    let refs: Vec<_> = (0..1001)
        .map(|i| json!({"name": format!("n{i}"), "subject": "s", "version": 1}))
        .collect();
    app.register_body("b", json!({ "schema": good, "references": refs }))
        .await
        .assert_error(422, 42201);
    // None of the above left anything behind.
    assert_eq!(
        app.get("/subjects?deleted=true").await.assert_ok(),
        json!([])
    );
    app.get("/schemas/ids/1").await.assert_error(404, 40403);
    // And the registry still works.
    app.register_body("b", json!({ "schema": good }))
        .await
        .assert_ok();
}
