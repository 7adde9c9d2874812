//! The writing pass: contexts, then schemas with their versions (a schema whose references
//! are not in the target yet waits until they are: referenced schemas go first), then
//! configs and modes. Every write skips what the target already holds, so running it again
//! writes nothing and an interrupted run resumes where it stopped.

use super::progress::Progress;
use super::{Item, Source};
use crate::registry::{ImportedSchema, Registry};
use anyhow::Context;

#[derive(Debug, Default)]
pub(super) struct Applied {
    pub schemas: u64,
    pub versions_written: u64,
    pub configs_written: u64,
    pub modes_written: u64,
}

impl Applied {
    pub(super) fn report(&self) {
        println!(
            "imported: {} schemas, {} versions written or marked deleted, {} configs and {} modes written",
            self.schemas, self.versions_written, self.configs_written, self.modes_written
        );
    }
}

pub(super) async fn apply(registry: &Registry, source: &Source) -> anyhow::Result<Applied> {
    let mut applied = Applied::default();
    let mut progress = Progress::new("importing");
    // Schemas waiting for a version they reference. Sources list schemas by ascending id,
    // and a referenced schema nearly always has the lower id, so this stays short.
    let mut waiting: Vec<ImportedSchema> = Vec::new();
    let mut settings = Vec::new();
    for item in source.items()? {
        match item? {
            Item::Context {
                name,
                listed,
                max_id,
            } => registry
                .import_context(&name, listed, max_id)
                .await
                .with_context(|| format!("context {name}"))?,
            Item::Schema(schema) => {
                progress.tick();
                if !registry.import_references_present(&schema).await? {
                    waiting.push(schema);
                    continue;
                }
                write(registry, &schema, &mut applied).await?;
                write_ready(registry, &mut waiting, &mut applied).await?;
            }
            setting @ (Item::Config { .. } | Item::Mode { .. }) => settings.push(setting),
        }
    }
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
    for setting in settings {
        match setting {
            Item::Config { scope, config } => {
                applied.configs_written += u64::from(registry.import_config(&scope, &config).await?)
            }
            Item::Mode { scope, mode } => {
                applied.modes_written += u64::from(registry.import_mode(&scope, mode).await?)
            }
            _ => {}
        }
    }
    Ok(applied)
}

async fn write(
    registry: &Registry,
    schema: &ImportedSchema,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    let written = registry
        .import_schema(schema)
        .await
        .with_context(|| format!("schema id {} in context {}", schema.id, schema.context))?;
    applied.schemas += 1;
    applied.versions_written += written as u64;
    Ok(())
}

/// Write every waiting schema whose references are now all in the target, until none is.
async fn write_ready(
    registry: &Registry,
    waiting: &mut Vec<ImportedSchema>,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    loop {
        let mut ready = None;
        for (i, schema) in waiting.iter().enumerate() {
            if registry.import_references_present(schema).await? {
                ready = Some(i);
                break;
            }
        }
        let Some(i) = ready else { return Ok(()) };
        let schema = waiting.swap_remove(i);
        write(registry, &schema, applied).await?;
    }
}
