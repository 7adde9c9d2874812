//! One named case per Confluent Protobuf difference type (`docs/compatibility.md` §3), each
//! checked in both directions: `*_backward` asserts the difference diff(old, new) reports and
//! the BACKWARD verdict, `*_forward` the FORWARD verdict (diff(new, old)).

use crate::protobuf_support::*;
use schemata_compat::{CompatibilityLevel, Roles};

/// `rule!(backward_test, forward_test, old, new, [(type, path)...], backward_ok, forward_ok)`
macro_rules! rule {
    ($back:ident, $fwd:ident, $old:expr, $new:expr, [$(($ty:expr, $path:expr)),* $(,)?], $b:expr, $f:expr) => {
        #[test]
        fn $back() {
            let (old, new) = (parse($old), parse($new));
            let diffs = differences(&old, &new);
            $(assert!(has(&diffs, $ty, $path), "expected {} at {} in {:?}", $ty, $path, diffs);)*
            let _ = &diffs;
            let messages = check(CompatibilityLevel::Backward, &old, &new);
            assert_eq!(messages.is_empty(), $b, "BACKWARD: {messages:?}");
        }
        #[test]
        fn $fwd() {
            let (old, new) = (parse($old), parse($new));
            let messages = check(CompatibilityLevel::Forward, &old, &new);
            assert_eq!(messages.is_empty(), $f, "FORWARD: {messages:?}");
            let full = check(CompatibilityLevel::Full, &old, &new);
            assert_eq!(full.is_empty(), $b && $f, "FULL: {full:?}");
        }
    };
}

const P3: &str = "syntax = \"proto3\";\n";

fn p3(body: &str) -> String {
    format!("{P3}{body}")
}

fn p2(body: &str) -> String {
    format!("syntax = \"proto2\";\n{body}")
}

rule!(
    package_changed_is_incompatible_backward,
    package_changed_is_incompatible_forward,
    &p3("package a;\nmessage M { int32 x = 1; }"),
    &p3("package b;\nmessage M { int32 x = 1; }"),
    [("PACKAGE_CHANGED", "#/")],
    false,
    false
);

rule!(
    package_added_is_incompatible_backward,
    package_added_is_incompatible_forward,
    &p3("message M { int32 x = 1; }"),
    &p3("package b;\nmessage M { int32 x = 1; }"),
    [("PACKAGE_CHANGED", "#/")],
    false,
    false
);

rule!(
    message_added_is_compatible_backward,
    message_added_is_incompatible_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { int32 x = 1; }\nmessage B { int32 y = 1; }"),
    [("MESSAGE_ADDED", "#/B")],
    true,
    false
);

rule!(
    message_removed_is_incompatible_backward,
    message_removed_is_compatible_forward,
    &p3("message A { int32 x = 1; }\nmessage B { int32 y = 1; }"),
    &p3("message A { int32 x = 1; }"),
    [("MESSAGE_REMOVED", "#/B")],
    false,
    true
);

rule!(
    nested_message_added_for_new_field_is_compatible_backward,
    nested_message_added_for_new_field_is_incompatible_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { int32 x = 1; Inner i = 2; message Inner { string s = 1; } }"),
    [("MESSAGE_ADDED", "#/A/Inner"), ("FIELD_ADDED", "#/A/2")],
    true,
    false
);

rule!(
    message_moved_is_compatible_backward,
    message_moved_is_compatible_forward,
    &p3("message A { int32 x = 1; }\nmessage B { int32 y = 1; }"),
    &p3("message B { int32 y = 1; }\nmessage A { int32 x = 1; }"),
    [("MESSAGE_MOVED", "#/A"), ("MESSAGE_MOVED", "#/B")],
    true,
    true
);

rule!(
    enum_added_is_compatible_backward,
    enum_added_is_compatible_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { int32 x = 1; }\nenum E { E0 = 0; }"),
    [("ENUM_ADDED", "#/E")],
    true,
    true
);

