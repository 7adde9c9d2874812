//! Soft and permanent deletion of subjects and versions, with reference protection
//! (`docs/rest-api.md` §6.2–§6.4). Checks run under the subject lock, so a reference
//! registered concurrently cannot slip past them.

use super::{Registry, RegistryError, Result};
use crate::domain::{QualifiedSubject, SubjectSummary, VersionId, VersionRecord};
use crate::store::WriteTx;

/// What `latest` meant for one request. A request whose database connection was lost is
/// run again (`api::retry`); if its first attempt committed the delete of `latest`, running
/// `latest` again would delete the next-newest version too. The first attempt records here,
/// before it commits, which version `latest` was; a later attempt deletes that one.
#[derive(Debug, Default)]
pub struct ResolvedLatest(std::sync::OnceLock<i64>);

impl ResolvedLatest {
    /// `version` with `latest` replaced by what an earlier attempt resolved it to.
    fn apply(&self, version: VersionId) -> VersionId {
        match (version, self.0.get()) {
            (VersionId::Latest, Some(&number)) => VersionId::Number(number),
            _ => version,
        }
    }
}

/// How far a delete goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Mark versions deleted: they stay readable with `?deleted=true`, and their ids keep
    /// resolving.
    Soft,
    /// Remove versions that were soft-deleted first (`?permanent=true`).
    Permanent,
}

impl Registry {
    pub async fn delete_subject(
        &self,
        subject: &QualifiedSubject,
        deletion: Deletion,
    ) -> Result<Vec<i64>> {
        let permanent = deletion == Deletion::Permanent;
        let (subject, _) = self.locate(subject).await?;
        let mut tx = self
            .store
            .begin_subject_write(&subject.context, &subject.name)
            .await?;
        let versions = tx.versions(&subject.context, &subject.name).await?;
        if versions.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        if !permanent && versions.iter().all(|v| v.deleted) {
            return Err(RegistryError::SubjectSoftDeleted(subject.qualified()));
        }
        self.ensure_writable(&subject).await?;
        let affected: Vec<&VersionRecord> = versions
            .iter()
            .filter(|v| permanent || !v.deleted)
            .collect();
        for v in &affected {
            ensure_unreferenced(&mut tx, &subject, v.version, permanent).await?;
        }
        if permanent && versions.iter().any(|v| !v.deleted) {
            return Err(RegistryError::SubjectNotSoftDeleted(subject.qualified()));
        }
        for v in &affected {
            if permanent {
                tx.remove_version(&subject.context, &subject.name, v.version)
                    .await?;
            } else {
                tx.mark_deleted(&subject.context, &subject.name, v.version)
                    .await?;
            }
        }
        if permanent {
            // Config and mode survive soft deletes (CSR 7.9.3+) and go with the last version.
            tx.delete_config(&subject.scope()).await?;
            tx.delete_mode(&subject.scope()).await?;
            for v in &affected {
                tx.announce_invalidation(&subject.context, v.schema_id)
                    .await?;
            }
        }
        tx.announce_subject_changed(&subject.context, &subject.name)
            .await?;
        if permanent {
            // The subject's config and mode went with it.
            self.commit_settings_change(tx).await?;
        } else {
            tx.commit().await?;
        }
        self.histories
            .invalidate(&subject.context, &subject.name)
            .await;
        if permanent {
            for v in &affected {
                self.forget_schema(&subject.context, v.schema_id).await;
            }
        }
        Ok(affected.iter().map(|v| v.version).collect())
    }

