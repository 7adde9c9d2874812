//! JSON Schema through the HTTP API: identity and normalisation, references to other subjects,
//! metaschema validation, compatibility messages and limits on bad input.

use crate::common::*;
use crate::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    json_schema_registers_and_is_idempotent,
    json_key_order_matters_unless_normalized,
    json_ref_to_another_subject,
    json_invalid_schemas_are_422,
    json_incompatible_change_names_the_difference,
    json_deep_or_huge_input_is_422,
    json_expensive_regular_expressions_are_422,
);

fn json_body(schema: &Value) -> Value {
    json!({ "schemaType": "JSON", "schema": schema.to_string() })
}

fn json_text_body(schema: &str) -> Value {
    json!({ "schemaType": "JSON", "schema": schema })
}

async fn register_json(app: &TestApp, subject: &str, schema: &Value) -> i64 {
    app.register_body(subject, json_body(schema))
        .await
        .assert_ok()["id"]
        .as_i64()
        .unwrap()
}

fn person() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Person",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "age": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}},
            "address": {"$ref": "#/definitions/address"}
        },
        "required": ["name"],
        "definitions": {
            "address": {"type": "object", "properties": {"city": {"type": "string"}}}
        }
    })
}

async fn json_schema_registers_and_is_idempotent(app: &TestApp) {
    let id = register_json(app, "people-value", &person()).await;

    let by_id = app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    assert_eq!(by_id["schemaType"], "JSON");
    let stored: Value = serde_json::from_str(by_id["schema"].as_str().unwrap()).unwrap();
    assert_eq!(stored, person());
    let version = app
        .get("/subjects/people-value/versions/latest")
        .await
        .assert_ok();
    assert_eq!(version["schemaType"], "JSON");
    assert_eq!(version["version"], 1);

    // Whitespace does not matter; same id and version, another subject shares the id.
    let pretty = serde_json::to_string_pretty(&person()).unwrap();
    let again = app
        .register_body("people-value", json_text_body(&pretty))
        .await
        .assert_ok();
    assert_eq!(again["id"], id);
    assert_eq!(again["version"], 1);
    assert_eq!(register_json(app, "people-copy", &person()).await, id);
    assert_eq!(
        app.get("/subjects/people-value/versions").await.assert_ok(),
        json!([1])
    );
    let lookup = app
        .post("/subjects/people-value", json_text_body(&pretty))
        .await
        .assert_ok();
    assert_eq!(lookup["id"], id);

    // Drafts chosen by $schema.
    for (subject, draft) in [
        ("d4", "http://json-schema.org/draft-04/schema#"),
        ("d6", "http://json-schema.org/draft-06/schema#"),
        ("d2019", "https://json-schema.org/draft/2019-09/schema"),
        ("d2020", "https://json-schema.org/draft/2020-12/schema"),
    ] {
        let schema =
            json!({"$schema": draft, "type": "object", "properties": {"x": {"type": "number"}}});
        register_json(app, subject, &schema).await;
    }
}

async fn json_key_order_matters_unless_normalized(app: &TestApp) {
    let ab = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#;
    let ba = r#"{"properties":{"b":{"type":"integer"},"a":{"type":"string"}},"type":"object"}"#;

    let id_ab = app
        .register_body("order-a", json_text_body(ab))
        .await
        .assert_ok()["id"]
        .clone();
    let id_ba = app
        .register_body("order-b", json_text_body(ba))
        .await
        .assert_ok()["id"]
        .clone();
    assert_ne!(
        id_ab, id_ba,
        "key order is part of identity without normalize"
    );
    // Key order is kept in the stored text.
    assert_eq!(
        app.get(&format!("/schemas/ids/{id_ba}")).await.assert_ok()["schema"],
        ba
    );

    // With normalize=true both orders are one schema.
    let n1 = app
        .post(
            "/subjects/order-n/versions?normalize=true",
            json_text_body(ab),
        )
        .await
        .assert_ok();
    let n2 = app
        .post(
            "/subjects/order-n/versions?normalize=true",
            json_text_body(ba),
        )
        .await
        .assert_ok();
    assert_eq!(n1["id"], n2["id"]);
    assert_eq!(n2["version"], 1);
    // Lookup with normalize finds it whatever the order.
    let found = app
        .post("/subjects/order-n?normalize=true", json_text_body(ba))
        .await
        .assert_ok();
    assert_eq!(found["id"], n1["id"]);

    // normalize from the subject config applies too.
    app.put("/config/order-c", json!({"normalize": true}))
        .await
        .assert_ok();
    let c1 = app
        .post("/subjects/order-c/versions", json_text_body(ab))
        .await
        .assert_ok();
    let c2 = app
        .post("/subjects/order-c/versions", json_text_body(ba))
        .await
        .assert_ok();
    assert_eq!(c1["id"], c2["id"]);
    assert_eq!(c1["id"], n1["id"]);
}

