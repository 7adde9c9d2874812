//! Runs every Avro vector in `tests/vectors/avro/` (see `tests/vectors/NOTICE`).
//!
//! Layout A (pairs): BACKWARD, FORWARD and FULL verdicts where given, and the
//! incompatibility types where listed. Layout B (level + history): through
//! `check_compatibility`. Cases that cannot pass are listed in `KNOWN_DIFFERENCES` with a
//! reason; the runner fails if a listed case passes or an unlisted one fails.

use schemata_compat::{
    check_compatibility, incompatibilities, CompatibilityLevel, ParseOptions, ParsedSchema, Roles,
    SchemaType,
};
use serde_json::Value;
use std::path::Path;

/// (case name, reason, a fragment the failure must contain). Empty when everything matches.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[(
    "test_schemaregistry_basic_backwards_compatibility#7",
    "Java (so Confluent) rejects one of the schemas at parse time: the enum default `B` is \
     not one of its symbols; we reject it the same way, so no verdict can be computed",
    "The Enum Default: B is not in the enum symbol set: [A]",
)];

fn parse(v: &Value) -> Result<ParsedSchema, String> {
    ParsedSchema::parse(
        SchemaType::Avro,
        &v.to_string(),
        &[],
        ParseOptions {
            validate: true,
            normalize: false,
        },
    )
    .map_err(|e| e.to_string())
}

fn error_type(message: &str) -> String {
    message
        .strip_prefix("{errorType:'")
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or("UNEXPECTED")
        .to_string()
}

/// Checks one layout-A case; Err(explanation) on any mismatch.
fn run_pair(case: &Value) -> Result<(), String> {
    let old = parse(&case["old"])?;
    let new = parse(&case["new"])?;
    let backward = incompatibilities(&new, &old, Roles::BACKWARD);
    let forward = incompatibilities(&old, &new, Roles::FORWARD);
    let full = CompatibilityLevel::Full.check_pair(&new, &old);
    let expected = &case["expected"];
    let mut problems = Vec::new();
    for (key, got) in [
        ("backward", backward.is_empty()),
        ("forward", forward.is_empty()),
        ("full", full.is_empty()),
    ] {
        if let Some(want) = expected.get(key).and_then(Value::as_bool) {
            if want != got {
                problems.push(format!(
                    "{key}: expected {want}, got {got} (backward {backward:?}, forward {forward:?})"
                ));
            }
        }
    }
    if let Some(types) = case
        .get("expected_incompatibility_types")
        .and_then(Value::as_array)
    {
        // The types are those of the failing direction (backward first).
        let messages = if !backward.is_empty() {
            &backward
        } else {
            &forward
        };
        let mut got: Vec<String> = messages.iter().map(|m| error_type(m)).collect();
        got.sort();
        got.dedup();
        let mut want: Vec<String> = types
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        want.sort();
        want.dedup();
        if got != want {
            problems.push(format!(
                "incompatibility types: expected {want:?}, got {got:?}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Checks one layout-B case.
fn run_history(case: &Value) -> Result<(), String> {
    let level: CompatibilityLevel = case["level"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("bad level")?;
    let history: Vec<ParsedSchema> = case["history"]
        .as_array()
        .ok_or("no history")?
        .iter()
        .map(parse)
        .collect::<Result<_, _>>()?;
    let new = parse(&case["new"])?;
    // `previous` is newest first.
    let previous: Vec<&ParsedSchema> = history.iter().rev().collect();
    let result = check_compatibility(level, &new, &previous);
    let want = case["expected_compatible"].as_bool().ok_or("no verdict")?;
    if result.is_ok() == want {
        Ok(())
    } else {
        Err(format!("expected compatible={want}, got {result:?}"))
    }
}

#[test]
fn every_avro_vector() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/avro");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut passed, mut known, mut failures) = (0usize, 0usize, Vec::new());
    for file in &files {
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let (mut file_passed, mut file_total) = (0, 0);
        for case in &cases {
            let name = case["name"].as_str().unwrap_or("?");
            let outcome = if case.get("level").is_some() {
                run_history(case)
            } else {
                run_pair(case)
            };
            file_total += 1;
            let listed = KNOWN_DIFFERENCES.iter().find(|(n, _, _)| *n == name);
            match (outcome, listed) {
                (Ok(()), None) => {
                    passed += 1;
                    file_passed += 1;
                }
                (Ok(()), Some(_)) => failures.push(format!(
                    "{name}: listed as a known difference but now passes; remove it"
                )),
                (Err(e), Some((_, reason, fragment))) if e.contains(fragment) => {
                    known += 1;
                    println!("known difference {name}: {reason}");
                }
                (Err(e), Some(_)) => failures.push(format!("{name}: fails differently: {e}")),
                (Err(e), None) => failures.push(format!("{name}: {e}")),
            }
        }
        println!(
            "{}: {file_passed}/{file_total} passed",
            file.file_name().unwrap().to_string_lossy()
        );
    }
    println!(
        "Avro vectors: {passed} passed, {known} known differences, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
