//! One test per reader/writer rule of `docs/compatibility.md` §2.2, with our own schemas.

use schemata_compat::avro::{incompatibilities, AvroSchema};
use schemata_compat::{ParseOptions, Roles};
use serde_json::{json, Value};

fn avro(v: Value) -> AvroSchema {
    AvroSchema::parse(
        &v.to_string(),
        &[],
        ParseOptions {
            validate: true,
            normalize: false,
        },
    )
    .unwrap_or_else(|e| panic!("{e}: {v}"))
}

/// Messages when `new` reads data written with `old`.
fn backward(new: &Value, old: &Value) -> Vec<String> {
    incompatibilities(&avro(new.clone()), &avro(old.clone()), Roles::BACKWARD)
}

/// Messages when `old` reads data written with `new`.
fn forward(new: &Value, old: &Value) -> Vec<String> {
    incompatibilities(&avro(old.clone()), &avro(new.clone()), Roles::FORWARD)
}

fn types(messages: &[String]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| {
            m.strip_prefix("{errorType:'")
                .and_then(|r| r.split('\'').next())
                .unwrap_or(m)
        })
        .collect()
}

fn record(name: &str, fields: Value) -> Value {
    json!({"type": "record", "name": name, "fields": fields})
}

// Rule 1 ------------------------------------------------------------------------------

#[test]
fn same_primitive_types_are_compatible() {
    for p in [
        "null", "boolean", "int", "long", "float", "double", "bytes", "string",
    ] {
        assert!(backward(&json!(p), &json!(p)).is_empty(), "{p}");
        assert!(backward(&json!({ "type": p }), &json!(p)).is_empty(), "{p}");
    }
}

// Rule 2 ------------------------------------------------------------------------------

#[test]
fn promotion_int_to_long_is_backward_compatible() {
    assert!(backward(&json!("long"), &json!("int")).is_empty());
    assert_eq!(
        forward(&json!("long"), &json!("int")),
        vec![
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the \
              old schema does not match with the new schema', additionalInfo:'reader type: INT \
              not compatible with writer type: LONG'}"
        ]
    );
}

#[test]
fn every_allowed_promotion_is_accepted() {
    let allowed = [
        ("long", "int"),
        ("float", "int"),
        ("float", "long"),
        ("double", "int"),
        ("double", "long"),
        ("double", "float"),
        ("string", "bytes"),
        ("bytes", "string"),
    ];
    for (reader, writer) in allowed {
        assert!(
            backward(&json!(reader), &json!(writer)).is_empty(),
            "{reader} <- {writer}"
        );
    }
}

#[test]
fn no_other_promotion_is_accepted() {
    let prims = [
        "null", "boolean", "int", "long", "float", "double", "bytes", "string",
    ];
    let allowed = [
        ("long", "int"),
        ("float", "int"),
        ("float", "long"),
        ("double", "int"),
        ("double", "long"),
        ("double", "float"),
        ("string", "bytes"),
        ("bytes", "string"),
    ];
    for r in prims {
        for w in prims {
            if r == w || allowed.contains(&(r, w)) {
                continue;
            }
            assert_eq!(
                types(&backward(&json!(r), &json!(w))),
                vec!["TYPE_MISMATCH"],
                "{r} <- {w}"
            );
        }
    }
    let e = json!({"type": "enum", "name": "E", "symbols": ["A"]});
    assert_eq!(
        types(&backward(&json!("string"), &e)),
        vec!["TYPE_MISMATCH"]
    );
}

// Rule 3 ------------------------------------------------------------------------------

#[test]
fn writer_union_needs_every_branch_readable_by_non_union_reader() {
    // long reads int and long: fine.
    assert!(backward(&json!("long"), &json!(["int", "long"])).is_empty());
    // long cannot read the string branch: the branch's own error is reported, located
    // relative to the branch (Java checks each branch from a new root), so at `/`.
    assert_eq!(
        backward(&json!("long"), &json!(["int", "string"])),
        vec![
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the \
              new schema does not match with the old schema', additionalInfo:'reader type: LONG \
              not compatible with writer type: STRING'}"
        ]
    );
}

// Rule 4 ------------------------------------------------------------------------------

#[test]
fn reader_union_needs_one_branch_reading_the_writer() {
    assert!(backward(&json!(["null", "long"]), &json!("int")).is_empty());
    assert_eq!(
        backward(&json!(["null", "string"]), &json!("int")),
        vec![
            "{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type \
              inside a union field at path '/' in the old schema', additionalInfo:'reader union \
              lacking writer type: INT'}"
        ]
    );
}

