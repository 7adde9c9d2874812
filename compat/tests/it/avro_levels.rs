//! The seven compatibility levels over Avro histories (`docs/compatibility.md` §2.3 shapes,
//! our own schemas).

use schemata_compat::{
    check_compatibility, CompatibilityLevel, CompatibilityLevel as L, ParseOptions, ParsedSchema,
    SchemaType,
};

fn avro(text: &str) -> ParsedSchema {
    ParsedSchema::parse(SchemaType::Avro, text, &[], ParseOptions::default()).unwrap()
}

/// v1 = {id}, v2 = {id, note default}, v3 = {id, note no default},
/// v4 = {id, note default, tag default}.
fn v(n: u8) -> ParsedSchema {
    let id = r#"{"name":"id","type":"long"}"#;
    let note_default = r#"{"name":"note","type":"string","default":"none"}"#;
    let note_required = r#"{"name":"note","type":"string"}"#;
    let tag_default = r#"{"name":"tag","type":["null","string"],"default":null}"#;
    let fields = match n {
        1 => id.to_string(),
        2 => format!("{id},{note_default}"),
        3 => format!("{id},{note_required}"),
        4 => format!("{id},{note_default},{tag_default}"),
        _ => unreachable!(),
    };
    avro(&format!(
        r#"{{"type":"record","name":"Order","namespace":"shop","fields":[{fields}]}}"#
    ))
}

/// `history` oldest first, as a subject lists its versions.
fn ok(level: CompatibilityLevel, history: &[u8], new: u8) -> bool {
    let history: Vec<ParsedSchema> = history.iter().map(|&n| v(n)).collect();
    let previous: Vec<&ParsedSchema> = history.iter().rev().collect();
    check_compatibility(level, &v(new), &previous).is_ok()
}

#[test]
fn none_accepts_anything() {
    assert!(ok(L::None, &[1], 3));
    let json = ParsedSchema::parse(SchemaType::Json, "{}", &[], ParseOptions::default());
    if let Ok(json) = json {
        assert!(check_compatibility(L::None, &v(1), &[&json]).is_ok());
    }
}

#[test]
fn backward_checks_the_latest_version_only() {
    assert!(ok(L::Backward, &[1], 2));
    assert!(!ok(L::Backward, &[1], 3));
    // Only v2 is checked; v3 reads v2 data since v2 always writes `note`.
    assert!(ok(L::Backward, &[1, 2], 3));
    assert!(ok(L::Backward, &[], 3));
}

#[test]
fn backward_transitive_checks_every_version() {
    assert!(ok(L::BackwardTransitive, &[1, 2], 4));
    assert!(!ok(L::BackwardTransitive, &[2, 1], 3));
    assert!(!ok(L::BackwardTransitive, &[1, 2], 3));
}

#[test]
fn forward_checks_the_latest_version_only() {
    assert!(ok(L::Forward, &[1], 3));
    assert!(ok(L::Forward, &[2], 3));
    assert!(ok(L::Forward, &[3], 2));
    // v3 cannot read v1 data (note has no default), but only v1 as the latest matters.
    assert!(!ok(L::Forward, &[3], 1));
    assert!(ok(L::Forward, &[3, 2], 1));
}

#[test]
fn forward_transitive_checks_every_version() {
    assert!(!ok(L::ForwardTransitive, &[2, 3], 1));
    assert!(ok(L::ForwardTransitive, &[2, 4], 1));
}

#[test]
fn full_checks_both_directions_against_the_latest() {
    assert!(ok(L::Full, &[1, 2], 3));
    assert!(ok(L::Full, &[1], 2));
    assert!(!ok(L::Full, &[1], 3));
}

#[test]
fn full_transitive_checks_both_directions_against_every_version() {
    assert!(!ok(L::FullTransitive, &[2, 1], 3));
    assert!(ok(L::FullTransitive, &[1, 2], 4));
}

#[test]
fn transitive_failure_reports_the_first_failing_version_newest_first() {
    let history = [v(1), v(2)];
    let previous: Vec<&ParsedSchema> = history.iter().rev().collect();
    let err = check_compatibility(L::BackwardTransitive, &v(3), &previous).unwrap_err();
    // Index 0 = v2 is fine, index 1 = v1 fails.
    assert_eq!(err.index, 1);
    assert_eq!(err.messages.len(), 1);
    assert!(err.messages[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"));
}

#[test]
fn full_lists_forward_messages_first() {
    let old = avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
    let new = avro(r#"{"type":"record","name":"R","fields":[{"name":"b","type":"int"}]}"#);
    let messages = L::Full.check_pair(&new, &old);
    assert_eq!(messages.len(), 2);
    assert!(messages[0].contains("The field 'a' at path '/fields/0' in the old schema"));
    assert!(messages[1].contains("The field 'b' at path '/fields/0' in the new schema"));
}

#[test]
fn full_keeps_repeated_messages() {
    // The enum pair is met twice in the backward direction; the second visit reuses the
    // first one's result, so two identical MISSING_ENUM_SYMBOLS messages. FULL concatenates
    // the directions and keeps both.
    let old = avro(
        r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
            {"name":"b","type":"E"}]}"#,
    );
    let new = avro(
        r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},
            {"name":"b","type":"E"}]}"#,
    );
    let backward = L::Backward.check_pair(&new, &old);
    let expected = "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing \
                    enum symbols '[Y]' at path '/fields/0/type/symbols' in the old schema', \
                    additionalInfo:'[Y]'}";
    assert_eq!(backward, vec![expected, expected]);
    assert!(L::Forward.check_pair(&new, &old).is_empty());
    assert_eq!(L::Full.check_pair(&new, &old), vec![expected, expected]);
    assert_eq!(
        L::FullTransitive.check_pair(&new, &old),
        vec![expected, expected]
    );
}

#[test]
fn another_schema_type_is_one_error_at_every_level_but_none() {
    let json = ParsedSchema::parse(
        SchemaType::Json,
        r#"{"type":"string"}"#,
        &[],
        ParseOptions::default(),
    );
    let Ok(json) = json else { return };
    let new = v(1);
    for level in CompatibilityLevel::ALL {
        let messages = level.check_pair(&new, &json);
        if level == L::None {
            assert!(messages.is_empty());
        } else {
            assert_eq!(
                messages,
                vec!["Incompatible because of different schema type".to_string()],
                "{level}"
            );
        }
    }
}
