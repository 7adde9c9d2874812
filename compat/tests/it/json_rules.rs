//! One test per rule of `docs/compatibility.md` §4.2–§4.4, in both directions.
//!
//! `rule!(name, old, new, backward: …, forward: …)` makes `name::backward` (the new schema
//! reads data written with the old one: `diff(old, new)`) and `name::forward` (the old schema
//! reads data written with the new one: `diff(new, old)`), both run through the level code.
//! `ok("T")`: compatible, with a difference of compatible type T; `same()`: compatible;
//! `err("T")`: incompatible, reported with errorType T.

use schemata_compat::json::{differences, JsonSchema};
use schemata_compat::{CompatibilityLevel, ParseOptions, ParsedSchema, SchemaType};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    Ok(Option<&'static str>),
    Err(&'static str),
}

pub(crate) fn ok(kind: &'static str) -> Expect {
    Expect::Ok(Some(kind))
}
pub(crate) fn same() -> Expect {
    Expect::Ok(None)
}
pub(crate) fn err(kind: &'static str) -> Expect {
    Expect::Err(kind)
}

fn parsed(text: &str) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Json, text, &[], ParseOptions::default())
        .unwrap_or_else(|e| panic!("cannot parse {text}: {e}"))
}

fn json(text: &str) -> JsonSchema {
    JsonSchema::parse(text, &[], ParseOptions::default()).unwrap()
}

pub(crate) fn expect(old: &str, new: &str, backward: bool, expected: Expect) {
    let (o, n) = (parsed(old), parsed(new));
    let level = if backward {
        CompatibilityLevel::Backward
    } else {
        CompatibilityLevel::Forward
    };
    let messages = level.check_pair(&n, &o);
    let (original, update) = if backward { (old, new) } else { (new, old) };
    let diffs = differences(&json(original), &json(update));
    match expected {
        Expect::Ok(kind) => {
            assert!(messages.is_empty(), "expected compatible, got {messages:?}");
            if let Some(kind) = kind {
                assert!(
                    diffs.iter().any(|d| d.kind == kind),
                    "expected a {kind} difference, got {diffs:?}"
                );
            }
        }
        Expect::Err(kind) => {
            let needle = format!("{{errorType:\"{kind}\", description:\"");
            assert!(
                messages
                    .iter()
                    .any(|m| m.starts_with(&needle) && m.ends_with("'}")),
                "expected {kind}, got {messages:?}"
            );
        }
    }
}

macro_rules! rule {
    ($name:ident, $old:expr, $new:expr, backward: $b:expr, forward: $f:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::{err, ok, same, CLOSED_A, OPEN_A};
            #[test]
            fn backward() {
                super::expect($old, $new, true, $b);
            }
            #[test]
            fn forward() {
                super::expect($old, $new, false, $f);
            }
        }
    };
}

// ---- types (§4.2 step 4, §4.3 number) ----
rule!(type_changed, r#"{"type":"string"}"#, r#"{"type":"integer"}"#,
    backward: err("TYPE_CHANGED"), forward: err("TYPE_CHANGED"));
rule!(integer_to_number_is_type_extended, r#"{"type":"integer"}"#, r#"{"type":"number"}"#,
    backward: ok("TYPE_EXTENDED"), forward: err("TYPE_NARROWED"));
rule!(anything_to_empty_schema, r#"{"type":"string"}"#, "{}",
    backward: same(), forward: err("TYPE_CHANGED"));
rule!(empty_to_object_with_properties_is_type_changed, "{}", r#"{"properties":{}}"#,
    backward: err("TYPE_CHANGED"), forward: same());
rule!(true_schema_reads_everything, r#"{"type":"object","properties":{"a":{"type":"string"}}}"#, "true",
    backward: same(), forward: err("TYPE_CHANGED"));
rule!(false_writer_writes_nothing, "false", r#"{"type":"string"}"#,
    backward: same(), forward: err("TYPE_CHANGED"));
