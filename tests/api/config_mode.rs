//! Config (compatibility level and friends) and mode, global and per subject.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    global_and_subject_config,
    mode_rules,
    import_mode_purges_soft_deleted_versions,
    mode_can_be_cleared_with_null_or_recursively,
    an_alias_serves_its_target_subject,
    null_contract_members_of_a_config_are_absent
);

async fn global_and_subject_config(app: &TestApp) {
    assert_eq!(
        app.get("/config").await.assert_ok(),
        json!({ "compatibilityLevel": "BACKWARD" })
    );
    // PUT takes `compatibility`, answers with it, GET answers `compatibilityLevel`.
    assert_eq!(
        app.put("/config", json!({ "compatibility": "full" }))
            .await
            .assert_ok(),
        json!({ "compatibility": "FULL" })
    );
    assert_eq!(
        app.get("/config").await.assert_ok()["compatibilityLevel"],
        "FULL"
    );
    app.put("/config", json!({ "compatibility": "SIDEWAYS" }))
        .await
        .assert_error(422, 42203);
    // A subject without its own config is 40408 unless defaultToGlobal.
    app.get("/config/orders").await.assert_error(404, 40408);
    assert_eq!(
        app.get("/config/orders?defaultToGlobal=true")
            .await
            .assert_ok()["compatibilityLevel"],
        "FULL"
    );
    // Config may precede the subject.
    app.put(
        "/config/orders",
        json!({ "compatibility": "NONE", "normalize": true }),
    )
    .await
    .assert_ok();
    let got = app.get("/config/orders").await.assert_ok();
    assert_eq!(got["compatibilityLevel"], "NONE");
    assert_eq!(got["normalize"], true);
    // Partial update keeps the other fields.
    app.put("/config/orders", json!({ "compatibility": "FORWARD" }))
        .await
        .assert_ok();
    assert_eq!(
        app.get("/config/orders").await.assert_ok()["normalize"],
        true
    );
    for level in [
        "NONE",
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
    ] {
        app.put("/config/levels", json!({ "compatibility": level }))
            .await
            .assert_ok();
        assert_eq!(
            app.get("/config/levels").await.assert_ok()["compatibilityLevel"],
            level
        );
    }
    assert_eq!(
        app.delete("/config/orders").await.assert_ok()["compatibilityLevel"],
        "FORWARD"
    );
    app.delete("/config/orders").await.assert_error(404, 40401);
    app.delete("/config").await.assert_ok();
    assert_eq!(
        app.get("/config").await.assert_ok()["compatibilityLevel"],
        "BACKWARD"
    );
    app.put("/config/__GLOBAL", json!({ "compatibility": "NONE" }))
        .await
        .assert_error(422, 42208);
}

async fn mode_rules(app: &TestApp) {
    assert_eq!(
        app.get("/mode").await.assert_ok(),
        json!({ "mode": "READWRITE" })
    );
    app.get("/mode/m").await.assert_error(404, 40409);
    assert_eq!(
        app.get("/mode/m?defaultToGlobal=true").await.assert_ok()["mode"],
        "READWRITE"
    );
    let schema = record("Mo", &[field("a", "int")]);
    app.register("m", &schema).await;
    assert_eq!(
        app.put("/mode/m", json!({ "mode": "readonly" }))
            .await
            .assert_ok(),
        json!({ "mode": "readonly" })
    );
    assert_eq!(app.get("/mode/m").await.assert_ok()["mode"], "READONLY");
    // Re-registering what exists still answers; anything new is refused, nothing written.
    app.register("m", &schema).await;
    let new = record(
        "Mo",
        &[field("a", "int"), field_with_default("b", "int", json!(1))],
    );
    app.register_body("m", json!({ "schema": new.to_string() }))
        .await
        .assert_error(422, 42205);
    app.delete("/subjects/m").await.assert_error(422, 42205);
    app.put("/mode/m", json!({ "mode": "WRONG" }))
        .await
        .assert_error(422, 42204);
    app.put("/mode/m", json!({})).await.assert_error(422, 42204);
    app.put("/mode/m", json!({ "mode": "FORWARD" }))
        .await
        .assert_error(422, 42204);
    assert_eq!(
        app.delete("/mode/m").await.assert_ok(),
        json!({ "mode": "READONLY" })
    );
    app.delete("/mode/m").await.assert_error(404, 40401);
    app.register("m", &new).await;
    // IMPORT needs an empty registry unless forced.
    app.put("/mode", json!({ "mode": "IMPORT" }))
        .await
        .assert_error(422, 42205);
    app.put("/mode?force=true", json!({ "mode": "IMPORT" }))
        .await
        .assert_ok();
    // READONLY_OVERRIDE globally beats a subject's READWRITE.
    app.put("/mode", json!({ "mode": "READONLY_OVERRIDE" }))
        .await
        .assert_ok();
    app.put("/mode/m", json!({ "mode": "READWRITE" }))
        .await
        .assert_ok();
    let newer = record(
        "Mo",
        &[
            field("a", "int"),
            field_with_default("b", "int", json!(1)),
            field_with_default("c", "int", json!(1)),
        ],
    );
    app.register_body("m", json!({ "schema": newer.to_string() }))
        .await
        .assert_error(422, 42205);
    assert_eq!(
        app.delete("/mode").await.assert_ok(),
        json!({ "mode": "READONLY_OVERRIDE" })
    );
    app.register("m", &newer).await;
}