async fn json_ref_to_another_subject(app: &TestApp) {
    let address = json!({
        "$id": "https://acme.example/schemas/address.json",
        "type": "object",
        "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        "required": ["city"]
    });
    let address_id = register_json(app, "address", &address).await;

    let customer = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "home": {"$ref": "address.json"},
            "work": {"$ref": "address.json"}
        }
    });
    let body = json!({
        "schemaType": "JSON",
        "schema": customer.to_string(),
        "references": [{"name": "address.json", "subject": "address", "version": -1}]
    });
    let customer_id = app
        .register_body("customer", body.clone())
        .await
        .assert_ok()["id"]
        .as_i64()
        .unwrap();
    assert_ne!(customer_id, address_id);
    assert_eq!(
        app.get("/subjects/customer/versions/1").await.assert_ok()["references"],
        json!([{"name": "address.json", "subject": "address", "version": 1}])
    );
    // Idempotent with references.
    assert_eq!(
        app.register_body("customer", body).await.assert_ok()["id"],
        customer_id
    );

    // Transitive: order → customer → address, with an absolute $ref URL as the name.
    let order = json!({
        "type": "object",
        "properties": {"buyer": {"$ref": "https://acme.example/schemas/customer.json"}}
    });
    let order_id = app
        .register_body(
            "order",
            json!({
                "schemaType": "JSON",
                "schema": order.to_string(),
                "references": [{"name": "https://acme.example/schemas/customer.json", "subject": "customer", "version": 1}]
            }),
        )
        .await
        .assert_ok()["id"]
        .as_i64()
        .unwrap();

    // An unresolved $ref without a reference is a 422 naming it.
    let r = app.register_body("dangling", json_body(&customer)).await;
    r.assert_error(422, 42201);
    assert!(r.text.contains("address.json"), "{}", r.text);

    // referencedby and delete protection.
    let referencedby = app
        .get("/subjects/address/versions/1/referencedby")
        .await
        .assert_ok();
    assert_eq!(referencedby, json!([customer_id]));
    assert_eq!(
        app.get("/subjects/customer/versions/1/referencedby")
            .await
            .assert_ok(),
        json!([order_id])
    );
    app.delete("/subjects/address/versions/1")
        .await
        .assert_error(422, 42206);
    app.delete("/subjects/address")
        .await
        .assert_error(422, 42206);

    // Local references and recursive schemas are fine.
    let tree = json!({
        "$defs": {"node": {"type": "object", "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}
        }}},
        "$ref": "#/$defs/node"
    });
    let tree_id = register_json(app, "tree", &tree).await;
    app.post(
        "/compatibility/subjects/tree/versions/latest?verbose=true",
        json_body(&tree),
    )
    .await
    .assert_ok();
    assert_eq!(register_json(app, "tree", &tree).await, tree_id);
}

