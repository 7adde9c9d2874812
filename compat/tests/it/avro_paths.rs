//! Exact locations of Avro incompatibilities around unions and memoised pairs
//! (`docs/compatibility.md` §2.1–2.2: Java's checker, as CSR reports it).
//!
//! Java checks the branches of a union through its public entry point, which starts a new
//! location stack: a writer-union branch read by a non-union reader is located relative to
//! the branch, and a pair memoised during such a check keeps that location when reused.

use schemata_compat::avro::{incompatibilities, AvroSchema};
use schemata_compat::{ParseOptions, Roles};
use serde_json::{json, Value};

fn avro(v: &Value) -> AvroSchema {
    AvroSchema::parse(&v.to_string(), &[], ParseOptions::default())
        .unwrap_or_else(|e| panic!("{e}: {v}"))
}

fn backward(new: &Value, old: &Value) -> Vec<String> {
    incompatibilities(&avro(new), &avro(old), Roles::BACKWARD)
}

fn forward(new: &Value, old: &Value) -> Vec<String> {
    incompatibilities(&avro(old), &avro(new), Roles::FORWARD)
}

/// (errorType, path, additionalInfo) of each message.
fn summary(messages: &[String]) -> Vec<(String, String, String)> {
    messages
        .iter()
        .map(|m| {
            let kind = m
                .strip_prefix("{errorType:'")
                .and_then(|r| r.split('\'').next())
                .unwrap_or_else(|| panic!("not an Avro message: {m}"));
            let path = m
                .split("path '")
                .nth(1)
                .and_then(|r| r.split('\'').next())
                .unwrap_or_else(|| panic!("no path: {m}"));
            let info = m
                .split("additionalInfo:'")
                .nth(1)
                .and_then(|r| r.strip_suffix("'}"))
                .unwrap_or_else(|| panic!("no additionalInfo: {m}"));
            (kind.to_string(), path.to_string(), info.to_string())
        })
        .collect()
}

fn s(kind: &str, path: &str, info: &str) -> (String, String, String) {
    (kind.to_string(), path.to_string(), info.to_string())
}

fn record(name: &str, fields: Value) -> Value {
    json!({"type": "record", "name": name, "fields": fields})
}

fn inner(x: &str) -> Value {
    record("Inner", json!([{"name": "x", "type": x}]))
}

#[test]
fn optional_field_made_required_reports_the_null_branch_at_the_root() {
    let old = record("R", json!([{"name": "f", "type": ["null", "string"]}]));
    let new = record("R", json!([{"name": "f", "type": "string"}]));
    let m = backward(&new, &old);
    assert_eq!(
        m,
        vec![
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the new \
             schema does not match with the old schema', additionalInfo:'reader type: STRING \
             not compatible with writer type: NULL'}"
        ]
    );
}

#[test]
fn forward_widening_to_an_optional_reports_at_the_root() {
    let old = record("R", json!([{"name": "n", "type": "long"}]));
    let new = record("R", json!([{"name": "n", "type": ["null", "long"]}]));
    assert!(backward(&new, &old).is_empty());
    let m = forward(&new, &old);
    assert_eq!(
        m,
        vec![
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the old \
             schema does not match with the new schema', additionalInfo:'reader type: LONG not \
             compatible with writer type: NULL'}"
        ]
    );
}

#[test]
fn every_failing_writer_branch_is_reported_from_its_own_root() {
    // A root-level writer union, and one inside an array: the path never shows the union.
    assert_eq!(
        summary(&backward(&json!("int"), &json!(["null", "int", "boolean"]))),
        vec![
            s(
                "TYPE_MISMATCH",
                "/",
                "reader type: INT not compatible with writer type: NULL"
            ),
            s(
                "TYPE_MISMATCH",
                "/",
                "reader type: INT not compatible with writer type: BOOLEAN"
            ),
        ]
    );
    let old = json!({"type": "array", "items": ["double", "string"]});
    let new = json!({"type": "array", "items": "double"});
    assert_eq!(
        summary(&backward(&new, &old)),
        vec![s(
            "TYPE_MISMATCH",
            "/",
            "reader type: DOUBLE not compatible with writer type: STRING"
        )]
    );
}

#[test]
fn a_record_inside_a_writer_union_is_located_from_that_record() {
    let old = record("R", json!([{"name": "a", "type": [inner("int")]}]));
    let new = record("R", json!([{"name": "a", "type": inner("string")}]));
    assert_eq!(
        summary(&backward(&new, &old)),
        vec![s(
            "TYPE_MISMATCH",
            "/fields/0/type",
            "reader type: STRING not compatible with writer type: INT"
        )]
    );
    // A missing field without default inside the branch: `/fields/<reader pos>`.
    let old = record(
        "R",
        json!([{"name": "a", "type": ["null", record("In", json!([]))]}]),
    );
    let new_in = record("In", json!([{"name": "q", "type": "int"}]));
    let new = record("R", json!([{"name": "a", "type": new_in}]));
    assert_eq!(
        summary(&backward(&new, &old)),
        vec![
            s(
                "TYPE_MISMATCH",
                "/",
                "reader type: RECORD not compatible with writer type: NULL"
            ),
            s("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0", "q"),
        ]
    );
}