/// Switching to IMPORT (without `force`) needs no live subjects in scope and hard-deletes the
/// soft-deleted ones first, unless something references them.
async fn import_mode_purges_soft_deleted_versions(app: &TestApp) {
    let target = json!({"type": "record", "name": "T", "namespace": "p",
                        "fields": [{"name": "a", "type": "int"}]});
    let user = json!({"type": "record", "name": "U", "namespace": "p",
                      "fields": [{"name": "t", "type": "p.T"}]});
    let target_id = app.register("target", &target).await;
    app.register_body(
        "user",
        json!({"schema": user.to_string(),
               "references": [{"name": "p.T", "subject": "target", "version": 1}]}),
    )
    .await
    .assert_ok();
    let plain = app
        .register("plain", &record("P", &[field("a", "int")]))
        .await;
    app.delete("/subjects/plain").await.assert_ok();
    app.delete("/subjects/user").await.assert_ok();
    // `target` is still live.
    app.put("/mode", json!({ "mode": "IMPORT" }))
        .await
        .assert_error(422, 42205);
    app.delete("/subjects/target").await.assert_ok();
    // All soft-deleted, but the deleted `user` still references `target`: nothing purged.
    app.put("/mode", json!({ "mode": "IMPORT" }))
        .await
        .assert_error(422, 42206);
    assert_eq!(app.get("/mode").await.assert_ok()["mode"], "READWRITE");
    assert_eq!(
        app.get("/subjects?deleted=true").await.assert_ok(),
        json!(["plain", "target", "user"])
    );
    app.get(&format!("/schemas/ids/{plain}")).await.assert_ok();
    // Once the referrer is gone for good, the switch purges the rest.
    app.delete("/subjects/user?permanent=true")
        .await
        .assert_ok();
    app.put("/mode", json!({ "mode": "IMPORT" }))
        .await
        .assert_ok();
    assert_eq!(app.get("/mode").await.assert_ok()["mode"], "IMPORT");
    assert_eq!(
        app.get("/subjects?deleted=true").await.assert_ok(),
        json!([])
    );
    app.get(&format!("/schemas/ids/{plain}"))
        .await
        .assert_error(404, 40403);
    app.get(&format!("/schemas/ids/{target_id}"))
        .await
        .assert_error(404, 40403);
    // The purged version numbers are free for the import.
    let imported = json!({ "schema": record("Q", &[field("a", "int")]).to_string(),
                           "id": 500, "version": 1 });
    assert_eq!(
        app.register_body("plain", imported).await.assert_ok()["id"],
        500
    );
    // Already importing: switching again neither checks nor purges.
    app.put("/mode", json!({ "mode": "IMPORT" }))
        .await
        .assert_ok();
    assert_eq!(
        app.get("/subjects/plain/versions").await.assert_ok(),
        json!([1])
    );
}