async fn json_invalid_schemas_are_422(app: &TestApp) {
    let cases: Vec<(&str, String)> = vec![
        ("unknown type", json!({"type": "strin"}).to_string()),
        (
            "negative minLength",
            json!({"type": "string", "minLength": -1}).to_string(),
        ),
        (
            "required not an array",
            json!({"type": "object", "required": "name"}).to_string(),
        ),
        (
            "properties not an object",
            json!({"type": "object", "properties": [1, 2]}).to_string(),
        ),
        ("not JSON", "{\"type\": \"object\",".to_string()),
        ("not a schema", "42".to_string()),
        ("empty", String::new()),
    ];
    for (what, schema) in cases {
        let r = app
            .register_body("invalid-new", json_text_body(&schema))
            .await;
        assert_eq!(r.status.as_u16(), 422, "{what}: {}", r.text);
        assert_eq!(r.error_code(), 42201, "{what}: {}", r.text);
        assert!(
            !r.json()["message"].as_str().unwrap().is_empty(),
            "{what}: a reason is given: {}",
            r.text
        );
    }
    // Also on the compatibility endpoint and on lookup once the subject exists.
    register_json(app, "invalid", &json!({"type": "object"})).await;
    let bad = json_body(&json!({"type": "strin"}));
    app.post(
        "/compatibility/subjects/invalid/versions/latest",
        bad.clone(),
    )
    .await
    .assert_error(422, 42201);
    let l = app.post("/subjects/invalid", bad).await;
    assert_eq!(l.status.as_u16(), 422, "{}", l.text);
    // An unknown schemaType is rejected too.
    app.register_body("invalid", json!({"schemaType": "XML", "schema": "{}"}))
        .await
        .assert_error(422, 42201);
}

async fn json_incompatible_change_names_the_difference(app: &TestApp) {
    let closed = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}, "amount": {"type": "number"}},
        "additionalProperties": false
    });
    let removed = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "additionalProperties": false
    });
    register_json(app, "payments", &closed).await;

    let r = app.register_body("payments", json_body(&removed)).await;
    r.assert_error(409, 409);
    assert!(
        r.text
            .contains("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
        "{}",
        r.text
    );
    assert!(r.text.contains("#/properties/amount"), "{}", r.text);

    let verbose = app
        .post(
            "/compatibility/subjects/payments/versions/latest?verbose=true",
            json_body(&removed),
        )
        .await
        .assert_ok();
    assert_eq!(verbose["is_compatible"], false);
    assert!(
        verbose["messages"].as_array().unwrap().iter().any(|m| m
            .as_str()
            .unwrap()
            .contains("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")),
        "{verbose}"
    );
    let terse = app
        .post(
            "/compatibility/subjects/payments/versions/latest",
            json_body(&removed),
        )
        .await
        .assert_ok();
    assert_eq!(terse["is_compatible"], false);

    // Narrowing number → integer: the new reader would reject an old 1.5.
    let narrowed = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}, "amount": {"type": "integer"}},
        "additionalProperties": false
    });
    let r = app
        .post(
            "/compatibility/subjects/payments/versions/latest?verbose=true",
            json_body(&narrowed),
        )
        .await
        .assert_ok();
    assert_eq!(r["is_compatible"], false, "{r}");
    assert!(r.to_string().contains("TYPE_NARROWED"), "{r}");

    // Adding an optional property to a closed model is backward compatible.
    let added = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}, "amount": {"type": "number"}, "note": {"type": "string"}},
        "additionalProperties": false
    });
    let ok = app
        .post(
            "/compatibility/subjects/payments/versions/latest?verbose=true",
            json_body(&added),
        )
        .await
        .assert_ok();
    assert_eq!(ok["is_compatible"], true, "{ok}");
    register_json(app, "payments", &added).await;

    // FORWARD: the old schema reads the new data, so a removal from a closed model is fine.
    app.put("/config/payments", json!({"compatibility": "FORWARD"}))
        .await
        .assert_ok();
    let r = app
        .post(
            "/compatibility/subjects/payments/versions/latest?verbose=true",
            json_body(&closed),
        )
        .await
        .assert_ok();
    assert_eq!(r["is_compatible"], true, "{r}");
    // FULL rejects a removal from a closed model.
    app.put("/config/payments", json!({"compatibility": "FULL"}))
        .await
        .assert_ok();
    let r = app.register_body("payments", json_body(&removed)).await;
    r.assert_error(409, 409);
}

