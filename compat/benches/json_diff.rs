//! Diff of a large JSON schema (hundreds of properties, nested objects, arrays, combined
//! schemas and references) against a modified copy, in both directions.

use criterion::{criterion_group, criterion_main, Criterion};
use schemata_compat::json::{incompatibilities, JsonSchema};
use schemata_compat::{ParseOptions, Roles};
use serde_json::{json, Map, Value};
use std::hint::black_box;

/// 300 top-level properties; every tenth is a nested object of 10 properties, every
/// seventh an array of objects, every eleventh a oneOf, some behind `$ref`s.
fn large_schema(modified: bool) -> Value {
    let mut properties = Map::new();
    for i in 0..300 {
        let p = match i % 10 {
            0 => {
                let mut inner = Map::new();
                for j in 0..10 {
                    let max = if modified && j == 3 { 40 } else { 50 };
                    inner.insert(format!("f{j}"), json!({"type": "string", "maxLength": max}));
                }
                json!({"type": "object", "properties": inner, "required": ["f0", "f1"], "additionalProperties": false})
            }
            7 => json!({"type": "array", "items": {"type": "object", "properties": {
                "x": {"type": "integer", "minimum": 0},
                "y": {"type": "number", "multipleOf": 0.5},
                "z": {"enum": ["a", "b", "c"]}}}, "maxItems": 100}),
            3 if i % 11 == 0 => {
                json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
            }
            5 => json!({"$ref": "#/definitions/address"}),
            _ => {
                if i % 11 == 0 {
                    json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
                } else {
                    json!({"type": ["string", "null"], "description": format!("field {i}")})
                }
            }
        };
        properties.insert(format!("p{i}"), p);
    }
    if modified {
        properties.insert("added".into(), json!({"type": "string"}));
        properties.remove("p42");
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "definitions": {"address": {"type": "object", "properties": {
            "street": {"type": "string"}, "city": {"type": "string"},
            "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}},
        "properties": properties,
        "required": ["p0", "p1", "p2"]
    })
}

fn bench(c: &mut Criterion) {
    let old_text = large_schema(false).to_string();
    let new_text = large_schema(true).to_string();
    let old = JsonSchema::parse(&old_text, &[], ParseOptions::default()).unwrap();
    let new = JsonSchema::parse(&new_text, &[], ParseOptions::default()).unwrap();
    assert!(!incompatibilities(&new, &old, Roles::BACKWARD).is_empty());
    c.bench_function("json_diff_large_backward", |b| {
        b.iter(|| incompatibilities(black_box(&new), black_box(&old), Roles::BACKWARD))
    });
    c.bench_function("json_diff_large_forward", |b| {
        b.iter(|| incompatibilities(black_box(&old), black_box(&new), Roles::FORWARD))
    });
    c.bench_function("json_parse_large", |b| {
        b.iter(|| JsonSchema::parse(black_box(&old_text), &[], ParseOptions::default()).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