    /// Delete one version; `resolved` carries what `latest` meant across the attempts of one
    /// request (see [`ResolvedLatest`]).
    pub async fn delete_version(
        &self,
        subject: &QualifiedSubject,
        version: VersionId,
        deletion: Deletion,
        resolved: &ResolvedLatest,
    ) -> Result<i64> {
        let permanent = deletion == Deletion::Permanent;
        let version = resolved.apply(version);
        let (subject, _) = self.locate(subject).await?;
        let mut tx = self
            .store
            .begin_subject_write(&subject.context, &subject.name)
            .await?;
        let versions = tx.versions(&subject.context, &subject.name).await?;
        let found = match version {
            VersionId::Latest => versions.iter().rev().find(|v| !v.deleted),
            VersionId::Number(n) => versions.iter().find(|v| v.version == n),
        };
        let Some(found) = found else {
            if versions.is_empty() {
                return Err(RegistryError::SubjectNotFound(subject.qualified()));
            }
            return Err(RegistryError::VersionNotFound(version.display_number()));
        };
        if version == VersionId::Latest {
            // Recorded before the commit: the commit may succeed and its answer be lost.
            let _ = resolved.0.set(found.version);
        }
        if found.deleted && !permanent {
            return Err(RegistryError::VersionSoftDeleted(
                subject.qualified(),
                found.version,
            ));
        }
        self.ensure_writable(&subject).await?;
        ensure_unreferenced(&mut tx, &subject, found.version, permanent).await?;
        if permanent && !found.deleted {
            return Err(RegistryError::VersionNotSoftDeleted(
                subject.qualified(),
                found.version,
            ));
        }
        if permanent {
            tx.remove_version(&subject.context, &subject.name, found.version)
                .await?;
            tx.announce_invalidation(&subject.context, found.schema_id)
                .await?;
            if versions.len() == 1 {
                tx.delete_config(&subject.scope()).await?;
                tx.delete_mode(&subject.scope()).await?;
            }
        } else {
            tx.mark_deleted(&subject.context, &subject.name, found.version)
                .await?;
        }
        tx.announce_subject_changed(&subject.context, &subject.name)
            .await?;
        if permanent && versions.len() == 1 {
            self.commit_settings_change(tx).await?;
        } else {
            tx.commit().await?;
        }
        self.histories
            .invalidate(&subject.context, &subject.name)
            .await;
        if permanent {
            self.forget_schema(&subject.context, found.schema_id).await;
        }
        Ok(found.version)
    }

    /// Hard-delete every soft-deleted version of `subjects` inside `tx` (a scope switching to
    /// IMPORT), with the subjects' config and mode. Every version is checked before any goes,
    /// so the outcome does not depend on order: a reference to any of them, even from another
    /// version being purged, refuses the whole purge with 42206. Returns what went, for
    /// [`forget_purged`](Self::forget_purged) once `tx` has committed.
    pub(super) async fn purge_soft_deleted(
        &self,
        tx: &mut WriteTx<'_>,
        subjects: &[SubjectSummary],
    ) -> Result<Vec<VersionRecord>> {
        let mut doomed = Vec::new();
        for s in subjects {
            let subject = QualifiedSubject::in_context(&s.context, &s.subject);
            for v in tx.versions(&s.context, &s.subject).await? {
                if v.deleted {
                    ensure_unreferenced(tx, &subject, v.version, true).await?;
                    doomed.push(v);
                }
            }
        }
        for v in &doomed {
            tx.remove_version(&v.context, &v.subject, v.version).await?;
            tx.announce_invalidation(&v.context, v.schema_id).await?;
        }
        for s in subjects {
            tx.announce_subject_changed(&s.context, &s.subject).await?;
        }
        for s in subjects {
            let scope = QualifiedSubject::in_context(&s.context, &s.subject).scope();
            tx.delete_config(&scope).await?;
            tx.delete_mode(&scope).await?;
        }
        Ok(doomed)
    }

    /// Drop purged versions from this process's caches (other processes hear the NOTIFY).
    pub(super) async fn forget_purged(&self, purged: &[VersionRecord]) {
        for v in purged {
            self.histories.invalidate(&v.context, &v.subject).await;
            self.forget_schema(&v.context, v.schema_id).await;
        }
    }

    /// `DELETE /contexts/{ctx}`: only an empty context can go.
    pub async fn delete_context(&self, context: &str) -> Result<()> {
        self.ensure_not_following(&QualifiedSubject::in_context(context, ""))
            .await?;
        let mut tx = self.store.begin_write().await?;
        if tx.context_has_versions(context).await? {
            return Err(RegistryError::ContextNotEmpty(context.to_string()));
        }
        tx.hide_context(context).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// 42206 when another schema still uses this version: a live referrer blocks a soft delete,
/// any referrer blocks a permanent one.
pub(super) async fn ensure_unreferenced(
    tx: &mut WriteTx<'_>,
    subject: &QualifiedSubject,
    version: i64,
    permanent: bool,
) -> Result<()> {
    let referrers = tx
        .referrers(&subject.context, &subject.name, version, permanent)
        .await?;
    if !referrers.is_empty() {
        return Err(RegistryError::ReferenceExists(subject.qualified(), version));
    }
    Ok(())
}