rule!(
    enum_removed_is_compatible_backward,
    enum_removed_is_compatible_forward,
    &p3("message A { int32 x = 1; enum Kind { K0 = 0; } }"),
    &p3("message A { int32 x = 1; }"),
    [("ENUM_REMOVED", "#/A/Kind")],
    true,
    true
);

rule!(
    enum_const_added_is_compatible_backward,
    enum_const_added_is_compatible_forward,
    &p3("enum E { E0 = 0; }\nmessage A { E e = 1; }"),
    &p3("enum E { E0 = 0; E1 = 1; }\nmessage A { E e = 1; }"),
    [("ENUM_CONST_ADDED", "#/E/1")],
    true,
    true
);

rule!(
    enum_const_changed_is_compatible_backward,
    enum_const_changed_is_compatible_forward,
    &p3("enum E { E0 = 0; E1 = 1; }\nmessage A { E e = 1; }"),
    &p3("enum E { E0 = 0; RENAMED = 1; }\nmessage A { E e = 1; }"),
    [("ENUM_CONST_CHANGED", "#/E/1")],
    true,
    true
);

rule!(
    enum_const_removed_is_compatible_backward,
    enum_const_removed_is_compatible_forward,
    &p3("enum E { E0 = 0; E1 = 1; }\nmessage A { E e = 1; }"),
    &p3("enum E { E0 = 0; }\nmessage A { E e = 1; }"),
    [("ENUM_CONST_REMOVED", "#/E/1")],
    true,
    true
);

rule!(
    field_added_is_compatible_backward,
    field_added_is_compatible_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { int32 x = 1; string y = 2; }"),
    [("FIELD_ADDED", "#/A/2")],
    true,
    true
);

rule!(
    field_removed_is_compatible_backward,
    field_removed_is_compatible_forward,
    &p3("message A { int32 x = 1; string y = 2; }"),
    &p3("message A { int32 x = 1; }"),
    [("FIELD_REMOVED", "#/A/2")],
    true,
    true
);

rule!(
    field_renumbered_is_compatible_backward,
    field_renumbered_is_compatible_forward,
    &p3("message A { int32 x = 1; string y = 2; }"),
    &p3("message A { int32 x = 1; string y = 3; }"),
    [("FIELD_REMOVED", "#/A/2"), ("FIELD_ADDED", "#/A/3")],
    true,
    true
);

rule!(
    field_name_changed_is_compatible_backward,
    field_name_changed_is_compatible_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { int32 renamed = 1; }"),
    [("FIELD_NAME_CHANGED", "#/A/1")],
    true,
    true
);

rule!(
    field_kind_changed_is_incompatible_backward,
    field_kind_changed_is_incompatible_forward,
    &p3("message Msg { int32 x = 1; int32 y = 2; }\nmessage B { int32 z = 1; }"),
    &p3("message Msg { int32 x = 1; B y = 2; }\nmessage B { int32 z = 1; }"),
    [("FIELD_KIND_CHANGED", "#/Msg/2")],
    false,
    false
);

rule!(
    field_kind_changed_map_to_message_is_incompatible_backward,
    field_kind_changed_map_to_message_is_incompatible_forward,
    &p3("message A { map<string, int32> m = 1; }"),
    &p3("message A { repeated E m = 1; message E { string key = 1; int32 value = 2; } }"),
    [("FIELD_KIND_CHANGED", "#/A/1")],
    false,
    false
);

rule!(
    field_scalar_kind_changed_is_incompatible_backward,
    field_scalar_kind_changed_is_incompatible_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { sint32 x = 1; }"),
    [("FIELD_SCALAR_KIND_CHANGED", "#/A/1")],
    false,
    false
);

rule!(
    float_to_double_is_incompatible_backward,
    float_to_double_is_incompatible_forward,
    &p3("message A { float x = 1; }"),
    &p3("message A { double x = 1; }"),
    [("FIELD_SCALAR_KIND_CHANGED", "#/A/1")],
    false,
    false
);

