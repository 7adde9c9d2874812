//! The storage topic folded, record by record in topic order, into the state it describes
//! (what a registry reading the topic holds at its end), and that state as import items
//! (docs/migration.md §5.2): every version with its id, type, references, metadata, rule set,
//! soft deletion and first registration time; configs and modes; each context's highest id
//! ever given out (permanently deleted schemas included); and what the topic removed
//! (permanently deleted versions, removed configs and modes), to remove from a target that
//! still holds it.
//!
//! Where the versions' bodies (text, type, references, metadata, rule set) are kept depends
//! on the reader: `schemata import` folds into a temporary file (`import::body_file`), each
//! record's body appended as it is read and memory keeping per version only its id,
//! deletion, time, a digest and where its body lies (docs/migration.md §5); a follower keeps
//! them in memory, and gets back what each record changed, to apply at once.

use super::record::{Event, SchemaValue};
use crate::cli::import::body_file::{Body, BodyFile, BodyReader, Slot};
use crate::cli::import::{Item, Removal};
use crate::domain::{Config, Mode, QualifiedSubject};
use crate::registry::{ImportedSchema, ImportedVersion};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Warnings kept word for word; beyond them only counted.
const MAX_WARNINGS: usize = 100;

/// A version: (context, subject name, version).
type VersionKey = (String, String, i64);

#[derive(Debug, Clone)]
struct Held {
    id: i64,
    deleted: bool,
    /// The timestamp of the record that registered it.
    registered_at: i64,
    /// Its text, type and references ([`Body::digest`]): what one id must always name.
    digest: [u8; 32],
    body: Stored,
}

/// Where a version's body is.
#[derive(Debug, Clone)]
enum Stored {
    Memory(Box<Body>),
    File(Slot),
}

#[derive(Default)]
pub(in crate::cli) struct Fold {
    /// The temporary file of the bodies; none: they are kept in memory.
    file: Option<BodyFile>,
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
    /// A fold that keeps bodies in memory and reports what each record changed (a
    /// follower's).
    pub(in crate::cli) fn in_memory() -> Self {
        Self::default()
    }

    /// A fold that keeps bodies in a temporary file in `dir` and reports no changes (an
    /// import's, read once at the end: [`Fold::finish`], then [`Fold::items`]).
    pub(in crate::cli) fn spilled(dir: &Path) -> anyhow::Result<Self> {
        Ok(Fold {
            file: Some(BodyFile::create(dir)?),
            ..Self::default()
        })
    }

