//! Runs every case of Karapace's JSON Schema compatibility tests (309 pairs, Apache-2.0,
//! see `compat/tests/vectors/NOTICE`). Karapace's verdicts differ from Confluent's on several rules
//! (`docs/compatibility.md` §4.6); where they conflict with the documented rules, the rules win and the
//! case is listed in `KNOWN_DIFFERENCES` with the rule that decides it. The runner fails if
//! an unlisted case disagrees or a listed case stops disagreeing.

use schemata_compat::json::{incompatibilities, JsonSchema};
use schemata_compat::{ParseOptions, Roles};
use serde_json::Value;

const VECTORS: &str = include_str!("../vectors/json/karapace_test_jsonschema_compatibility.json");

/// (case name, the spec rule that decides it).
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    ("test_extra_field_with_closed_model_is_incompatible#83", "§4.2 step 4: the original (writer) is the false schema, no data to read: no difference"),
    ("test_boolean_schemas_are_backward_compatible#99", "§4.2 step 4: true → false changes the model class (TrueSchema → FalseSchema): TYPE_CHANGED"),
    ("test_true_schema_is_compatible_with_object#132", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#133", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#134", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#135", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#136", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#137", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#138", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#139", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#140", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#141", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#142", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#143", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#144", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#145", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#146", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#147", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#148", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#149", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#150", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#151", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#152", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#153", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#154", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#155", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#156", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#157", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#158", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#159", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#160", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#161", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#162", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#163", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#164", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#165", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#166", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#167", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#168", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#169", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#170", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#171", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#172", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#173", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#174", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#175", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#176", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#177", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#178", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#179", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#180", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#181", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#182", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#183", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#184", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#185", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#186", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#187", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#188", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#189", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#190", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#191", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_schema_is_compatible_with_object#192", "§4.2 step 4: the update (reader) is the true schema, which reads everything: no difference"),
    ("test_true_and_false_schemas#227", "§4.2 step 4: the original (writer) is the false schema, no data to read: no difference"),
    ("test_true_and_false_schemas#229", "§4.2 step 4: the original (writer) is the false schema, no data to read: no difference"),
    ("test_true_and_false_schemas#230", "§4.2 step 4: the original (writer) is the false schema, no data to read: no difference"),
    ("test_pattern_properties#288", "§4.3 object: removed 'b' is covered by the update's patternProperties '^a*' (unanchored find matches) with schema {}: PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, and additionalProperties false → allowed is ADDITIONAL_PROPERTIES_ADDED, both compatible"),
    ("test_object_properties#289", "§4.3 object: a property with schema {} added to an open model is PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL (compatible)"),
    ("test_property_names#294", "§4.3 object: propertyNames is not compared; {} property added to an open model is PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL (compatible)"),
];

fn parse(value: &Value) -> JsonSchema {
    JsonSchema::parse(&value.to_string(), &[], ParseOptions::default())
        .unwrap_or_else(|e| panic!("cannot parse {value}: {e}"))
}

#[test]
fn karapace_vectors() {
    let cases: Vec<Value> = serde_json::from_str(VECTORS).expect("vector file");
    assert_eq!(cases.len(), 309);
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    let mut differing = 0;
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let expected = case["expected"]["backward"]
            .as_bool()
            .expect("backward verdict");
        let old = parse(&case["old"]);
        let new = parse(&case["new"]);
        let messages = incompatibilities(&new, &old, Roles::BACKWARD);
        let actual = messages.is_empty();
        let known = KNOWN_DIFFERENCES.iter().any(|(n, _)| *n == name);
        if actual != expected {
            differing += 1;
            if !known {
                unexpected.push(format!(
                    "{name}: expected backward={expected}, got {actual} {messages:?}\n  old={}\n  new={}",
                    case["old"], case["new"]
                ));
            }
        } else if known {
            fixed.push(name.to_string());
        }
    }
    println!(
        "{} cases, {} differ from Karapace (all listed)",
        cases.len(),
        differing
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "listed as known differences but now agree: {fixed:?}"
    );
}
