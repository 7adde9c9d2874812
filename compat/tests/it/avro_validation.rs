//! Parse-time validation (always on), default-value validation (`options.validate`) and the
//! error messages users see in 422 responses.

use schemata_compat::avro::AvroSchema;
use schemata_compat::ParseOptions;

const STRICT: ParseOptions = ParseOptions {
    validate: true,
    normalize: false,
};
const LENIENT: ParseOptions = ParseOptions {
    validate: false,
    normalize: false,
};

fn error(text: &str) -> String {
    match AvroSchema::parse(text, &[], STRICT) {
        Ok(s) => panic!("accepted: {}", s.canonical()),
        Err(e) => e.to_string(),
    }
}

fn accepted(text: &str) -> bool {
    AvroSchema::parse(text, &[], STRICT).is_ok()
}

fn field(ty: &str, default: &str) -> String {
    format!(
        r#"{{"type":"record","name":"R","fields":[{{"name":"f","type":{ty},"default":{default}}}]}}"#
    )
}

// Structure ---------------------------------------------------------------------------

#[test]
fn undefined_name_is_reported_with_the_name() {
    assert_eq!(
        error(r#""Foo""#),
        r#"Invalid schema: Undefined name: "Foo""#
    );
    assert_eq!(
        error(r#"["null","Foo"]"#),
        r#"Invalid schema: Undefined name: "Foo""#
    );
    let e = error(r#"{"type":"record","name":"R","fields":[{"name":"f","type":"Foo"}]}"#);
    assert!(
        e.starts_with(r#"Invalid schema: "Foo" is not a defined name."#),
        "{e}"
    );
}

#[test]
fn malformed_json_is_an_invalid_schema() {
    assert!(error(r#"{"type":"#).starts_with("Invalid schema: "));
    assert!(error("").starts_with("Invalid schema: "));
}

#[test]
fn unsupported_shapes_are_rejected() {
    assert!(error("42").contains("Schema not yet supported"));
    assert!(error(r#"{"name":"x"}"#).contains("No type"));
    assert!(error(r#"{"type":"strin"}"#).contains("Type not supported: strin"));
    assert!(error(r#"{"type":"record","name":"R"}"#).contains("Record has no fields"));
    assert!(error(r#"{"type":"record","fields":[]}"#).contains("No name in schema"));
    assert!(error(r#"{"type":"enum","name":"E"}"#).contains("Enum has no symbols"));
    assert!(error(r#"{"type":"array"}"#).contains("Array has no items type"));
    assert!(error(r#"{"type":"map"}"#).contains("Map has no values type"));
    assert!(
        error(r#"{"type":"record","name":"R","fields":[{"name":"f"}]}"#).contains("No field type")
    );
    assert!(
        error(r#"{"type":"record","name":"R","fields":[{"type":"int"}]}"#)
            .contains("No field name")
    );
}

#[test]
fn names_must_be_valid_identifiers() {
    assert!(error(r#"{"type":"record","name":"1R","fields":[]}"#)
        .contains("Illegal initial character: 1R"));
    assert!(error(r#"{"type":"record","name":"R-x","fields":[]}"#)
        .contains("Illegal character in: R-x"));
    assert!(
        error(r#"{"type":"record","name":"R","namespace":"a.9b","fields":[]}"#)
            .contains("Illegal initial character: 9b")
    );
    assert!(
        error(r#"{"type":"record","name":"R","fields":[{"name":"bad name","type":"int"}]}"#)
            .contains("Illegal character")
    );
    assert!(
        error(r#"{"type":"enum","name":"E","symbols":["ok","not ok"]}"#)
            .contains("Illegal character")
    );
    assert!(
        error(r#"{"type":"enum","name":"E","aliases":["1x"],"symbols":["A"]}"#)
            .contains("Illegal initial character")
    );
    assert!(accepted(
        r#"{"type":"record","name":"_R1","namespace":"a_b.c2","fields":[]}"#
    ));
}

#[test]
fn duplicate_definitions_are_rejected() {
    assert!(error(r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int"},{"name":"f","type":"long"}]}"#).contains("Duplicate field f in record R"));
    assert!(error(r#"{"type":"enum","name":"E","symbols":["A","A"]}"#)
        .contains("Duplicate enum symbol: A"));
    assert!(error(r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"F","size":1}},{"name":"b","type":{"type":"fixed","name":"F","size":2}}]}"#).contains("Can't redefine: F"));
    assert!(error(r#"{"type":"record","name":"int","fields":[]}"#)
        .contains("Schemas may not be named after primitives: int"));
}

#[test]
fn union_rules_are_enforced() {
    assert!(error(r#"["null",["int","string"]]"#).contains("Nested union"));
    assert_eq!(
        error(r#"["int","string","int"]"#),
        "Invalid schema: Duplicate in union:int"
    );
    assert!(
        error(r#"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#)
            .contains("Duplicate in union:array")
    );
    assert!(error(r#"[{"type":"fixed","name":"F","size":1},"F"]"#).contains("Duplicate in union:F"));
    // Distinct named types of the same kind are fine.
    assert!(accepted(
        r#"[{"type":"fixed","name":"F","size":1},{"type":"fixed","name":"G","size":1}]"#
    ));
    assert!(accepted("[]"));
}

#[test]
fn fixed_size_must_be_a_non_negative_int() {
    assert!(error(r#"{"type":"fixed","name":"F","size":-1}"#).contains("Invalid fixed size: -1"));
    assert!(error(r#"{"type":"fixed","name":"F","size":"8"}"#).contains("Invalid or no size"));
    assert!(error(r#"{"type":"fixed","name":"F"}"#).contains("Invalid or no size"));
    assert!(accepted(r#"{"type":"fixed","name":"F","size":0}"#));
}

#[test]
fn enum_default_must_be_a_symbol() {
    assert_eq!(
        error(r#"{"type":"enum","name":"E","symbols":["A","B"],"default":"C"}"#),
        "Invalid schema: The Enum Default: C is not in the enum symbol set: [A, B]"
    );
    assert!(accepted(
        r#"{"type":"enum","name":"E","symbols":["A","B"],"default":"B"}"#
    ));
}

#[test]
fn field_order_must_be_known() {
    assert!(error(
        r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int","order":"sideways"}]}"#
    )
    .contains("order"));
    assert!(accepted(
        r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int","order":"IGNORE"}]}"#
    ));
}

#[test]
fn names_resolve_through_the_enclosing_namespace_then_the_null_namespace() {
    assert!(accepted(
        r#"{"type":"record","name":"R","namespace":"a","fields":[
        {"name":"x","type":{"type":"fixed","name":"F","size":1}},
        {"name":"y","type":"F"},
        {"name":"z","type":"a.F"}]}"#
    ));
    // A type without namespace is found from inside a namespaced record.
    assert!(accepted(
        r#"{"type":"record","name":"Outer","fields":[
        {"name":"x","type":{"type":"fixed","name":"F","size":1}},
        {"name":"y","type":{"type":"record","name":"In","namespace":"b","fields":[{"name":"z","type":"F"}]}}]}"#
    ));
    assert!(accepted(
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":{"type":"Node"}}]}"#
    ));
}

#[test]
fn excessive_nesting_is_an_error_not_a_stack_overflow() {
    let mut deep = String::from(r#""int""#);
    for _ in 0..200 {
        deep = format!(r#"{{"type":"array","items":{deep}}}"#);
    }
    assert!(error(&deep).starts_with("Invalid schema: "));
    // `{"type": {...}}` nests one JSON level per schema level, so our own guard fires
    // before serde_json's.
    let mut wrapped = String::from(r#""int""#);
    for _ in 0..110 {
        wrapped = format!(r#"{{"type":{wrapped}}}"#);
    }
    assert!(
        error(&wrapped).contains("nested more than 100 levels"),
        "{}",
        error(&wrapped)
    );
    let mut ok = String::from(r#""int""#);
    for _ in 0..50 {
        ok = format!(r#"{{"type":"array","items":{ok}}}"#);
    }
    assert!(accepted(&ok));
}

// Defaults ----------------------------------------------------------------------------

#[test]
fn defaults_must_match_the_field_type_when_validating() {
    let cases = [
        ("\"int\"", "\"one\"", false),
        ("\"int\"", "1", true),
        ("\"int\"", "2147483648", false),
        ("\"int\"", "1.5", false),
        ("\"long\"", "2147483648", true),
        ("\"double\"", "1", true),
        ("\"float\"", "\"NaN\"", true),
        ("\"boolean\"", "0", false),
        ("\"null\"", "null", true),
        ("\"string\"", "null", false),
        ("\"bytes\"", "\"\\u00ff\"", true),
        (r#"{"type":"fixed","name":"F","size":2}"#, "\"ab\"", true),
        (
            r#"{"type":"enum","name":"E","symbols":["A"]}"#,
            "\"A\"",
            true,
        ),
        (r#"{"type":"array","items":"int"}"#, "[1,2]", true),
        (r#"{"type":"array","items":"int"}"#, "[1,\"x\"]", false),
        (r#"{"type":"map","values":"string"}"#, r#"{"k":"v"}"#, true),
        (r#"{"type":"map","values":"string"}"#, "[]", false),
        (r#"["null","string"]"#, "null", true),
        // Unions: only the first branch counts.
        (r#"["null","string"]"#, "\"x\"", false),
        (r#"["string","null"]"#, "\"x\"", true),
        (
            r#"{"type":"record","name":"P","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"z"}]}"#,
            r#"{"a":1}"#,
            true,
        ),
        (
            r#"{"type":"record","name":"P","fields":[{"name":"a","type":"int"}]}"#,
            r#"{}"#,
            false,
        ),
    ];
    for (ty, default, valid) in cases {
        let text = field(ty, default);
        assert_eq!(accepted(&text), valid, "{text}");
        // Lenient parsing accepts every one of them.
        assert!(AvroSchema::parse(&text, &[], LENIENT).is_ok(), "{text}");
    }
}

#[test]
fn invalid_default_message_names_field_value_and_type() {
    assert_eq!(
        error(&field("\"int\"", "\"one\"")),
        r#"Invalid schema: Invalid default for field f: "one" not a "int""#
    );
}

#[test]
fn lenient_parse_keeps_invalid_defaults_verbatim() {
    let s = AvroSchema::parse(&field("\"int\"", "\"one\""), &[], LENIENT).unwrap();
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":"one"}]}"#
    );
}

#[test]
fn structural_errors_are_reported_even_when_lenient() {
    assert!(AvroSchema::parse(r#""Foo""#, &[], LENIENT).is_err());
    assert!(AvroSchema::parse(r#"["int","int"]"#, &[], LENIENT).is_err());
}

#[test]
fn textual_float_defaults_become_numbers_like_java() {
    let canonical = |ty: &str, d: &str| {
        AvroSchema::parse(&field(ty, d), &[], LENIENT)
            .map(|s| s.canonical().to_string())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        canonical("\"double\"", "\"1.5\"").unwrap(),
        r#"{"type":"record","name":"R","fields":[{"name":"f","type":"double","default":1.5}]}"#
    );
    assert!(canonical("\"float\"", "\"NaN\"")
        .unwrap()
        .ends_with(r#""default":"NaN"}]}"#));
    assert!(canonical("\"float\"", "\"-Infinity\"")
        .unwrap()
        .contains(r#""default":"-Infinity""#));
    // Java's Double.valueOf throws, validation or not.
    assert!(canonical("\"double\"", "\"abc\"")
        .unwrap_err()
        .contains("For input string"));
    // Only plain float/double fields are converted; a union's default stays as written.
    assert!(canonical(r#"["double","null"]"#, "\"1.5\"")
        .unwrap()
        .contains(r#""default":"1.5""#));
}
