//! Schemas read from a registry's REST API, held with bounded memory (docs/migration.md
//! §1.1): each schema's text, type, references, metadata and rule set go to a temporary
//! file as they arrive; memory keeps, per schema, where its body lies, a digest of it and
//! the versions that carry it. Every pass reads the bodies back one at a time, by context
//! and ascending id. On Unix the file's name is removed as soon as it is created (the open
//! handle keeps it), so nothing is left behind even when the import is killed; elsewhere
//! it is removed when the import ends.

use crate::domain::SchemaReference;
use crate::registry::{ImportedSchema, ImportedVersion};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a schema is apart from its id and versions: the part written to the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Body {
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
}

impl Body {
    /// What must agree between two answers for one id: text, type and references (a
    /// registry may answer metadata per version; the first answer's is kept).
    fn digest(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        for part in [&self.schema_type, &self.schema] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        for r in &self.references {
            for part in [&r.name, &r.subject] {
                hash.update((part.len() as u64).to_le_bytes());
                hash.update(part.as_bytes());
            }
            hash.update(r.version.to_le_bytes());
        }
        hash.finalize().into()
    }
}

/// Where a schema's body lies and the versions that carry it.
#[derive(Debug)]
struct Entry {
    offset: u64,
    len: u64,
    digest: [u8; 32],
    versions: Vec<ImportedVersion>,
}

/// Schemas by (context, id), their bodies in a temporary file.
pub(super) struct Spill {
    path: PathBuf,
    file: File,
    writer: Option<BufWriter<File>>,
    end: u64,
    index: BTreeMap<(String, i64), Entry>,
    versions: u64,
    bytes: u64,
}

impl Spill {
    /// A new, empty temporary file in `dir` (the system's temporary directory, `TMPDIR`).
    pub(super) fn create(dir: &Path) -> anyhow::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = dir.join(format!(
            "schemata-import-{}-{stamp}-{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let file = options.open(&path).with_context(|| {
            format!(
                "cannot create a temporary file in {} for the schemas read (set TMPDIR)",
                dir.display()
            )
        })?;
        #[cfg(unix)]
        let _ = std::fs::remove_file(&path);
        let writer = file
            .try_clone()
            .with_context(|| format!("cannot use {}", path.display()))?;
        Ok(Spill {
            path,
            file,
            writer: Some(BufWriter::new(writer)),
            end: 0,
            index: BTreeMap::new(),
            versions: 0,
            bytes: 0,
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
        let writer = self
            .writer
            .as_mut()
            .context("the schemas read are already sealed")?;
        let encoded = serde_json::to_vec(body)?;
        writer
            .write_all(&encoded)
            .with_context(|| format!("cannot write to {}", self.path.display()))?;
        let len = encoded.len() as u64;
        self.index.insert(
            key,
            Entry {
                offset: self.end,
                len,
                digest,
                versions: vec![version],
            },
        );
        self.end += len;
        self.bytes += len;
        self.versions += 1;
        Ok(())
    }

    /// Done adding: everything written reaches the file.
    pub(super) fn seal(&mut self) -> anyhow::Result<()> {
        if let Some(mut writer) = self.writer.take() {
            writer
                .flush()
                .with_context(|| format!("cannot write to {}", self.path.display()))?;
        }
        Ok(())
    }

    /// How many schemas, versions and bytes of bodies were added.
    pub(super) fn counts(&self) -> (u64, u64, u64) {
        (self.index.len() as u64, self.versions, self.bytes)
    }

    /// Every schema, by context and ascending id, its body read back from the file.
    pub(super) fn schemas(
        &self,
    ) -> anyhow::Result<impl Iterator<Item = anyhow::Result<ImportedSchema>> + '_> {
        anyhow::ensure!(self.writer.is_none(), "the schemas read are not sealed yet");
        let mut file = self
            .file
            .try_clone()
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        Ok(self.index.iter().map(move |((context, id), entry)| {
            let body = read_body(&mut file, entry).with_context(|| {
                format!(
                    "cannot read back schema id {id} from {}",
                    self.path.display()
                )
            })?;
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

fn read_body(file: &mut File, entry: &Entry) -> anyhow::Result<Body> {
    file.seek(SeekFrom::Start(entry.offset))?;
    let mut buffer = Vec::with_capacity(entry.len as usize);
    Read::by_ref(file)
        .take(entry.len)
        .read_to_end(&mut buffer)?;
    anyhow::ensure!(
        buffer.len() as u64 == entry.len,
        "the file is shorter than written"
    );
    Ok(serde_json::from_slice(&buffer)?)
}

impl Drop for Spill {
    fn drop(&mut self) {
        self.writer.take();
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let dir = std::env::temp_dir();
        let mut spill = Spill::create(&dir).unwrap();
        let path = spill.path.clone();
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
        #[cfg(unix)]
        assert!(!path.exists(), "the name is gone while the file is in use");
        drop(spill);
        assert!(!path.exists(), "the temporary file is removed");
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

    #[test]
    fn the_bodies_are_in_the_file_not_in_memory() {
        let mut spill = Spill::create(&std::env::temp_dir()).unwrap();
        let big = format!("\"{}\"", "x".repeat(100_000));
        spill.add(".", 1, &body(&big), version("a", 1)).unwrap();
        spill.seal().unwrap();
        let on_disk = spill.file.metadata().unwrap().len();
        assert!(on_disk > 100_000);
        assert_eq!(spill.counts().2, on_disk);
    }
}
