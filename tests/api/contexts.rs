//! Contexts: separate id spaces addressed as `:.ctx:subject` or `/contexts/{ctx}/...`.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    contexts_have_their_own_id_space,
    context_urls_qualify_subject_parameters,
    global_context_holds_settings_only
);

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

/// `/contexts/{ctx}/...` qualifies the `subject`/`subjectPrefix` the caller sent (`docs/rest-api.md` §2.3), and
/// `GET /schemas` lists across contexts in qualified-subject order.
async fn context_urls_qualify_subject_parameters(app: &TestApp) {
    app.register("zeta", &json!("int")).await;
    app.register(":.c1:orders-value", &json!("long")).await;
    app.register(":.c1:other", &json!("string")).await;
    assert_eq!(
        app.get("/contexts/.c1/subjects?subjectPrefix=orders")
            .await
            .assert_ok(),
        json!([":.c1:orders-value"])
    );
    let listed = app
        .get("/contexts/.c1/schemas?subjectPrefix=orders")
        .await
        .assert_ok();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["schema"], "\"long\"");
    let by_id = app
        .get("/contexts/.c1/schemas/ids/1?subject=orders-value")
        .await
        .assert_ok();
    assert_eq!(by_id["schema"], "\"long\"");
    // Unqualified `?subject=`: the context where that subject holds the id (`docs/rest-api.md` §4.3), else the
    // default context's id.
    let schema_of = |query: &'static str| async move {
        app.get(&format!("/schemas/ids/1{query}")).await.assert_ok()["schema"].clone()
    };
    assert_eq!(schema_of("?subject=orders-value").await, "\"long\"");
    assert_eq!(schema_of("?subject=zeta").await, "\"int\"");
    assert_eq!(schema_of("?subject=nobody").await, "\"int\"");
    assert_eq!(schema_of("").await, "\"int\"");
    assert_eq!(schema_of("?subject=:.c1:").await, "\"long\"");
    app.get("/schemas/ids/1?subject=:.c2:orders-value")
        .await
        .assert_error(404, 40403);
    app.get("/contexts/bad:ctx/subjects")
        .await
        .assert_error(400, 400);
    let everything = app.get("/schemas?subjectPrefix=:*:").await.assert_ok();
    let subjects: Vec<&str> = everything
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, [":.c1:orders-value", ":.c1:other", "zeta"]);
}

/// `:.__GLOBAL:` takes config and mode (the last step of the resolution chain,
/// `docs/rest-api.md` §5.2) but
/// never subjects.
async fn global_context_holds_settings_only(app: &TestApp) {
    app.put("/config/:.__GLOBAL:", json!({ "compatibility": "NONE" }))
        .await
        .assert_ok();
    assert_eq!(
        app.get("/config/:.__GLOBAL:").await.assert_ok()["compatibilityLevel"],
        "NONE"
    );
    // A context without its own config resolves through it.
    assert_eq!(
        app.get("/config/:.c9:s?defaultToGlobal=true")
            .await
            .assert_ok()["compatibilityLevel"],
        "NONE"
    );
    app.put("/mode/:.__GLOBAL:", json!({ "mode": "READWRITE" }))
        .await
        .assert_ok();
    app.register_body(":.__GLOBAL:s", json!({ "schema": "\"int\"" }))
        .await
        .assert_error(422, 42208);
}
