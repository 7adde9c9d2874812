//! JSON Schema through the compatibility levels and message shapes.

use schemata_compat::json::{incompatibilities, JsonSchema};
use schemata_compat::{
    check_compatibility, CompatibilityLevel, ParseOptions, ParsedSchema, Roles, SchemaType,
};

fn parsed(text: &str) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Json, text, &[], ParseOptions::default()).unwrap()
}

const V1: &str = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
const V2_OPTIONAL_ADDED: &str =
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#;

#[test]
fn adding_an_optional_property_to_an_open_object_passes_forward_only() {
    let (old, new) = (parsed(V1), parsed(V2_OPTIONAL_ADDED));
    let verdict = |level: CompatibilityLevel| check_compatibility(level, &new, &[&old]).is_ok();
    assert!(verdict(CompatibilityLevel::None));
    assert!(!verdict(CompatibilityLevel::Backward));
    assert!(!verdict(CompatibilityLevel::BackwardTransitive));
    assert!(verdict(CompatibilityLevel::Forward));
    assert!(verdict(CompatibilityLevel::ForwardTransitive));
    assert!(!verdict(CompatibilityLevel::Full));
    assert!(!verdict(CompatibilityLevel::FullTransitive));
}

#[test]
fn transitive_levels_check_every_previous_version() {
    let v1 = parsed(r#"{"type":"string","maxLength":10}"#);
    let v2 = parsed(r#"{"type":"string","maxLength":20}"#);
    let v3 = parsed(r#"{"type":"string","maxLength":15}"#);
    // v3 reads v2? no (15 < 20). Forward: v2 reads v3 yes; v1 reads v3? no.
    assert!(check_compatibility(CompatibilityLevel::Forward, &v3, &[&v2, &v1]).is_ok());
    let failure =
        check_compatibility(CompatibilityLevel::ForwardTransitive, &v3, &[&v2, &v1]).unwrap_err();
    assert_eq!(failure.index, 1);
    assert!(
        failure.messages[0].contains("MAX_LENGTH_INCREASED")
            || failure.messages[0].contains("MAX_LENGTH")
    );
}

#[test]
fn message_shape_and_roles() {
    let old = JsonSchema::parse(V1, &[], ParseOptions::default()).unwrap();
    let new = JsonSchema::parse(V2_OPTIONAL_ADDED, &[], ParseOptions::default()).unwrap();
    let messages = incompatibilities(&new, &old, Roles::BACKWARD);
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(
        m.starts_with(
            "{errorType:\"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL\", description:\""
        ),
        "{m}"
    );
    assert!(m.ends_with("'}"), "{m}");
    assert!(m.contains("#/properties/b"), "{m}");
    assert!(m.contains("new schema") && m.contains("old schema"), "{m}");
    // FORWARD names the roles the other way round.
    let closed_old = JsonSchema::parse(
        r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#,
        &[],
        ParseOptions::default(),
    )
    .unwrap();
    let closed_new = JsonSchema::parse(
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#,
        &[],
        ParseOptions::default(),
    )
    .unwrap();
    let messages = incompatibilities(&closed_old, &closed_new, Roles::FORWARD);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"));
    assert!(
        messages[0].contains("the old schema removes"),
        "{}",
        messages[0]
    );
}

#[test]
fn full_reports_both_directions() {
    let old = parsed(r#"{"type":"string","pattern":"^a"}"#);
    let new = parsed(r#"{"type":"string","pattern":"^b"}"#);
    let messages = CompatibilityLevel::Full.check_pair(&new, &old);
    assert!(!messages.is_empty());
    assert!(messages.iter().all(|m| m.contains("PATTERN_CHANGED")));
}

#[test]
fn json_against_another_type_is_incompatible() {
    let json = parsed(r#"{"type":"string"}"#);
    let avro = ParsedSchema::parse(SchemaType::Avro, "\"string\"", &[], ParseOptions::default());
    if let Ok(avro) = avro {
        let messages = CompatibilityLevel::Backward.check_pair(&json, &avro);
        assert_eq!(
            messages,
            vec!["Incompatible because of different schema type".to_string()]
        );
    }
}

#[test]
fn every_incompatibility_is_reported_with_its_path() {
    let old = JsonSchema::parse(
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"array","items":{"type":"integer"}}}}"#,
        &[],
        ParseOptions::default(),
    )
    .unwrap();
    let new = JsonSchema::parse(
        r#"{"type":"object","properties":{"a":{"type":"string","maxLength":3},"b":{"type":"array","items":{"type":"integer","minimum":0}}}}"#,
        &[],
        ParseOptions::default(),
    )
    .unwrap();
    let messages = incompatibilities(&new, &old, Roles::BACKWARD);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("MAX_LENGTH_ADDED") && messages[0].contains("'#/properties/a'"));
    assert!(
        messages[1].contains("MINIMUM_ADDED") && messages[1].contains("'#/properties/b/items'")
    );
}
