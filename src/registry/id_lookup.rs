//! Which schema `GET /schemas/ids/{id}?subject=` answers with (`docs/rest-api.md` §4.3).
//!
//! A qualified subject (`:.ctx:s`, or `:.ctx:` alone) selects its context's id space. An
//! unqualified one prefers the context in which that subject holds the id: the default
//! context if it does there, else another context where it does, else the default context's
//! id whoever holds it. Only deployments with more than the default context can tell these
//! apart, so the consumer's hot path asks the database nothing until a second context exists
//! (a fact re-read at most every few seconds); after that, each (subject, id) is resolved
//! once and remembered for a few seconds.

use super::{CachedSchema, Registry, RegistryError, Result};
use crate::domain::{QualifiedSubject, DEFAULT_CONTEXT};
use moka::future::Cache;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long "only the default context exists", and the context resolved for a (subject,
/// id), are believed before they are read again.
const REMEMBERED_FOR: Duration = Duration::from_secs(5);

/// Resolved (unqualified subject, id) pairs kept at most.
const RESOLVED_CAPACITY: u64 = 10_000;

/// Whether contexts other than the default one exist, as last read, and the context each
/// recently asked (subject, id) resolved to.
pub(super) struct ContextPresence {
    started: Instant,
    /// Milliseconds after `started` of the last read, plus one (0: never read).
    read_at: AtomicU64,
    others: AtomicBool,
    resolved: Cache<(String, i64), Arc<str>>,
}

impl ContextPresence {
    pub(super) fn new() -> Self {
        ContextPresence {
            started: Instant::now(),
            read_at: AtomicU64::new(0),
            others: AtomicBool::new(false),
            resolved: Cache::builder()
                .max_capacity(RESOLVED_CAPACITY)
                .time_to_live(REMEMBERED_FOR)
                .build(),
        }
    }

    /// The remembered answer while it is fresh. Once other contexts exist they are assumed
    /// to stay (a context is only hidden when empty), so that answer never expires.
    fn fresh(&self) -> Option<bool> {
        if self.others.load(Ordering::Relaxed) {
            return Some(true);
        }
        let read_at = self.read_at.load(Ordering::Relaxed);
        let now = self.started.elapsed().as_millis() as u64 + 1;
        (read_at != 0 && now.saturating_sub(read_at) < REMEMBERED_FOR.as_millis() as u64)
            .then_some(false)
    }

    fn remember(&self, others: bool) {
        self.others.store(others, Ordering::Relaxed);
        let now = self.started.elapsed().as_millis() as u64 + 1;
        self.read_at.store(now, Ordering::Relaxed);
    }

    /// A context was just created by this process.
    pub(super) fn note_created(&self, context: &str) {
        if context != DEFAULT_CONTEXT {
            self.remember(true);
        }
    }
}

impl Default for ContextPresence {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// `GET /schemas/ids/{id}` with an optional `?subject=` (see the module comment).
    /// What [`schema_by_id`](Self::schema_by_id) answers for a request the router has not
    /// seen (`GET /schemas/ids/{id}` served before routing, `api::by_id`), when memory
    /// alone can tell: the schema is in the id cache, and a `subject` is known to select the
    /// default context (no other context exists, as remembered) and is no alias (the router
    /// would follow an alias to its target first, `api::alias`). `None` says nothing about
    /// the database.
    pub async fn remembered_schema_by_id(
        &self,
        id: i64,
        subject: Option<&str>,
    ) -> Option<Arc<CachedSchema>> {
        if let Some(name) = subject.filter(|s| !s.is_empty()) {
            if self.contexts_seen.fresh() != Some(false) {
                return None;
            }
            if !matches!(
                self.alias_of(&QualifiedSubject::parse(name)).await,
                Ok(None)
            ) {
                return None;
            }
        }
        self.cache.get(&Self::context_of(subject), id).await
    }

    pub async fn schema_by_id(&self, id: i64, subject: Option<&str>) -> Result<Arc<CachedSchema>> {
        let unqualified = subject.filter(|s| !s.is_empty() && !s.starts_with(":."));
        if let Some(name) = unqualified {
            if self.other_contexts_exist().await? {
                return self.schema_for_unqualified_subject(id, name).await;
            }
        }
        let context = Self::context_of(subject);
        self.schema(&context, id)
            .await?
            .ok_or_else(|| RegistryError::SchemaIdNotFound(id.to_string()))
    }

    async fn other_contexts_exist(&self) -> Result<bool> {
        if let Some(known) = self.contexts_seen.fresh() {
            return Ok(known);
        }
        let others = self
            .store
            .contexts()
            .await?
            .iter()
            .any(|c| c != DEFAULT_CONTEXT);
        self.contexts_seen.remember(others);
        Ok(others)
    }

    async fn schema_for_unqualified_subject(
        &self,
        id: i64,
        name: &str,
    ) -> Result<Arc<CachedSchema>> {
        let key = (name.to_string(), id);
        if let Some(context) = self.contexts_seen.resolved.get(&key).await {
            if let Some(found) = self.schema(&context, id).await? {
                return Ok(found);
            }
        }
        let context = self.context_holding(id, name).await?;
        let found = self
            .schema(&context, id)
            .await?
            .ok_or_else(|| RegistryError::SchemaIdNotFound(id.to_string()))?;
        self.contexts_seen
            .resolved
            .insert(key, context.into())
            .await;
        Ok(found)
    }

    /// The first of the default context and the subject's other contexts in which `name`
    /// holds `id`; the default context when none does.
    async fn context_holding(&self, id: i64, name: &str) -> Result<String> {
        let mut contexts = vec![DEFAULT_CONTEXT.to_string()];
        contexts.extend(self.store.contexts_with_subject(name).await?);
        for context in contexts {
            if self.store.subject_uses_id(&context, id, name).await? {
                return Ok(context);
            }
        }
        Ok(DEFAULT_CONTEXT.to_string())
    }
}
