//! The rule set of a data contract (`ruleSet`): the checks CSR makes before storing one.

use super::DomainError;
use serde_json::Value;
use std::collections::HashSet;

/// CSR's rule-set checks (42210): rule names unique and present, kinds and modes valid for
/// the rule's category.
pub fn validate_rule_set(rule_set: Option<&Value>) -> Result<(), DomainError> {
    let Some(rule_set) = rule_set else {
        return Ok(());
    };
    if rule_set.is_null() {
        return Ok(());
    }
    let invalid = |msg: String| DomainError::InvalidRuleSet(msg);
    let object = rule_set
        .as_object()
        .ok_or_else(|| invalid("ruleSet must be an object".into()))?;
    let mut names = HashSet::new();
    for (category, modes) in [
        ("migrationRules", &["UPGRADE", "DOWNGRADE", "UPDOWN"][..]),
        ("domainRules", &["WRITE", "READ", "WRITEREAD"][..]),
        ("encodingRules", &["WRITE", "READ", "WRITEREAD"][..]),
    ] {
        let Some(rules) = object.get(category) else {
            continue;
        };
        if rules.is_null() {
            continue;
        }
        let rules = rules
            .as_array()
            .ok_or_else(|| invalid(format!("{category} must be a list")))?;
        for rule in rules {
            if !rule.is_object() {
                return Err(invalid(format!("{category} must hold rule objects")));
            }
            let name = rule.get("name").and_then(Value::as_str).unwrap_or_default();
            if name.is_empty() {
                return Err(invalid("Rule name is missing".into()));
            }
            if !names.insert(name.to_string()) {
                return Err(invalid(format!("Found rule with duplicate name '{name}'")));
            }
            if let Some(kind) = rule.get("kind").and_then(Value::as_str) {
                if kind != "TRANSFORM" && kind != "CONDITION" {
                    return Err(invalid(format!("Invalid kind '{kind}' for rule '{name}'")));
                }
            }
            check_field_types(rule, name).map_err(invalid)?;
            let mode = rule.get("mode").and_then(Value::as_str).unwrap_or_default();
            if !modes.contains(&mode) {
                return Err(invalid(format!(
                    "Invalid mode '{mode}' for rule '{name}' in {category}"
                )));
            }
        }
    }
    Ok(())
}

/// The fields of a rule have the types CSR's `Rule` gives them: text, a list of tags, a map
/// of text parameters, a `disabled` flag. Other members are kept as sent.
fn check_field_types(rule: &Value, name: &str) -> Result<(), String> {
    let wrong = |field: &str, what: &str| Err(format!("Rule '{name}': {field} must be {what}"));
    for field in [
        "name",
        "doc",
        "kind",
        "mode",
        "type",
        "expr",
        "onSuccess",
        "onFailure",
    ] {
        if rule.get(field).is_some_and(|v| !v.is_string()) {
            return wrong(field, "a string");
        }
    }
    if rule.get("tags").is_some_and(|v| !is_list_of_strings(v)) {
        return wrong("tags", "a list of strings");
    }
    if rule.get("params").is_some_and(|v| !is_map_of_strings(v)) {
        return wrong("params", "an object of strings");
    }
    if rule.get("disabled").is_some_and(|v| !v.is_boolean()) {
        return wrong("disabled", "a boolean");
    }
    Ok(())
}

/// A JSON array whose items are all strings.
pub(super) fn is_list_of_strings(value: &Value) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.iter().all(Value::is_string))
}

/// A JSON object whose values are all strings.
pub(super) fn is_map_of_strings(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|map| map.values().all(Value::is_string))
}
