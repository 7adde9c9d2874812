//! `schemata export`: everything in the database as the JSON lines of `archive.rs`, read a
//! page at a time straight from the store, each page sized to hold about [`PAGE_BYTES`] of
//! schema text (docs/migration.md §2).

use super::archive::{Header, Record, SchemaLine, VersionLine, FORMAT, VERSION};
use super::options::ExportArgs;
use crate::store::{Store, StoreOptions};
use anyhow::Context;
use std::io::Write;

/// Schemas read from the database at a time: at most [`MAX_PAGE`], at first [`FIRST_PAGE`].
const MAX_PAGE: i64 = 500;
const FIRST_PAGE: i64 = 16;
/// The schema text one page should hold: the next page has as many schemas as fit this many
/// bytes at the size of the largest schema of the page before.
const PAGE_BYTES: usize = 8 << 20;

/// How many schemas the page after `page` reads.
fn next_page_size(page: &[crate::domain::SchemaRecord]) -> i64 {
    let largest = page.iter().map(|s| s.schema.len()).max().unwrap_or(0);
    i64::try_from(PAGE_BYTES / largest.max(1))
        .unwrap_or(MAX_PAGE)
        .clamp(1, MAX_PAGE)
}

pub(super) async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let options = StoreOptions {
        max_connections: Some(2),
        ..args.database.store_options()
    };
    let store = Store::connect(&args.database.database_url, &options)
        .await
        .context("cannot open the database")?;
    let (schemas, versions) = match &args.output {
        Some(path) => {
            // Written beside the target and renamed at the end: a failed export never leaves
            // a file that looks complete.
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let written = async {
                let counts = write_export(&store, &mut out).await?;
                out.into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|f| f.sync_all())
                    .with_context(|| format!("cannot write {}", partial.display()))?;
                std::fs::rename(&partial, path)
                    .with_context(|| format!("cannot rename {}", partial.display()))?;
                anyhow::Ok(counts)
            }
            .await;
            if written.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            written?
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let counts = write_export(&store, &mut out).await?;
            out.flush()?;
            counts
        }
    };
    eprintln!("exported {schemas} schemas, {versions} versions");
    Ok(())
}

fn line(out: &mut impl Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Write the whole export; (schemas, versions) written.
async fn write_export(store: &Store, out: &mut impl Write) -> anyhow::Result<(u64, u64)> {
    line(
        out,
        &Header {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: crate::store::now_millis(),
            generator: format!("schemata {}", env!("CARGO_PKG_VERSION")),
        },
    )?;
    for c in store.export_contexts().await? {
        line(
            out,
            &Record::Context {
                name: c.name,
                listed: c.listed,
                max_id: c.max_id,
            },
        )?;
    }
    let (mut schemas, mut versions) = (0u64, 0u64);
    let mut after: Option<(String, i64)> = None;
    let mut limit = FIRST_PAGE;
    loop {
        let page = store
            .export_schema_page(after.as_ref().map(|(c, i)| (c.as_str(), *i)), limit)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.context.clone(), last.id));
        limit = next_page_size(&page);
        // One page may span contexts: read the versions of each context's run of ids.
        let mut start = 0;
        while start < page.len() {
            let context = &page[start].context;
            let end = page[start..]
                .iter()
                .position(|s| &s.context != context)
                .map_or(page.len(), |n| start + n);
            let run = &page[start..end];
            let carried = store
                .export_versions(context, run[0].id, run[run.len() - 1].id)
                .await?;
            for schema in run {
                let lines: Vec<VersionLine> = carried
                    .iter()
                    .filter(|v| v.schema_id == schema.id)
                    .map(|v| VersionLine {
                        subject: v.subject.clone(),
                        version: v.version,
                        deleted: v.deleted,
                        ts: Some(v.created_at),
                    })
                    .collect();
                versions += lines.len() as u64;
                schemas += 1;
                line(
                    out,
                    &Record::Schema(SchemaLine {
                        context: schema.context.clone(),
                        id: schema.id,
                        schema_type: schema.schema_type.as_str().into(),
                        schema: schema.schema.clone(),
                        references: schema.references.clone(),
                        metadata: schema.metadata.clone(),
                        rule_set: schema.rule_set.clone(),
                        versions: lines,
                    }),
                )?;
            }
            start = end;
        }
    }
    for (scope, config) in store.export_configs().await? {
        let config = serde_json::to_value(config)?;
        line(out, &Record::Config { scope, config })?;
    }
    for (scope, mode) in store.export_modes().await? {
        let mode = mode.as_str().into();
        line(out, &Record::Mode { scope, mode })?;
    }
    line(out, &Record::End { schemas, versions })?;
    Ok((schemas, versions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SchemaRecord;
    use schemata_compat::SchemaType;

    fn record(len: usize) -> SchemaRecord {
        SchemaRecord {
            context: ".".into(),
            id: 1,
            hash: String::new(),
            schema_type: SchemaType::Avro,
            schema: "x".repeat(len),
            references: Vec::new(),
            metadata: None,
            rule_set: None,
            guid: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn a_page_holds_about_page_bytes_of_schema_text() {
        assert_eq!(next_page_size(&[record(10)]), MAX_PAGE);
        assert_eq!(next_page_size(&[]), MAX_PAGE);
        assert_eq!(
            next_page_size(&[record(10), record(200_000)]),
            (PAGE_BYTES / 200_000) as i64
        );
        assert_eq!(next_page_size(&[record(PAGE_BYTES * 2)]), 1);
    }
}
