//! The storage topic folded, record by record in topic order, into the state it describes
//! (what a registry reading the topic holds at its end), and that state as import items
//! (docs/migration.md §5.2): every version with its id, type, references, metadata, rule set,
//! soft deletion and first registration time; configs and modes; each context's highest id
//! ever given out (permanently deleted schemas included); and what the topic removed
//! (permanently deleted versions, removed configs and modes), to remove from a target that
//! still holds it.

use super::record::{Event, SchemaValue};
use crate::cli::import::{Item, Removal};
use crate::domain::{Config, Mode, QualifiedSubject};
use crate::registry::{ImportedSchema, ImportedVersion};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Warnings kept word for word; beyond them only counted.
const MAX_WARNINGS: usize = 100;

/// A version: (context, subject name, version).
type VersionKey = (String, String, i64);

#[derive(Debug, Clone)]
struct Held {
    value: SchemaValue,
    /// The timestamp of the record that registered it.
    registered_at: i64,
}

#[derive(Debug, Default)]
pub(in crate::cli) struct Fold {
    versions: BTreeMap<VersionKey, Held>,
    /// How many versions hold each (context, id), and one of them.
    holders: HashMap<(String, i64), (VersionKey, usize)>,
    configs: BTreeMap<String, Config>,
    modes: BTreeMap<String, Mode>,
    /// The highest id each context ever gave out.
    max_ids: BTreeMap<String, i64>,
    /// Versions the topic permanently deleted, with the id they held when known.
    removed_versions: BTreeMap<VersionKey, Option<i64>>,
    removed_configs: BTreeSet<String>,
    removed_modes: BTreeSet<String>,
    /// Records read.
    pub records: u64,
    /// Records that change nothing, by key type.
    pub ignored: BTreeMap<String, u64>,
    /// Records skipped as unreadable or contradicting the topic, one sentence each.
    pub warnings: Vec<String>,
    pub warnings_total: u64,
}

impl Fold {
    pub(in crate::cli) fn new() -> Self {
        Self::default()
    }

