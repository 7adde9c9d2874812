//! JSON Schema regular expressions: each pattern and all of a schema's patterns together are
//! bounded (`json::MAX_PATTERN_BYTES`, `json::MAX_SCHEMA_PATTERN_BYTES`); ordinary patterns
//! parse and match as they always did.

use schemata_compat::json::{
    incompatibilities, validate_instance, JsonSchema, MAX_PATTERN_BYTES, MAX_SCHEMA_PATTERN_BYTES,
};
use schemata_compat::{ParseOptions, ResolvedReference, Roles, SchemaType};
use serde_json::{json, Map, Value};

fn parse(schema: &Value) -> Result<JsonSchema, String> {
    JsonSchema::parse(&schema.to_string(), &[], ParseOptions::default()).map_err(|e| e.0)
}

/// `^\p{L}{1,20}x{i}$`: ~1 MB compiled, by both engines.
fn expensive(i: usize) -> String {
    format!(r"^\p{{L}}{{1,20}}x{i}$")
}

/// The schema of the denial of service: 100 distinct expensive `patternProperties` in 4 KB.
fn many_expensive_pattern_properties() -> Value {
    let patterns: Map<String, Value> = (0..100)
        .map(|i| (expensive(i), json!({"type": "string"})))
        .collect();
    json!({"type": "object", "patternProperties": patterns})
}

fn limit_mib(bytes: usize) -> String {
    format!("{} MiB", bytes >> 20)
}

#[test]
fn many_expensive_pattern_properties_are_refused_naming_the_pattern_and_limit() {
    let schema = many_expensive_pattern_properties();
    assert!(schema.to_string().len() < 5000);
    let e = parse(&schema).unwrap_err();
    assert!(
        e.starts_with("Invalid JSON Schema: the regular expression '^\\p{L}{1,20}x"),
        "{e}"
    );
    assert!(e.contains("at '#/patternProperties/"), "{e}");
    assert!(
        e.contains(&format!(
            "past {} compiled",
            limit_mib(MAX_SCHEMA_PATTERN_BYTES)
        )),
        "{e}"
    );
    assert!(e.contains("the limit for one schema"), "{e}");
}

#[test]
fn many_expensive_patterns_are_refused_wherever_they_are() {
    let n = 40;
    // `pattern` in `properties`.
    let properties: Map<String, Value> = (0..n)
        .map(|i| {
            (
                format!("p{i}"),
                json!({"type": "string", "pattern": expensive(i)}),
            )
        })
        .collect();
    let in_properties = json!({"type": "object", "properties": properties});
    // `propertyNames` with a pattern, in a chain of `allOf`.
    let names: Vec<Value> = (0..n)
        .map(|i| json!({"propertyNames": {"pattern": expensive(i)}}))
        .collect();
    let in_property_names = json!({"type": "object", "allOf": names});
    // Definitions used through `$ref`, and definitions nothing refers to.
    let definitions: Map<String, Value> = (0..n)
        .map(|i| {
            (
                format!("d{i}"),
                json!({"type": "string", "pattern": expensive(i)}),
            )
        })
        .collect();
    let in_definitions = json!({"definitions": definitions, "$ref": "#/definitions/d0"});
    // Inside a `default`, reached with a `$ref` into it.
    let hidden: Map<String, Value> = (0..n)
        .map(|i| (format!("h{i}"), json!({"pattern": expensive(i)})))
        .collect();
    let in_default = json!({"default": hidden, "allOf": [{"$ref": "#/default/h0"}]});
    for (name, schema, at) in [
        ("properties", in_properties, "#/properties/p"),
        ("propertyNames", in_property_names, "#/allOf/"),
        ("definitions", in_definitions, "#/definitions/d"),
        ("default", in_default, "#/default/h"),
    ] {
        let e = parse(&schema).unwrap_err();
        assert!(e.contains("the limit for one schema"), "{name}: {e}");
        assert!(e.contains(&format!("at '{at}")), "{name}: {e}");
    }
}

#[test]
fn patterns_of_references_share_the_budget() {
    // Each document alone fits; together they do not.
    let doc = |from: usize| {
        let properties: Map<String, Value> = (from..from + 5)
            .map(|i| {
                (
                    format!("p{i}"),
                    json!({"type": "string", "pattern": expensive(i)}),
                )
            })
            .collect();
        json!({"type": "object", "properties": properties})
    };
    assert!(parse(&doc(0)).is_ok());
    let references: Vec<ResolvedReference> = (0..2)
        .map(|r| ResolvedReference {
            name: format!("r{r}.json"),
            schema_type: SchemaType::Json,
            schema: doc(10 * r).to_string(),
        })
        .collect();
    let root = json!({"allOf": [{"$ref": "r0.json"}, {"$ref": "r1.json"}], "properties": {
        "x": {"pattern": expensive(99)}}});
    let e = JsonSchema::parse(&root.to_string(), &references, ParseOptions::default())
        .unwrap_err()
        .0;
    assert!(e.contains("the limit for one schema"), "{e}");
    assert!(e.contains("at 'r1.json#/properties/p1"), "{e}");
}

