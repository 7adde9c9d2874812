//! The writing pass: contexts, then schemas with their versions (a schema whose references
//! are not in the target yet waits until they are: referenced schemas go first), then what
//! the source removed for good, then configs and modes. Every write skips what the target already holds, so running it again
//! writes nothing and an interrupted run resumes where it stopped.

use super::progress::Progress;
use super::target::Target;
use super::{Item, Output, Removal, Source};
use crate::registry::ImportedSchema;
use anyhow::Context;
use std::collections::BTreeMap;
use tokio::task::JoinSet;

/// Schemas written at once.
const WINDOW: usize = 8;

#[derive(Debug, Default)]
pub(super) struct Applied {
    pub schemas: u64,
    pub versions_written: u64,
    pub configs_written: u64,
    pub modes_written: u64,
    pub removed: u64,
}

impl Applied {
    pub(super) fn line(&self) -> String {
        let mut line = format!(
            "imported: {} schemas, {} versions written or marked deleted, {} configs and {} modes written",
            self.schemas, self.versions_written, self.configs_written, self.modes_written
        );
        if self.removed > 0 {
            line.push_str(&format!(", {} removed as in the source", self.removed));
        }
        line
    }
}

pub(super) async fn apply(
    target: &Target,
    source: &Source<'_>,
    out: Output,
) -> anyhow::Result<Applied> {
    let mut applied = Applied::default();
    target.begin_writes().await?;
    let written = write_schemas(target, source, &mut applied, out).await;
    // A REST target gets its modes back even when a write failed.
    let restored = target.end_writes().await;
    let mut settings = written?;
    restored?;
    let removals: Vec<Removal> = settings
        .iter()
        .filter_map(|s| match s {
            Item::Removed(removal) => Some(removal.clone()),
            _ => None,
        })
        .collect();
    applied.removed = remove_all(target, removals).await?;
    // Configs before modes: a mode may make its scope refuse config writes.
    settings.sort_by_key(|s| matches!(s, Item::Mode { .. }));
    for setting in settings {
        match setting {
            Item::Config { scope, config } => {
                applied.configs_written += u64::from(target.import_config(&scope, &config).await?)
            }
            Item::Mode { scope, mode } => {
                applied.modes_written += u64::from(target.import_mode(&scope, mode).await?)
            }
            _ => {}
        }
    }
    Ok(applied)
}

/// Remove from the target what the source removed and the target still holds. A version
/// still referenced by another one being removed is tried again after it, round by round;
/// a round that removes nothing ends with the first error.
async fn remove_all(target: &Target, mut removals: Vec<Removal>) -> anyhow::Result<u64> {
    let mut removed = 0;
    while !removals.is_empty() {
        let mut failed = Vec::new();
        let mut first_error = None;
        let before = removals.len();
        for removal in removals {
            match target.remove(&removal).await {
                Ok(done) => removed += u64::from(done),
                Err(e) => {
                    first_error.get_or_insert_with(|| {
                        e.context(format!("removing {}", removal.describe()))
                    });
                    failed.push(removal);
                }
            }
        }
        if failed.len() == before {
            return Err(first_error.expect("a removal failed"));
        }
        removals = failed;
    }
    Ok(removed)
}

/// Apply one item on its own (a followed topic's change): its references must be in the
/// target already, as they are when records are applied in topic order.
pub(super) async fn apply_one(target: &Target, item: &Item) -> anyhow::Result<()> {
    match item {
        Item::Context {
            name,
            listed,
            max_id,
        } => target.import_context(name, *listed, *max_id).await,
        Item::Schema(schema) => {
            if !target.references_present(schema).await? {
                anyhow::bail!(
                    "schema id {} in context {} references versions the target does not hold ({:?})",
                    schema.id,
                    schema.context,
                    schema.references
                );
            }
            target.import_schema(schema).await.with_context(|| {
                format!("schema id {} in context {}", schema.id, schema.context)
            })?;
            Ok(())
        }
        Item::Config { scope, config } => target.import_config(scope, config).await.map(|_| ()),
        Item::Mode { scope, mode } => target.import_mode(scope, *mode).await.map(|_| ()),
        Item::Removed(removal) => target
            .remove(removal)
            .await
            .map(|_| ())
            .with_context(|| format!("removing {}", removal.describe())),
    }
}