rule!(true_to_false, "true", "false",
    backward: err("TYPE_CHANGED"), forward: same());
rule!(connect_bytes_tolerates_type_change,
    r#"{"type":"string","connect.type":"bytes"}"#, r#"{"type":"array","connect.type":"bytes"}"#,
    backward: same(), forward: same());
rule!(annotations_changed_are_compatible,
    r#"{"$id":"http://a/x","title":"A","description":"a","default":"x","type":"string"}"#,
    r#"{"$id":"http://a/y","title":"B","description":"b","default":"y","type":"string"}"#,
    backward: ok("TITLE_CHANGED"), forward: ok("DESCRIPTION_CHANGED"));
rule!(sniffed_string_equals_typed_string, r#"{"maxLength":5}"#, r#"{"type":"string","maxLength":5}"#,
    backward: same(), forward: same());
rule!(null_and_boolean_types, r#"{"type":"null"}"#, r#"{"type":"boolean"}"#,
    backward: err("TYPE_CHANGED"), forward: err("TYPE_CHANGED"));

// ---- strings ----
rule!(max_length_added, r#"{"type":"string"}"#, r#"{"type":"string","maxLength":5}"#,
    backward: err("MAX_LENGTH_ADDED"), forward: ok("MAX_LENGTH_REMOVED"));
rule!(max_length_decreased, r#"{"type":"string","maxLength":10}"#, r#"{"type":"string","maxLength":5}"#,
    backward: err("MAX_LENGTH_DECREASED"), forward: ok("MAX_LENGTH_INCREASED"));
rule!(min_length_added, r#"{"type":"string"}"#, r#"{"type":"string","minLength":2}"#,
    backward: err("MIN_LENGTH_ADDED"), forward: ok("MIN_LENGTH_REMOVED"));
rule!(min_length_increased, r#"{"type":"string","minLength":1}"#, r#"{"type":"string","minLength":3}"#,
    backward: err("MIN_LENGTH_INCREASED"), forward: ok("MIN_LENGTH_DECREASED"));
rule!(pattern_added, r#"{"type":"string"}"#, r#"{"type":"string","pattern":"^a"}"#,
    backward: err("PATTERN_ADDED"), forward: ok("PATTERN_REMOVED"));
rule!(pattern_changed, r#"{"type":"string","pattern":"^a"}"#, r#"{"type":"string","pattern":"^b"}"#,
    backward: err("PATTERN_CHANGED"), forward: err("PATTERN_CHANGED"));
rule!(format_and_content_keywords_are_ignored, r#"{"type":"string"}"#,
    r#"{"type":"string","format":"email","contentEncoding":"base64","contentMediaType":"text/plain"}"#,
    backward: same(), forward: same());

// ---- numbers ----
rule!(maximum_added, r#"{"type":"number"}"#, r#"{"type":"number","maximum":5}"#,
    backward: err("MAXIMUM_ADDED"), forward: ok("MAXIMUM_REMOVED"));
rule!(maximum_decreased, r#"{"type":"number","maximum":10}"#, r#"{"type":"number","maximum":5}"#,
    backward: err("MAXIMUM_DECREASED"), forward: ok("MAXIMUM_INCREASED"));
rule!(minimum_added, r#"{"type":"integer"}"#, r#"{"type":"integer","minimum":0}"#,
    backward: err("MINIMUM_ADDED"), forward: ok("MINIMUM_REMOVED"));
rule!(minimum_increased, r#"{"type":"integer","minimum":0}"#, r#"{"type":"integer","minimum":1}"#,
    backward: err("MINIMUM_INCREASED"), forward: ok("MINIMUM_DECREASED"));
rule!(exclusive_maximum_added, r#"{"type":"number"}"#, r#"{"type":"number","exclusiveMaximum":5}"#,
    backward: err("EXCLUSIVE_MAXIMUM_ADDED"), forward: ok("EXCLUSIVE_MAXIMUM_REMOVED"));
