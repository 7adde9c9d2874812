//! The `normalize=true` form of a JSON schema. Normalisation is purely textual and keeps the
//! meaning: object keys sorted everywhere (code-point order), and at schema positions
//! `required` and `type` arrays sorted with duplicates removed (a one-element `type` array
//! stays an array). `enum`, `allOf`/`anyOf`/`oneOf`, `items` lists and every value keep
//! their order.

use serde_json::{Map, Value};

pub(super) fn normalized(value: &Value) -> String {
    let mut value = value.clone();
    normalize_schema(&mut value, 0);
    sort_keys(&mut value);
    value.to_string()
}

fn normalize_schema(value: &mut Value, depth: usize) {
    if depth > super::parse::MAX_JSON_DEPTH {
        return;
    }
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    for key in ["required", "type"] {
        if let Some(Value::Array(items)) = obj.get_mut(key) {
            if items.iter().all(Value::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                items.dedup();
            }
        }
    }
    let mut children: Vec<&mut Value> = Vec::new();
    for (key, child) in obj.iter_mut() {
        match key.as_str() {
            "additionalItems"
            | "additionalProperties"
            | "contains"
            | "not"
            | "propertyNames"
            | "if"
            | "then"
            | "else"
            | "unevaluatedItems"
            | "unevaluatedProperties"
            | "contentSchema" => children.push(child),
            "allOf" | "anyOf" | "oneOf" | "prefixItems" | "items" => match child {
                Value::Array(items) => children.extend(items.iter_mut()),
                other => children.push(other),
            },
            "properties" | "patternProperties" | "definitions" | "$defs" | "dependentSchemas"
            | "dependencies" => {
                if let Value::Object(map) = child {
                    children.extend(map.values_mut().filter(|v| !v.is_array()));
                }
            }
            _ => {}
        }
    }
    for child in children {
        normalize_schema(child, depth + 1);
    }
}

fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut sorted = Map::with_capacity(entries.len());
            for (k, mut v) in entries {
                sort_keys(&mut v);
                sorted.insert(k, v);
            }
            *map = sorted;
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}
