//! The temporary file that keeps schema bodies out of memory during an import
//! (docs/migration.md §1.1, §5): each body (text, type, references, metadata, rule set) is
//! appended as JSON and found again by where it lies. On Unix the file's name is removed as
//! soon as it is created (the open handle keeps it), so nothing is left behind even when the
//! import is killed; elsewhere it is removed when the file is dropped. Used by the REST
//! crawl's index (`spill.rs`) and by the folding of a Kafka storage topic
//! (`cli::kafka::fold`).

use crate::domain::SchemaReference;
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a schema is apart from its id and versions: the part written to the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(in crate::cli) struct Body {
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
}

impl Body {
    /// What makes two bodies one schema under one id: text, type and references (a registry
    /// may answer metadata per version).
    pub(in crate::cli) fn digest(&self) -> [u8; 32] {
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

/// Where one body lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::cli) struct Slot {
    offset: u64,
    len: u64,
}

/// Bodies appended to a temporary file.
pub(in crate::cli) struct BodyFile {
    path: PathBuf,
    file: File,
    writer: BufWriter<File>,
    end: u64,
    /// Whether bytes appended are still in the writer's buffer.
    unflushed: bool,
}

impl BodyFile {
    /// A new, empty temporary file in `dir` (the system's temporary directory, `TMPDIR`).
    pub(in crate::cli) fn create(dir: &Path) -> anyhow::Result<Self> {
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
        Ok(BodyFile {
            path,
            file,
            writer: BufWriter::new(writer),
            end: 0,
            unflushed: false,
        })
    }

    /// Append a body; where it lies.
    pub(in crate::cli) fn append(&mut self, body: &Body) -> anyhow::Result<Slot> {
        let encoded = serde_json::to_vec(body)?;
        self.writer
            .write_all(&encoded)
            .with_context(|| format!("cannot write to {}", self.path.display()))?;
        let slot = Slot {
            offset: self.end,
            len: encoded.len() as u64,
        };
        self.end += slot.len;
        self.unflushed = true;
        Ok(slot)
    }

    /// Everything appended reaches the file, for [`BodyFile::reader`].
    pub(in crate::cli) fn flush(&mut self) -> anyhow::Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("cannot write to {}", self.path.display()))?;
        self.unflushed = false;
        Ok(())
    }

    /// Bytes appended so far.
    pub(in crate::cli) fn len(&self) -> u64 {
        self.end
    }

    /// A reader of what was appended (flushed first with [`BodyFile::flush`]).
    pub(in crate::cli) fn reader(&self) -> anyhow::Result<BodyReader<'_>> {
        anyhow::ensure!(
            !self.unflushed,
            "the schemas read are not all written to {} yet",
            self.path.display()
        );
        let file = self
            .file
            .try_clone()
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        Ok(BodyReader {
            file,
            path: &self.path,
        })
    }
}

impl Drop for BodyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads bodies back, one at a time.
pub(in crate::cli) struct BodyReader<'a> {
    file: File,
    path: &'a Path,
}

impl BodyReader<'_> {
    pub(in crate::cli) fn read(&mut self, slot: Slot) -> anyhow::Result<Body> {
        read_at(&mut self.file, slot)
            .with_context(|| format!("cannot read back a schema from {}", self.path.display()))
    }
}

fn read_at(file: &mut File, slot: Slot) -> anyhow::Result<Body> {
    file.seek(SeekFrom::Start(slot.offset))?;
    let mut buffer = Vec::with_capacity(slot.len as usize);
    Read::by_ref(file).take(slot.len).read_to_end(&mut buffer)?;
    anyhow::ensure!(
        buffer.len() as u64 == slot.len,
        "the file is shorter than written"
    );
    Ok(serde_json::from_slice(&buffer)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Body {
        Body {
            schema_type: "AVRO".into(),
            schema: text.into(),
            references: Vec::new(),
            metadata: None,
            rule_set: None,
        }
    }

    #[test]
    fn bodies_come_back_from_where_they_lie_and_the_file_goes() {
        let mut file = BodyFile::create(&std::env::temp_dir()).unwrap();
        let path = file.path.clone();
        let big = format!("\"{}\"", "x".repeat(100_000));
        let a = file.append(&body("\"int\"")).unwrap();
        let b = file.append(&body(&big)).unwrap();
        assert!(file.reader().is_err(), "unflushed bytes are not read");
        file.flush().unwrap();
        let mut reader = file.reader().unwrap();
        assert_eq!(reader.read(b).unwrap().schema, big);
        assert_eq!(reader.read(a).unwrap().schema, "\"int\"");
        assert_eq!(file.file.metadata().unwrap().len(), file.len());
        assert!(file.len() > 100_000);
        #[cfg(unix)]
        assert!(!path.exists(), "the name is gone while the file is in use");
        drop(reader);
        drop(file);
        assert!(!path.exists(), "the temporary file is removed");
    }

    #[test]
    fn the_digest_is_text_type_and_references_only() {
        let mut with_metadata = body("\"int\"");
        with_metadata.metadata = Some(serde_json::json!({"properties": {"a": "b"}}));
        assert_eq!(body("\"int\"").digest(), with_metadata.digest());
        assert_ne!(body("\"int\"").digest(), body("\"long\"").digest());
        let mut protobuf = body("\"int\"");
        protobuf.schema_type = "PROTOBUF".into();
        assert_ne!(body("\"int\"").digest(), protobuf.digest());
    }
}