rule!(exclusive_maximum_decreased, r#"{"type":"number","exclusiveMaximum":5}"#, r#"{"type":"number","exclusiveMaximum":4.5}"#,
    backward: err("EXCLUSIVE_MAXIMUM_DECREASED"), forward: ok("EXCLUSIVE_MAXIMUM_INCREASED"));
rule!(exclusive_minimum_added, r#"{"type":"number"}"#, r#"{"type":"number","exclusiveMinimum":0}"#,
    backward: err("EXCLUSIVE_MINIMUM_ADDED"), forward: ok("EXCLUSIVE_MINIMUM_REMOVED"));
rule!(exclusive_minimum_increased, r#"{"type":"number","exclusiveMinimum":0}"#, r#"{"type":"number","exclusiveMinimum":1}"#,
    backward: err("EXCLUSIVE_MINIMUM_INCREASED"), forward: ok("EXCLUSIVE_MINIMUM_DECREASED"));
rule!(draft4_exclusive_flags_are_not_compared,
    r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","maximum":5}"#,
    r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","maximum":5,"exclusiveMaximum":true}"#,
    backward: same(), forward: same());
rule!(multiple_of_added, r#"{"type":"integer"}"#, r#"{"type":"integer","multipleOf":2}"#,
    backward: err("MULTIPLE_OF_ADDED"), forward: ok("MULTIPLE_OF_REMOVED"));
rule!(multiple_of_expanded, r#"{"type":"integer","multipleOf":2}"#, r#"{"type":"integer","multipleOf":4}"#,
    backward: err("MULTIPLE_OF_EXPANDED"), forward: ok("MULTIPLE_OF_REDUCED"));
rule!(multiple_of_changed, r#"{"type":"integer","multipleOf":10}"#, r#"{"type":"integer","multipleOf":11}"#,
    backward: err("MULTIPLE_OF_CHANGED"), forward: err("MULTIPLE_OF_CHANGED"));
rule!(multiple_of_decimals_are_exact, r#"{"type":"number","multipleOf":0.1}"#, r#"{"type":"number","multipleOf":0.3}"#,
    backward: err("MULTIPLE_OF_EXPANDED"), forward: ok("MULTIPLE_OF_REDUCED"));
rule!(multiple_of_equal_decimals, r#"{"type":"number","multipleOf":0.5}"#, r#"{"type":"number","multipleOf":0.50}"#,
    backward: same(), forward: same());

// ---- enum, const, not ----
rule!(enum_extended, r#"{"enum":["a"]}"#, r#"{"enum":["a","b"]}"#,
    backward: ok("ENUM_ARRAY_EXTENDED"), forward: err("ENUM_ARRAY_NARROWED"));
rule!(enum_changed, r#"{"enum":["a","b"]}"#, r#"{"enum":["a","c"]}"#,
    backward: err("ENUM_ARRAY_CHANGED"), forward: err("ENUM_ARRAY_CHANGED"));
rule!(enum_order_is_irrelevant, r#"{"enum":[1,2,3]}"#, r#"{"enum":[3,1,2]}"#,
    backward: same(), forward: same());
rule!(const_changed, r#"{"const":"a"}"#, r#"{"const":"b"}"#,
    backward: err("ENUM_ARRAY_CHANGED"), forward: err("ENUM_ARRAY_CHANGED"));
rule!(enum_removed_from_typed_schema, r#"{"type":"string","enum":["a","b"]}"#, r#"{"type":"string"}"#,
    backward: ok("PRODUCT_TYPE_NARROWED"), forward: err("TYPE_CHANGED"));
rule!(not_type_extended, r#"{"not":{"type":"string"}}"#, r#"{"not":{"type":["string","integer"]}}"#,
    backward: err("NOT_TYPE_EXTENDED"), forward: ok("NOT_TYPE_NARROWED"));

