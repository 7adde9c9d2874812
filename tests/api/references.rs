//! Avro references to named types in other subjects.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;

on_both_backends!(
    references_resolve_and_protect_their_targets,
    invalid_references_are_rejected
);

fn address() -> serde_json::Value {
    json!({"type": "record", "name": "Address", "namespace": "com.acme", "fields": [{"name": "city", "type": "string"}]})
}

fn customer() -> serde_json::Value {
    json!({"type": "record", "name": "Customer", "namespace": "com.acme",
           "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "com.acme.Address"}]})
}

fn order() -> serde_json::Value {
    json!({"type": "record", "name": "Order", "namespace": "com.acme",
           "fields": [{"name": "customer", "type": "com.acme.Customer"}]})
}

async fn references_resolve_and_protect_their_targets(app: &TestApp) {
    let address_id = app.register("address", &address()).await;
    let customer_body = json!({
        "schema": customer().to_string(),
        "references": [{"name": "com.acme.Address", "subject": "address", "version": -1}],
    });
    let customer_id = app
        .register_body("customer", customer_body)
        .await
        .assert_ok()["id"]
        .as_i64()
        .unwrap();
    // Transitive: Order → Customer → Address.
    let order_body = json!({
        "schema": order().to_string(),
        "references": [{"name": "com.acme.Customer", "subject": "customer", "version": 1}],
    });
    let order_id = app.register_body("order", order_body).await.assert_ok()["id"]
        .as_i64()
        .unwrap();

    let stored = app.get("/subjects/customer/versions/1").await.assert_ok();
    assert_eq!(
        stored["references"],
        json!([{"name": "com.acme.Address", "subject": "address", "version": 1}]),
        "version -1 is stored as the concrete version"
    );
    assert_eq!(
        app.get("/subjects/address/versions/1/referencedby")
            .await
            .assert_ok(),
        json!([customer_id])
    );
    assert_eq!(
        app.get("/subjects/customer/versions/1/referencedby")
            .await
            .assert_ok(),
        json!([order_id])
    );
    assert_eq!(
        app.get(&format!("/schemas/ids/{order_id}"))
            .await
            .assert_ok()["references"][0]["subject"],
        "customer"
    );
    let resolved = app
        .get(&format!("/schemas/ids/{order_id}?format=resolved"))
        .await
        .assert_ok();
    assert!(
        resolved["schema"].as_str().unwrap().contains("\"Address\""),
        "resolved form inlines the types"
    );

    // Referenced versions cannot be deleted while referrers live.
    app.delete("/subjects/address/versions/1")
        .await
        .assert_error(422, 42206);
    app.delete("/subjects/address")
        .await
        .assert_error(422, 42206);
    app.delete("/subjects/order").await.assert_ok();
    app.delete("/subjects/customer").await.assert_ok();
    // A soft-deleted referrer still blocks a permanent delete of its target...
    app.delete("/subjects/address").await.assert_ok();
    app.delete("/subjects/address?permanent=true")
        .await
        .assert_error(422, 42206);
    // ...until it is gone too.
    app.delete("/subjects/order?permanent=true")
        .await
        .assert_ok();
    app.delete("/subjects/customer?permanent=true")
        .await
        .assert_ok();
    app.delete("/subjects/address?permanent=true")
        .await
        .assert_ok();
    assert!(address_id > 0);
}

async fn invalid_references_are_rejected(app: &TestApp) {
    let missing = json!({
        "schema": customer().to_string(),
        "references": [{"name": "com.acme.Address", "subject": "nowhere", "version": 1}],
    });
    app.register_body("customer", missing)
        .await
        .assert_error(422, 42201);
    let incomplete =
        json!({ "schema": customer().to_string(), "references": [{"name": "com.acme.Address"}] });
    app.register_body("customer", incomplete)
        .await
        .assert_error(422, 42201);
    // Without the reference the name is undefined.
    app.register_body("customer", json!({ "schema": customer().to_string() }))
        .await
        .assert_error(422, 42201);
    app.get("/subjects/customer/versions")
        .await
        .assert_error(404, 40401);
}