// Rule 5 ------------------------------------------------------------------------------

#[test]
fn union_to_union_checks_every_writer_branch_in_any_order() {
    assert!(backward(&json!(["string", "null"]), &json!(["null", "string"])).is_empty());
    // Adding a branch to the reader: backward compatible, not forward.
    let old = json!(["null", "string"]);
    let new = json!(["null", "string", "int"]);
    assert!(backward(&new, &old).is_empty());
    assert_eq!(
        forward(&new, &old),
        vec![
            "{errorType:'MISSING_UNION_BRANCH', description:'The old schema is missing a type \
              inside a union field at path '/2' in the new schema', additionalInfo:'reader union \
              lacking writer type: INT'}"
        ]
    );
}

#[test]
fn making_a_type_nullable_is_backward_but_not_forward_compatible() {
    let old = json!("string");
    let new = json!(["null", "string"]);
    assert!(backward(&new, &old).is_empty());
    assert_eq!(types(&forward(&new, &old)), vec!["TYPE_MISMATCH"]);
}

// Rule 6 ------------------------------------------------------------------------------

#[test]
fn array_items_and_map_values_are_compared_recursively() {
    let arr = |t: &str| json!({"type": "array", "items": t});
    let map = |t: &str| json!({"type": "map", "values": t});
    assert!(backward(&arr("long"), &arr("int")).is_empty());
    assert!(backward(&map("double"), &map("float")).is_empty());
    let m = backward(&arr("int"), &arr("string"));
    assert!(m[0].contains("path '/items'"), "{m:?}");
    let m = backward(&map("int"), &map("string"));
    assert!(m[0].contains("path '/values'"), "{m:?}");
    assert_eq!(
        types(&backward(&arr("int"), &map("int"))),
        vec!["TYPE_MISMATCH"]
    );
}

// Rule 7 ------------------------------------------------------------------------------

#[test]
fn namespace_change_of_a_named_type_is_compatible() {
    let old = json!({"type": "record", "name": "R", "namespace": "a", "fields": [{"name": "f", "type": "int"}]});
    let new = json!({"type": "record", "name": "b.R", "fields": [{"name": "f", "type": "int"}]});
    assert!(backward(&new, &old).is_empty());
    assert!(forward(&new, &old).is_empty());
}

#[test]
fn renaming_a_named_type_is_a_name_mismatch() {
    let old = json!({"type": "fixed", "name": "F", "namespace": "ns", "size": 4});
    let new = json!({"type": "fixed", "name": "G", "namespace": "ns", "size": 4});
    assert_eq!(
        backward(&new, &old),
        vec![
            "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path \
              '/name')', additionalInfo:'expected: ns.F'}"
        ]
    );
}

#[test]
fn reader_alias_on_record_matches_writer_full_name() {
    let old = json!({"type": "record", "name": "Old", "namespace": "ns", "fields": []});
    let new = json!({"type": "record", "name": "New", "namespace": "ns", "aliases": ["Old"], "fields": []});
    assert!(backward(&new, &old).is_empty());
    // Aliases are resolved in the reader's namespace: an alias naming another namespace
    // does not match.
    let new_other = json!({"type": "record", "name": "New", "namespace": "ns", "aliases": ["other.Old"], "fields": []});
    assert_eq!(types(&backward(&new_other, &old)), vec!["NAME_MISMATCH"]);
}

#[test]
fn writer_aliases_are_not_used() {
    let old = json!({"type": "enum", "name": "Old", "aliases": ["New"], "symbols": ["A"]});
    let new = json!({"type": "enum", "name": "New", "symbols": ["A"]});
    assert_eq!(types(&backward(&new, &old)), vec!["NAME_MISMATCH"]);
    // ... but the same alias on the reader works in the other direction.
    assert!(forward(&new, &old).is_empty());
}

// Rule 8 ------------------------------------------------------------------------------

#[test]
fn fixed_size_must_be_identical() {
    let old = json!({"type": "fixed", "name": "F", "size": 8});
    let new = json!({"type": "fixed", "name": "F", "size": 16});
    assert_eq!(
        backward(&new, &old),
        vec![
            "{errorType:'FIXED_SIZE_MISMATCH', description:'The size of FIXED type field at \
              path '/size' in the new schema does not match with the old schema', \
              additionalInfo:'expected: 8, found: 16'}"
        ]
    );
}