// ---- combined schemas ----
rule!(sum_type_extended, r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
    r#"{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"boolean"}]}"#,
    backward: ok("SUM_TYPE_EXTENDED"), forward: err("SUM_TYPE_NARROWED"));
rule!(product_type_extended, r#"{"allOf":[{"type":"string"},{"maxLength":5}]}"#,
    r#"{"allOf":[{"type":"string"},{"maxLength":5},{"minLength":1}]}"#,
    backward: err("PRODUCT_TYPE_EXTENDED"), forward: ok("PRODUCT_TYPE_NARROWED"));
rule!(combined_type_changed, r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#,
    r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
    backward: err("COMBINED_TYPE_CHANGED"), forward: ok("COMBINED_TYPE_EXTENDED"));
rule!(combined_singleton_to_one_of, r#"{"allOf":[{"type":"string"}]}"#,
    r#"{"oneOf":[{"type":"string"},{"type":"null"}]}"#,
    backward: ok("COMBINED_TYPE_EXTENDED"), forward: err("COMBINED_TYPE_CHANGED"));
rule!(combined_subschemas_changed, r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
    r#"{"oneOf":[{"type":"string"},{"type":"boolean"}]}"#,
    backward: err("COMBINED_TYPE_SUBSCHEMAS_CHANGED"), forward: err("COMBINED_TYPE_SUBSCHEMAS_CHANGED"));
rule!(combined_order_is_irrelevant, r#"{"anyOf":[{"type":"string"},{"type":"integer","maximum":3}]}"#,
    r#"{"anyOf":[{"type":"integer","maximum":3},{"type":"string"}]}"#,
    backward: same(), forward: same());
rule!(combined_matching_is_a_maximum_matching,
    r#"{"oneOf":[{"type":"integer"},{"type":"integer","maximum":5}]}"#,
    r#"{"oneOf":[{"type":"number","maximum":5},{"type":"integer"}]}"#,
    backward: same(), forward: err("COMBINED_TYPE_SUBSCHEMAS_CHANGED"));
rule!(combined_duplicates_are_ignored, r#"{"oneOf":[{"type":"string"},{"type":"string"}]}"#,
    r#"{"oneOf":[{"type":"string"}]}"#, backward: same(), forward: same());
rule!(plain_to_sum_type, r#"{"type":"string"}"#, r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
    backward: ok("SUM_TYPE_EXTENDED"), forward: err("TYPE_CHANGED"));
rule!(singleton_combined_is_its_subschema, r#"{"type":"string"}"#, r#"{"allOf":[{"type":"string"}]}"#,
    backward: same(), forward: same());
rule!(type_array_is_any_of, r#"{"type":"string"}"#, r#"{"type":["string","null"]}"#,
    backward: ok("SUM_TYPE_EXTENDED"), forward: err("TYPE_CHANGED"));
rule!(type_array_members_use_their_keywords, r#"{"type":["string","integer"],"maxLength":3}"#,
    r#"{"type":["string","integer"],"maxLength":3,"maximum":9}"#,
    backward: err("COMBINED_TYPE_SUBSCHEMAS_CHANGED"), forward: ok("MAXIMUM_REMOVED"));

// ---- objects: properties and content models ----
const OPEN_A: &str = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
const CLOSED_A: &str =
    r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
rule!(optional_property_added_to_open_content_model, OPEN_A,
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
    backward: err("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"), forward: ok("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"));
rule!(required_property_added_to_open_content_model, OPEN_A,
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"]}"#,
    backward: err("REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"), forward: ok("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"));
rule!(required_property_with_default_added_to_open_content_model, OPEN_A,
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer","default":0}},"required":["b"]}"#,
    backward: err("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"), forward: same());
rule!(property_with_empty_schema_added_to_open_content_model, OPEN_A,
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{}}}"#,
    backward: ok("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"), forward: same());