rule!(
    int32_to_int64_is_compatible_backward,
    int32_to_int64_is_compatible_forward,
    &p3("message A { int32 x = 1; uint32 y = 2; bool z = 3; }"),
    &p3("message A { int64 x = 1; uint64 y = 2; int32 z = 3; }"),
    [],
    true,
    true
);

rule!(
    int32_to_enum_is_compatible_backward,
    int32_to_enum_is_compatible_forward,
    &p3("message A { int32 x = 1; }\nenum E { E0 = 0; }"),
    &p3("message A { E x = 1; }\nenum E { E0 = 0; }"),
    [],
    true,
    true
);

rule!(
    string_to_bytes_is_compatible_backward,
    string_to_bytes_is_compatible_forward,
    &p3("message A { string x = 1; fixed32 f = 2; fixed64 g = 3; sint32 s = 4; }"),
    &p3("message A { bytes x = 1; sfixed32 f = 2; sfixed64 g = 3; sint64 s = 4; }"),
    [],
    true,
    true
);

rule!(
    field_named_type_changed_is_incompatible_backward,
    field_named_type_changed_is_incompatible_forward,
    &p3("message A { B b = 1; }\nmessage B { int32 x = 1; }\nmessage C { int32 x = 1; }"),
    &p3("message A { C b = 1; }\nmessage B { int32 x = 1; }\nmessage C { int32 x = 1; }"),
    [("FIELD_NAMED_TYPE_CHANGED", "#/A/1")],
    false,
    false
);

rule!(
    field_named_type_changed_by_incompatible_body_backward,
    field_named_type_changed_by_incompatible_body_forward,
    &p3("message A { B b = 1; }\nmessage B { int32 x = 1; }"),
    &p3("message A { B b = 1; }\nmessage B { string x = 1; }"),
    [
        ("FIELD_SCALAR_KIND_CHANGED", "#/B/1"),
        ("FIELD_NAMED_TYPE_CHANGED", "#/A/1")
    ],
    false,
    false
);

rule!(
    field_numeric_label_changed_is_incompatible_backward,
    field_numeric_label_changed_is_incompatible_forward,
    &p3("message A { optional int32 x = 1; }"),
    &p3("message A { repeated int32 x = 1; }"),
    [("FIELD_NUMERIC_LABEL_CHANGED", "#/A/1")],
    false,
    false
);

rule!(
    implicit_label_to_repeated_is_not_seen_backward,
    implicit_label_to_repeated_is_not_seen_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { repeated int32 x = 1; }"),
    [],
    true,
    true
);

rule!(
    implicit_to_optional_label_is_not_seen_backward,
    implicit_to_optional_label_is_not_seen_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { optional int32 x = 1; }"),
    [],
    true,
    true
);

rule!(
    field_string_or_bytes_label_changed_is_compatible_backward,
    field_string_or_bytes_label_changed_is_compatible_forward,
    &p3("message A { optional string x = 1; }"),
    &p3("message A { repeated string x = 1; }"),
    [("FIELD_STRING_OR_BYTES_LABEL_CHANGED", "#/A/1")],
    true,
    true
);

rule!(
    message_label_change_is_not_checked_backward,
    message_label_change_is_not_checked_forward,
    &p2("message A { optional B b = 1; }\nmessage B { optional int32 x = 1; }"),
    &p2("message A { repeated B b = 1; }\nmessage B { optional int32 x = 1; }"),
    [],
    true,
    true
);

rule!(
    required_field_added_is_incompatible_backward,
    required_field_added_is_incompatible_forward,
    &p2("message A { optional int32 x = 1; }"),
    &p2("message A { optional int32 x = 1; required int32 y = 2; }"),
    [("REQUIRED_FIELD_ADDED", "#/A/2")],
    false,
    false
);