// Rule 9 ------------------------------------------------------------------------------

#[test]
fn enum_reader_must_know_every_writer_symbol() {
    let old = json!({"type": "enum", "name": "E", "symbols": ["A", "D", "C", "B"]});
    let new = json!({"type": "enum", "name": "E", "symbols": ["B", "A"]});
    assert_eq!(
        backward(&new, &old),
        vec![
            "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum \
              symbols '[C, D]' at path '/symbols' in the old schema', additionalInfo:'[C, D]'}"
        ]
    );
    // Adding symbols: backward compatible; symbol order is irrelevant.
    assert!(backward(&old, &new).is_empty());
}

#[test]
fn enum_reader_default_tolerates_missing_symbols() {
    let old = json!({"type": "enum", "name": "E", "symbols": ["A", "B", "C"]});
    let new =
        json!({"type": "enum", "name": "E", "symbols": ["A", "UNKNOWN"], "default": "UNKNOWN"});
    assert!(backward(&new, &old).is_empty());
    // A writer default does not help the reader.
    assert_eq!(types(&forward(&new, &old)), vec!["MISSING_ENUM_SYMBOLS"]);
}

// Rule 10 -----------------------------------------------------------------------------

#[test]
fn reader_field_without_default_missing_in_writer_is_reported() {
    let old = record("R", json!([{"name": "f1", "type": "string"}]));
    let new = record(
        "R",
        json!([{"name": "f1", "type": "string"}, {"name": "f2", "type": "string"}]),
    );
    assert_eq!(
        backward(&new, &old),
        vec![
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at \
              path '/fields/1' in the new schema has no default value and is missing in the old \
              schema', additionalInfo:'f2'}"
        ]
    );
    // Removing it again is fine for BACKWARD (writer fields the reader lacks are skipped),
    // and FORWARD words the message the other way round.
    assert!(backward(&old, &new).is_empty());
    assert!(forward(&old, &new)[0]
        .contains("in the old schema has no default value and is missing in the new schema"));
}

#[test]
fn reader_field_with_default_missing_in_writer_is_compatible() {
    let old = record("R", json!([{"name": "f1", "type": "string"}]));
    let new = record(
        "R",
        json!([{"name": "f1", "type": "string"}, {"name": "f2", "type": "string", "default": "x"}]),
    );
    assert!(backward(&new, &old).is_empty());
    assert!(forward(&new, &old).is_empty());
}

#[test]
fn reader_field_alias_matches_writer_field() {
    let old = record("R", json!([{"name": "before", "type": "int"}]));
    let new = record(
        "R",
        json!([{"name": "after", "type": "long", "aliases": ["before"]}]),
    );
    assert!(backward(&new, &old).is_empty());
    // Without the alias, the renamed field needs a default.
    assert_eq!(
        types(&forward(&new, &old)),
        vec!["READER_FIELD_MISSING_DEFAULT_VALUE"]
    );
}

#[test]
fn reader_field_matching_two_writer_fields_is_an_unexpected_exception() {
    let old = record(
        "R",
        json!([{"name": "a", "type": "int"}, {"name": "b", "type": "int"}]),
    );
    let new = record("R", json!([{"name": "a", "type": "int", "aliases": ["b"]}]));
    let m = backward(&new, &old);
    assert_eq!(m.len(), 1);
    assert!(
        m[0].starts_with("Unexpected exception during compatibility check: "),
        "{m:?}"
    );
}

#[test]
fn missing_enum_field_with_enum_default_compares_enum_with_writer_record() {
    let old = record("R", json!([{"name": "a", "type": "int"}]));
    let new = record(
        "R",
        json!([
            {"name": "a", "type": "int"},
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X"], "default": "X"}}
        ]),
    );
    assert_eq!(
        backward(&new, &old),
        vec![
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/1/type') of a \
              field in the new schema does not match with the old schema', \
              additionalInfo:'reader type: ENUM not compatible with writer type: RECORD'}"
        ]
    );
}

#[test]
fn field_order_is_irrelevant_and_matching_is_by_name() {
    let old = record(
        "R",
        json!([{"name": "a", "type": "int"}, {"name": "b", "type": "string"}]),
    );
    let new = record(
        "R",
        json!([{"name": "b", "type": "string"}, {"name": "a", "type": "long"}]),
    );
    assert!(backward(&new, &old).is_empty());
    let m = forward(&new, &old);
    assert_eq!(types(&m), vec!["TYPE_MISMATCH"]);
    assert!(m[0].contains("path '/fields/0/type'"), "{m:?}");
}