rule!(optional_property_added_to_closed_content_model, CLOSED_A,
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#,
    backward: ok("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"), forward: err("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"));
rule!(required_property_added_to_closed_content_model, CLOSED_A,
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"],"additionalProperties":false}"#,
    backward: err("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"), forward: err("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"));
rule!(required_property_with_default_added_to_closed_content_model, CLOSED_A,
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer","default":1}},"required":["b"],"additionalProperties":false}"#,
    backward: ok("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"), forward: err("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"));
rule!(property_with_false_removed_from_closed_content_model,
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":false},"additionalProperties":false}"#, CLOSED_A,
    backward: ok("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"), forward: ok("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"));
rule!(property_covered_by_additional_properties_schema,
    r#"{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"integer"}}"#,
    r#"{"type":"object","additionalProperties":{"type":"integer"}}"#,
    backward: ok("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    forward: ok("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"));
rule!(property_not_covered_by_additional_properties_schema,
    r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}"#,
    r#"{"type":"object","additionalProperties":{"type":"integer"}}"#,
    backward: err("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    forward: err("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"));
rule!(property_covered_by_pattern_properties,
    r#"{"type":"object","properties":{"x_a":{"type":"string"}},"patternProperties":{"^x_":{"type":"string"}},"additionalProperties":false}"#,
    r#"{"type":"object","patternProperties":{"^x_":{"type":"string"}},"additionalProperties":false}"#,
    backward: ok("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    forward: ok("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"));
rule!(property_not_matching_any_pattern_is_closed,
    r#"{"type":"object","properties":{"y":{"type":"string"}},"patternProperties":{"^x_":{"type":"string"}}}"#,
    r#"{"type":"object","patternProperties":{"^x_":{"type":"string"}}}"#,
    backward: err("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"), forward: ok("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"));
rule!(property_changed_is_compared, OPEN_A, r#"{"type":"object","properties":{"a":{"type":"integer"}}}"#,
    backward: err("TYPE_CHANGED"), forward: err("TYPE_CHANGED"));
rule!(required_attribute_added, OPEN_A, r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#,
    backward: err("REQUIRED_ATTRIBUTE_ADDED"), forward: ok("REQUIRED_ATTRIBUTE_REMOVED"));
rule!(required_attribute_with_default_added, r#"{"type":"object","properties":{"a":{"type":"string","default":"x"}}}"#,
    r#"{"type":"object","properties":{"a":{"type":"string","default":"x"}},"required":["a"]}"#,
    backward: ok("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"), forward: ok("REQUIRED_ATTRIBUTE_REMOVED"));
rule!(dependency_array_added, OPEN_A,
    r#"{"type":"object","properties":{"a":{"type":"string"}},"dependencies":{"a":["b"]}}"#,
    backward: err("DEPENDENCY_ARRAY_ADDED"), forward: ok("DEPENDENCY_ARRAY_REMOVED"));
rule!(dependency_array_extended,
    r#"{"type":"object","properties":{"a":{"type":"string"}},"dependencies":{"a":["b"]}}"#,
    r#"{"type":"object","properties":{"a":{"type":"string"}},"dependencies":{"a":["b","c"]}}"#,
    backward: err("DEPENDENCY_ARRAY_EXTENDED"), forward: ok("DEPENDENCY_ARRAY_NARROWED"));
rule!(dependency_array_changed,
    r#"{"type":"object","properties":{"a":{"type":"string"}},"dependencies":{"a":["b"]}}"#,
    r#"{"type":"object","properties":{"a":{"type":"string"}},"dependencies":{"a":["c"]}}"#,
    backward: err("DEPENDENCY_ARRAY_CHANGED"), forward: err("DEPENDENCY_ARRAY_CHANGED"));
rule!(dependency_schema_added, OPEN_A,
    r#"{"type":"object","properties":{"a":{"type":"string"}},"dependencies":{"a":{"required":["b"]}}}"#,
    backward: err("DEPENDENCY_SCHEMA_ADDED"), forward: ok("DEPENDENCY_SCHEMA_REMOVED"));
rule!(dependency_schema_changed_is_compared,
    r#"{"type":"object","dependencies":{"a":{"properties":{"b":{"type":"string"}}}}}"#,
    r#"{"type":"object","dependencies":{"a":{"properties":{"b":{"type":"string","maxLength":2}}}}}"#,
    backward: err("MAX_LENGTH_ADDED"), forward: ok("MAX_LENGTH_REMOVED"));
rule!(dependent_required_added,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}"#,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","dependentRequired":{"a":["b"]}}"#,
    backward: err("DEPENDENCY_ARRAY_ADDED"), forward: ok("DEPENDENCY_ARRAY_REMOVED"));
rule!(dependent_schemas_added,
    r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"object"}"#,
    r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"object","dependentSchemas":{"a":{"required":["b"]}}}"#,
    backward: err("DEPENDENCY_SCHEMA_ADDED"), forward: ok("DEPENDENCY_SCHEMA_REMOVED"));
rule!(additional_properties_removed, OPEN_A, CLOSED_A,
    backward: err("ADDITIONAL_PROPERTIES_REMOVED"), forward: ok("ADDITIONAL_PROPERTIES_ADDED"));
rule!(additional_properties_narrowed, OPEN_A,
    r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}"#,
    backward: err("ADDITIONAL_PROPERTIES_NARROWED"), forward: ok("ADDITIONAL_PROPERTIES_EXTENDED"));