rule!(
    required_field_removed_is_incompatible_backward,
    required_field_removed_is_incompatible_forward,
    &p2("message A { optional int32 x = 1; required int32 y = 2; }"),
    &p2("message A { optional int32 x = 1; }"),
    [("REQUIRED_FIELD_REMOVED", "#/A/2")],
    false,
    false
);

rule!(
    proto2_optional_to_required_is_incompatible_backward,
    proto2_optional_to_required_is_incompatible_forward,
    &p2("message A { optional int32 x = 1; }"),
    &p2("message A { required int32 x = 1; }"),
    [("FIELD_NUMERIC_LABEL_CHANGED", "#/A/1")],
    false,
    false
);

rule!(
    oneof_added_is_compatible_backward,
    oneof_added_is_compatible_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("message A { int32 x = 1; oneof choice { string s = 2; int64 n = 3; } }"),
    [
        ("ONEOF_ADDED", "#/A/choice"),
        ("ONEOF_FIELD_ADDED", "#/A/choice/2")
    ],
    true,
    true
);

rule!(
    oneof_removed_is_compatible_backward,
    oneof_removed_is_compatible_forward,
    &p3("message A { int32 x = 1; oneof choice { string s = 2; int64 n = 3; } }"),
    &p3("message A { int32 x = 1; }"),
    [("ONEOF_REMOVED", "#/A/choice")],
    true,
    true
);

rule!(
    oneof_field_added_is_compatible_backward,
    oneof_field_added_is_incompatible_forward,
    &p3("message A { oneof choice { string s = 1; int64 n = 2; } }"),
    &p3("message A { oneof choice { string s = 1; int64 n = 2; bool b = 3; } }"),
    [("ONEOF_FIELD_ADDED", "#/A/choice/3")],
    true,
    false
);

rule!(
    oneof_field_removed_is_incompatible_backward,
    oneof_field_removed_is_compatible_forward,
    &p3("message A { oneof choice { string s = 1; int64 n = 2; bool b = 3; } }"),
    &p3("message A { oneof choice { string s = 1; int64 n = 2; } }"),
    [("ONEOF_FIELD_REMOVED", "#/A/choice/3")],
    false,
    true
);

rule!(
    oneof_renamed_with_member_removed_is_incompatible_backward,
    oneof_renamed_with_member_removed_is_compatible_forward,
    &p3("message A { oneof choice { string s = 1; int64 n = 2; } }"),
    &p3("message A { oneof pick { string s = 1; } }"),
    [
        ("ONEOF_REMOVED", "#/A/choice"),
        ("ONEOF_ADDED", "#/A/pick"),
        ("ONEOF_FIELD_REMOVED", "#/A/choice/2")
    ],
    false,
    true
);

rule!(
    oneof_renamed_member_type_change_is_incompatible_backward,
    oneof_renamed_member_type_change_is_incompatible_forward,
    &p3("message A { oneof choice { string s = 1; int64 n = 2; } }"),
    &p3("message A { oneof pick { string s = 1; double n = 2; } }"),
    [("FIELD_SCALAR_KIND_CHANGED", "#/A/pick/2")],
    false,
    false
);

rule!(
    oneof_field_moved_to_top_level_is_compatible_backward,
    oneof_field_moved_to_top_level_is_incompatible_forward,
    &p3("message A { oneof choice { string s = 1; int64 n = 2; } }"),
    &p3("message A { string s = 1; oneof choice { int64 n = 2; } }"),
    [("ONEOF_FIELD_MOVED_TO_TOP_LEVEL", "#/A/1")],
    true,
    false
);

rule!(
    single_field_moved_into_new_oneof_with_new_member_is_compatible_backward,
    single_field_moved_into_new_oneof_with_new_member_is_incompatible_forward,
    &p3("message A { string s = 1; int64 n = 2; }"),
    &p3("message A { int64 n = 2; oneof choice { string s = 1; bool b = 3; } }"),
    [("ONEOF_ADDED", "#/A/choice")],
    true,
    false
);

