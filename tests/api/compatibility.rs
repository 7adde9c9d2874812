//! Compatibility enforcement on registration and the compatibility endpoints.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    backward_is_enforced_on_register,
    levels_over_history,
    compatibility_endpoints_single_version_and_all,
    soft_deleted_versions_take_no_part,
    type_change_is_incompatible_unless_none,
    compatibility_group_partitions_the_history,
    a_group_is_checked_against_its_own_latest_version,
);

fn v1() -> serde_json::Value {
    record("C", &[field("a", "int")])
}
fn v2_with_default() -> serde_json::Value {
    record(
        "C",
        &[
            field("a", "int"),
            field_with_default("b", "string", json!("x")),
        ],
    )
}
fn v3_without_default() -> serde_json::Value {
    record("C", &[field("a", "int"), field("b", "string")])
}

async fn backward_is_enforced_on_register(app: &TestApp) {
    app.register("c", &v1()).await;
    let r = app
        .register_body("c", json!({ "schema": v3_without_default().to_string() }))
        .await;
    r.assert_error(409, 409);
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{message}"
    );
    assert!(message.contains("oldSchemaVersion: 1"), "{message}");
    // Nothing was written.
    assert_eq!(
        app.get("/subjects/c/versions").await.assert_ok(),
        json!([1])
    );
    app.register("c", &v2_with_default()).await;
    app.put("/config/c", json!({ "compatibility": "NONE" }))
        .await
        .assert_ok();
    app.register("c", &v3_without_default()).await;
}

async fn levels_over_history(app: &TestApp) {
    // BACKWARD looks at the latest only: [1, 2] then 3 passes (3 reads 2's data).
    app.put("/config/bw", json!({ "compatibility": "BACKWARD" }))
        .await
        .assert_ok();
    app.register("bw", &v1()).await;
    app.register("bw", &v2_with_default()).await;
    app.register("bw", &v3_without_default()).await;
    // BACKWARD_TRANSITIVE checks every live version: [1, 2] then 3 fails against 1.
    app.put(
        "/config/bwt",
        json!({ "compatibility": "backward_transitive" }),
    )
    .await
    .assert_ok();
    app.register("bwt", &v1()).await;
    app.register("bwt", &v2_with_default()).await;
    app.register_body("bwt", json!({ "schema": v3_without_default().to_string() }))
        .await
        .assert_error(409, 409);
    // FORWARD: the old schema must read the new data; dropping a field the old schema has
    // without a default fails.
    app.put("/config/fw", json!({ "compatibility": "FORWARD" }))
        .await
        .assert_ok();
    app.register("fw", &v3_without_default()).await;
    app.register_body("fw", json!({ "schema": v1().to_string() }))
        .await
        .assert_error(409, 409);
    // FULL needs both directions, against the latest only: [1, 2] then 3 passes (3 and 2
    // read each other), [1] then 3 fails (3 cannot read 1's data).
    app.put("/config/full", json!({ "compatibility": "FULL" }))
        .await
        .assert_ok();
    app.register("full", &v1()).await;
    app.register("full", &v2_with_default()).await;
    app.register("full", &v3_without_default()).await;
    app.put("/config/full1", json!({ "compatibility": "FULL" }))
        .await
        .assert_ok();
    app.register("full1", &v1()).await;
    app.register_body(
        "full1",
        json!({ "schema": v3_without_default().to_string() }),
    )
    .await
    .assert_error(409, 409);
    // FULL_TRANSITIVE: [2, 1] then 3 fails.
    app.put(
        "/config/fullt",
        json!({ "compatibility": "FULL_TRANSITIVE" }),
    )
    .await
    .assert_ok();
    app.register("fullt", &v2_with_default()).await;
    app.register("fullt", &v1()).await;
    app.register_body(
        "fullt",
        json!({ "schema": v3_without_default().to_string() }),
    )
    .await
    .assert_error(409, 409);
}

async fn compatibility_endpoints_single_version_and_all(app: &TestApp) {
    // Unknown subject: compatible with nothing to compare.
    let none = app
        .post(
            "/compatibility/subjects/new/versions/latest",
            json!({ "schema": v1().to_string() }),
        )
        .await;
    assert_eq!(none.assert_ok(), json!({ "is_compatible": true }));
    app.post(
        "/compatibility/subjects/new/versions/3",
        json!({ "schema": v1().to_string() }),
    )
    .await
    .assert_error(404, 40402);
    app.put(
        "/config/ep",
        json!({ "compatibility": "FORWARD_TRANSITIVE" }),
    )
    .await
    .assert_ok();
    app.register("ep", &v2_with_default()).await;
    app.register("ep", &v3_without_default()).await;
    // Against latest only (3): v1 as writer, v3 reads it? FORWARD: v3 (old) reads v1 data: b missing, no default.
    let single = app
        .post(
            "/compatibility/subjects/ep/versions/1?verbose=true",
            json!({ "schema": v1().to_string() }),
        )
        .await
        .assert_ok();
    assert_eq!(single["is_compatible"], true, "{single}");
    assert_eq!(single["messages"], json!([]));
    let all = app
        .post(
            "/compatibility/subjects/ep/versions/?verbose=True",
            json!({ "schema": v1().to_string() }),
        )
        .await
        .assert_ok();
    assert_eq!(all["is_compatible"], false);
    assert!(all["messages"].as_array().unwrap().len() > 1);
    let quiet = app
        .post(
            "/compatibility/subjects/ep/versions",
            json!({ "schema": v1().to_string() }),
        )
        .await
        .assert_ok();
    assert_eq!(quiet, json!({ "is_compatible": false }));
    // Invalid schema: 422, or a verdict with the parse error when verbose.
    app.post(
        "/compatibility/subjects/ep/versions/latest",
        json!({ "schema": "{" }),
    )
    .await
    .assert_error(422, 42201);
    let verbose_invalid = app
        .post(
            "/compatibility/subjects/ep/versions/latest?verbose=true",
            json!({ "schema": "{" }),
        )
        .await
        .assert_ok();
    assert_eq!(verbose_invalid["is_compatible"], false);
    app.post(
        "/compatibility/subjects/ep/versions/zero",
        json!({ "schema": v1().to_string() }),
    )
    .await
    .assert_error(422, 42202);
}

