//! The registry: registration, lookup, deletion, config and mode resolution, compatibility,
//! and the caches in front of the store. No HTTP types and no SQL here: `api` and `cli` call
//! in with parsed domain values, `store` persists (ARCHITECTURE.md).

mod cache;
mod compatibility;
mod config_mode;
mod contract;
mod cpu;
mod delete;
mod error;
mod follow;
mod id_lookup;
mod identity;
mod import;
mod listing;
mod lookup;
mod options;
mod read;
mod references;
mod register;

pub use cache::{CacheStats, CachedSchema};
pub use compatibility::{CheckOptions, CompatibilityReport};
pub use delete::{Deletion, ResolvedLatest};
pub use error::{RegistryError, Result};
pub use follow::{Follow, FollowStatus};
pub use import::{Examination, ImportedSchema, ImportedVersion};
pub use listing::{ListPage, NameScope};
pub use lookup::LookupOptions;
pub use options::RegistryOptions;
pub use read::{SchemaListing, SubjectFilter, SubjectVersion, VersionFilter};
pub use register::{RegisterOptions, Registered, SchemaRequest};

use crate::domain::{QualifiedSubject, VersionRecord, DEFAULT_CONTEXT};
use crate::store::{Invalidation, Store};
use cache::{ConfigModeCache, HistoryCache, IdentityCache, ParsedCache, SchemaCache};
use references::ReferenceUse;
use schemata_compat::{ParseOptions, ParsedSchema};
use std::sync::Arc;

pub struct Registry {
    store: Store,
    cache: SchemaCache,
    /// Parse trees of stored schemas (`cache/parsed.rs`).
    parsed: ParsedCache,
    config_mode_cache: ConfigModeCache,
    /// Subject histories remembered for the registration path (verified before use).
    histories: HistoryCache,
    /// The identity of texts parsed before (`cache/identities.rs`).
    identities: IdentityCache,
    /// Where parsing and checking large schemas runs (`cpu.rs`).
    cpu: cpu::CpuPool,
    /// Whether contexts besides the default one exist (`id_lookup`).
    contexts_seen: id_lookup::ContextPresence,
    /// Set while the server follows another registry's storage topic: clients cannot
    /// write (`follow.rs`).
    follow: Follow,
    options: RegistryOptions,
}