rule!(
    single_field_moved_into_new_oneof_is_compatible_backward,
    single_field_moved_into_new_oneof_is_compatible_forward,
    &p3("message A { string s = 1; int64 n = 2; }"),
    &p3("message A { int64 n = 2; oneof choice { string s = 1; } }"),
    [("ONEOF_ADDED", "#/A/choice")],
    true,
    true
);

rule!(
    multiple_fields_moved_to_oneof_is_incompatible_backward,
    multiple_fields_moved_to_oneof_is_compatible_forward,
    &p3("message A { string s = 1; int64 n = 2; }"),
    &p3("message A { oneof choice { string s = 1; int64 n = 2; } }"),
    [("MULTIPLE_FIELDS_MOVED_TO_ONEOF", "#/A/choice")],
    false,
    true
);

rule!(
    field_moved_to_existing_oneof_is_incompatible_backward,
    field_moved_to_existing_oneof_is_compatible_forward,
    &p3("message A { string s = 1; oneof choice { int64 n = 2; } }"),
    &p3("message A { oneof choice { string s = 1; int64 n = 2; } }"),
    [("FIELD_MOVED_TO_EXISTING_ONEOF", "#/A/choice")],
    false,
    true
);

rule!(
    oneofs_merged_is_incompatible_backward,
    oneofs_merged_is_compatible_forward,
    &p3("message A { oneof a { string s = 1; } oneof b { int64 n = 2; } }"),
    &p3("message A { oneof a { string s = 1; int64 n = 2; } }"),
    [("FIELD_MOVED_TO_EXISTING_ONEOF", "#/A/a")],
    false,
    true
);

rule!(
    proto3_optional_is_not_a_oneof_backward,
    proto3_optional_is_not_a_oneof_forward,
    &p3("message A { optional string s = 1; optional int64 n = 2; }"),
    &p3("message A { optional string s = 1; }"),
    [("FIELD_REMOVED", "#/A/2")],
    true,
    true
);

rule!(
    map_value_scalar_change_is_incompatible_backward,
    map_value_scalar_change_is_incompatible_forward,
    &p3("message A { map<string, int32> m = 1; }"),
    &p3("message A { map<string, string> m = 1; }"),
    [("FIELD_SCALAR_KIND_CHANGED", "#/A/1")],
    false,
    false
);

rule!(
    map_key_change_in_group_is_compatible_backward,
    map_key_change_in_group_is_compatible_forward,
    &p3("message A { map<int32, int32> m = 1; }"),
    &p3("message A { map<int64, uint64> m = 1; }"),
    [],
    true,
    true
);

rule!(
    map_value_message_body_change_is_incompatible_backward,
    map_value_message_body_change_is_incompatible_forward,
    &p3("message A { map<string, V> m = 1; }\nmessage V { int32 x = 1; }"),
    &p3("message A { map<string, V> m = 1; }\nmessage V { float x = 1; }"),
    [
        ("FIELD_SCALAR_KIND_CHANGED", "#/V/1"),
        ("FIELD_NAMED_TYPE_CHANGED", "#/A/1")
    ],
    false,
    false
);

rule!(
    nested_field_path_backward,
    nested_field_path_forward,
    &p3("message Outer { Inner i = 1; message Inner { int32 x = 5; } }"),
    &p3("message Outer { Inner i = 1; message Inner { double x = 5; } }"),
    [("FIELD_SCALAR_KIND_CHANGED", "#/Outer/Inner/5")],
    false,
    false
);

rule!(
    message_to_enum_same_name_is_message_removed_backward,
    message_to_enum_same_name_is_message_added_forward,
    &p3("message A { int32 x = 1; }\nmessage T { int32 y = 1; }"),
    &p3("message A { int32 x = 1; }\nenum T { T0 = 0; }"),
    [("MESSAGE_REMOVED", "#/T"), ("ENUM_ADDED", "#/T")],
    false,
    true
);

