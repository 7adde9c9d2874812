//! Protobuf schemas through the HTTP API: text and descriptor input, canonical text, the
//! `serialized` format, references by import path, compatibility messages and bad input.

use crate::common::*;
use crate::on_both_backends;
use base64::Engine;
use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::{ParseOptions, ResolvedReference, SchemaType};
use serde_json::{json, Value};

on_both_backends!(
    proto_text_is_registered_and_returned_canonical,
    proto_formatting_and_comments_do_not_change_identity,
    proto_serialized_format_is_a_file_descriptor,
    proto_base64_descriptor_is_accepted_as_input,
    proto_references_by_import_path,
    proto_incompatible_change_names_the_difference,
    proto_syntax_error_has_line_and_column,
    proto_unresolved_import_names_the_file,
);

const ORDER: &str = r#"syntax = "proto3";
package com.acme.orders;

import "google/protobuf/timestamp.proto";

// An order, as the shop sees it.
message Order {
  string id = 1;
  Status status = 2;
  map<string, int64> quantities = 3;
  oneof payment {
    string card_token = 4;
    string iban = 5;
  }
  repeated Line lines = 6;
  google.protobuf.Timestamp placed_at = 7;

  message Line {
    string sku = 1;
    uint32 count = 2;
  }

  enum Status {
    STATUS_UNKNOWN = 0;
    STATUS_OPEN = 1;
    STATUS_SHIPPED = 2;
  }
}
"#;

/// The same file as [`ORDER`], differently laid out, with other comments.
const ORDER_REFORMATTED: &str = r#"
// leading comment
syntax="proto3";  package com.acme.orders;
import "google/protobuf/timestamp.proto";
/* block
   comment */
message Order { string id = 1; Status status = 2;
    map < string , int64 > quantities = 3;   // trailing
  oneof payment { string card_token = 4; string iban = 5; }
  repeated Line lines = 6; google.protobuf.Timestamp placed_at = 7;
  message Line { string sku = 1; uint32 count = 2; }
  enum Status { STATUS_UNKNOWN = 0; STATUS_OPEN = 1; STATUS_SHIPPED = 2; }
}
"#;

const COMMON: &str = r#"syntax = "proto3";
package com.acme;

message Money {
  string currency = 1;
  int64 units = 2;
  int32 nanos = 3;
}
"#;

const INVOICE: &str = r#"syntax = "proto3";
package com.acme.billing;

import "com/acme/common.proto";
import "google/protobuf/timestamp.proto";

message Invoice {
  string number = 1;
  com.acme.Money total = 2;
  google.protobuf.Timestamp issued = 3;
}
"#;

const COMMON_SUBJECT: &str = "com%2Facme%2Fcommon.proto";

fn proto_body(schema: &str) -> Value {
    json!({ "schemaType": "PROTOBUF", "schema": schema })
}

fn proto_body_with_refs(schema: &str, references: Value) -> Value {
    json!({ "schemaType": "PROTOBUF", "schema": schema, "references": references })
}

async fn register_proto(app: &TestApp, subject: &str, schema: &str) -> i64 {
    app.register_body(subject, proto_body(schema))
        .await
        .assert_ok()["id"]
        .as_i64()
        .unwrap()
}

fn b64_decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|e| panic!("not base64 ({e}): {text}"))
}

/// Parse a `format=serialized` answer the way a client would: the base64 must decode and
/// parse as a descriptor; returns the fully qualified message names it declares.
fn parse_serialized(schema: &str, references: &[ResolvedReference]) -> Vec<String> {
    let bytes = b64_decode(schema);
    assert!(!bytes.is_empty());
    assert!(
        std::str::from_utf8(&bytes).map_or(true, |s| !s.contains("syntax =")),
        "serialized form must be a descriptor, not text"
    );
    let parsed = ProtobufSchema::parse(schema, references, ParseOptions::default())
        .unwrap_or_else(|e| panic!("serialized form does not parse: {e}"));
    parsed.message_names()
}