impl Registry {
    /// Build the registry; with PostgreSQL it also starts following other processes' cache
    /// invalidations (so it must be called inside a tokio runtime).
    pub fn new(store: Store, options: RegistryOptions) -> Self {
        let budget = options.cache_budget();
        let cache = SchemaCache::new(budget.schemas);
        let parsed = ParsedCache::new(budget.parsed);
        let config_mode_cache = ConfigModeCache::new(budget.config_mode_entries);
        let histories = HistoryCache::new(budget.histories);
        let (schemas, trees, scopes, remembered) = (
            cache.clone(),
            parsed.clone(),
            config_mode_cache.clone(),
            histories.clone(),
        );
        store.follow_invalidations(move |event| {
            let (schemas, trees, scopes) = (schemas.clone(), trees.clone(), scopes.clone());
            if matches!(event, Invalidation::Everything) {
                remembered.invalidate_all();
                trees.invalidate_all();
            }
            let remembered = remembered.clone();
            tokio::spawn(async move {
                match event {
                    Invalidation::Schema { context, id } => {
                        schemas.invalidate(&context, id).await;
                        trees.invalidate(&context, id).await;
                    }
                    Invalidation::Subject { context, subject } => {
                        remembered.invalidate(&context, &subject).await
                    }
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
            config_mode_cache,
            histories,
            identities: IdentityCache::new(budget.identities),
            parsed,
            contexts_seen: id_lookup::ContextPresence::new(),
            follow: Follow::default(),
            cpu: cpu::CpuPool::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
                options.max_waiting_checks,
            ),
            options,
        }
    }

    pub fn options(&self) -> &RegistryOptions {
        &self.options
    }

    /// The follower's state (`follow.rs`): whether this server follows another registry's
    /// storage topic, and how far behind it is.
    pub fn follow(&self) -> &Follow {
        &self.follow
    }

    /// The follower's state now.
    pub fn follow_status(&self) -> FollowStatus {
        self.follow.status(crate::store::now_millis())
    }

    /// Start following `source`: this server refuses client writes from now on, and the
    /// database is marked so that other servers on it refuse them too (docs/migration.md
    /// §6.4).
    pub async fn start_following(&self, source: String) -> Result<()> {
        self.store.mark_follower(&source).await?;
        self.follow.start(source);
        Ok(())
    }

    /// Stop following (the cut-over) and remove the database's mark; whether this server
    /// was following.
    pub async fn stop_following(&self) -> Result<bool> {
        let stopped = self.follow.stop();
        if stopped {
            self.store.clear_follower().await?;
        }
        Ok(stopped)
    }

    /// Who follows what, if this server or another on the same database follows a storage
    /// topic: writes are refused meanwhile. The database is asked only when this server
    /// does not follow, and at most once a second (`follow::MARK_READ_EVERY`).
    pub(crate) async fn followed_source(&self) -> Result<Option<String>> {
        if self.follow.is_following() {
            let source = self.follow.status(0).source.unwrap_or_default();
            return Ok(Some(format!("this registry follows {source}")));
        }
        if let Some(remembered) = self.follow.remembered_mark() {
            return Ok(remembered);
        }
        let mark = self.store.follower().await?.map(|mark| {
            format!(
                "another server on this database follows {} (`schemata follow --stop \
                 --database-url` clears this if that server is gone)",
                mark.source
            )
        });
        self.follow.remember_mark(mark.clone());
        Ok(mark)
    }

    /// Each cache's entries and estimated bytes, for `/metrics`.
    pub async fn cache_stats(&self) -> [CacheStats; 5] {
        [
            self.cache.stats().await,
            self.parsed.stats().await,
            self.histories.stats().await,
            self.identities.stats().await,
            self.config_mode_cache.stats(),
        ]
    }

    /// The database connection pool, for `/metrics`.
    pub fn pool_stats(&self) -> crate::store::PoolStats {
        self.store.pool_stats()
    }

    /// How durable an acknowledged write is, as the database reports it (logged at start).
    pub async fn database_durability(&self) -> Result<String> {
        Ok(self.store.durability().await?)
    }

    /// Whether the registry can serve: the database answers and is migrated (`/ready`).
    pub async fn check_ready(&self) -> Result<()> {
        Ok(self.store.check_ready().await?)
    }

    /// The schema with this id in `context`, from memory after the first read. `None` when
    /// the id is unknown or every version carrying it was hard-deleted.
    pub async fn schema(&self, context: &str, id: i64) -> Result<Option<Arc<CachedSchema>>> {
        if let Some(hit) = self.cache.get(context, id).await {
            return Ok(Some(hit));
        }
        let start = self.cache.read_start();
        let Some(record) = self.store.schema_by_id(context, id).await? else {
            return Ok(None);
        };
        if !self.store.id_in_use(context, id).await? {
            return Ok(None);
        }
        let cached = Arc::new(CachedSchema::new(record));
        self.cache.insert_read(cached.clone(), start).await;
        Ok(Some(cached))
    }

    /// Drop a schema from this process's caches (its id was hard-deleted or rewritten;
    /// other processes hear the NOTIFY).
    async fn forget_schema(&self, context: &str, id: i64) {
        self.cache.invalidate(context, id).await;
        self.parsed.invalidate(context, id).await;
    }

    /// As [`Registry::schema`], answered by `known` when that is the schema with this id in
    /// `context` (a subject's remembered latest schema, see `SubjectHistory`).
    async fn schema_or_known(
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
        if let Some(parsed) = self.parsed.get(&record.context, record.id).await {
            return Ok(parsed);
        }
        let resolved = self
            .resolve_references(&record.context, &record.references, ReferenceUse::Stored)
            .await?;
        // Stored text is already canonical: parse leniently and do not normalise again.
        let options = ParseOptions {
            validate: false,
            normalize: false,
        };
        let parsed = self
            .parse(
                record.schema_type,
                &record.schema,
                &resolved.schemas,
                options,
            )
            .await?
            .map_err(|e| {
                RegistryError::InvalidSchema(format!(
                    "Stored schema {} is unreadable: {e}",
                    record.id
                ))
            })?;
        let parsed = Arc::new(parsed);
        self.parsed
            .insert(&record.context, record.id, parsed.clone())
            .await;
        Ok(parsed)
    }

    /// The subject a read of `subject` is served from: itself, or for an unqualified name
    /// missing from the default context, the first other context holding it (`locate`).
    pub async fn located(&self, subject: &QualifiedSubject) -> Result<QualifiedSubject> {
        Ok(self.locate(subject).await?.0)
    }

    /// All versions of a subject; an unqualified subject missing from the default context is
    /// looked up in the other contexts, as CSR does for reads.
    async fn locate(
        &self,
        subject: &QualifiedSubject,
    ) -> Result<(QualifiedSubject, Vec<VersionRecord>)> {
        let versions = self.store.versions(&subject.context, &subject.name).await?;
        if !versions.is_empty() || subject.context != DEFAULT_CONTEXT || subject.name.is_empty() {
            return Ok((subject.clone(), versions));
        }
        for context in self.store.contexts_with_subject(&subject.name).await? {
            let candidate = QualifiedSubject::in_context(&context, &subject.name);
            let versions = self.store.versions(&context, &subject.name).await?;
            if !versions.is_empty() {
                return Ok((candidate, versions));
            }
        }
        Ok((subject.clone(), versions))
    }
}