rule!(additional_properties_schema_is_compared,
    r#"{"type":"object","additionalProperties":{"type":"integer"}}"#,
    r#"{"type":"object","additionalProperties":{"type":"number"}}"#,
    backward: ok("TYPE_EXTENDED"), forward: err("TYPE_NARROWED"));
rule!(unevaluated_properties_removed,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}"#,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","unevaluatedProperties":false}"#,
    backward: err("UNEVALUATED_PROPERTIES_REMOVED"), forward: ok("UNEVALUATED_PROPERTIES_ADDED"));
rule!(unevaluated_properties_narrowed,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","unevaluatedProperties":true}"#,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","unevaluatedProperties":{"type":"string"}}"#,
    backward: err("UNEVALUATED_PROPERTIES_NARROWED"), forward: ok("UNEVALUATED_PROPERTIES_EXTENDED"));
rule!(max_properties_added, r#"{"type":"object"}"#, r#"{"type":"object","maxProperties":3}"#,
    backward: err("MAX_PROPERTIES_ADDED"), forward: ok("MAX_PROPERTIES_REMOVED"));
rule!(max_properties_decreased, r#"{"type":"object","maxProperties":5}"#, r#"{"type":"object","maxProperties":3}"#,
    backward: err("MAX_PROPERTIES_DECREASED"), forward: ok("MAX_PROPERTIES_INCREASED"));
rule!(min_properties_increased, r#"{"type":"object","minProperties":1}"#, r#"{"type":"object","minProperties":2}"#,
    backward: err("MIN_PROPERTIES_INCREASED"), forward: ok("MIN_PROPERTIES_DECREASED"));
rule!(property_names_is_not_compared, r#"{"type":"object"}"#, r#"{"type":"object","propertyNames":{"maxLength":3}}"#,
    backward: same(), forward: same());
rule!(if_then_else_is_not_compared,
    r#"{"type":"object","if":{"required":["a"]},"then":{"required":["b"]}}"#,
    r#"{"type":"object","if":{"required":["a"]},"then":{"required":["c"]}}"#,
    backward: same(), forward: same());

// ---- arrays ----
rule!(items_added, r#"{"type":"array"}"#, r#"{"type":"array","items":{"type":"string"}}"#,
    backward: err("SCHEMA_ADDED"), forward: ok("SCHEMA_REMOVED"));
