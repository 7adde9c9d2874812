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
