//! The export file as an import source: the header checked once, then the records read a
//! line at a time (each line bounded), on every pass.

use super::Item;
use crate::cli::archive::{Header, Record, FORMAT, MAX_LINE_BYTES, VERSION};
use crate::domain::{Config, Mode};
use anyhow::{bail, Context};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

pub(in crate::cli) struct FileSource {
    path: PathBuf,
    complete: bool,
    schemas: u64,
}

impl FileSource {
    /// Open and check the header; read once to the end to learn whether the file is
    /// complete (ends with its `end` record), that every line parses, and how many schemas
    /// it holds.
    pub(super) fn open(path: &Path) -> anyhow::Result<Self> {
        let mut source = FileSource {
            path: path.to_path_buf(),
            complete: false,
            schemas: 0,
        };
        let mut lines = source.lines()?;
        let mut last = None;
        while let Some((number, line)) = lines.next_line()? {
            let record = parse_record(&line).with_context(|| source.at(number))?;
            source.schemas += u64::from(matches!(record, Record::Schema(_)));
            last = Some(record);
        }
        source.complete = matches!(last, Some(Record::End { .. }));
        Ok(source)
    }

    /// How many schema records the file holds.
    pub(super) fn schemas(&self) -> u64 {
        self.schemas
    }

    /// Whether the file ends with its `end` record.
    pub(super) fn complete(&self) -> bool {
        self.complete
    }

    fn at(&self, line: usize) -> String {
        format!("{} line {line}", self.path.display())
    }

    /// The lines after the header.
    fn lines(&self) -> anyhow::Result<Lines> {
        let file = File::open(&self.path)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        let mut lines = Lines {
            reader: BufReader::new(file),
            number: 0,
        };
        let Some((_, first)) = lines.next_line().with_context(|| self.at(1))? else {
            bail!("{} is empty", self.path.display());
        };
        let header: Header = serde_json::from_str(&first)
            .ok()
            .filter(|h: &Header| h.format == FORMAT)
            .with_context(|| {
                format!(
                    "{} is not a Schemata export (its first line is not a {FORMAT} header)",
                    self.path.display()
                )
            })?;
        if header.version != VERSION {
            bail!(
                "{} is {FORMAT} version {}; this build reads version {VERSION}",
                self.path.display(),
                header.version
            );
        }
        Ok(lines)
    }

    /// Every record as an import item, in file order.
    pub(super) fn items(&self) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Item>> + '_> {
        let mut lines = self.lines()?;
        Ok(std::iter::from_fn(move || loop {
            let (number, line) = match lines.next_line() {
                Ok(Some(next)) => next,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            let item = parse_record(&line)
                .and_then(to_item)
                .with_context(|| self.at(number));
            match item {
                Ok(Some(item)) => return Some(Ok(item)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }))
    }
}

fn parse_record(line: &str) -> anyhow::Result<Record> {
    serde_json::from_str(line).context("not a record of the export format")
}

/// The item a record imports; `None` for the `end` record.
fn to_item(record: Record) -> anyhow::Result<Option<Item>> {
    Ok(Some(match record {
        Record::Context {
            name,
            listed,
            max_id,
        } => Item::Context {
            name,
            listed,
            max_id,
        },
        Record::Schema(line) => Item::Schema(line.into()),
        Record::Config { scope, config } => Item::Config {
            scope,
            config: serde_json::from_value::<Config>(config).context("invalid config")?,
        },
        Record::Mode { scope, mode } => Item::Mode {
            scope,
            mode: Mode::parse(&mode).with_context(|| format!("invalid mode {mode:?}"))?,
        },
        Record::End { .. } => return Ok(None),
    }))
}

/// Lines of at most `MAX_LINE_BYTES`, numbered from 1 (the header); blank lines skipped.
struct Lines {
    reader: BufReader<File>,
    number: usize,
}

impl Lines {
    fn next_line(&mut self) -> anyhow::Result<Option<(usize, String)>> {
        loop {
            let mut buffer = Vec::new();
            let read = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buffer)?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            if buffer.len() > MAX_LINE_BYTES {
                bail!("line {} is longer than {MAX_LINE_BYTES} bytes", self.number);
            }
            let text = String::from_utf8(buffer)
                .with_context(|| format!("line {} is not UTF-8", self.number))?;
            if !text.trim().is_empty() {
                return Ok(Some((self.number, text)));
            }
        }
    }
}
