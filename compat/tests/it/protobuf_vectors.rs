//! Karapace's Protobuf compatibility cases (Apache-2.0, transcribed in
//! `compat/tests/vectors/protobuf/karapace_protobuf_compatibility_transcribed.json`), run against the
//! verdict Confluent's rules give (`confluent_backward_derived`).
//!
//! Where Karapace's own expectation differs from Confluent's, the case is listed in
//! [`KNOWN_DIFFERENCES`] with the reason. The runner fails if any case disagrees with the
//! Confluent verdict, if a listed case starts agreeing with Karapace, or if an unlisted case
//! disagrees with Karapace.

use crate::protobuf_support::*;
use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::CompatibilityLevel;
use serde_json::Value;

/// Cases where we follow Confluent and therefore disagree with Karapace's expectation.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "test_compatibility_package",
        "package change: PACKAGE_CHANGED is incompatible in Confluent, Karapace accepts it",
    ),
    (
        "test_compatibility_field_tag_change",
        "renumbering a field is FIELD_REMOVED + FIELD_ADDED (compatible) in Confluent, \
         Karapace reports FIELD_TAG_ALTER",
    ),
    (
        "test_changing_field_number_is_incompatible",
        "renumbering a field is FIELD_REMOVED + FIELD_ADDED (compatible) in Confluent, \
         Karapace reports FIELD_TAG_ALTER",
    ),
];

/// Cases whose schemas we refuse to parse, so no verdict is computed (the registry answers
/// 422 where Confluent's AST-based check would give the listed verdict).
const KNOWN_PARSE_REJECTIONS: &[(&str, &str)] = &[(
    "test_compatibility_ordering_change_msg",
    "field number 0 (`int32 hodofield = 0;`): protox rejects it while parsing (as protoc and \
     Confluent's descriptor validation of new schemas do); Confluent's Wire-based diff would \
     accept the reordering (MESSAGE_MOVED, compatible)",
)];

fn cases() -> Vec<Value> {
    let text = include_str!("../vectors/protobuf/karapace_protobuf_compatibility_transcribed.json");
    serde_json::from_str::<Value>(text)
        .expect("vector file is JSON")
        .as_array()
        .expect("vector file is an array")
        .clone()
}

#[test]
fn karapace_vectors_follow_confluent() {
    let cases = cases();
    assert_eq!(cases.len(), 17);
    let mut failures = Vec::new();
    let mut known_seen = 0;
    let mut rejected_seen = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let options = schemata_compat::ParseOptions::default();
        let old = ProtobufSchema::parse(case["old"].as_str().unwrap(), &[], options);
        let new = ProtobufSchema::parse(case["new"].as_str().unwrap(), &[], options);
        let rejected = KNOWN_PARSE_REJECTIONS.iter().any(|(n, _)| *n == name);
        let (old, new) = match (old, new) {
            (Ok(old), Ok(new)) => {
                if rejected {
                    failures.push(format!(
                        "{name}: listed as rejected at parse but parses now"
                    ));
                }
                (old, new)
            }
            (old, new) => {
                if rejected {
                    rejected_seen += 1;
                } else {
                    failures.push(format!(
                        "{name}: does not parse: {:?} {:?}",
                        old.err(),
                        new.err()
                    ));
                }
                continue;
            }
        };
        let messages = check(CompatibilityLevel::Backward, &old, &new);
        let ours = messages.is_empty();
        let confluent = case["confluent_backward_derived"].as_bool().unwrap();
        let karapace = case["expected"]["backward"].as_bool().unwrap();
        if ours != confluent {
            failures.push(format!(
                "{name}: ours {ours}, Confluent {confluent}: {messages:?}"
            ));
        }
        let listed = KNOWN_DIFFERENCES.iter().any(|(n, _)| *n == name);
        if listed {
            known_seen += 1;
            if ours == karapace {
                failures.push(format!(
                    "{name}: listed as a known difference but now agrees with Karapace"
                ));
            }
        } else if ours != karapace {
            failures.push(format!(
                "{name}: differs from Karapace ({karapace}) but is not listed"
            ));
        }
        // No duplicate messages, ever.
        let mut unique = messages.clone();
        unique.dedup();
        assert_eq!(unique.len(), messages.len(), "{name}: duplicate messages");
    }
    assert_eq!(
        known_seen,
        KNOWN_DIFFERENCES.len(),
        "a listed case is missing from the file"
    );
    assert_eq!(rejected_seen, KNOWN_PARSE_REJECTIONS.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn karapace_vectors_full_is_backward_and_forward() {
    for case in cases() {
        if KNOWN_PARSE_REJECTIONS
            .iter()
            .any(|(n, _)| case["name"] == *n)
        {
            continue;
        }
        let old = parse(case["old"].as_str().unwrap());
        let new = parse(case["new"].as_str().unwrap());
        let b = check(CompatibilityLevel::Backward, &old, &new).is_empty();
        let f = check(CompatibilityLevel::Forward, &old, &new).is_empty();
        let full = check(CompatibilityLevel::Full, &old, &new).is_empty();
        assert_eq!(full, b && f, "{}", case["name"]);
    }
}

#[test]
fn karapace_vectors_expected_difference_types() {
    let by_name = |n: &str| {
        cases()
            .into_iter()
            .find(|c| c["name"] == n)
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    let case = by_name("test_incompatible_result_has_no_duplicates_in_sets");
    let messages = backward(case["old"].as_str().unwrap(), case["new"].as_str().unwrap());
    assert_eq!(error_types(&messages), ["FIELD_SCALAR_KIND_CHANGED"]);

    let case = by_name("test_renaming_message_is_incompatible");
    let messages = backward(case["old"].as_str().unwrap(), case["new"].as_str().unwrap());
    assert_eq!(error_types(&messages), ["MESSAGE_REMOVED"]);

    let case = by_name("test_compatibility_package");
    let messages = backward(case["old"].as_str().unwrap(), case["new"].as_str().unwrap());
    assert_eq!(error_types(&messages), ["PACKAGE_CHANGED"]);
}