#[test]
fn one_pattern_over_the_per_pattern_limit_is_refused() {
    for schema in [
        json!({"type": "object", "patternProperties": {r"^\w{1,100}$": {}}}),
        json!({"type": "string", "pattern": r"^\p{L}{1,60}x$"}),
        json!({"properties": {"a": {"propertyNames": {"pattern": r"(\p{L}{1,60}y)+"}}}}),
    ] {
        let e = parse(&schema).unwrap_err();
        assert!(
            e.starts_with("Invalid JSON Schema: the regular expression '"),
            "{e}"
        );
        assert!(
            e.contains(&format!(
                "compiles to more than {}, the limit for one pattern",
                limit_mib(MAX_PATTERN_BYTES)
            )),
            "{e}"
        );
    }
}

#[test]
fn the_most_expensive_single_patterns_still_fit() {
    // About 1 MB compiled each, by both engines.
    let schema = json!({"type": "object",
        "patternProperties": {r"^\p{L}{1,20}$": {}, r"^\p{L}{1,20}x$": {}},
        "properties": {"a": {"type": "string", "pattern": r"^\p{L}{1,20}y$"}}});
    let s = parse(&schema).unwrap();
    assert!(validate_instance(&s, &json!({"ab": "x", "a": "ééy"})).is_ok());
    assert!(validate_instance(&s, &json!({"a": "1y"})).is_err());
}

/// Fifty patterns of the kinds real schemas use, in `pattern` and `patternProperties`.
fn ordinary_patterns() -> Vec<String> {
    let base = [
        r"^[a-z]+$",
        r"^[a-z0-9-]+$",
        r"^\w+$",
        r"^[\w.+-]+@[\w-]+\.[\w.]+$",
        r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$",
        r"^\d{4}-\d{2}-\d{2}$",
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
        r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        r"^\+?[0-9 ()-]{7,20}$",
        r"^(?=.*[A-Z])(?=.*\d).{8,}$",
    ];
    (0..50)
        .map(|i| format!("{}|^x{i}$", base[i % base.len()]))
        .collect()
}

#[test]
fn fifty_ordinary_patterns_parse_and_match_as_before() {
    let patterns = ordinary_patterns();
    let properties: Map<String, Value> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("p{i}"), json!({"type": "string", "pattern": p})))
        .collect();
    let pattern_properties: Map<String, Value> = patterns
        .iter()
        .map(|p| (p.clone(), json!({"type": "string"})))
        .collect();
    let schema = json!({"type": "object", "properties": properties,
        "patternProperties": pattern_properties});
    let s = parse(&schema).unwrap();
    // `pattern`: ECMA-262 semantics, as the validator always matched.
    for (value, i, ok) in [
        ("abc", 0, true),
        ("ab1", 0, false),
        ("x0", 0, true),
        ("a-1", 1, true),
        ("a_1", 2, true),
        ("é", 2, false), // ECMA's `\w` is ASCII
        ("a.b@c.org", 3, true),
        ("2024-01-31", 5, true),
        ("٢٠٢٤-01-31", 5, false), // ECMA's `\d` is ASCII
        ("Passw0rdX", 9, true),
        ("password", 9, false),
    ] {
        let instance = json!({format!("p{i}"): value});
        assert_eq!(
            validate_instance(&s, &instance).is_ok(),
            ok,
            "p{i} = {value}"
        );
    }
    // `patternProperties`: the diff matches property names with Rust's Unicode semantics,
    // unanchored: `é` is a word character there, so a property `é` of the writer is covered
    // by the reader's `^\w+$` schema (a string), and an integer is not.
    let reader = parse(&json!({"type": "object",
        "patternProperties": {r"^\w+$": {"type": "string"}}}))
    .unwrap();
    let writer =
        parse(&json!({"type": "object", "properties": {"é": {"type": "integer"}}})).unwrap();
    assert!(!incompatibilities(&reader, &writer, Roles::BACKWARD).is_empty());
}

#[test]
fn patterns_the_engines_cannot_read_keep_their_behaviour() {
    // Lookaround: the validator reads it; the model's copy never matches.
    let s = parse(&json!({"type": "object",
        "patternProperties": {"^(?!x-)": {"type": "string"}},
        "properties": {"a": {"pattern": r"^(?=.*\d)\w+$"}}}))
    .unwrap();
    assert!(validate_instance(&s, &json!({"b": "s", "a": "a1"})).is_ok());
    assert!(validate_instance(&s, &json!({"b": 1})).is_err());
    assert!(validate_instance(&s, &json!({"a": "ab"})).is_err());
    // Not an ECMA-262 regular expression: refused as before, by the metaschema's `format`.
    let e = parse(&json!({"pattern": "(?i)abc"})).unwrap_err();
    assert!(e.contains("is not a \"regex\""), "{e}");
}

#[test]
fn a_repeated_pattern_is_charged_once() {
    // Ten distinct expensive patterns would exceed the budget; one used 200 times does not.
    let properties: Map<String, Value> = (0..200)
        .map(|i| {
            (
                format!("p{i}"),
                json!({"pattern": expensive(0),
            "patternProperties": {expensive(1): {}}}),
            )
        })
        .collect();
    assert!(parse(&json!({"properties": properties})).is_ok());
}
