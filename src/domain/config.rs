//! CSR's compatibility config of a scope (`/config`), stored as sent and merged along the
//! resolution chain, and what it resolves to for one subject.

use serde::{Deserialize, Serialize};

/// The config that applies to a subject, every field resolved along its chain.
#[derive(Debug, Clone)]
pub struct EffectiveConfig {
    pub level: schemata_compat::CompatibilityLevel,
    pub config: Config,
}

impl EffectiveConfig {
    /// `?normalize=` OR the config's `normalize`, as CSR combines them (a plain boolean
    /// parameter: an explicit `false`, which the Java client always sends, is no override).
    pub fn normalize_with(&self, param: Option<bool>) -> bool {
        param == Some(true) || self.normalize == Some(true)
    }

    /// The `compatibilityGroup` metadata property, when one is set: only versions whose
    /// metadata has the same value for it are checked against.
    pub fn group(&self) -> Option<&str> {
        self.compatibility_group
            .as_deref()
            .filter(|g| !g.is_empty())
    }

    /// How many of the (group's) live versions, newest first, a registration is checked
    /// against: the latest alone unless the level is transitive; none for NONE.
    pub fn versions_checked(&self) -> usize {
        match self.level {
            schemata_compat::CompatibilityLevel::None => 0,
            level if level.is_transitive() => usize::MAX,
            _ => 1,
        }
    }
}

impl std::ops::Deref for EffectiveConfig {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.config
    }
}

/// Every config and mode stored, by scope (`""` global, `:.ctx:`, or a qualified subject).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AllSettings {
    pub configs: std::collections::HashMap<String, Config>,
    pub modes: std::collections::HashMap<String, super::Mode>,
}

/// Per-scope configuration, stored as sent (partial) and merged along the resolution chain.
/// Field names are CSR's; the level is `compatibilityLevel` here and `compatibility` in PUT.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_fields: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_new_schemas: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_rules: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_metadata: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_metadata: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_rule_set: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_rule_set: Option<serde_json::Value>,
}

impl Config {
    /// Fill the fields this config leaves unset from `fallback`. The compatibility level is
    /// not inherited: a subject config without a level means the server default (CSR quirk).
    pub fn merged_with(mut self, fallback: &Config) -> Config {
        macro_rules! inherit {
            ($($field:ident),*) => { $( if self.$field.is_none() { self.$field = fallback.$field.clone(); } )* };
        }
        inherit!(
            alias,
            normalize,
            validate_fields,
            validate_new_schemas,
            validate_rules,
            compatibility_policy,
            compatibility_group,
            default_metadata,
            override_metadata,
            default_rule_set,
            override_rule_set
        );
        self
    }

    /// Overwrite the fields `update` sets (partial update of PUT /config).
    pub fn apply(&mut self, update: Config) {
        macro_rules! take {
            ($($field:ident),*) => { $( if update.$field.is_some() { self.$field = update.$field; } )* };
        }
        take!(
            alias,
            normalize,
            validate_fields,
            validate_new_schemas,
            validate_rules,
            compatibility_level,
            compatibility_policy,
            compatibility_group,
            default_metadata,
            override_metadata,
            default_rule_set,
            override_rule_set
        );
    }
}