async fn soft_deleted_versions_take_no_part(app: &TestApp) {
    app.put(
        "/config/sd",
        json!({ "compatibility": "BACKWARD_TRANSITIVE" }),
    )
    .await
    .assert_ok();
    app.register("sd", &v1()).await;
    app.register("sd", &v2_with_default()).await;
    app.delete("/subjects/sd/versions/1").await.assert_ok();
    // Only v2 is live; v3 reads v2's data (b has a value there).
    app.register("sd", &v3_without_default()).await;
}

async fn type_change_is_incompatible_unless_none(app: &TestApp) {
    app.register("tc", &v1()).await;
    let json_schema = json!({ "schema": "{\"type\":\"object\"}", "schemaType": "JSON" });
    let r = app.register_body("tc", json_schema.clone()).await;
    assert_eq!(r.status, 409, "{}", r.text);
    // The one error, then only the settings entry: no old version or old schema.
    let verbose = app
        .post(
            "/compatibility/subjects/tc/versions/latest?verbose=true",
            json_schema.clone(),
        )
        .await
        .assert_ok();
    assert_eq!(
        verbose,
        json!({
            "is_compatible": false,
            "messages": [
                "Incompatible because of different schema type",
                "{validateFields: 'false', compatibility: 'BACKWARD'}"
            ]
        })
    );
}

/// A registration body whose metadata puts `schema` in compatibility group `major`.
fn in_major(schema: serde_json::Value, major: &str) -> serde_json::Value {
    json!({ "schema": schema.to_string(), "metadata": { "properties": { "major": major } } })
}

/// `compatibilityGroup` (`docs/compatibility.md` §1.2): only versions whose metadata property of that
/// name equals the new schema's take part, so a new major version may break the old one.
async fn compatibility_group_partitions_the_history(app: &TestApp) {
    app.put(
        "/config/grp",
        json!({ "compatibility": "BACKWARD_TRANSITIVE", "compatibilityGroup": "major" }),
    )
    .await
    .assert_ok();
    let one = record("G", &[field("a", "int")]);
    let two = record("G", &[field("b", "string")]);
    let two_more = record("G", &[field("b", "string"), field("c", "int")]);
    app.register_body("grp", in_major(one.clone(), "1"))
        .await
        .assert_ok();
    // Incompatible with major 1, but alone in major 2.
    app.register_body("grp", in_major(two, "2"))
        .await
        .assert_ok();
    // Within major 2 the rule holds again.
    app.register_body("grp", in_major(two_more.clone(), "2"))
        .await
        .assert_error(409, 409);
    let check = app
        .post(
            "/compatibility/subjects/grp/versions?verbose=true",
            in_major(two_more.clone(), "2"),
        )
        .await
        .assert_ok();
    assert_eq!(check["is_compatible"], false, "{check}");
    let check = app
        .post(
            "/compatibility/subjects/grp/versions",
            in_major(two_more, "3"),
        )
        .await
        .assert_ok();
    assert_eq!(check["is_compatible"], true, "{check}");
    // Without the group, the same history refuses the change.
    app.put("/config/flat", json!({ "compatibility": "BACKWARD" }))
        .await
        .assert_ok();
    app.register_body("flat", in_major(one, "1"))
        .await
        .assert_ok();
    app.register_body("flat", in_major(record("G", &[field("b", "string")]), "2"))
        .await
        .assert_error(409, 409);
}

/// Non-transitive level with a group: the check is against the latest version *of the group*,
/// even when a newer version of another group sits on top (the registration path must not
/// look at the subject's latest version alone, then filter it away).
async fn a_group_is_checked_against_its_own_latest_version(app: &TestApp) {
    app.put(
        "/config/grp-latest",
        json!({ "compatibility": "BACKWARD", "compatibilityGroup": "major" }),
    )
    .await
    .assert_ok();
    app.register_body(
        "grp-latest",
        in_major(record("G", &[field("a", "int")]), "1"),
    )
    .await
    .assert_ok();
    app.register_body(
        "grp-latest",
        in_major(record("G", &[field("b", "string")]), "2"),
    )
    .await
    .assert_ok();
    // Breaks major 1's latest version (a new field without a default); major 2 is not asked.
    let breaking = record("G", &[field("a", "int"), field("z", "int")]);
    app.register_body("grp-latest", in_major(breaking, "1"))
        .await
        .assert_error(409, 409);
    let compatible = record(
        "G",
        &[field("a", "int"), field_with_default("z", "int", json!(0))],
    );
    let registered = app
        .register_body("grp-latest", in_major(compatible, "1"))
        .await
        .assert_ok();
    assert!(registered["id"].as_i64().is_some(), "{registered}");
}