/// Contexts and schemas; returns the configs and modes, for after.
async fn write_schemas(
    target: &Target,
    source: &Source<'_>,
    applied: &mut Applied,
    out: Output,
) -> anyhow::Result<Vec<Item>> {
    let mut progress = Progress::new("importing", out, source.schema_count());
    // Schemas waiting for a version they reference. Sources list schemas by ascending id,
    // and a referenced schema nearly always has the lower id, so this stays short.
    let mut waiting: Vec<ImportedSchema> = Vec::new();
    let mut window: Vec<ImportedSchema> = Vec::with_capacity(WINDOW);
    let mut settings = Vec::new();
    let mut highest_ids: BTreeMap<String, i64> = BTreeMap::new();
    for item in source.items()? {
        match item? {
            Item::Context {
                name,
                listed,
                max_id,
            } => target
                .import_context(&name, listed, max_id)
                .await
                .with_context(|| format!("context {name}"))?,
            Item::Schema(schema) => {
                progress.tick();
                let highest = highest_ids.entry(schema.context.clone()).or_insert(0);
                *highest = (*highest).max(schema.id);
                window.push(schema);
                if window.len() == WINDOW {
                    let batch = std::mem::take(&mut window);
                    waiting.extend(write_window(target, batch, applied).await?);
                    write_ready(target, &mut waiting, applied).await?;
                }
            }
            setting @ (Item::Config { .. } | Item::Mode { .. } | Item::Removed(_)) => {
                settings.push(setting)
            }
        }
    }
    waiting.extend(write_window(target, window, applied).await?);
    write_ready(target, &mut waiting, applied).await?;
    if let Some(stuck) = waiting.first() {
        anyhow::bail!(
            "{} schema(s) reference versions that neither the target nor the source holds, e.g. schema id {} in context {} ({:?})",
            waiting.len(),
            stuck.id,
            stuck.context,
            stuck.references
        );
    }
    progress.done(applied.schemas);
    // Writes in one window raise the id counter concurrently; raise it once more, alone,
    // so no race can leave it below an imported id.
    for (context, highest) in highest_ids {
        target.import_context(&context, true, highest).await?;
    }
    Ok(settings)
}

/// Write a window of schemas at once (each version is its own transaction under its
/// subject's lock, so they cannot get in each other's way; SQLite takes them one at a
/// time). Returns the schemas whose references are not in the target yet.
async fn write_window(
    target: &Target,
    batch: Vec<ImportedSchema>,
    applied: &mut Applied,
) -> anyhow::Result<Vec<ImportedSchema>> {
    let mut tasks = JoinSet::new();
    for schema in batch {
        let target = target.clone();
        tasks.spawn(async move {
            if !target.references_present(&schema).await? {
                return Ok(Err(schema));
            }
            let written = target.import_schema(&schema).await.with_context(|| {
                format!("schema id {} in context {}", schema.id, schema.context)
            })?;
            anyhow::Ok(Ok(written))
        });
    }
    let mut not_ready = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined?? {
            Ok(written) => {
                applied.schemas += 1;
                applied.versions_written += written as u64;
            }
            Err(schema) => not_ready.push(schema),
        }
    }
    Ok(not_ready)
}

async fn write(
    target: &Target,
    schema: &ImportedSchema,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    let written = target
        .import_schema(schema)
        .await
        .with_context(|| format!("schema id {} in context {}", schema.id, schema.context))?;
    applied.schemas += 1;
    applied.versions_written += written as u64;
    Ok(())
}

/// Write every waiting schema whose references are now all in the target, until none is.
async fn write_ready(
    target: &Target,
    waiting: &mut Vec<ImportedSchema>,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    loop {
        let mut ready = None;
        for (i, schema) in waiting.iter().enumerate() {
            if target.references_present(schema).await? {
                ready = Some(i);
                break;
            }
        }
        let Some(i) = ready else { return Ok(()) };
        let schema = waiting.swap_remove(i);
        write(target, &schema, applied).await?;
    }
}