#[test]
fn both_unions_still_report_the_missing_branch_at_its_index() {
    let old = record(
        "R",
        json!([{"name": "f", "type": ["null", "string", "int"]}]),
    );
    let new = record("R", json!([{"name": "f", "type": ["null", "string"]}]));
    assert_eq!(
        summary(&backward(&new, &old)),
        vec![s(
            "MISSING_UNION_BRANCH",
            "/fields/0/type/2",
            "reader union lacking writer type: INT"
        )]
    );
}

#[test]
fn a_pair_first_met_inside_a_union_check_keeps_that_location() {
    // `a` checks (Inner, Inner) from the union's fresh root and memoises it at
    // `/fields/0/type`; `b` reuses that result, location included.
    let old = record(
        "R",
        json!([
            {"name": "a", "type": ["null", inner("int")]},
            {"name": "b", "type": "Inner"}
        ]),
    );
    let new = record(
        "R",
        json!([
            {"name": "a", "type": ["null", inner("string")]},
            {"name": "b", "type": "Inner"}
        ]),
    );
    assert_eq!(
        summary(&backward(&new, &old)),
        vec![
            s(
                "MISSING_UNION_BRANCH",
                "/fields/0/type/1",
                "reader union lacking writer type: RECORD"
            ),
            s(
                "TYPE_MISMATCH",
                "/fields/0/type",
                "reader type: STRING not compatible with writer type: INT"
            ),
        ]
    );
}

#[test]
fn a_pair_first_met_outside_keeps_its_full_location_when_reused_by_a_union() {
    // `b` meets (Inner, Inner) first, at its full path; the writer union of `a` reuses it.
    let old = record(
        "R",
        json!([
            {"name": "b", "type": inner("int")},
            {"name": "a", "type": ["null", "Inner"]}
        ]),
    );
    let new = record(
        "R",
        json!([
            {"name": "b", "type": inner("string")},
            {"name": "a", "type": "Inner"}
        ]),
    );
    let mismatch = "reader type: STRING not compatible with writer type: INT";
    assert_eq!(
        summary(&backward(&new, &old)),
        vec![
            s("TYPE_MISMATCH", "/fields/0/type/fields/0/type", mismatch),
            s(
                "TYPE_MISMATCH",
                "/",
                "reader type: RECORD not compatible with writer type: NULL"
            ),
            s("TYPE_MISMATCH", "/fields/0/type/fields/0/type", mismatch),
        ]
    );
    // Both unions: the memoised pair only decides the branch, reported at its own index.
    let new = record(
        "R",
        json!([
            {"name": "b", "type": inner("string")},
            {"name": "a", "type": ["null", "Inner"]}
        ]),
    );
    assert_eq!(
        summary(&backward(&new, &old)),
        vec![
            s("TYPE_MISMATCH", "/fields/0/type/fields/0/type", mismatch),
            s(
                "MISSING_UNION_BRANCH",
                "/fields/1/type/1",
                "reader union lacking writer type: RECORD"
            ),
        ]
    );
}

#[test]
fn a_reader_field_matching_two_writer_fields_names_field_and_writer_as_java_prints_them() {
    let old = record(
        "ns.W",
        json!([{"name": "a", "type": "int"}, {"name": "b", "type": "int"}]),
    );
    let new = json!({"type": "record", "name": "W", "namespace": "ns", "fields": [
        {"name": "z", "type": "long", "default": 0},
        {"name": "a", "type": "int", "aliases": ["b"]}
    ]});
    let m = backward(&new, &old);
    assert_eq!(
        m,
        vec![
            "Unexpected exception during compatibility check: Reader record field a type:INT \
             pos:1 matches multiple fields in writer record schema \
             {\"type\":\"record\",\"name\":\"W\",\"namespace\":\"ns\",\"fields\":[{\"name\":\"a\",\
             \"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\"}]}"
        ]
    );
}

#[test]
fn the_writer_record_in_that_message_is_written_whole_even_when_nested() {
    // The writer record is an inner type: Java prints it as a schema of its own, with the
    // types it uses in full.
    let e = json!({"type": "enum", "name": "E", "symbols": ["A"]});
    let old = record(
        "Outer",
        json!([
            {"name": "e", "type": e},
            {"name": "in", "type": record("In", json!([
                {"name": "a", "type": "E"}, {"name": "b", "type": "E"}
            ]))}
        ]),
    );
    let new = record(
        "Outer",
        json!([
            {"name": "in", "type": record("In", json!([
                {"name": "a", "type": ["null", "string"], "aliases": ["b"]}
            ]))}
        ]),
    );
    let m = backward(&new, &old);
    assert_eq!(
        m,
        vec![
            "Unexpected exception during compatibility check: Reader record field a type:UNION \
             pos:0 matches multiple fields in writer record schema \
             {\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"a\",\"type\":\
             {\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}},{\"name\":\"b\",\"type\":\
             \"E\"}]}"
        ]
    );
}
