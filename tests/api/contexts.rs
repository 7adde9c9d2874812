//! Contexts: separate id spaces addressed as `:.ctx:subject` or `/contexts/{ctx}/...`.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(contexts_have_their_own_id_space);

async fn contexts_have_their_own_id_space(app: &TestApp) {
    let a = record("A", &[field("a", "int")]);
    let b = record(
        "A",
        &[field("a", "int"), field_with_default("b", "int", json!(0))],
    );
    assert_eq!(app.register("plain", &a).await, 1);
    assert_eq!(app.register("plain", &b).await, 2);
    // The same schema in another context gets that context's first id.
    assert_eq!(app.register(":.staging:plain", &b).await, 1);
    assert_eq!(
        app.get("/contexts").await.assert_ok(),
        json!([".", ".staging"])
    );
    assert_eq!(
        app.get("/subjects").await.assert_ok(),
        json!([":.staging:plain", "plain"])
    );
    assert_eq!(
        app.get("/subjects?subjectPrefix=:.staging:")
            .await
            .assert_ok(),
        json!([":.staging:plain"])
    );
    let in_ctx = app
        .get("/subjects/:.staging:plain/versions/1")
        .await
        .assert_ok();
    assert_eq!(
        (in_ctx["id"].as_i64(), in_ctx["subject"].as_str()),
        (Some(1), Some(":.staging:plain"))
    );
    // Id 1 means different schemas in the two contexts.
    let default_1 = app.get("/schemas/ids/1").await.assert_ok()["schema"].clone();
    let staging_1 = app
        .get("/schemas/ids/1?subject=:.staging:plain")
        .await
        .assert_ok()["schema"]
        .clone();
    assert_ne!(default_1, staging_1);
    // The URL form of CSR's context filter.
    assert_eq!(
        app.get("/contexts/.staging/subjects").await.assert_ok(),
        json!([":.staging:plain"])
    );
    assert_eq!(
        app.get("/contexts/.staging/subjects/plain/versions")
            .await
            .assert_ok(),
        json!([1])
    );
    assert_eq!(
        app.get("/contexts/.staging/schemas/ids/1")
            .await
            .assert_ok()["schema"],
        staging_1
    );
    app.put(
        "/contexts/.staging/config",
        json!({ "compatibility": "NONE" }),
    )
    .await
    .assert_ok();
    assert_eq!(
        app.get("/config/:.staging:").await.assert_ok()["compatibilityLevel"],
        "NONE"
    );
    // An unqualified read of a subject that only exists in another context finds it.
    app.register(":.staging:only-there", &a).await;
    assert_eq!(
        app.get("/subjects/only-there/versions/1").await.assert_ok()["subject"],
        ":.staging:only-there"
    );
    // A context with subjects cannot be deleted; an empty one can.
    app.delete("/contexts/:.staging:")
        .await
        .assert_error(422, 42211);
    app.delete("/subjects/:.staging:plain").await.assert_ok();
    app.delete("/subjects/:.staging:plain?permanent=true")
        .await
        .assert_ok();
    app.delete("/subjects/:.staging:only-there")
        .await
        .assert_ok();
    app.delete("/subjects/:.staging:only-there?permanent=true")
        .await
        .assert_ok();
    let r = app.delete("/contexts/:.staging:").await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(app.get("/contexts").await.assert_ok(), json!(["."]));
    // Reserved names are refused for writes.
    app.register_body(":.__GLOBAL:x", json!({ "schema": a.to_string() }))
        .await
        .assert_error(422, 42208);
}