    /// A record that cannot be applied: remembered, skipped (as the registries skip it).
    pub(in crate::cli) fn warn(&mut self, offset: i64, why: String) {
        self.warnings_total += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("offset {offset}: {why}"));
        }
    }

    /// Apply one record; what it changed, as items for a target that holds the state
    /// before it (a followed topic's next record).
    pub(in crate::cli) fn apply(&mut self, offset: i64, timestamp: i64, event: Event) -> Vec<Item> {
        self.records += 1;
        match event {
            Event::Schema {
                subject,
                version,
                value,
            } => {
                let key = version_key(&subject, version);
                match value {
                    Some(value) => self
                        .schema(offset, timestamp, key.clone(), value)
                        .then(|| Item::Schema(self.schema_item(&[key])))
                        .into_iter()
                        .collect(),
                    None => {
                        let id = self.release(&key);
                        let entry = self.removed_versions.entry(key.clone()).or_insert(id);
                        if id.is_some() {
                            *entry = id;
                        }
                        vec![removed_version(key, id)]
                    }
                }
            }
            Event::Config { scope, config } => match config {
                Some(config) => {
                    self.removed_configs.remove(&scope);
                    self.configs.insert(scope.clone(), config.clone());
                    vec![Item::Config { scope, config }]
                }
                None => {
                    self.configs.remove(&scope);
                    self.removed_configs.insert(scope.clone());
                    vec![Item::Removed(Removal::Config { scope })]
                }
            },
            Event::Mode { scope, mode } => match mode {
                Some(mode) => {
                    self.removed_modes.remove(&scope);
                    self.modes.insert(scope.clone(), mode);
                    vec![Item::Mode { scope, mode }]
                }
                None => {
                    self.modes.remove(&scope);
                    self.removed_modes.insert(scope.clone());
                    vec![Item::Removed(Removal::Mode { scope })]
                }
            },
            Event::DeleteSubject { subject, through } => {
                let s = QualifiedSubject::parse(&subject);
                let first = (s.context.clone(), s.name.clone(), i64::MIN);
                let mut flipped = Vec::new();
                for (key, held) in self
                    .versions
                    .range_mut(first..=(s.context, s.name, through))
                {
                    if !held.value.deleted {
                        held.value.deleted = true;
                        flipped.push(key.clone());
                    }
                }
                flipped
                    .iter()
                    .map(|key| Item::Schema(self.schema_item(std::slice::from_ref(key))))
                    .collect()
            }
            Event::ClearSubject { subject } => {
                let cleared: Vec<VersionKey> = self
                    .versions
                    .iter()
                    .filter(|(key, held)| held.value.deleted && matches(subject.as_deref(), key))
                    .map(|(key, _)| key.clone())
                    .collect();
                let mut changes = Vec::new();
                for key in cleared {
                    let id = self.release(&key);
                    self.removed_versions.insert(key.clone(), id);
                    changes.push(removed_version(key, id));
                }
                changes
            }
            Event::Ignored { keytype } => {
                *self.ignored.entry(keytype).or_default() += 1;
                Vec::new()
            }
        }
    }

    /// The schema the (held) versions `keys` carry, with those versions only.
    fn schema_item(&self, keys: &[VersionKey]) -> ImportedSchema {
        let first = &self.versions[&keys[0]];
        let mut schema = imported(&keys[0].0, &first.value);
        for key in keys {
            let held = &self.versions[key];
            schema.versions.push(ImportedVersion {
                subject: key.1.clone(),
                version: key.2,
                deleted: held.value.deleted,
                registered_at: Some(held.registered_at),
            });
        }
        schema
    }

    /// Hold a version; `false` when the record was skipped.
    fn schema(&mut self, offset: i64, timestamp: i64, key: VersionKey, value: SchemaValue) -> bool {
        let context = key.0.clone();
        // An id names one schema in its context: a record giving it to another schema is
        // skipped, as the registries skip it.
        let other = match self.holders.get(&(context.clone(), value.id)) {
            Some((k, _)) if *k != key => self.versions.get(k).map(|held| (k, held)),
            _ => None,
        };
        if let Some((k, held)) = other {
            if !same_schema(&held.value, &value) {
                let why = format!(
                    "subject {} version {} gives id {} to a schema other than the one subject {} version {} holds under it; skipped",
                    key.1, key.2, value.id, k.1, k.2
                );
                self.warn(offset, why);
                return false;
            }
        }
        let high = self.max_ids.entry(context).or_insert(0);
        *high = (*high).max(value.id);
        self.removed_versions.remove(&key);
        let registered_at = match self.versions.get(&key) {
            Some(held) if held.value.id == value.id => held.registered_at,
            _ => timestamp,
        };
        self.release(&key);
        let holder = self
            .holders
            .entry((key.0.clone(), value.id))
            .or_insert_with(|| (key.clone(), 0));
        holder.1 += 1;
        self.versions.insert(
            key,
            Held {
                value,
                registered_at,
            },
        );
        true
    }

    /// Forget a version; the id it held.
    fn release(&mut self, key: &VersionKey) -> Option<i64> {
        let held = self.versions.remove(key)?;
        let id = (key.0.clone(), held.value.id);
        if let Some((holder, count)) = self.holders.get_mut(&id) {
            *count -= 1;
            if *count == 0 {
                self.holders.remove(&id);
            } else if holder == key {
                // Another version still holds the id: find it (rare: a shared id whose
                // first holder went).
                let other = self
                    .versions
                    .iter()
                    .find(|(k, h)| k.0 == id.0 && h.value.id == id.1)
                    .map(|(k, _)| k.clone());
                if let Some(other) = other {
                    *holder = other;
                }
            }
        }
        Some(held.value.id)
    }

    /// The state at the end of the topic as import items: contexts (with the highest id each
    /// gave out), schemas by context and ascending id with their versions, configs, modes,
    /// then what the topic removed.
    pub(in crate::cli) fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        let live: BTreeSet<&String> = self.versions.keys().map(|k| &k.0).collect();
        for (context, max_id) in &self.max_ids {
            items.push(Item::Context {
                name: context.clone(),
                listed: live.contains(context),
                max_id: *max_id,
            });
        }
        let mut schemas: BTreeMap<(String, i64), ImportedSchema> = BTreeMap::new();
        for ((context, name, version), held) in &self.versions {
            let value = &held.value;
            let schema = schemas
                .entry((context.clone(), value.id))
                .or_insert_with(|| imported(context, value));
            schema.versions.push(ImportedVersion {
                subject: name.clone(),
                version: *version,
                deleted: value.deleted,
                registered_at: Some(held.registered_at),
            });
        }
        items.extend(schemas.into_values().map(Item::Schema));
        for (scope, config) in &self.configs {
            items.push(Item::Config {
                scope: scope.clone(),
                config: config.clone(),
            });
        }
        for (scope, mode) in &self.modes {
            items.push(Item::Mode {
                scope: scope.clone(),
                mode: *mode,
            });
        }
        // Newest versions first: a version may reference an older one of its subject.
        for (key, id) in self.removed_versions.iter().rev() {
            items.push(removed_version(key.clone(), *id));
        }
        for scope in &self.removed_configs {
            items.push(Item::Removed(Removal::Config {
                scope: scope.clone(),
            }));
        }
        for scope in &self.removed_modes {
            items.push(Item::Removed(Removal::Mode {
                scope: scope.clone(),
            }));
        }
        items
    }

    /// A one-line account of the read, for the operator.
    pub(in crate::cli) fn summary(&self) -> String {
        let ignored: Vec<String> = self
            .ignored
            .iter()
            .map(|(keytype, n)| format!("{n} {keytype}"))
            .collect();
        format!(
            "read {} records: {} versions, {} configs, {} modes at the end; {} versions, {} configs and {} modes removed by the topic; ignored: {}; skipped: {}",
            self.records,
            self.versions.len(),
            self.configs.len(),
            self.modes.len(),
            self.removed_versions.len(),
            self.removed_configs.len(),
            self.removed_modes.len(),
            if ignored.is_empty() { "none".into() } else { ignored.join(", ") },
            self.warnings_total
        )
    }
}