rule!(
    options_services_and_reserved_are_ignored_backward,
    options_services_and_reserved_are_ignored_forward,
    &p3("message A { int32 x = 1; }"),
    &p3("option java_package = \"p\";\nmessage A { int32 x = 1 [deprecated = true, json_name = \"y\"]; reserved 7; }\nservice S { rpc R(A) returns (A); }"),
    [],
    true,
    true
);

rule!(
    syntax_change_is_ignored_backward,
    syntax_change_is_ignored_forward,
    &p2("message A { optional string x = 1; }"),
    &p3("message A { optional string x = 1; }"),
    [],
    true,
    true
);

#[test]
fn message_shape_and_roles() {
    let old = parse(&p3(
        "message Msg { int32 x = 1; int32 y = 2; }\nmessage B { int32 z = 1; }",
    ));
    let new = parse(&p3(
        "message Msg { int32 x = 1; B y = 2; }\nmessage B { int32 z = 1; }",
    ));
    let backward = schemata_compat::protobuf::incompatibilities(&new, &old, Roles::BACKWARD);
    assert_eq!(
        backward,
        ["{errorType:\"FIELD_KIND_CHANGED\", description:\"The kind of a field at path '#/Msg/2' in the new schema does not match its kind in the old schema\"}"]
    );
    let forward = schemata_compat::protobuf::incompatibilities(&old, &new, Roles::FORWARD);
    assert_eq!(
        forward,
        ["{errorType:\"FIELD_KIND_CHANGED\", description:\"The kind of a field at path '#/Msg/2' in the old schema does not match its kind in the new schema\"}"]
    );
}

#[test]
fn full_lists_forward_messages_first() {
    let old = parse(&p3(
        "message A { int32 x = 1; }\nmessage B { int32 y = 1; }",
    ));
    let new = parse(&p3(
        "message A { int32 x = 1; }\nmessage C { int32 y = 1; }",
    ));
    let messages = check(CompatibilityLevel::Full, &old, &new);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("#/C") && messages[0].contains("MESSAGE_REMOVED"));
    assert!(messages[1].contains("#/B") && messages[1].contains("MESSAGE_REMOVED"));
}

#[test]
fn every_level_on_a_message_addition() {
    let old = parse(&p3("message A { int32 x = 1; }"));
    let new = parse(&p3(
        "message A { int32 x = 1; }\nmessage B { int32 y = 1; }",
    ));
    for level in CompatibilityLevel::ALL {
        let ok = check(level, &old, &new).is_empty();
        let expected = !matches!(
            level,
            CompatibilityLevel::Forward
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        );
        assert_eq!(ok, expected, "{level}");
    }
}

#[test]
fn transitive_levels_walk_history() {
    use schemata_compat::{check_compatibility, ParsedSchema};
    let v1 = parsed(&p3("message A { int32 x = 1; float f = 2; }"));
    let v2 = parsed(&p3("message A { int32 x = 1; }"));
    let v3 = parsed(&p3("message A { int32 x = 1; double f = 2; }"));
    let history: Vec<&ParsedSchema> = vec![&v2, &v1];
    assert!(check_compatibility(CompatibilityLevel::Backward, &v3, &history).is_ok());
    let failure = check_compatibility(CompatibilityLevel::BackwardTransitive, &v3, &history)
        .expect_err("v1 has float f = 2");
    assert_eq!(failure.index, 1);
    assert!(check_compatibility(CompatibilityLevel::None, &v3, &history).is_ok());
}

#[test]
fn recursive_messages_terminate() {
    let old = p3("message Node { Node next = 1; repeated Node children = 2; int32 v = 3; }");
    let new = p3(
        "message Node { Node next = 1; repeated Node children = 2; int64 v = 3; string s = 4; }",
    );
    assert!(backward(&old, &new).is_empty());
    let bad = p3("message Node { Node next = 1; repeated Node children = 2; float v = 3; }");
    assert_eq!(
        error_types(&backward(&old, &bad)),
        ["FIELD_SCALAR_KIND_CHANGED"]
    );
}