async fn json_deep_or_huge_input_is_422(app: &TestApp) {
    // Deeply nested JSON (beyond the parser's limit) and deeply nested subschemas.
    for depth in [100usize, 1000, 20_000] {
        let schema = format!("{}{{}}{}", "{\"items\":".repeat(depth), "}".repeat(depth));
        let r = app.register_body("deep", json_text_body(&schema)).await;
        assert_eq!(r.status.as_u16(), 422, "depth {depth}: {}", r.text);
        assert_eq!(r.error_code(), 42201, "depth {depth}");
    }
    // Deeply nested arrays (not schemas at all).
    let arrays = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let r = app.register_body("deep", json_text_body(&arrays)).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);

    // The server is still healthy and a reasonable nesting works.
    let ok = format!("{}{{}}{}", "{\"items\":".repeat(20), "}".repeat(20));
    app.register_body("deep", json_text_body(&ok))
        .await
        .assert_ok();

    // A wide schema is fine.
    let mut properties = serde_json::Map::new();
    for i in 0..2000 {
        properties.insert(format!("field_{i}"), json!({"type": "string"}));
    }
    let wide = json!({"type": "object", "properties": properties});
    register_json(app, "wide", &wide).await;
}

/// A 4 KB schema of 100 distinct patterns that each compile to ~1 MB: refused with the
/// pattern budget's message (docs/rest-api.md §8), on registration, compatibility and
/// lookup, with nothing written; the server goes on answering, and ordinary patterns
/// register.
async fn json_expensive_regular_expressions_are_422(app: &TestApp) {
    let patterns: serde_json::Map<String, Value> = (0..100)
        .map(|i| (format!(r"^\p{{L}}{{1,20}}x{i}$"), json!({"type": "string"})))
        .collect();
    let expensive = json!({"type": "object", "patternProperties": patterns});
    assert!(expensive.to_string().len() < 5000);
    for _ in 0..3 {
        let r = app
            .register_body("regex-value", json_body(&expensive))
            .await;
        assert_eq!(r.status.as_u16(), 422, "{}", r.text);
        assert_eq!(r.error_code(), 42201, "{}", r.text);
        let message = r.json()["message"].as_str().unwrap().to_string();
        assert!(
            message.contains("the regular expression '^\\p{L}{1,20}x"),
            "{message}"
        );
        assert!(message.contains("past 8 MiB compiled"), "{message}");
    }
    // One pattern over the per-pattern limit, in `pattern`.
    let one = json!({"type": "string", "pattern": r"^\p{L}{1,60}x$"});
    let r = app.register_body("regex-value", json_body(&one)).await;
    r.assert_error(422, 42201);
    assert!(
        r.text
            .contains("more than 1 MiB, the limit for one pattern"),
        "{}",
        r.text
    );
    app.get("/subjects/regex-value/versions")
        .await
        .assert_error(404, 40401);

    // Compatibility and lookup parse the schema too.
    let ordinary = json!({"type": "object",
        "patternProperties": {r"^[a-z0-9-]+$": {"type": "string"}, r"^\w+$": {}},
        "properties": {"email": {"type": "string",
            "pattern": r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$"}}});
    register_json(app, "regex-value", &ordinary).await;
    app.post(
        "/compatibility/subjects/regex-value/versions/latest",
        json_body(&expensive),
    )
    .await
    .assert_error(422, 42201);
    app.post("/subjects/regex-value", json_body(&expensive))
        .await
        .assert_error(422, 42201);

    // Still healthy: reads and a further registration are answered.
    app.get("/subjects/regex-value/versions").await.assert_ok();
    register_json(app, "regex-other", &ordinary).await;
}
