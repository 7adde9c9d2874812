//! Where an import writes: the `--database-url` store (through the registry's import
//! methods), or a Schemata's REST API (`--to URL`, `target_rest.rs`). The passes call one
//! of these; each answers the same questions.

use super::target_rest::RestTarget;
use super::Removal;
use crate::domain::{Config, Mode};
use crate::registry::{Examination, ImportedSchema, Registry};
use std::sync::Arc;

#[derive(Clone)]
pub(super) enum Target {
    Store(Arc<Registry>),
    Rest(Arc<RestTarget>),
}

impl Target {
    /// What the target holds of an incoming schema (writes nothing).
    pub(super) async fn examine(&self, schema: &ImportedSchema) -> anyhow::Result<Examination> {
        match self {
            Target::Store(registry) => Ok(registry.examine_import(schema).await?),
            Target::Rest(rest) => rest.examine(schema).await,
        }
    }

    /// Whether every version the schema references is in the target.
    pub(super) async fn references_present(&self, schema: &ImportedSchema) -> anyhow::Result<bool> {
        match self {
            Target::Store(registry) => Ok(registry.import_references_present(schema).await?),
            Target::Rest(rest) => rest.references_present(schema).await,
        }
    }

    /// Write a schema with its versions, skipping what is there; versions written.
    pub(super) async fn import_schema(&self, schema: &ImportedSchema) -> anyhow::Result<usize> {
        match self {
            Target::Store(registry) => Ok(registry.import_schema(schema).await?),
            Target::Rest(rest) => rest.import_schema(schema).await,
        }
    }

    /// Record a context and keep its id counter above `max_id` (the store only: over REST
    /// a context appears with its first schema, and IMPORT keeps ids above imported ones).
    pub(super) async fn import_context(
        &self,
        name: &str,
        listed: bool,
        max_id: i64,
    ) -> anyhow::Result<()> {
        match self {
            Target::Store(registry) => Ok(registry.import_context(name, listed, max_id).await?),
            Target::Rest(_) => Ok(()),
        }
    }

    pub(super) async fn import_config(&self, scope: &str, config: &Config) -> anyhow::Result<bool> {
        match self {
            Target::Store(registry) => Ok(registry.import_config(scope, config).await?),
            Target::Rest(rest) => rest.import_config(scope, config).await,
        }
    }

    pub(super) async fn import_mode(&self, scope: &str, mode: Mode) -> anyhow::Result<bool> {
        match self {
            Target::Store(registry) => Ok(registry.import_mode(scope, mode).await?),
            Target::Rest(rest) => rest.import_mode(scope, mode).await,
        }
    }

    pub(super) async fn stored_config(&self, scope: &str) -> anyhow::Result<Option<Config>> {
        match self {
            Target::Store(registry) => Ok(registry.stored_config(scope).await?),
            Target::Rest(rest) => rest.stored_config(scope).await,
        }
    }

    pub(super) async fn stored_mode(&self, scope: &str) -> anyhow::Result<Option<Mode>> {
        match self {
            Target::Store(registry) => Ok(registry.stored_mode(scope).await?),
            Target::Rest(rest) => rest.stored_mode(scope).await,
        }
    }

    /// Whether the target holds something the source removed for good.
    pub(super) async fn holds(&self, removal: &Removal) -> anyhow::Result<bool> {
        match (self, removal) {
            (
                Target::Store(registry),
                Removal::Version {
                    context,
                    subject,
                    version,
                    id,
                },
            ) => Ok(registry
                .import_holds_version(context, subject, *version, *id)
                .await?),
            (Target::Store(registry), Removal::Config { scope }) => {
                Ok(registry.stored_config(scope).await?.is_some())
            }
            (Target::Store(registry), Removal::Mode { scope }) => {
                Ok(registry.stored_mode(scope).await?.is_some())
            }
            (Target::Rest(rest), removal) => rest.holds(removal).await,
        }
    }

    /// Remove something the source removed for good; `false` when the target did not hold
    /// it.
    pub(super) async fn remove(&self, removal: &Removal) -> anyhow::Result<bool> {
        match (self, removal) {
            (
                Target::Store(registry),
                Removal::Version {
                    context,
                    subject,
                    version,
                    id,
                },
            ) => Ok(registry
                .import_remove_version(context, subject, *version, *id)
                .await?),
            (Target::Store(registry), Removal::Config { scope }) => {
                Ok(registry.import_remove_config(scope).await?)
            }
            (Target::Store(registry), Removal::Mode { scope }) => {
                Ok(registry.import_remove_mode(scope).await?)
            }
            (Target::Rest(rest), removal) => rest.remove(removal).await,
        }
    }

    /// Before the first write: a REST target is put in IMPORT mode.
    pub(super) async fn begin_writes(&self) -> anyhow::Result<()> {
        match self {
            Target::Store(_) => Ok(()),
            Target::Rest(rest) => rest.begin_writes().await,
        }
    }

    /// After the last schema: a REST target's modes as they were before `begin_writes`.
    pub(super) async fn end_writes(&self) -> anyhow::Result<()> {
        match self {
            Target::Store(_) => Ok(()),
            Target::Rest(rest) => rest.end_writes().await,
        }
    }
}