rule!(items_changed_is_compared, r#"{"type":"array","items":{"type":"integer"}}"#,
    r#"{"type":"array","items":{"type":"number"}}"#,
    backward: ok("TYPE_EXTENDED"), forward: err("TYPE_NARROWED"));
rule!(item_added_to_closed_content_model,
    r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#,
    r#"{"type":"array","items":[{"type":"string"},{"type":"integer"}],"additionalItems":false}"#,
    backward: ok("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"), forward: err("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"));
rule!(item_added_to_open_content_model,
    r#"{"type":"array","items":[{"type":"string"}]}"#,
    r#"{"type":"array","items":[{"type":"string"},{"type":"integer"}]}"#,
    backward: err("ITEM_ADDED_TO_OPEN_CONTENT_MODEL"), forward: ok("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL"));
rule!(item_with_empty_schema_added_to_open_content_model,
    r#"{"type":"array","items":[{"type":"string"}]}"#,
    r#"{"type":"array","items":[{"type":"string"},{}]}"#,
    backward: ok("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"), forward: ok("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL"));
rule!(item_with_false_removed_from_closed_content_model,
    r#"{"type":"array","items":[{"type":"string"},false],"additionalItems":false}"#,
    r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#,
    backward: ok("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"), forward: ok("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"));
rule!(item_covered_by_partially_open_content_model,
    r#"{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"integer"}}"#,
    r#"{"type":"array","items":[{"type":"string"},{"type":"integer"}],"additionalItems":{"type":"integer"}}"#,
    backward: ok("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    forward: ok("ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"));
rule!(item_not_covered_by_partially_open_content_model,
    r#"{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"integer"}}"#,
    r#"{"type":"array","items":[{"type":"string"},{"type":"string"}],"additionalItems":{"type":"integer"}}"#,
    backward: err("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    forward: err("ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"));
rule!(tuple_items_are_compared_by_index,
    r#"{"type":"array","items":[{"type":"string"},{"type":"integer"}]}"#,
    r#"{"type":"array","items":[{"type":"integer"},{"type":"string"}]}"#,
    backward: err("TYPE_CHANGED"), forward: err("TYPE_CHANGED"));
rule!(additional_items_removed, r#"{"type":"array","items":[{"type":"string"}]}"#,
    r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#,
    backward: err("ADDITIONAL_ITEMS_REMOVED"), forward: ok("ADDITIONAL_ITEMS_ADDED"));
rule!(additional_items_narrowed, r#"{"type":"array","items":[{"type":"string"}]}"#,
    r#"{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"string"}}"#,
    backward: err("ADDITIONAL_ITEMS_NARROWED"), forward: ok("ADDITIONAL_ITEMS_EXTENDED"));
rule!(prefix_items_are_tuple_items,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":false}"#,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false}"#,
    backward: ok("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"), forward: err("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"));
rule!(items_next_to_prefix_items_is_additional_items,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}]}"#,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":{"type":"string"}}"#,
    backward: err("ADDITIONAL_ITEMS_NARROWED"), forward: ok("ADDITIONAL_ITEMS_EXTENDED"));
rule!(unevaluated_items_removed,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"}"#,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","unevaluatedItems":false}"#,
    backward: err("UNEVALUATED_ITEMS_REMOVED"), forward: ok("UNEVALUATED_ITEMS_ADDED"));
rule!(max_items_added, r#"{"type":"array"}"#, r#"{"type":"array","maxItems":3}"#,
    backward: err("MAX_ITEMS_ADDED"), forward: ok("MAX_ITEMS_REMOVED"));
rule!(max_items_decreased, r#"{"type":"array","maxItems":5}"#, r#"{"type":"array","maxItems":3}"#,
    backward: err("MAX_ITEMS_DECREASED"), forward: ok("MAX_ITEMS_INCREASED"));