/// A schema as held, without versions.
fn imported(context: &str, value: &SchemaValue) -> ImportedSchema {
    ImportedSchema {
        context: context.to_string(),
        id: value.id,
        schema_type: value.schema_type.clone().unwrap_or_else(|| "AVRO".into()),
        schema: value.schema.clone(),
        references: value.references.clone().unwrap_or_default(),
        metadata: value.metadata.clone(),
        rule_set: value.rule_set.clone(),
        versions: Vec::new(),
    }
}

fn removed_version((context, subject, version): VersionKey, id: Option<i64>) -> Item {
    Item::Removed(Removal::Version {
        context,
        subject,
        version,
        id,
    })
}

fn version_key(subject: &str, version: i64) -> VersionKey {
    let s = QualifiedSubject::parse(subject);
    (s.context, s.name, version)
}

/// Whether a CLEAR_SUBJECT's subject covers a version: every subject (none given), a
/// context's subjects (`:.ctx:`), or one subject.
fn matches(subject: Option<&str>, key: &VersionKey) -> bool {
    match subject {
        None => true,
        Some(s) => {
            let s = QualifiedSubject::parse(s);
            s.context == key.0 && (s.name.is_empty() || s.name == key.1)
        }
    }
}

fn same_schema(a: &SchemaValue, b: &SchemaValue) -> bool {
    a.schema == b.schema
        && a.schema_type.as_deref().unwrap_or("AVRO") == b.schema_type.as_deref().unwrap_or("AVRO")
        && a.references.as_deref().unwrap_or_default()
            == b.references.as_deref().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(id: i64, text: &str, deleted: bool) -> Option<SchemaValue> {
        Some(SchemaValue {
            id,
            schema: text.into(),
            schema_type: None,
            references: None,
            metadata: None,
            rule_set: None,
            deleted,
        })
    }

    fn put(fold: &mut Fold, offset: i64, subject: &str, version: i64, value: Option<SchemaValue>) {
        fold.apply(
            offset,
            1000 + offset,
            Event::Schema {
                subject: subject.into(),
                version,
                value,
            },
        );
    }

    fn schemas(fold: &Fold) -> Vec<ImportedSchema> {
        fold.items()
            .into_iter()
            .filter_map(|i| match i {
                Item::Schema(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_end_state_with_deletions_and_the_highest_id() {
        let mut fold = Fold::new();
        put(&mut fold, 0, "a", 1, schema(1, "A1", false));
        put(&mut fold, 1, "a", 2, schema(2, "A2", false));
        put(&mut fold, 2, "b", 1, schema(1, "A1", false));
        put(&mut fold, 3, "gone", 1, schema(3, "G", false));
        // Soft delete by rewriting the value, then the tombstone.
        put(&mut fold, 4, "gone", 1, schema(3, "G", true));
        put(&mut fold, 5, "gone", 1, None);
        fold.apply(
            6,
            1006,
            Event::DeleteSubject {
                subject: "a".into(),
                through: 1,
            },
        );
        fold.apply(
            7,
            1007,
            Event::Ignored {
                keytype: "NOOP".into(),
            },
        );
        // An id taken by another schema: skipped.
        put(&mut fold, 8, "c", 1, schema(2, "other", false));
        put(&mut fold, 9, ":.ctx:x", 1, schema(1, "X", false));
        let schemas = schemas(&fold);
        assert_eq!(schemas.len(), 3, "{schemas:?}");
        let one = &schemas[0];
        assert_eq!(
            (one.context.as_str(), one.id, one.schema.as_str()),
            (".", 1, "A1")
        );
        let versions: Vec<(&str, i64, bool, Option<i64>)> = one
            .versions
            .iter()
            .map(|v| (v.subject.as_str(), v.version, v.deleted, v.registered_at))
            .collect();
        assert_eq!(
            versions,
            [("a", 1, true, Some(1000)), ("b", 1, false, Some(1002))]
        );
        assert_eq!((schemas[2].context.as_str(), schemas[2].id), (".ctx", 1));
        let items = fold.items();
        assert!(items
            .iter()
            .any(|i| matches!(i, Item::Context { name, max_id: 3, listed: true } if name == ".")));
        assert!(items.iter().any(|i| matches!(i, Item::Removed(Removal::Version { subject, version: 1, id: Some(3), .. }) if subject == "gone")));
        assert_eq!(fold.warnings_total, 1);
        assert!(
            fold.warnings[0].starts_with("offset 8:"),
            "{:?}",
            fold.warnings
        );
        assert_eq!(fold.ignored["NOOP"], 1);
    }

    #[test]
    fn a_soft_delete_keeps_the_registration_time_and_clear_subject_forgets() {
        let mut fold = Fold::new();
        put(&mut fold, 0, ":.ctx:s", 1, schema(5, "S", false));
        put(&mut fold, 1, ":.ctx:s", 1, schema(5, "S", true));
        put(&mut fold, 2, ":.ctx:t", 1, schema(6, "T", false));
        assert_eq!(schemas(&fold)[0].versions[0].registered_at, Some(1000));
        fold.apply(
            3,
            1003,
            Event::ClearSubject {
                subject: Some(":.ctx:".into()),
            },
        );
        let left = schemas(&fold);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, 6);
    }

    #[test]
    fn settings_and_their_removal() {
        let mut fold = Fold::new();
        let config = |level: &str| Config {
            compatibility_level: Some(level.into()),
            ..Default::default()
        };
        fold.apply(
            0,
            0,
            Event::Config {
                scope: "".into(),
                config: Some(config("FULL")),
            },
        );
        fold.apply(
            1,
            0,
            Event::Config {
                scope: "s".into(),
                config: Some(config("NONE")),
            },
        );
        fold.apply(
            2,
            0,
            Event::Config {
                scope: "s".into(),
                config: None,
            },
        );
        fold.apply(
            3,
            0,
            Event::Mode {
                scope: "".into(),
                mode: Some(Mode::ReadOnly),
            },
        );
        let items = fold.items();
        assert!(items
            .iter()
            .any(|i| matches!(i, Item::Config { scope, .. } if scope.is_empty())));
        assert!(!items
            .iter()
            .any(|i| matches!(i, Item::Config { scope, .. } if scope == "s")));
        assert!(items
            .iter()
            .any(|i| matches!(i, Item::Removed(Removal::Config { scope }) if scope == "s")));
        assert!(items.iter().any(|i| matches!(
            i,
            Item::Mode {
                mode: Mode::ReadOnly,
                ..
            }
        )));
    }
}