    /// Done reading: every body reaches the temporary file.
    pub(in crate::cli) fn finish(&mut self) -> anyhow::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }

    /// A record that cannot be applied: remembered, skipped (as the registries skip it).
    pub(in crate::cli) fn warn(&mut self, offset: i64, why: String) {
        self.warnings_total += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("offset {offset}: {why}"));
        }
    }

    /// Apply one record; what it changed, as items for a target that holds the state
    /// before it (a followed topic's next record). A spilled fold reports nothing. An error
    /// is the temporary file's.
    pub(in crate::cli) fn apply(
        &mut self,
        offset: i64,
        timestamp: i64,
        event: Event,
    ) -> anyhow::Result<Vec<Item>> {
        self.records += 1;
        let changes = match event {
            Event::Schema {
                subject,
                version,
                value,
            } => {
                let key = version_key(&subject, version);
                match value {
                    Some(value) => {
                        if self.schema(offset, timestamp, key.clone(), value)? {
                            self.schema_items(&[key])
                        } else {
                            Vec::new()
                        }
                    }
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
                    if !held.deleted {
                        held.deleted = true;
                        flipped.push(key.clone());
                    }
                }
                flipped
                    .iter()
                    .flat_map(|key| self.schema_items(std::slice::from_ref(key)))
                    .collect()
            }
            Event::ClearSubject { subject } => {
                let cleared: Vec<VersionKey> = self
                    .versions
                    .iter()
                    .filter(|(key, held)| held.deleted && matches(subject.as_deref(), key))
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
        };
        Ok(if self.file.is_some() {
            Vec::new()
        } else {
            changes
        })
    }

    /// The schema the (held) versions `keys` carry, with those versions only, as a change to
    /// report; nothing for a spilled fold, which reports no changes.
    fn schema_items(&self, keys: &[VersionKey]) -> Vec<Item> {
        let first = &self.versions[&keys[0]];
        let Stored::Memory(body) = &first.body else {
            return Vec::new();
        };
        let mut schema = imported(&keys[0].0, first.id, body);
        for key in keys {
            schema.versions.push(version_of(key, &self.versions[key]));
        }
        vec![Item::Schema(schema)]
    }

    /// Hold a version; `false` when the record was skipped.
    fn schema(
        &mut self,
        offset: i64,
        timestamp: i64,
        key: VersionKey,
        value: SchemaValue,
    ) -> anyhow::Result<bool> {
        let context = key.0.clone();
        let body = Body {
            schema_type: value.schema_type.unwrap_or_else(|| "AVRO".into()),
            schema: value.schema,
            references: value.references.unwrap_or_default(),
            metadata: value.metadata,
            rule_set: value.rule_set,
        };
        let digest = body.digest();
        // An id names one schema in its context: a record giving it to another schema is
        // skipped, as the registries skip it.
        let other = match self.holders.get(&(context.clone(), value.id)) {
            Some((k, _)) if *k != key => self.versions.get(k).map(|held| (k, held)),
            _ => None,
        };
        if let Some((k, held)) = other {
            if held.digest != digest {
                let why = format!(
                    "subject {} version {} gives id {} to a schema other than the one subject {} version {} holds under it; skipped",
                    key.1, key.2, value.id, k.1, k.2
                );
                self.warn(offset, why);
                return Ok(false);
            }
        }
        let body = match &mut self.file {
            Some(file) => Stored::File(file.append(&body)?),
            None => Stored::Memory(Box::new(body)),
        };
        let high = self.max_ids.entry(context).or_insert(0);
        *high = (*high).max(value.id);
        self.removed_versions.remove(&key);
        let registered_at = match self.versions.get(&key) {
            Some(held) if held.id == value.id => held.registered_at,
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
                id: value.id,
                deleted: value.deleted,
                registered_at,
                digest,
                body,
            },
        );
        Ok(true)
    }

    /// Forget a version; the id it held.
    fn release(&mut self, key: &VersionKey) -> Option<i64> {
        let held = self.versions.remove(key)?;
        let id = (key.0.clone(), held.id);
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
                    .find(|(k, h)| k.0 == id.0 && h.id == id.1)
                    .map(|(k, _)| k.clone());
                if let Some(other) = other {
                    *holder = other;
                }
            }
        }
        Some(held.id)
    }

    /// How many schemas (ids held by a version, per context) the state holds.
    pub(in crate::cli) fn schema_count(&self) -> u64 {
        self.holders.len() as u64
    }

    /// The state at the end of the topic as import items: contexts (with the highest id each
    /// gave out), schemas by context and ascending id with their versions (each body read
    /// back as its schema comes, from the temporary file of a spilled fold), configs,
    /// modes, then what the topic removed.
    pub(in crate::cli) fn items(
        &self,
    ) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Item>> + '_> {
        let mut reader = self.file.as_ref().map(BodyFile::reader).transpose()?;
        let live: BTreeSet<&String> = self.versions.keys().map(|k| &k.0).collect();
        let contexts: Vec<Item> = self
            .max_ids
            .iter()
            .map(|(context, max_id)| Item::Context {
                name: context.clone(),
                listed: live.contains(context),
                max_id: *max_id,
            })
            .collect();
        let mut by_id: BTreeMap<(&str, i64), Vec<&VersionKey>> = BTreeMap::new();
        for (key, held) in &self.versions {
            by_id.entry((&key.0, held.id)).or_default().push(key);
        }
        let schemas = by_id.into_iter().map(move |((context, id), keys)| {
            let first = &self.versions[keys[0]];
            let mut schema = imported(context, id, &read(&mut reader, &first.body)?);
            for key in keys {
                schema.versions.push(version_of(key, &self.versions[key]));
            }
            Ok(Item::Schema(schema))
        });
        Ok(contexts
            .into_iter()
            .map(Ok)
            .chain(schemas)
            .chain(self.settings_and_removals().into_iter().map(Ok)))
    }

    /// Configs, modes, then what the topic removed, as import items.
    fn settings_and_removals(&self) -> Vec<Item> {
        let mut items = Vec::new();
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
        let spilled = match &self.file {
            Some(file) => format!(" ({} KiB of schemas)", file.len().div_ceil(1024)),
            None => String::new(),
        };
        format!(
            "read {} records{spilled}: {} versions, {} configs, {} modes at the end; {} versions, {} configs and {} modes removed by the topic; ignored: {}; skipped: {}",
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

/// A version's body, from memory or read back from the temporary file.
fn read(reader: &mut Option<BodyReader<'_>>, stored: &Stored) -> anyhow::Result<Body> {
    match (stored, reader) {
        (Stored::Memory(body), _) => Ok((**body).clone()),
        (Stored::File(slot), Some(reader)) => reader.read(*slot),
        (Stored::File(_), None) => anyhow::bail!("a schema's body is in no file"),
    }
}

/// A schema as held, without versions.
fn imported(context: &str, id: i64, body: &Body) -> ImportedSchema {
    ImportedSchema {
        context: context.to_string(),
        id,
        schema_type: body.schema_type.clone(),
        schema: body.schema.clone(),
        references: body.references.clone(),
        metadata: body.metadata.clone(),
        rule_set: body.rule_set.clone(),
        versions: Vec::new(),
    }
}

fn version_of(key: &VersionKey, held: &Held) -> ImportedVersion {
    ImportedVersion {
        subject: key.1.clone(),
        version: key.2,
        deleted: held.deleted,
        registered_at: Some(held.registered_at),
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
        )
        .unwrap();
    }

    /// Both kinds of fold: bodies in memory (a follower's) and in a temporary file (an
    /// import's); each test runs on both.
    fn folds() -> [Fold; 2] {
        [
            Fold::in_memory(),
            Fold::spilled(&std::env::temp_dir()).unwrap(),
        ]
    }

    fn items(fold: &mut Fold) -> Vec<Item> {
        fold.finish().unwrap();
        fold.items().unwrap().map(Result::unwrap).collect()
    }

    fn schemas(fold: &mut Fold) -> Vec<ImportedSchema> {
        items(fold)
            .into_iter()
            .filter_map(|i| match i {
                Item::Schema(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_end_state_with_deletions_and_the_highest_id() {
        for mut fold in folds() {
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
            )
            .unwrap();
            fold.apply(
                7,
                1007,
                Event::Ignored {
                    keytype: "NOOP".into(),
                },
            )
            .unwrap();
            // An id taken by another schema: skipped.
            put(&mut fold, 8, "c", 1, schema(2, "other", false));
            put(&mut fold, 9, ":.ctx:x", 1, schema(1, "X", false));
            let schemas = schemas(&mut fold);
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
            let items = items(&mut fold);
            assert!(items.iter().any(
                |i| matches!(i, Item::Context { name, max_id: 3, listed: true } if name == ".")
            ));
            assert!(items.iter().any(|i| matches!(i, Item::Removed(Removal::Version { subject, version: 1, id: Some(3), .. }) if subject == "gone")));
            assert_eq!(fold.warnings_total, 1);
            assert!(
                fold.warnings[0].starts_with("offset 8:"),
                "{:?}",
                fold.warnings
            );
            assert_eq!(fold.ignored["NOOP"], 1);
        }
    }

    #[test]
    fn a_soft_delete_keeps_the_registration_time_and_clear_subject_forgets() {
        for mut fold in folds() {
            put(&mut fold, 0, ":.ctx:s", 1, schema(5, "S", false));
            put(&mut fold, 1, ":.ctx:s", 1, schema(5, "S", true));
            put(&mut fold, 2, ":.ctx:t", 1, schema(6, "T", false));
            assert_eq!(schemas(&mut fold)[0].versions[0].registered_at, Some(1000));
            fold.apply(
                3,
                1003,
                Event::ClearSubject {
                    subject: Some(":.ctx:".into()),
                },
            )
            .unwrap();
            let left = schemas(&mut fold);
            assert_eq!(left.len(), 1);
            assert_eq!(left[0].id, 6);
        }
    }

    #[test]
    fn settings_and_their_removal() {
        for mut fold in folds() {
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
            )
            .unwrap();
            fold.apply(
                1,
                0,
                Event::Config {
                    scope: "s".into(),
                    config: Some(config("NONE")),
                },
            )
            .unwrap();
            fold.apply(
                2,
                0,
                Event::Config {
                    scope: "s".into(),
                    config: None,
                },
            )
            .unwrap();
            fold.apply(
                3,
                0,
                Event::Mode {
                    scope: "".into(),
                    mode: Some(Mode::ReadOnly),
                },
            )
            .unwrap();
            let items = items(&mut fold);
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

    #[test]
    fn a_later_record_replaces_the_body_and_only_a_follower_hears_of_changes() {
        for mut fold in folds() {
            let spilled = fold.file.is_some();
            put(&mut fold, 0, "s", 1, schema(1, "S", false));
            let mut rewritten = schema(1, "S", false).unwrap();
            rewritten.metadata = Some(serde_json::json!({"properties": {"owner": "b"}}));
            let changes = fold
                .apply(
                    1,
                    1001,
                    Event::Schema {
                        subject: "s".into(),
                        version: 1,
                        value: Some(rewritten),
                    },
                )
                .unwrap();
            if spilled {
                assert!(changes.is_empty(), "{changes:?}");
            } else {
                assert!(matches!(&changes[..], [Item::Schema(s)] if s.metadata.is_some()));
            }
            let held = schemas(&mut fold);
            assert_eq!(held.len(), 1);
            assert_eq!(
                held[0].metadata,
                Some(serde_json::json!({"properties": {"owner": "b"}}))
            );
            assert_eq!(held[0].versions[0].registered_at, Some(1000));
            assert_eq!(fold.schema_count(), 1);
        }
    }
}