/// `{"mode": null}` clears a mode (`docs/rest-api.md` §5.5); `DELETE /mode?recursive=true` also clears the
/// default context's subject modes, and only those (`docs/rest-api.md` §5.5).
async fn mode_can_be_cleared_with_null_or_recursively(app: &TestApp) {
    app.put("/mode/s1", json!({ "mode": "READONLY" }))
        .await
        .assert_ok();
    assert_eq!(
        app.put("/mode/s1", json!({ "mode": null }))
            .await
            .assert_ok(),
        json!({ "mode": null })
    );
    app.get("/mode/s1").await.assert_error(404, 40409);
    app.put("/mode/s1", json!({}))
        .await
        .assert_error(422, 42204);
    for scope in ["s1", "s2", ":.c1:s3", ":.c1:"] {
        app.put(&format!("/mode/{scope}"), json!({ "mode": "READONLY" }))
            .await
            .assert_ok();
    }
    app.put("/mode", json!({ "mode": "READONLY" }))
        .await
        .assert_ok();
    assert_eq!(
        app.delete("/mode?recursive=true").await.assert_ok(),
        json!({ "mode": "READONLY" })
    );
    assert_eq!(
        app.get("/mode").await.assert_ok(),
        json!({ "mode": "READWRITE" })
    );
    for cleared in ["s1", "s2"] {
        app.get(&format!("/mode/{cleared}"))
            .await
            .assert_error(404, 40409);
    }
    for kept in [":.c1:s3", ":.c1:"] {
        assert_eq!(
            app.get(&format!("/mode/{kept}")).await.assert_ok(),
            json!({ "mode": "READONLY" }),
            "{kept}"
        );
    }
}

/// A subject whose config names an `alias` is served as that subject (`docs/rest-api.md` §5.7), except for
/// deletes and its own config.
async fn an_alias_serves_its_target_subject(app: &TestApp) {
    let v1 = record("Al", &[field("a", "int")]);
    let v2 = record(
        "Al",
        &[field("a", "int"), field_with_default("b", "int", json!(0))],
    );
    let id = app.register("orders-value", &v1).await;
    app.put("/config/orders", json!({ "alias": "orders-value" }))
        .await
        .assert_ok();
    assert_eq!(
        app.get("/config/orders").await.assert_ok()["alias"],
        "orders-value"
    );
    assert_eq!(
        app.get("/subjects/orders/versions").await.assert_ok(),
        json!([1])
    );
    let latest = app
        .get("/subjects/orders/versions/latest")
        .await
        .assert_ok();
    assert_eq!(
        (latest["subject"].clone(), latest["id"].clone()),
        (json!("orders-value"), json!(id))
    );
    let found = app
        .post("/subjects/orders", json!({ "schema": v1.to_string() }))
        .await
        .assert_ok();
    assert_eq!(found["version"], 1);
    let check = app
        .post(
            "/compatibility/subjects/orders/versions/latest",
            json!({ "schema": v2.to_string() }),
        )
        .await
        .assert_ok();
    assert_eq!(check["is_compatible"], true);
    // Registering through the alias adds a version to the target.
    app.register("orders", &v2).await;
    assert_eq!(
        app.get("/subjects/orders-value/versions").await.assert_ok(),
        json!([1, 2])
    );
    app.get(&format!("/schemas/ids/{id}?subject=orders"))
        .await
        .assert_ok();
    // The alias itself has no versions to delete; the target keeps its own.
    app.delete("/subjects/orders")
        .await
        .assert_error(404, 40401);
    assert_eq!(
        app.get("/subjects").await.assert_ok(),
        json!(["orders-value"])
    );
    // Removing the alias's config ends the redirection.
    app.delete("/config/orders").await.assert_ok();
    app.get("/subjects/orders/versions")
        .await
        .assert_error(404, 40401);
}

/// A `null` member of a config's default or override metadata or rule set is stored and
/// answered as absent, never echoed back as `null`.
async fn null_contract_members_of_a_config_are_absent(app: &TestApp) {
    let body = json!({
        "compatibility": "NONE",
        "defaultMetadata": { "properties": { "owner": "a" }, "tags": null },
        "overrideMetadata": { "sensitive": null },
        "defaultRuleSet": { "migrationRules": [], "domainRules": null },
        "overrideRuleSet": { "migrationRules": [], "domainRules": [], "encodingRules": null },
    });
    let expected = |level: &str| {
        json!({
            level: "NONE",
            "defaultMetadata": { "properties": { "owner": "a" } },
            "overrideMetadata": {},
            "defaultRuleSet": { "migrationRules": [] },
            "overrideRuleSet": { "migrationRules": [], "domainRules": [] },
        })
    };
    for scope in ["/config", "/config/orders"] {
        assert_eq!(
            app.put(scope, body.clone()).await.assert_ok(),
            expected("compatibility"),
            "{scope}"
        );
        assert_eq!(
            app.get(scope).await.assert_ok(),
            expected("compatibilityLevel"),
            "{scope}"
        );
        assert_eq!(
            app.delete(scope).await.assert_ok(),
            expected("compatibilityLevel"),
            "{scope}"
        );
    }
}
