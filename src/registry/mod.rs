//! The domain: registration, lookup, deletion, config and mode resolution, compatibility.
//! No HTTP types and no SQL here: `api` calls in with parsed domain values, `store` persists.

mod compatibility;
mod contract;
mod delete;
mod error;
mod id_lookup;
mod identity;
mod read;
mod references;
mod register;
mod settings;

pub use compatibility::CompatibilityReport;
pub use error::{RegistryError, Result};
pub use read::{SubjectFilter, SubjectVersion};
pub use register::{RegisterOptions, Registered, SchemaRequest};

use crate::cache::{CachedSchema, HistoryCache, SchemaCache, SettingsCache};
use crate::domain::{QualifiedSubject, DEFAULT_CONTEXT};
use crate::store::{queries, Invalidation, Store, VersionRecord};
use schemata_compat::{CompatibilityLevel, ParseOptions, ParsedSchema};
use std::sync::Arc;

/// Server-wide settings the domain needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Level used when no config along the chain sets one (CSR: BACKWARD).
    pub default_compatibility: CompatibilityLevel,
    /// Largest schema text accepted, in bytes (42209 above it).
    pub max_schema_bytes: usize,
    /// Schemas kept in the id cache.
    pub cache_capacity: u64,
    /// Subject versions remembered for the registration path, all subjects together (64
    /// bytes each).
    pub history_capacity: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_compatibility: CompatibilityLevel::Backward,
            max_schema_bytes: 1024 * 1024,
            cache_capacity: 100_000,
            history_capacity: 1_000_000,
        }
    }
}

pub struct Registry {
    store: Store,
    cache: SchemaCache,
    settings_cache: SettingsCache,
    /// Subject histories remembered for the registration path (verified before use).
    histories: HistoryCache,
    /// Whether contexts besides the default one exist (`id_lookup`).
    contexts_seen: id_lookup::ContextPresence,
    settings: Settings,
}

impl Registry {
    /// Build the registry; with PostgreSQL it also starts following other processes' cache
    /// invalidations (so it must be called inside a tokio runtime).
    pub fn new(store: Store, settings: Settings) -> Self {
        let cache = SchemaCache::new(settings.cache_capacity);
        let settings_cache = SettingsCache::new(settings.cache_capacity);
        let histories = HistoryCache::new(settings.history_capacity);
        let (schemas, scopes, remembered) =
            (cache.clone(), settings_cache.clone(), histories.clone());
        store.follow_invalidations(move |event| {
            let (schemas, scopes) = (schemas.clone(), scopes.clone());
            if matches!(event, Invalidation::Everything) {
                remembered.invalidate_all();
            }
            tokio::spawn(async move {
                match event {
                    Invalidation::Schema { context, id } => schemas.invalidate(&context, id).await,
                    Invalidation::Settings => scopes.clear(),
                    Invalidation::Everything => {
                        schemas.invalidate_all();
                        scopes.clear();
                    }
                }
            });
        });
        Registry {
            store,
            cache,
            settings_cache,
            histories,
            contexts_seen: id_lookup::ContextPresence::new(),
            settings,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The schema with this id in `context`, from memory after the first read. `None` when
    /// the id is unknown or every version carrying it was hard-deleted.
    pub async fn schema(&self, context: &str, id: i64) -> Result<Option<Arc<CachedSchema>>> {
        if let Some(hit) = self.cache.get(context, id).await {
            return Ok(Some(hit));
        }
        let Some(record) = queries::schema_by_id(self.store.pool(), context, id).await? else {
            return Ok(None);
        };
        if queries::versions_of_schema(self.store.pool(), context, id)
            .await?
            .is_empty()
        {
            return Ok(None);
        }
        let cached = Arc::new(CachedSchema::new(record));
        self.cache.insert(cached.clone()).await;
        Ok(Some(cached))
    }

    /// As [`Registry::schema`], answered by `known` when that is the schema with this id in
    /// `context` (a subject's remembered latest schema, see `SubjectHistory`).
    pub(crate) async fn schema_or_known(
        &self,
        known: Option<&Arc<CachedSchema>>,
        context: &str,
        id: i64,
    ) -> Result<Option<Arc<CachedSchema>>> {
        match known {
            Some(schema) if schema.record.id == id && schema.record.context == context => {
                Ok(Some(schema.clone()))
            }
            _ => self.schema(context, id).await,
        }
    }

    /// The parsed form of a stored schema (references resolved), parsed once and cached.
    pub async fn parsed(&self, schema: &CachedSchema) -> Result<Arc<ParsedSchema>> {
        if let Some(parsed) = schema.parsed() {
            return Ok(parsed);
        }
        let record = &schema.record;
        let resolved = self
            .resolve_references(&record.context, &record.references, false)
            .await?;
        // Stored text is already canonical: parse leniently and do not normalise again.
        let parsed = ParsedSchema::parse(
            record.schema_type,
            &record.schema,
            &resolved.schemas,
            ParseOptions {
                validate: false,
                normalize: false,
            },
        )
        .map_err(|e| {
            RegistryError::InvalidSchema(format!("Stored schema {} is unreadable: {e}", record.id))
        })?;
        Ok(schema.set_parsed(Arc::new(parsed)))
    }

    /// All versions of a subject; an unqualified subject missing from the default context is
    /// looked up in the other contexts, as CSR does for reads.
    async fn locate(
        &self,
        subject: &QualifiedSubject,
    ) -> Result<(QualifiedSubject, Vec<VersionRecord>)> {
        let versions =
            queries::versions(self.store.pool(), &subject.context, &subject.name).await?;
        if !versions.is_empty() || subject.context != DEFAULT_CONTEXT || subject.name.is_empty() {
            return Ok((subject.clone(), versions));
        }
        for context in queries::contexts_with_subject(self.store.pool(), &subject.name).await? {
            let candidate = QualifiedSubject::in_context(&context, &subject.name);
            let versions = queries::versions(self.store.pool(), &context, &subject.name).await?;
            if !versions.is_empty() {
                return Ok((candidate, versions));
            }
        }
        Ok((subject.clone(), versions))
    }
}
