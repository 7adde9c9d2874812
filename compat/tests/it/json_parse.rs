//! JSON Schema parsing: drafts, metaschema validation, references, canonical text, limits.

use schemata_compat::json::{incompatibilities, validate_instance, JsonSchema};
use schemata_compat::{ParseOptions, ResolvedReference, Roles, SchemaType};
use serde_json::json;

fn parse(text: &str) -> Result<JsonSchema, String> {
    JsonSchema::parse(text, &[], ParseOptions::default()).map_err(|e| e.0)
}

fn reference(name: &str, schema: &str) -> ResolvedReference {
    ResolvedReference {
        name: name.to_string(),
        schema_type: SchemaType::Json,
        schema: schema.to_string(),
    }
}

#[test]
fn canonical_is_compact_and_keeps_key_order() {
    let s = parse(
        "{ \"type\" : \"object\",\n \"properties\": {\"b\": {\"type\":\"string\"}, \"a\": {}} }",
    )
    .unwrap();
    assert_eq!(
        s.canonical(),
        r#"{"type":"object","properties":{"b":{"type":"string"},"a":{}}}"#
    );
    let t = parse(r#"{"properties":{"a":{},"b":{"type":"string"}},"type":"object"}"#).unwrap();
    assert_ne!(s.canonical(), t.canonical());
}

#[test]
fn normalize_sorts_keys_required_and_type_arrays() {
    let options = ParseOptions {
        validate: true,
        normalize: true,
    };
    let a = JsonSchema::parse(
        r#"{"type":"object","required":["b","a"],"properties":{"b":{"type":["null","string"]},"a":{"enum":[{"y":1,"x":2}]}}}"#,
        &[],
        options,
    )
    .unwrap();
    assert_eq!(
        a.canonical(),
        r#"{"properties":{"a":{"enum":[{"x":2,"y":1}]},"b":{"type":["null","string"]}},"required":["a","b"],"type":"object"}"#
    );
    let b = JsonSchema::parse(
        r#"{"properties":{"a":{"enum":[{"x":2,"y":1}]},"b":{"type":["string","null"]}},"required":["a","b"],"type":"object"}"#,
        &[],
        options,
    )
    .unwrap();
    assert_eq!(a.canonical(), b.canonical());
    // A property called "required" is a name, not the keyword.
    let c = JsonSchema::parse(
        r#"{"properties":{"required":{"type":"string"}}}"#,
        &[],
        options,
    )
    .unwrap();
    assert_eq!(
        c.canonical(),
        r#"{"properties":{"required":{"type":"string"}}}"#
    );
}

#[test]
fn boolean_schemas_are_valid() {
    assert_eq!(parse("true").unwrap().canonical(), "true");
    assert_eq!(parse("false").unwrap().canonical(), "false");
    assert!(validate_instance(&parse("true").unwrap(), &json!(42)).is_ok());
    assert!(validate_instance(&parse("false").unwrap(), &json!(42)).is_err());
}

#[test]
fn invalid_json_is_rejected() {
    let e = parse("{\"type\": ").unwrap_err();
    assert!(e.contains("not valid JSON"), "{e}");
}

#[test]
fn json_that_is_not_a_schema_is_rejected() {
    for text in ["42", "\"string\"", "null", "[{\"type\":\"string\"}]"] {
        let e = parse(text).unwrap_err();
        assert!(
            e.contains("must be a JSON object or a boolean"),
            "{text}: {e}"
        );
    }
}

#[test]
fn metaschema_violations_are_rejected_with_reason() {
    let e = parse(r#"{"type":"strin"}"#).unwrap_err();
    assert!(e.starts_with("Invalid JSON Schema"), "{e}");
    let e = parse(r#"{"type":"object","properties":{"a":{"minLength":-1}}}"#).unwrap_err();
    assert!(e.contains("properties/a/minLength"), "{e}");
    assert!(parse(r#"{"required":"a"}"#).is_err());
}

#[test]
fn draft_defaults_to_07() {
    let s = parse(r#"{"type":"string"}"#).unwrap();
    assert_eq!(s.draft_name(), "draft-07");
    // `items` as an array is a tuple in draft-07 (invalid under 2020-12's metaschema).
    let s =
        parse(r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#).unwrap();
    assert!(validate_instance(&s, &json!(["a"])).is_ok());
    assert!(validate_instance(&s, &json!(["a", "b"])).is_err());
}

#[test]
fn every_supported_draft_is_detected() {
    for (uri, name) in [
        ("http://json-schema.org/draft-04/schema#", "draft-04"),
        ("http://json-schema.org/draft-06/schema#", "draft-06"),
        ("http://json-schema.org/draft-07/schema#", "draft-07"),
        ("https://json-schema.org/draft/2019-09/schema", "2019-09"),
        ("https://json-schema.org/draft/2020-12/schema", "2020-12"),
    ] {
        let s = parse(&format!(r#"{{"$schema":"{uri}","type":"integer"}}"#)).unwrap();
        assert_eq!(s.draft_name(), name);
        assert!(validate_instance(&s, &json!(3)).is_ok());
        assert!(validate_instance(&s, &json!("x")).is_err());
    }
    assert!(parse(r#"{"$schema":"http://example.com/my-meta","type":"integer"}"#).is_err());
}

#[test]
fn draft4_boolean_exclusive_maximum_is_valid_only_in_draft4() {
    assert!(parse(r#"{"$schema":"http://json-schema.org/draft-04/schema#","maximum":3,"exclusiveMaximum":true}"#).is_ok());
    assert!(parse(r#"{"maximum":3,"exclusiveMaximum":true}"#).is_err());
}

#[test]
fn local_refs_and_definitions_resolve() {
    let s = parse(
        r##"{"definitions":{"name":{"type":"string"}},"$defs":{"age":{"type":"integer"}},
            "type":"object","properties":{"n":{"$ref":"#/definitions/name"},"a":{"$ref":"#/$defs/age"}}}"##,
    )
    .unwrap();
    assert!(validate_instance(&s, &json!({"n":"x","a":3})).is_ok());
    assert!(validate_instance(&s, &json!({"n":3})).is_err());
}

#[test]
fn unresolvable_ref_is_an_error_naming_it() {
    let e = parse(r##"{"properties":{"a":{"$ref":"#/definitions/missing"}}}"##).unwrap_err();
    assert!(e.contains("#/definitions/missing"), "{e}");
    let e = parse(r#"{"properties":{"a":{"$ref":"other.json"}}}"#).unwrap_err();
    assert!(e.contains("other.json"), "{e}");
    let e = parse(r#"{"$ref":"https://example.com/remote.json"}"#).unwrap_err();
    assert!(e.contains("https://example.com/remote.json"), "{e}");
}

#[test]
fn references_resolve_by_name_transitively_and_with_fragments() {
    let address = reference(
        "address.json",
        r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#,
    );
    let customer = reference(
        "customer.json",
        r##"{"type":"object","properties":{"address":{"$ref":"address.json"}},
             "definitions":{"id":{"type":"integer"}}}"##,
    );
    let order = r##"{"type":"object","properties":{
        "customer":{"$ref":"customer.json"},
        "customerId":{"$ref":"customer.json#/definitions/id"}}}"##;
    let refs = [address, customer];
    let s = JsonSchema::parse(order, &refs, ParseOptions::default()).unwrap();
    assert!(validate_instance(
        &s,
        &json!({"customer":{"address":{"city":"Oslo"}},"customerId":1})
    )
    .is_ok());
    assert!(validate_instance(&s, &json!({"customer":{"address":{}}})).is_err());
    assert!(validate_instance(&s, &json!({"customerId":"x"})).is_err());
    // The referenced text is part of the model the diff compares.
    let refs2 = [
        reference(
            "address.json",
            r#"{"type":"object","properties":{"city":{"type":"string","maxLength":5}},"required":["city"]}"#,
        ),
        refs[1].clone(),
    ];
    let t = JsonSchema::parse(order, &refs2, ParseOptions::default()).unwrap();
    let messages = incompatibilities(&t, &s, Roles::BACKWARD);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("MAX_LENGTH_ADDED"));
    assert!(
        messages[0].contains("#/properties/customer/properties/address/properties/city"),
        "{messages:?}"
    );
}

#[test]
fn references_with_absolute_ids_resolve() {
    let r = reference(
        "https://example.com/schemas/address.json",
        r#"{"$id":"https://example.com/schemas/address.json","type":"string"}"#,
    );
    let s = JsonSchema::parse(
        r#"{"$id":"https://example.com/schemas/order.json","properties":{"a":{"$ref":"address.json"}}}"#,
        std::slice::from_ref(&r),
        ParseOptions::default(),
    )
    .unwrap();
    assert!(validate_instance(&s, &json!({"a":"x"})).is_ok());
    assert!(validate_instance(&s, &json!({"a":1})).is_err());
    let s = JsonSchema::parse(
        r#"{"properties":{"a":{"$ref":"https://example.com/schemas/address.json"}}}"#,
        &[r],
        ParseOptions::default(),
    )
    .unwrap();
    assert!(validate_instance(&s, &json!({"a":1})).is_err());
}

#[test]
fn reference_of_another_type_is_rejected() {
    let r = ResolvedReference {
        name: "x.avsc".into(),
        schema_type: SchemaType::Avro,
        schema: "\"string\"".into(),
    };
    assert!(JsonSchema::parse(r#"{"$ref":"x.avsc"}"#, &[r], ParseOptions::default()).is_err());
}

#[test]
fn invalid_reference_text_is_rejected_naming_it() {
    let r = reference("bad.json", "{not json");
    let e = JsonSchema::parse(r#"{"$ref":"bad.json"}"#, &[r], ParseOptions::default())
        .unwrap_err()
        .0;
    assert!(e.contains("bad.json"), "{e}");
}

#[test]
fn anchors_and_embedded_ids_resolve() {
    let s = parse(
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema",
            "$defs":{"n":{"$anchor":"name","type":"string"},
                     "e":{"$id":"https://example.com/email","type":"string","maxLength":3}},
            "properties":{"a":{"$ref":"#name"},"b":{"$ref":"https://example.com/email"}}}"##,
    )
    .unwrap();
    assert!(validate_instance(&s, &json!({"a":"x","b":"abc"})).is_ok());
    assert!(validate_instance(&s, &json!({"b":"abcd"})).is_err());
}

#[test]
fn self_recursive_schema_parses_and_diffs() {
    let tree = r##"{"type":"object","properties":{"value":{"type":"integer"},
        "children":{"type":"array","items":{"$ref":"#"}}}}"##;
    let s = parse(tree).unwrap();
    assert!(validate_instance(
        &s,
        &json!({"value":1,"children":[{"value":2,"children":[]}]})
    )
    .is_ok());
    assert!(validate_instance(&s, &json!({"children":[{"value":"x"}]})).is_err());
    assert!(incompatibilities(&s, &s, Roles::BACKWARD).is_empty());
    let narrowed = parse(&tree.replace(
        r#""value":{"type":"integer"}"#,
        r#""value":{"type":"integer","maximum":9}"#,
    ))
    .unwrap();
    assert!(!incompatibilities(&narrowed, &s, Roles::BACKWARD).is_empty());
    assert!(incompatibilities(&s, &narrowed, Roles::BACKWARD).is_empty());
}

#[test]
fn cyclic_refs_between_references_do_not_hang() {
    let a = reference(
        "a.json",
        r#"{"type":"object","properties":{"b":{"$ref":"b.json"}}}"#,
    );
    let b = reference(
        "b.json",
        r#"{"type":"object","properties":{"a":{"$ref":"a.json"}}}"#,
    );
    let s = JsonSchema::parse(
        r#"{"$ref":"a.json"}"#,
        &[a.clone(), b.clone()],
        ParseOptions::default(),
    )
    .unwrap();
    assert!(incompatibilities(&s, &s, Roles::BACKWARD).is_empty());
    assert!(validate_instance(&s, &json!({"b":{"a":{"b":{}}}})).is_ok());
    assert!(validate_instance(&s, &json!({"b":{"a":{"b":3}}})).is_err());
    let b2 = reference(
        "b.json",
        r#"{"type":"object","properties":{"a":{"$ref":"a.json"}},"additionalProperties":false}"#,
    );
    let t = JsonSchema::parse(r#"{"$ref":"a.json"}"#, &[a, b2], ParseOptions::default()).unwrap();
    let messages = incompatibilities(&t, &s, Roles::BACKWARD);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("ADDITIONAL_PROPERTIES_REMOVED")),
        "{messages:?}"
    );
}

const CYCLE: &str = "Invalid JSON Schema: $ref cycle without a schema: ";

#[test]
fn ref_cycle_through_definitions_is_rejected_naming_the_chain() {
    let e = parse(
        r##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##,
    )
    .unwrap_err();
    assert_eq!(e, format!("{CYCLE}#/$defs/a -> #/$defs/b -> #/$defs/a"));
    let e = parse(
        r##"{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/c"},"c":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"}"##,
    )
    .unwrap_err();
    assert_eq!(
        e,
        format!("{CYCLE}#/definitions/a -> #/definitions/b -> #/definitions/c -> #/definitions/a")
    );
    // 2020-12, where `$ref` is an ordinary keyword, and annotations next to the `$ref`s.
    let e = parse(
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"a":{"$ref":"#/$defs/b","description":"A","$comment":"c"},"b":{"title":"B","$ref":"#/$defs/a"}},"type":"object","properties":{"p":{"$ref":"#/$defs/a"}}}"##,
    )
    .unwrap_err();
    assert_eq!(e, format!("{CYCLE}#/$defs/a -> #/$defs/b -> #/$defs/a"));
}

#[test]
fn self_reference_without_a_schema_is_rejected() {
    let e = parse(r##"{"$ref":"#"}"##).unwrap_err();
    assert_eq!(e, format!("{CYCLE}# -> #"));
    let e = parse(r##"{"$ref":"#","title":"t","description":"d","$comment":"c"}"##).unwrap_err();
    assert_eq!(e, format!("{CYCLE}# -> #"));
    let e = parse(
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"#","$comment":"c"}"##,
    )
    .unwrap_err();
    assert_eq!(e, format!("{CYCLE}# -> #"));
    // Up to draft-07 the siblings of `$ref` are ignored, so this is still only a `$ref`.
    let e = parse(r##"{"$ref":"#","type":"string"}"##).unwrap_err();
    assert_eq!(e, format!("{CYCLE}# -> #"));
    let e = parse(r##"{"properties":{"x":{"$ref":"#/properties/x"}}}"##).unwrap_err();
    assert_eq!(e, format!("{CYCLE}#/properties/x -> #/properties/x"));
    // Back to the root through a definition.
    let e = parse(r##"{"definitions":{"a":{"$ref":"#"}},"$ref":"#/definitions/a"}"##).unwrap_err();
    assert_eq!(e, format!("{CYCLE}# -> #/definitions/a -> #"));
}

#[test]
fn ref_cycle_across_references_is_rejected() {
    let a = reference("a.json", r#"{"$ref":"b.json"}"#);
    let b = reference("b.json", r#"{"description":"b","$ref":"a.json"}"#);
    let e = JsonSchema::parse(
        r#"{"type":"object","properties":{"p":{"$ref":"a.json"}}}"#,
        &[a, b],
        ParseOptions::default(),
    )
    .unwrap_err()
    .0;
    assert_eq!(e, format!("{CYCLE}a.json# -> b.json# -> a.json#"));
    // Into a reference's definitions with a fragment.
    let defs = reference(
        "defs.json",
        r##"{"$defs":{"x":{"$ref":"#/$defs/y"},"y":{"$ref":"#/$defs/x"}}}"##,
    );
    let e = JsonSchema::parse(
        r#"{"type":"object","properties":{"p":{"$ref":"defs.json#/$defs/x"}}}"#,
        &[defs],
        ParseOptions::default(),
    )
    .unwrap_err()
    .0;
    assert_eq!(
        e,
        format!("{CYCLE}defs.json#/$defs/x -> defs.json#/$defs/y -> defs.json#/$defs/x")
    );
    // Back to the root schema through its `$id`.
    let other = reference("other.json", r#"{"$ref":"https://example.com/root.json"}"#);
    let e = JsonSchema::parse(
        r#"{"$id":"https://example.com/root.json","$ref":"other.json"}"#,
        &[other],
        ParseOptions::default(),
    )
    .unwrap_err()
    .0;
    assert_eq!(e, format!("{CYCLE}# -> other.json# -> #"));
}

#[test]
fn recursion_through_a_real_schema_is_accepted() {
    // A tree: the node's children are nodes.
    let tree = parse(
        r##"{"type":"object","properties":{"value":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#"}}}}"##,
    )
    .unwrap();
    assert!(validate_instance(&tree, &json!({"value":1,"children":[{"children":[]}]})).is_ok());
    // A linked list through properties, reached through a chain of `$ref`s.
    for text in [
        r##"{"definitions":{"list":{"$ref":"#/definitions/node"},"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#/definitions/list"}}}},"$ref":"#/definitions/list"}"##,
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"node":{"type":"object","properties":{"next":{"$ref":"#/$defs/node"}}}},"$ref":"#/$defs/node","title":"list"}"##,
        r##"{"type":"object","properties":{"next":{"$ref":"#"},"prev":{"$ref":"#/properties/next"}}}"##,
        r##"{"oneOf":[{"type":"null"},{"type":"object","properties":{"next":{"$ref":"#"}}}]}"##,
    ] {
        let s = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(incompatibilities(&s, &s, Roles::BACKWARD).is_empty());
        assert!(validate_instance(&s, &json!({"next":{"next":{}}})).is_ok());
        assert!(validate_instance(&s, &json!({"next":{"next":3}})).is_err());
    }
    // Chains of `$ref`s that end at a schema, shared targets.
    let s = parse(
        r##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/c"},"c":{"type":"string"}},"type":"object","properties":{"x":{"$ref":"#/$defs/a"},"y":{"$ref":"#/$defs/b"},"z":{"$ref":"#/$defs/a"}}}"##,
    )
    .unwrap();
    assert!(validate_instance(&s, &json!({"x":"a","y":"b"})).is_ok());
    assert!(validate_instance(&s, &json!({"x":1})).is_err());
    // Mutual recursion across references (see also cyclic_refs_between_references_do_not_hang).
    let a = reference("a.json", r#"{"$ref":"b.json"}"#);
    let b = reference(
        "b.json",
        r#"{"type":"object","properties":{"a":{"$ref":"a.json"}}}"#,
    );
    assert!(JsonSchema::parse(r#"{"$ref":"a.json"}"#, &[a, b], ParseOptions::default()).is_ok());
}

#[test]
fn deep_nesting_is_rejected() {
    let mut text = String::from(r#"{"type":"string"}"#);
    for _ in 0..70 {
        text = format!(r#"{{"type":"object","properties":{{"a":{text}}}}}"#);
    }
    let e = parse(&text).unwrap_err();
    assert!(e.contains("nested more than 128 levels"), "{e}");
    let mut text = String::from(r#"{"type":"string"}"#);
    for _ in 0..70 {
        text = format!(r#"{{"type":"array","items":{text}}}"#);
    }
    let e = parse(&text).unwrap_err();
    assert!(e.contains("nested more than 64 levels"), "{e}");
    // 40 levels of subschemas are fine.
    let mut text = String::from(r#"{"type":"string"}"#);
    for _ in 0..40 {
        text = format!(r#"{{"items":{text}}}"#);
    }
    assert!(parse(&text).is_ok());
    // Very deep JSON is rejected up front, without recursing.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse(&deep).is_err());
    let deep = format!("{{\"enum\":{}1{}}}", "[".repeat(200), "]".repeat(200));
    assert!(parse(&deep).is_err());
}

#[test]
fn subschema_depth_limit_is_exactly_64() {
    let nest = |levels: usize| {
        let mut text = String::from("{}");
        for _ in 0..levels {
            text = format!(r#"{{"not":{text}}}"#);
        }
        text
    };
    assert!(parse(&nest(64)).is_ok());
    let e = parse(&nest(65)).unwrap_err();
    assert!(e.contains("64"), "{e}");
}

#[test]
fn render_has_no_alternative_formats() {
    assert_eq!(parse("{}").unwrap().render("serialized"), None);
}

#[test]
fn validate_instance_reports_the_violation() {
    let s = parse(r#"{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}"#)
        .unwrap();
    assert!(s.validate_instance(&json!({"a":1})).is_ok());
    let e = s.validate_instance(&json!({"a":"x"})).unwrap_err();
    assert!(e.contains("/a"), "{e}");
}

#[test]
fn long_reference_chains_do_not_overflow_the_stack() {
    // 1000 definitions, each an object whose property refers to the next one: deeper than
    // the on-stack limit, so the diff moves to its large-stack thread.
    const CHAIN: usize = 1000;
    let chain = |last: &str| {
        let mut defs = serde_json::Map::new();
        for i in 0..CHAIN {
            let next = if i == CHAIN - 1 {
                serde_json::from_str(last).unwrap()
            } else {
                json!({"$ref": format!("#/definitions/d{}", i + 1)})
            };
            defs.insert(
                format!("d{i}"),
                json!({"type":"object","properties":{"n": next}}),
            );
        }
        json!({"definitions": defs, "$ref": "#/definitions/d0"}).to_string()
    };
    let old = parse(&chain(r#"{"type":"string"}"#)).unwrap();
    let new = parse(&chain(r#"{"type":"string","maxLength":2}"#)).unwrap();
    assert!(incompatibilities(&old, &old, Roles::BACKWARD).is_empty());
    let messages = incompatibilities(&new, &old, Roles::BACKWARD);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("MAX_LENGTH_ADDED"));
    assert!(incompatibilities(&old, &new, Roles::BACKWARD).is_empty());
}

#[test]
fn json_schema_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_send_sync::<JsonSchema>();
}
