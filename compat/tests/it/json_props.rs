//! Property tests: every generated schema is compatible with itself at every level, and FULL
//! holds exactly when BACKWARD and FORWARD both hold.

use proptest::prelude::*;
use schemata_compat::{CompatibilityLevel, ParseOptions, ParsedSchema, SchemaType};
use serde_json::{json, Map, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        Just(json!(true)),
        Just(json!({"type": "null"})),
        Just(json!({"type": "boolean"})),
        (0u32..5).prop_map(|n| json!({"type": "string", "maxLength": n + 1})),
        (0u32..5).prop_map(|n| json!({"type": "string", "minLength": n})),
        Just(json!({"type": "string", "pattern": "^a"})),
        Just(json!({"type": "string"})),
        (0i32..5).prop_map(|n| json!({"type": "integer", "minimum": n})),
        (1u32..4).prop_map(|n| json!({"type": "number", "multipleOf": n})),
        (0i32..5).prop_map(|n| json!({"type": "number", "exclusiveMaximum": n})),
        Just(json!({"type": "integer"})),
        prop::collection::vec(0i32..4, 1..4).prop_map(|v| json!({"enum": v})),
        (0i32..3).prop_map(|n| json!({"const": n})),
        Just(json!({"type": ["string", "null"]})),
    ]
}

fn schema() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                prop::collection::vec(inner.clone(), 0..4),
                prop::collection::vec(any::<bool>(), 4),
                prop_oneof![Just(None), Just(Some(json!(false))), inner.clone().prop_map(Some)],
            )
                .prop_map(|(props, required, additional)| {
                    let names = ["a", "b", "c", "d"];
                    let mut properties = Map::new();
                    let mut req = Vec::new();
                    for (i, p) in props.into_iter().enumerate() {
                        properties.insert(names[i].to_string(), p);
                        if required[i] {
                            req.push(json!(names[i]));
                        }
                    }
                    let mut o = json!({"type": "object", "properties": properties});
                    if !req.is_empty() {
                        o["required"] = Value::Array(req);
                    }
                    if let Some(a) = additional {
                        o["additionalProperties"] = a;
                    }
                    o
                }),
            (inner.clone(), any::<bool>()).prop_map(|(items, unique)| json!({"type": "array", "items": items, "uniqueItems": unique})),
            (prop::collection::vec(inner.clone(), 1..3), any::<bool>())
                .prop_map(|(items, closed)| json!({"type": "array", "items": items, "additionalItems": !closed})),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| json!({"anyOf": v})),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| json!({"oneOf": v})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({"allOf": v})),
            inner.prop_map(|v| json!({"not": v})),
        ]
    })
}

/// A schema, sometimes moved behind a local `$ref`.
fn top() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => schema(),
        1 => schema().prop_map(|v| json!({"definitions": {"x": v}, "$ref": "#/definitions/x"})),
    ]
}

fn parsed(value: &Value) -> ParsedSchema {
    ParsedSchema::parse(
        SchemaType::Json,
        &value.to_string(),
        &[],
        ParseOptions::default(),
    )
    .unwrap_or_else(|e| panic!("generated schema rejected: {value}: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: crate::regressions_beside_source(),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_schema_is_compatible_with_itself(s in top()) {
        let a = parsed(&s);
        let b = parsed(&s);
        for level in CompatibilityLevel::ALL {
            let messages = level.check_pair(&a, &b);
            prop_assert!(messages.is_empty(), "{} {}: {:?}", level, s, messages);
        }
    }

    #[test]
    fn full_is_backward_and_forward(old in top(), new in top()) {
        let (o, n) = (parsed(&old), parsed(&new));
        let backward = CompatibilityLevel::Backward.check_pair(&n, &o).is_empty();
        let forward = CompatibilityLevel::Forward.check_pair(&n, &o).is_empty();
        let full = CompatibilityLevel::Full.check_pair(&n, &o).is_empty();
        prop_assert_eq!(full, backward && forward);
        let full_transitive = CompatibilityLevel::FullTransitive.check_pair(&n, &o).is_empty();
        prop_assert_eq!(full_transitive, full);
    }

    #[test]
    fn adding_an_optional_property_to_a_closed_object_is_backward_compatible(p in leaf()) {
        let old = json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false});
        let new = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": p}, "additionalProperties": false});
        prop_assert!(CompatibilityLevel::Backward.check_pair(&parsed(&new), &parsed(&old)).is_empty());
    }
}
