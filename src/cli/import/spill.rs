//! Schemas read from a registry's REST API, held with bounded memory (docs/migration.md
//! §1.1): each schema's body (text, type, references, metadata, rule set) goes to the
//! temporary file of `body_file.rs` as it arrives; memory keeps, per schema, where its body
//! lies, a digest of it and the versions that carry it. Every pass reads the bodies back one
//! at a time, by context and ascending id.

pub(super) use super::body_file::Body;
use super::body_file::{BodyFile, Slot};
use crate::registry::{ImportedSchema, ImportedVersion};
use anyhow::Context as _;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a schema's body lies and the versions that carry it.
#[derive(Debug)]
struct Entry {
    slot: Slot,
    digest: [u8; 32],
    versions: Vec<ImportedVersion>,
}

/// Schemas by (context, id), their bodies in a temporary file.
pub(super) struct Spill {
    file: BodyFile,
    sealed: bool,
    index: BTreeMap<(String, i64), Entry>,
    versions: u64,
}

impl Spill {
    /// A new, empty temporary file in `dir` (the system's temporary directory, `TMPDIR`).
    pub(super) fn create(dir: &Path) -> anyhow::Result<Self> {
        Ok(Spill {
            file: BodyFile::create(dir)?,
            sealed: false,
            index: BTreeMap::new(),
            versions: 0,
        })
    }

    /// One version of a schema as the source answered it. The body is written the first
    /// time its id is seen in its context; a later answer for the same id must be the same
    /// schema.
    pub(super) fn add(
        &mut self,
        context: &str,
        id: i64,
        body: &Body,
        version: ImportedVersion,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(!self.sealed, "the schemas read are already sealed");
        let digest = body.digest();
        let key = (context.to_string(), id);
        if let Some(entry) = self.index.get_mut(&key) {
            if entry.digest != digest {
                anyhow::bail!(
                    "the source answers two different schemas for id {id} (subject {})",
                    version.subject
                );
            }
            entry.versions.push(version);
            self.versions += 1;
            return Ok(());
        }
        let slot = self.file.append(body)?;
        self.index.insert(
            key,
            Entry {
                slot,
                digest,
                versions: vec![version],
            },
        );
        self.versions += 1;
        Ok(())
    }

    /// Done adding: everything written reaches the file.
    pub(super) fn seal(&mut self) -> anyhow::Result<()> {
        self.file.flush()?;
        self.sealed = true;
        Ok(())
    }

    /// How many schemas, versions and bytes of bodies were added.
    pub(super) fn counts(&self) -> (u64, u64, u64) {
        (self.index.len() as u64, self.versions, self.file.len())
    }

    /// Every schema, by context and ascending id, its body read back from the file.
    pub(super) fn schemas(
        &self,
    ) -> anyhow::Result<impl Iterator<Item = anyhow::Result<ImportedSchema>> + '_> {
        anyhow::ensure!(self.sealed, "the schemas read are not sealed yet");
        let mut reader = self.file.reader()?;
        Ok(self.index.iter().map(move |((context, id), entry)| {
            let body = reader
                .read(entry.slot)
                .with_context(|| format!("schema id {id}"))?;
            Ok(ImportedSchema {
                context: context.clone(),
                id: *id,
                schema_type: body.schema_type,
                schema: body.schema,
                references: body.references,
                metadata: body.metadata,
                rule_set: body.rule_set,
                versions: entry.versions.clone(),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SchemaReference;

    fn body(text: &str) -> Body {
        Body {
            schema_type: "AVRO".into(),
            schema: text.into(),
            references: vec![SchemaReference {
                name: "r".into(),
                subject: "s".into(),
                version: 1,
            }],
            metadata: Some(serde_json::json!({"properties": {"owner": "x"}})),
            rule_set: None,
        }
    }

    fn version(subject: &str, version: i64) -> ImportedVersion {
        ImportedVersion {
            subject: subject.into(),
            version,
            deleted: version == 2,
            registered_at: Some(version * 1000),
        }
    }

    #[test]
    fn schemas_come_back_by_context_and_id_with_their_versions() {
        let mut spill = Spill::create(&std::env::temp_dir()).unwrap();
        spill
            .add(".", 30, &body("\"long\""), version("b", 1))
            .unwrap();
        spill
            .add(".", 7, &body("\"int\""), version("a", 1))
            .unwrap();
        spill
            .add(".", 30, &body("\"long\""), version("a", 2))
            .unwrap();
        spill
            .add(".ctx", 1, &body("\"bytes\""), version("c", 1))
            .unwrap();
        spill.seal().unwrap();
        assert_eq!(spill.counts().0, 3);
        assert_eq!(spill.counts().1, 4);
        let schemas: Vec<ImportedSchema> = spill.schemas().unwrap().map(Result::unwrap).collect();
        let keys: Vec<(&str, i64)> = schemas.iter().map(|s| (s.context.as_str(), s.id)).collect();
        assert_eq!(keys, [(".", 7), (".", 30), (".ctx", 1)]);
        assert_eq!(schemas[1].schema, "\"long\"");
        assert_eq!(schemas[1].references, body("").references);
        assert_eq!(schemas[1].metadata, body("").metadata);
        assert_eq!(schemas[1].versions, [version("b", 1), version("a", 2)]);
        // A second pass reads the same.
        assert_eq!(spill.schemas().unwrap().count(), 3);
    }

    #[test]
    fn two_different_schemas_under_one_id_are_refused() {
        let mut spill = Spill::create(&std::env::temp_dir()).unwrap();
        spill
            .add(".", 5, &body("\"int\""), version("a", 1))
            .unwrap();
        let error = spill
            .add(".", 5, &body("\"long\""), version("b", 1))
            .unwrap_err();
        assert!(error.to_string().contains("two different schemas for id 5"));
        // The same id in another context is another schema.
        spill
            .add(".other", 5, &body("\"long\""), version("b", 1))
            .unwrap();
    }
}