// Rule 11 -----------------------------------------------------------------------------

#[test]
fn different_types_are_a_type_mismatch() {
    let r = record("R", json!([]));
    let m = backward(&json!({"type": "array", "items": "int"}), &r);
    assert_eq!(
        m,
        vec![
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the new \
              schema does not match with the old schema', additionalInfo:'reader type: ARRAY not \
              compatible with writer type: RECORD'}"
        ]
    );
}

// Cross-cutting -------------------------------------------------------------------------

#[test]
fn all_incompatibilities_are_collected() {
    let old = record(
        "R",
        json!([{"name": "a", "type": "string"}, {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}}]),
    );
    let new = record(
        "S",
        json!([
            {"name": "a", "type": "int"},
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X"]}},
            {"name": "n", "type": "int"}
        ]),
    );
    assert_eq!(
        types(&backward(&new, &old)),
        vec![
            "NAME_MISMATCH",
            "TYPE_MISMATCH",
            "MISSING_ENUM_SYMBOLS",
            "READER_FIELD_MISSING_DEFAULT_VALUE"
        ]
    );
}

#[test]
fn recursive_types_terminate_and_evolve() {
    let old = json!({"type": "record", "name": "Node", "fields": [
        {"name": "value", "type": "int"},
        {"name": "next", "type": ["null", "Node"], "default": null}
    ]});
    let new = json!({"type": "record", "name": "Node", "fields": [
        {"name": "value", "type": "long"},
        {"name": "next", "type": ["null", "Node"], "default": null},
        {"name": "label", "type": "string", "default": ""}
    ]});
    assert!(backward(&old, &old).is_empty());
    assert!(backward(&new, &old).is_empty());
    assert_eq!(types(&forward(&new, &old)), vec!["TYPE_MISMATCH"]);
}

#[test]
fn named_type_inline_in_one_schema_and_by_name_in_the_other_is_compatible() {
    let e = json!({"type": "enum", "name": "E", "symbols": ["A"]});
    let old = record(
        "R",
        json!([{"name": "x", "type": e}, {"name": "y", "type": "E"}]),
    );
    let new = record(
        "R",
        json!([{"name": "y", "type": e}, {"name": "x", "type": "E"}]),
    );
    assert!(backward(&new, &old).is_empty());
    assert!(forward(&new, &old).is_empty());
}

#[test]
fn logical_types_are_ignored() {
    let pairs = [
        (
            json!({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}),
            json!({"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 1}),
        ),
        (
            json!({"type": "long", "logicalType": "timestamp-millis"}),
            json!({"type": "long", "logicalType": "timestamp-micros"}),
        ),
        (
            json!({"type": "string", "logicalType": "uuid"}),
            json!("string"),
        ),
        (json!({"type": "int", "logicalType": "date"}), json!("int")),
    ];
    for (a, b) in pairs {
        assert!(backward(&a, &b).is_empty(), "{a} <- {b}");
        assert!(backward(&b, &a).is_empty(), "{b} <- {a}");
    }
    assert_eq!(
        types(&backward(
            &json!("string"),
            &json!({"type": "int", "logicalType": "date"})
        )),
        vec!["TYPE_MISMATCH"]
    );
}

#[test]
fn docs_defaults_order_and_props_are_not_compared() {
    let old = json!({"type": "record", "name": "R", "doc": "one", "x-prop": 1, "fields": [
        {"name": "a", "type": "int", "default": 1, "order": "descending", "doc": "d"}
    ]});
    let new = json!({"type": "record", "name": "R", "doc": "two", "fields": [
        {"name": "a", "type": "int", "default": 7}
    ]});
    assert!(backward(&new, &old).is_empty());
    assert!(forward(&new, &old).is_empty());
}

#[test]
fn union_branch_paths_nest_under_fields() {
    let old = record(
        "R",
        json!([{"name": "f", "type": ["null", "string", "int"]}]),
    );
    let new = record("R", json!([{"name": "f", "type": ["null", "string"]}]));
    let m = backward(&new, &old);
    assert_eq!(types(&m), vec!["MISSING_UNION_BRANCH"]);
    assert!(m[0].contains("path '/fields/0/type/2'"), "{m:?}");
}
