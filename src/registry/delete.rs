//! Soft and permanent deletion of subjects and versions, with reference protection
//! (`spec/rest-api.md` §7.3, §7.7, §8.4). Checks run under the subject lock, so a reference
//! registered concurrently cannot slip past them.

use super::{Registry, RegistryError, Result};
use crate::domain::{QualifiedSubject, VersionId};
use crate::store::{queries, VersionRecord, WriteTx};

impl Registry {
    pub async fn delete_subject(
        &self,
        subject: &QualifiedSubject,
        permanent: bool,
    ) -> Result<Vec<i64>> {
        let (subject, _) = self.locate(subject).await?;
        let mut tx = self
            .store
            .begin_subject_write(&subject.context, &subject.name)
            .await?;
        let versions = queries::versions(&mut *tx.tx, &subject.context, &subject.name).await?;
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
                queries::remove_version(&mut *tx.tx, &subject.context, &subject.name, v.version)
                    .await?;
            } else {
                queries::mark_deleted(&mut *tx.tx, &subject.context, &subject.name, v.version)
                    .await?;
            }
        }
        if permanent {
            // Config and mode survive soft deletes (CSR 7.9.3+) and go with the last version.
            queries::delete_config(&mut *tx.tx, &subject.scope()).await?;
            queries::delete_mode(&mut *tx.tx, &subject.scope()).await?;
            for v in &affected {
                tx.announce_invalidation(&subject.context, v.schema_id)
                    .await?;
            }
        }
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
                self.cache.invalidate(&subject.context, v.schema_id).await;
            }
        }
        Ok(affected.iter().map(|v| v.version).collect())
    }

    pub async fn delete_version(
        &self,
        subject: &QualifiedSubject,
        version: VersionId,
        permanent: bool,
    ) -> Result<i64> {
        let (subject, _) = self.locate(subject).await?;
        let mut tx = self
            .store
            .begin_subject_write(&subject.context, &subject.name)
            .await?;
        let versions = queries::versions(&mut *tx.tx, &subject.context, &subject.name).await?;
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
            queries::remove_version(&mut *tx.tx, &subject.context, &subject.name, found.version)
                .await?;
            tx.announce_invalidation(&subject.context, found.schema_id)
                .await?;
            if versions.len() == 1 {
                queries::delete_config(&mut *tx.tx, &subject.scope()).await?;
                queries::delete_mode(&mut *tx.tx, &subject.scope()).await?;
            }
        } else {
            queries::mark_deleted(&mut *tx.tx, &subject.context, &subject.name, found.version)
                .await?;
        }
        if permanent && versions.len() == 1 {
            self.commit_settings_change(tx).await?;
        } else {
            tx.commit().await?;
        }
        self.histories
            .invalidate(&subject.context, &subject.name)
            .await;
        if permanent {
            self.cache
                .invalidate(&subject.context, found.schema_id)
                .await;
        }
        Ok(found.version)
    }

    /// `DELETE /contexts/{ctx}`: only an empty context can go.
    pub async fn delete_context(&self, context: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        if queries::context_has_versions(&mut *tx.tx, context).await? {
            return Err(RegistryError::ContextNotEmpty(context.to_string()));
        }
        queries::delete_context(&mut *tx.tx, context).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// 42206 when another schema still uses this version: a live referrer blocks a soft delete,
/// any referrer blocks a permanent one.
async fn ensure_unreferenced(
    tx: &mut WriteTx<'_>,
    subject: &QualifiedSubject,
    version: i64,
    permanent: bool,
) -> Result<()> {
    let referrers = queries::referrers(
        &mut *tx.tx,
        &subject.context,
        &subject.name,
        version,
        permanent,
    )
    .await?;
    if !referrers.is_empty() {
        return Err(RegistryError::ReferenceExists(subject.qualified(), version));
    }
    Ok(())
}