async fn proto_text_is_registered_and_returned_canonical(app: &TestApp) {
    let id = register_proto(app, "orders-value", ORDER).await;

    let by_id = app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    assert_eq!(by_id["schemaType"], "PROTOBUF");
    let text = by_id["schema"].as_str().unwrap();
    assert!(
        !text.contains("An order, as the shop sees it"),
        "comments are dropped: {text}"
    );
    for needle in [
        "syntax = \"proto3\";",
        "package com.acme.orders;",
        "import \"google/protobuf/timestamp.proto\";",
        "map<string, int64> quantities = 3;",
        "oneof payment {",
        "message Line {",
        "enum Status {",
        "STATUS_SHIPPED = 2;",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
    // The canonical text is itself a valid schema with the same canonical text.
    let reparsed = ProtobufSchema::parse(text, &[], ParseOptions::default()).unwrap();
    assert_eq!(reparsed.canonical(), text);

    let version = app
        .get("/subjects/orders-value/versions/1")
        .await
        .assert_ok();
    assert_eq!(version["schema"], text);
    assert_eq!(version["schemaType"], "PROTOBUF");
    assert_eq!(version["id"], id);
    assert_eq!(
        app.get("/subjects/orders-value/versions/latest/schema")
            .await
            .text,
        text
    );

    // Registering the returned canonical text is the same schema.
    assert_eq!(register_proto(app, "orders-value", text).await, id);
    // Lookup by the original text finds it.
    let found = app
        .post("/subjects/orders-value", proto_body(ORDER))
        .await
        .assert_ok();
    assert_eq!(found["id"], id);
    assert_eq!(found["version"], 1);
    // The type list advertises Protobuf.
    let types = app.get("/schemas/types").await.assert_ok();
    assert!(types.as_array().unwrap().contains(&json!("PROTOBUF")));
}

async fn proto_formatting_and_comments_do_not_change_identity(app: &TestApp) {
    let id = register_proto(app, "fmt-a", ORDER).await;
    let same = app
        .register_body("fmt-a", proto_body(ORDER_REFORMATTED))
        .await
        .assert_ok();
    assert_eq!(same["id"], id);
    assert_eq!(same["version"], 1, "no new version for the same schema");
    // Another subject reuses the id.
    assert_eq!(register_proto(app, "fmt-b", ORDER_REFORMATTED).await, id);
    // A real change is a new schema.
    let changed = ORDER.replace(
        "STATUS_SHIPPED = 2;",
        "STATUS_SHIPPED = 2;\n    STATUS_LOST = 3;",
    );
    let other = register_proto(app, "fmt-a", &changed).await;
    assert_ne!(other, id);
    assert_eq!(
        app.get("/subjects/fmt-a/versions").await.assert_ok(),
        json!([1, 2])
    );
}

async fn proto_serialized_format_is_a_file_descriptor(app: &TestApp) {
    let id = register_proto(app, "ser-value", ORDER).await;

    let by_id = app
        .get(&format!("/schemas/ids/{id}?format=serialized"))
        .await
        .assert_ok();
    assert_eq!(by_id["schemaType"], "PROTOBUF");
    let names = parse_serialized(by_id["schema"].as_str().unwrap(), &[]);
    assert!(
        names.contains(&"com.acme.orders.Order".to_string()),
        "{names:?}"
    );

    // The client asks with ?subject= as well (confluent-kafka's deserializer).
    let with_subject = app
        .get(&format!(
            "/schemas/ids/{id}?subject=ser-value&format=serialized"
        ))
        .await
        .assert_ok();
    assert_eq!(with_subject["schema"], by_id["schema"]);

    let version = app
        .get("/subjects/ser-value/versions/1?format=serialized")
        .await
        .assert_ok();
    assert_eq!(version["schema"], by_id["schema"]);
    let latest = app
        .get("/subjects/ser-value/versions/latest?format=serialized&deleted=true")
        .await
        .assert_ok();
    assert_eq!(latest["schema"], by_id["schema"]);

    // Without the format, text again.
    let text = app.get(&format!("/schemas/ids/{id}")).await.assert_ok();
    assert!(text["schema"].as_str().unwrap().starts_with("syntax"));
}

async fn proto_base64_descriptor_is_accepted_as_input(app: &TestApp) {
    let id = register_proto(app, "desc-a", ORDER).await;
    let serialized = app
        .get(&format!("/schemas/ids/{id}?format=serialized"))
        .await
        .assert_ok()["schema"]
        .as_str()
        .unwrap()
        .to_string();

    // The descriptor form of the same file is the same schema...
    let same = app
        .register_body("desc-b", proto_body(&serialized))
        .await
        .assert_ok();
    assert_eq!(same["id"], id);
    // ...and is stored and returned as text.
    let text = app.get("/subjects/desc-b/versions/1").await.assert_ok()["schema"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.starts_with("syntax = \"proto3\";"), "{text}");

    // A descriptor the server has never seen: take a text-registered schema's descriptor,
    // then register it under a fresh subject and compare against its text registration.
    let small =
        "syntax = \"proto3\";\npackage p.q;\nmessage Ping { int64 at = 1; bytes body = 2; }\n";
    let small_parsed = ProtobufSchema::parse(small, &[], ParseOptions::default()).unwrap();
    let small_b64 = base64::engine::general_purpose::STANDARD.encode(small_parsed.serialized());
    let from_descriptor = register_proto(app, "desc-ping", &small_b64).await;
    assert_eq!(
        register_proto(app, "desc-ping-text", small).await,
        from_descriptor
    );
    let stored = app
        .get(&format!("/schemas/ids/{from_descriptor}"))
        .await
        .assert_ok();
    assert!(stored["schema"].as_str().unwrap().contains("message Ping"));

    // Base64 that is not a descriptor is a 422, not a 5xx.
    app.register_body("desc-bad", proto_body("AAAA////"))
        .await
        .assert_error(422, 42201);
}

async fn proto_references_by_import_path(app: &TestApp) {
    // The dependency under its own subject, named by its import path, '/' sent as %2F.
    let common_id = register_proto(app, COMMON_SUBJECT, COMMON).await;
    let subjects = app.get("/subjects").await.assert_ok();
    assert!(
        subjects
            .as_array()
            .unwrap()
            .contains(&json!("com/acme/common.proto")),
        "{subjects}"
    );
    let common_version = app
        .get(&format!("/subjects/{COMMON_SUBJECT}/versions/1"))
        .await
        .assert_ok();
    assert_eq!(common_version["subject"], "com/acme/common.proto");
    assert_eq!(common_version["id"], common_id);

    let refs = json!([{"name": "com/acme/common.proto", "subject": "com/acme/common.proto", "version": -1}]);
    let invoice = app
        .register_body(
            "invoices-value",
            proto_body_with_refs(INVOICE, refs.clone()),
        )
        .await
        .assert_ok();
    let invoice_id = invoice["id"].as_i64().unwrap();

    // The concrete version is stored; the import is kept in the text.
    let stored = app
        .get("/subjects/invoices-value/versions/1")
        .await
        .assert_ok();
    assert_eq!(
        stored["references"],
        json!([{"name": "com/acme/common.proto", "subject": "com/acme/common.proto", "version": 1}])
    );
    assert!(stored["schema"]
        .as_str()
        .unwrap()
        .contains("import \"com/acme/common.proto\";"));
    let by_id = app
        .get(&format!("/schemas/ids/{invoice_id}"))
        .await
        .assert_ok();
    assert_eq!(by_id["references"][0]["name"], "com/acme/common.proto");

    // The serialized form of the referrer parses with its dependency supplied the way a client
    // fetches it (the dependency's own serialized form).
    let serialized = app
        .get(&format!("/schemas/ids/{invoice_id}?format=serialized"))
        .await
        .assert_ok();
    let dep = app
        .get(&format!(
            "/subjects/{COMMON_SUBJECT}/versions/1?deleted=true&format=serialized"
        ))
        .await
        .assert_ok();
    let dep_ref = ResolvedReference {
        name: "com/acme/common.proto".into(),
        schema_type: SchemaType::Protobuf,
        schema: dep["schema"].as_str().unwrap().to_string(),
    };
    let names = parse_serialized(serialized["schema"].as_str().unwrap(), &[dep_ref]);
    assert_eq!(names, vec!["com.acme.billing.Invoice".to_string()]);
    // Same schema again (by text with the same references): same id, same version.
    let again = app
        .register_body(
            "invoices-value",
            proto_body_with_refs(INVOICE, refs.clone()),
        )
        .await
        .assert_ok();
    assert_eq!(again["id"], invoice_id);
    assert_eq!(again["version"], 1);

    // Without the reference the import cannot be resolved.
    let missing = app
        .register_body("invoices-noref", proto_body(INVOICE))
        .await;
    missing.assert_error(422, 42201);
    assert!(
        missing.text.contains("com/acme/common.proto"),
        "{}",
        missing.text
    );

    // referencedby and delete protection.
    assert_eq!(
        app.get(&format!(
            "/subjects/{COMMON_SUBJECT}/versions/1/referencedby"
        ))
        .await
        .assert_ok(),
        json!([invoice_id])
    );
    app.delete(&format!("/subjects/{COMMON_SUBJECT}/versions/1"))
        .await
        .assert_error(422, 42206);
    app.delete(&format!("/subjects/{COMMON_SUBJECT}"))
        .await
        .assert_error(422, 42206);

    // Once the referrer is gone (soft, then hard), the dependency can go.
    app.delete("/subjects/invoices-value").await.assert_ok();
    app.delete("/subjects/invoices-value?permanent=true")
        .await
        .assert_ok();
    assert_eq!(
        app.get(&format!(
            "/subjects/{COMMON_SUBJECT}/versions/1/referencedby"
        ))
        .await
        .assert_ok(),
        json!([])
    );
    assert_eq!(
        app.delete(&format!("/subjects/{COMMON_SUBJECT}"))
            .await
            .assert_ok(),
        json!([1])
    );
}

async fn proto_incompatible_change_names_the_difference(app: &TestApp) {
    let v1 = "syntax = \"proto3\";\npackage c;\nmessage Reading {\n  string sensor = 1;\n  int32 value = 2;\n}\n";
    // Field 2 turns from a scalar into a message.
    let kind_changed = "syntax = \"proto3\";\npackage c;\nmessage Reading {\n  string sensor = 1;\n  Value value = 2;\n}\nmessage Value { double amount = 1; }\n";
    // Compatible: a new field, int32 → int64 (same wire group).
    let compatible = "syntax = \"proto3\";\npackage c;\nmessage Reading {\n  string sensor = 1;\n  int64 value = 2;\n  string unit = 3;\n}\n";
    register_proto(app, "readings", v1).await;
    app.put("/config/readings", json!({"compatibility": "BACKWARD"}))
        .await
        .assert_ok();

    let rejected = app
        .register_body("readings", proto_body(kind_changed))
        .await;
    rejected.assert_error(409, 409);
    assert!(
        rejected.text.contains("FIELD_KIND_CHANGED"),
        "{}",
        rejected.text
    );
    assert!(rejected.text.contains("#/Reading/2"), "{}", rejected.text);

    // The compatibility endpoint: terse by default, reasons with verbose=true.
    let terse = app
        .post(
            "/compatibility/subjects/readings/versions/latest",
            proto_body(kind_changed),
        )
        .await
        .assert_ok();
    assert_eq!(terse["is_compatible"], false);
    let verbose = app
        .post(
            "/compatibility/subjects/readings/versions/latest?verbose=true",
            proto_body(kind_changed),
        )
        .await
        .assert_ok();
    assert_eq!(verbose["is_compatible"], false);
    let messages = verbose["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m.as_str().unwrap().contains("FIELD_KIND_CHANGED")),
        "{verbose}"
    );
    // Python's spelling of booleans works too.
    let python = app
        .post(
            "/compatibility/subjects/readings/versions?normalize=False&verbose=True",
            proto_body(kind_changed),
        )
        .await
        .assert_ok();
    assert_eq!(python["is_compatible"], false);

    let ok = app
        .post(
            "/compatibility/subjects/readings/versions/latest?verbose=true",
            proto_body(compatible),
        )
        .await
        .assert_ok();
    assert_eq!(ok["is_compatible"], true, "{ok}");
    let v2 = register_proto(app, "readings", compatible).await;

    // A scalar change across wire groups, checked transitively against both versions.
    app.put(
        "/config/readings",
        json!({"compatibility": "BACKWARD_TRANSITIVE"}),
    )
    .await
    .assert_ok();
    let scalar = compatible.replace("int64 value = 2;", "string value = 2;");
    let rejected = app.register_body("readings", proto_body(&scalar)).await;
    rejected.assert_error(409, 409);
    assert!(
        rejected.text.contains("FIELD_SCALAR_KIND_CHANGED"),
        "{}",
        rejected.text
    );
    // Removing a message the old schema used is reported by name.
    let renamed = "syntax = \"proto3\";\npackage c;\nmessage Sample {\n  string sensor = 1;\n  int64 value = 2;\n}\n";
    let verbose = app
        .post(
            "/compatibility/subjects/readings/versions/latest?verbose=true",
            proto_body(renamed),
        )
        .await
        .assert_ok();
    assert_eq!(verbose["is_compatible"], false, "{verbose}");
    assert!(verbose.to_string().contains("MESSAGE_REMOVED"), "{verbose}");

    // NONE accepts anything parseable.
    app.put("/config/readings", json!({"compatibility": "NONE"}))
        .await
        .assert_ok();
    let v3 = register_proto(app, "readings", kind_changed).await;
    assert_ne!(v3, v2);
}

async fn proto_syntax_error_has_line_and_column(app: &TestApp) {
    let broken = "syntax = \"proto3\";\n\nmessage Broken {\n  string a = 1\n  int32 b = 2;\n}\n";
    let r = app.register_body("broken", proto_body(broken)).await;
    r.assert_error(422, 42201);
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("line 5") && message.contains("column 3"),
        "{message}"
    );
    // The same on the compatibility and lookup endpoints: never a 5xx.
    register_proto(
        app,
        "broken",
        "syntax = \"proto3\";\nmessage Broken { string a = 1; }\n",
    )
    .await;
    let c = app
        .post(
            "/compatibility/subjects/broken/versions/latest",
            proto_body(broken),
        )
        .await;
    c.assert_error(422, 42201);
    let l = app.post("/subjects/broken", proto_body(broken)).await;
    assert_eq!(l.status.as_u16(), 422, "{}", l.text);

    // Semantic errors: duplicate field numbers, unknown types.
    let dup = "syntax = \"proto3\";\nmessage D { string a = 1; string b = 1; }\n";
    app.register_body("broken", proto_body(dup))
        .await
        .assert_error(422, 42201);
    let unknown = "syntax = \"proto3\";\nmessage U { Nope n = 1; }\n";
    let r = app.register_body("broken", proto_body(unknown)).await;
    r.assert_error(422, 42201);
    assert!(r.text.contains("Nope"), "{}", r.text);
    // Empty (on a new subject: on an existing one an empty schema means "the latest
    // schema with new metadata") and garbage input.
    app.register_body("broken-new", proto_body(""))
        .await
        .assert_error(422, 42201);
    app.register_body("broken", proto_body("{\"type\": \"string\"}"))
        .await
        .assert_error(422, 42201);
}

async fn proto_unresolved_import_names_the_file(app: &TestApp) {
    let schema = "syntax = \"proto3\";\nimport \"acme/missing/things.proto\";\nmessage M { acme.Thing t = 1; }\n";
    let r = app.register_body("unresolved", proto_body(schema)).await;
    r.assert_error(422, 42201);
    assert!(r.text.contains("acme/missing/things.proto"), "{}", r.text);

    // A reference to a subject that does not exist is 422 as well.
    let refs =
        json!([{"name": "acme/missing/things.proto", "subject": "no-such-subject", "version": 1}]);
    app.register_body("unresolved", proto_body_with_refs(schema, refs))
        .await
        .assert_error(422, 42201);

    // The well-known types and Confluent's own imports resolve without references.
    let well_known = r#"syntax = "proto3";
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";
message W {
  google.protobuf.Any any = 1;
  google.protobuf.Duration took = 2;
  google.protobuf.Struct extra = 3;
  google.protobuf.StringValue maybe = 4;
  confluent.type.Decimal price = 5 [(confluent.field_meta).params = { key: "precision" value: "8" }];
}
"#;
    let ok = app
        .register_body("well-known", proto_body(well_known))
        .await;
    ok.assert_ok();
}
