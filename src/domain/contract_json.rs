//! The JSON of a data contract — a schema's `metadata` and `ruleSet`, and a config's default
//! and override ones — as the registry keeps it: a member whose value is `null` is absent
//! (`docs/rest-api.md` §3.4). CSR reads these into typed objects, so `"encodingRules": null`
//! means "no encoding rules" there, and it is never echoed back as `null` to clients that
//! iterate the list.

use super::rule_set::{is_list_of_strings, is_map_of_strings};
use super::DomainError;
use serde_json::Value;

/// `metadata` has the shape CSR's `Metadata` gives it: `tags` an object of string lists,
/// `properties` an object of strings, `sensitive` a list of strings (400 otherwise, like any
/// wrongly typed field). Other members are kept as sent.
pub fn validate_metadata(metadata: Option<&Value>) -> Result<(), DomainError> {
    let Some(metadata) = metadata.filter(|m| !m.is_null()) else {
        return Ok(());
    };
    let wrong = |what: &str| Err(DomainError::InvalidMetadata(what.to_string()));
    let Some(object) = metadata.as_object() else {
        return wrong("metadata must be an object");
    };
    let tags_ok = object.get("tags").is_none_or(|tags| {
        tags.as_object()
            .is_some_and(|map| map.values().all(is_list_of_strings))
    });
    if !tags_ok {
        return wrong("metadata.tags must be an object of string lists");
    }
    if object
        .get("properties")
        .is_some_and(|p| !is_map_of_strings(p))
    {
        return wrong("metadata.properties must be an object of strings");
    }
    if object
        .get("sensitive")
        .is_some_and(|s| !is_list_of_strings(s))
    {
        return wrong("metadata.sensitive must be a list of strings");
    }
    Ok(())
}

/// `value` without the `null` members of its objects, at any depth; `None` when `value` is
/// itself `null`. Array elements are kept as they are (a `null` rule is still refused by
/// the rule-set checks).
pub fn without_nulls(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Object(map) => Some(Value::Object(
            map.into_iter()
                .filter_map(|(key, value)| Some((key, without_nulls(value)?)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items
                .into_iter()
                .map(|item| without_nulls(item).unwrap_or(Value::Null))
                .collect(),
        )),
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_members_are_dropped_at_every_depth() {
        let rule_set = json!({
            "migrationRules": [],
            "domainRules": [{ "name": "r", "mode": "WRITE", "params": null, "tags": ["a"] }],
            "encodingRules": null,
        });
        assert_eq!(
            without_nulls(rule_set),
            Some(json!({
                "migrationRules": [],
                "domainRules": [{ "name": "r", "mode": "WRITE", "tags": ["a"] }],
            }))
        );
        assert_eq!(without_nulls(Value::Null), None);
        assert_eq!(
            without_nulls(json!({ "sensitive": [null, "x"] })),
            Some(json!({ "sensitive": [null, "x"] }))
        );
    }
}