#[test]
fn mutual_recursion_terminates() {
    let old = p3("message A { B b = 1; int32 x = 2; }\nmessage B { A a = 1; }");
    let new = p3("message A { B b = 1; int32 x = 2; }\nmessage B { A a = 1; string y = 2; }");
    assert!(backward(&old, &new).is_empty());
    assert!(forward(&old, &new).is_empty());
}

#[test]
fn referenced_type_changes_are_seen() {
    let dep_v1 = "syntax = \"proto3\";\npackage dep;\nmessage D { int32 x = 1; }\n";
    let dep_v2 = "syntax = \"proto3\";\npackage dep;\nmessage D { string x = 1; }\n";
    let main = "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage A { dep.D d = 1; }\n";
    let old = parse_with(main, &[("dep.proto", dep_v1)]);
    let new = parse_with(main, &[("dep.proto", dep_v2)]);
    let diffs = differences(&old, &new);
    assert!(
        has(&diffs, "FIELD_SCALAR_KIND_CHANGED", "#/D/1"),
        "{diffs:?}"
    );
    assert!(
        has(&diffs, "FIELD_NAMED_TYPE_CHANGED", "#/A/1"),
        "{diffs:?}"
    );
    // Same reference on both sides: nothing to report.
    let same = parse_with(main, &[("dep.proto", dep_v1)]);
    assert!(differences(&old, &same).is_empty());
}

#[test]
fn referenced_types_compare_without_package() {
    let dep_a = "syntax = \"proto3\";\npackage a;\nmessage D { int32 x = 1; }\n";
    let dep_b = "syntax = \"proto3\";\npackage b;\nmessage D { int32 x = 1; }\n";
    let old = parse_with(
        "syntax = \"proto3\";\nimport \"a.proto\";\nmessage A { a.D d = 1; }\n",
        &[("a.proto", dep_a)],
    );
    let new = parse_with(
        "syntax = \"proto3\";\nimport \"b.proto\";\nmessage A { b.D d = 1; }\n",
        &[("b.proto", dep_b)],
    );
    assert!(differences(&old, &new).is_empty());
}

#[test]
fn enum_removal_is_accepted_at_every_level() {
    let old = parse(&p3(
        "message A { int32 x = 1; }\nenum E { E0 = 0; E1 = 1; }",
    ));
    let new = parse(&p3("message A { int32 x = 1; }"));
    for level in CompatibilityLevel::ALL {
        assert!(check(level, &old, &new).is_empty(), "{level}");
    }
}

#[test]
fn required_fields_can_be_neither_added_nor_removed_at_any_level() {
    let old = parse(&p2("message A { optional int32 x = 1; }"));
    let new = parse(&p2(
        "message A { optional int32 x = 1; required string r = 2; }",
    ));
    for level in CompatibilityLevel::ALL {
        let ok = check(level, &old, &new).is_empty() && check(level, &new, &old).is_empty();
        assert_eq!(ok, level == CompatibilityLevel::None, "{level}");
    }
}

#[test]
fn descriptor_map_entries_are_maps_not_messages() {
    use base64::Engine;
    let text = p3("message A { map<string, int32> m = 1; }");
    let schema = parse(&text);
    let b64 = schema.render("serialized").unwrap();
    let from_descriptor = parse(&b64);
    assert!(differences(&schema, &from_descriptor).is_empty());
    let _ = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let without_map = parse(&p3("message A { int32 y = 2; }"));
    let diffs = differences(&schema, &without_map);
    assert!(
        !diffs.iter().any(|(t, _)| t == "MESSAGE_REMOVED"),
        "{diffs:?}"
    );
}
