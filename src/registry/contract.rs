//! Data contracts (`docs/rest-api.md` §3.4): how a registration's metadata and rule set are
//! put together from the config's default, the request (or the latest version), and the
//! config's override. Each layer is merged over the one before: metadata `properties` and
//! `tags` key by key, `sensitive` as a union, and rules by name within each rule list, so an
//! override adds or replaces entries without dropping the others.

use crate::domain::EffectiveConfig;
use serde_json::Value;

/// (metadata, rule set) of a registration: default < `metadata`/`rule_set` < override.
pub(super) fn with_config(
    config: &EffectiveConfig,
    metadata: Option<Value>,
    rule_set: Option<Value>,
) -> (Option<Value>, Option<Value>) {
    let metadata = [
        config.default_metadata.clone(),
        metadata,
        config.override_metadata.clone(),
    ]
    .into_iter()
    .flatten()
    .reduce(merge_metadata);
    let rule_set = [
        config.default_rule_set.clone(),
        rule_set,
        config.override_rule_set.clone(),
    ]
    .into_iter()
    .flatten()
    .reduce(merge_rule_set);
    (metadata, rule_set)
}

/// `top` over `base`: maps merged key by key (`top` wins), `sensitive` as a union.
fn merge_metadata(base: Value, top: Value) -> Value {
    let (mut base, top) = match (base, top) {
        (Value::Object(base), Value::Object(top)) => (base, top),
        (_, top) => return top,
    };
    for (key, value) in top {
        let merged = match (key.as_str(), base.remove(&key), value) {
            ("properties" | "tags", Some(Value::Object(mut old)), Value::Object(new)) => {
                old.extend(new);
                Value::Object(old)
            }
            ("sensitive", Some(Value::Array(mut old)), Value::Array(new)) => {
                for item in new {
                    if !old.contains(&item) {
                        old.push(item);
                    }
                }
                Value::Array(old)
            }
            (_, _, value) => value,
        };
        base.insert(key, merged);
    }
    Value::Object(base)
}

/// `top` over `base`: in each rule list, a rule of `top` replaces the rule of that name in
/// `base` (keeping its place) or is appended.
fn merge_rule_set(base: Value, top: Value) -> Value {
    let (mut base, top) = match (base, top) {
        (Value::Object(base), Value::Object(top)) => (base, top),
        (_, top) => return top,
    };
    for (kind, rules) in top {
        let merged = match (base.remove(&kind), rules) {
            (Some(Value::Array(mut old)), Value::Array(new)) => {
                for rule in new {
                    let name = rule.get("name").cloned();
                    match old
                        .iter_mut()
                        .find(|r| name.is_some() && r.get("name") == name.as_ref())
                    {
                        Some(slot) => *slot = rule,
                        None => old.push(rule),
                    }
                }
                Value::Array(old)
            }
            (_, rules) => rules,
        };
        base.insert(kind, merged);
    }
    Value::Object(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Config;
    use serde_json::json;

    fn config(fields: Value) -> EffectiveConfig {
        EffectiveConfig {
            level: schemata_compat::CompatibilityLevel::Backward,
            config: serde_json::from_value::<Config>(fields).unwrap(),
        }
    }

    #[test]
    fn nothing_anywhere_stays_nothing() {
        assert_eq!(with_config(&config(json!({})), None, None), (None, None));
    }

    #[test]
    fn metadata_layers_merge_key_by_key() {
        let config = config(json!({
            "defaultMetadata": { "properties": { "owner": "default", "tier": "3" }, "sensitive": ["a"] },
            "overrideMetadata": { "properties": { "owner": "platform" }, "sensitive": ["b"] },
        }));
        let own = json!({ "properties": { "tier": "1", "team": "x" }, "tags": { "f": ["PII"] }, "sensitive": ["a", "c"] });
        let (metadata, _) = with_config(&config, Some(own), None);
        assert_eq!(
            metadata.unwrap(),
            json!({
                "properties": { "owner": "platform", "tier": "1", "team": "x" },
                "sensitive": ["a", "c", "b"],
                "tags": { "f": ["PII"] },
            })
        );
    }

    #[test]
    fn rules_are_replaced_by_name_and_otherwise_added() {
        let rule = |name: &str, expr: &str| json!({ "name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr });
        let config = config(json!({
            "defaultRuleSet": { "domainRules": [rule("a", "default"), rule("b", "default")] },
            "overrideRuleSet": { "domainRules": [rule("c", "override")], "migrationRules": [] },
        }));
        let own = json!({ "domainRules": [rule("b", "own")] });
        let (_, rules) = with_config(&config, None, Some(own));
        assert_eq!(
            rules.unwrap(),
            json!({
                "domainRules": [rule("a", "default"), rule("b", "own"), rule("c", "override")],
                "migrationRules": [],
            })
        );
    }

    #[test]
    fn a_single_layer_is_kept_as_it_is() {
        let own = json!({ "properties": { "k": "v" } });
        let (metadata, rules) = with_config(&config(json!({})), Some(own.clone()), None);
        assert_eq!((metadata, rules), (Some(own), None));
    }
}