rule!(min_items_increased, r#"{"type":"array","minItems":1}"#, r#"{"type":"array","minItems":2}"#,
    backward: err("MIN_ITEMS_INCREASED"), forward: ok("MIN_ITEMS_DECREASED"));
rule!(min_items_added, r#"{"type":"array"}"#, r#"{"type":"array","minItems":1}"#,
    backward: err("MIN_ITEMS_ADDED"), forward: ok("MIN_ITEMS_REMOVED"));
rule!(unique_items_added, r#"{"type":"array"}"#, r#"{"type":"array","uniqueItems":true}"#,
    backward: err("UNIQUE_ITEMS_ADDED"), forward: ok("UNIQUE_ITEMS_REMOVED"));
rule!(max_contains_added,
    r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"array","contains":{"type":"string"}}"#,
    r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"array","contains":{"type":"string"},"maxContains":2}"#,
    backward: err("MAX_CONTAINS_ADDED"), forward: ok("MAX_CONTAINS_REMOVED"));
rule!(min_contains_increased,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"string"},"minContains":1}"#,
    r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"string"},"minContains":2}"#,
    backward: err("MIN_CONTAINS_INCREASED"), forward: ok("MIN_CONTAINS_DECREASED"));
rule!(contains_is_not_compared, r#"{"type":"array","contains":{"type":"string"}}"#,
    r#"{"type":"array","contains":{"type":"integer"}}"#, backward: same(), forward: same());

// ---- references ----
rule!(moving_a_subschema_behind_a_ref_is_invisible,
    r#"{"type":"object","properties":{"a":{"type":"string","maxLength":3}}}"#,
    r##"{"type":"object","definitions":{"s":{"type":"string","maxLength":3}},"properties":{"a":{"$ref":"#/definitions/s"}}}"##,
    backward: same(), forward: same());
rule!(ref_target_change_is_compared,
    r##"{"definitions":{"s":{"type":"string"}},"type":"object","properties":{"a":{"$ref":"#/definitions/s"}}}"##,
    r##"{"definitions":{"s":{"type":"string","maxLength":3}},"type":"object","properties":{"a":{"$ref":"#/definitions/s"}}}"##,
    backward: err("MAX_LENGTH_ADDED"), forward: ok("MAX_LENGTH_REMOVED"));
rule!(ref_siblings_are_ignored_up_to_draft7,
    r##"{"definitions":{"s":{"type":"string"}},"$ref":"#/definitions/s"}"##,
    r##"{"definitions":{"s":{"type":"string"}},"$ref":"#/definitions/s","maxLength":3}"##,
    backward: same(), forward: same());
rule!(ref_siblings_apply_in_2020_12,
    r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"s":{"type":"string"}},"$ref":"#/$defs/s"}"##,
    r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"s":{"type":"string"}},"$ref":"#/$defs/s","maxLength":3}"##,
    backward: err("TYPE_CHANGED"), forward: ok("PRODUCT_TYPE_NARROWED"));
rule!(recursive_schemas_are_compared,
    r##"{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#"}}}"##,
    r##"{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#"}},"required":["v"]}"##,
    backward: err("REQUIRED_ATTRIBUTE_ADDED"), forward: ok("REQUIRED_ATTRIBUTE_REMOVED"));
rule!(recursive_one_of_graph_incompatibility_is_found,
    r##"{"definitions":{"n":{"oneOf":[{"type":"null"},{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#/definitions/n"}}}]}},"$ref":"#/definitions/n"}"##,
    r##"{"definitions":{"n":{"oneOf":[{"type":"null"},{"type":"object","properties":{"v":{"type":"integer","maximum":3},"next":{"$ref":"#/definitions/n"}}}]}},"$ref":"#/definitions/n"}"##,
    backward: err("COMBINED_TYPE_SUBSCHEMAS_CHANGED"), forward: same());
