//! Step 6, the general way: under the subject's lock (a PostgreSQL advisory lock, or
//! SQLite's single writer), read the history, check, choose the version and the id, and
//! write — for imports, explicit versions, and whenever the grouped write declined.

use super::{count_registration, registered, Candidate, Registration, SchemaRequest};
use crate::domain::{QualifiedSubject, VersionRecord};
use crate::registry::{CachedSchema, Registered, Registry, RegistryError, Result};
use crate::store::WriteTx;
use std::sync::Arc;

impl Registry {
    pub(super) async fn register_locked(
        &self,
        subject: &QualifiedSubject,
        registration: &Registration,
        candidate: &Candidate,
    ) -> Result<Registered> {
        let request = &registration.request;
        let mut tx = self
            .store
            .begin_subject_write(&subject.context, &subject.name)
            .await?;
        tx.ensure_context(&subject.context).await?;
        let versions = tx.versions(&subject.context, &subject.name).await?;
        let existing_id = tx
            .schema_id_by_hash(&subject.context, &candidate.hash)
            .await?;
        if let Some(done) = registered_meanwhile(existing_id, request, &versions, candidate)? {
            return Ok(done);
        }
        if registration.check_compatibility {
            let live: Vec<&VersionRecord> = versions.iter().filter(|v| !v.deleted).rev().collect();
            self.ensure_compatible(subject, &registration.config, candidate, &live, None)
                .await?;
        }
        let version = version_to_write(subject, registration, &versions)?;
        let schema_id =
            schema_id_to_write(&mut tx, subject, existing_id, request.id, candidate).await?;
        drop_superseded_soft_deletes(&mut tx, subject, &versions, schema_id).await?;
        tx.insert_version(&subject.context, &subject.name, version, schema_id)
            .await?;
        for target in &candidate.references.targets {
            tx.insert_reference(&subject.context, schema_id, target)
                .await?;
        }
        tx.commit().await?;
        self.histories
            .invalidate(&subject.context, &subject.name)
            .await;
        self.remember(&subject.context, schema_id, candidate).await;
        count_registration("general");
        Ok(registered(version, schema_id, candidate))
    }

    /// Put a schema registered on the locked path in the id cache, and its parse tree in the
    /// parse-tree cache: the next registration in the subject checks compatibility against
    /// it without reading it back. (The grouped path keeps it with the subject's history
    /// instead.)
    async fn remember(&self, context: &str, id: i64, candidate: &Candidate) {
        let registered = self.registered_schema(context, id, candidate);
        self.cache
            .insert(Arc::new(CachedSchema::new(registered.record)))
            .await;
        self.parsed
            .insert(context, id, candidate.parsed.clone())
            .await;
    }
}

/// The version holding this schema if another writer registered it between the unlocked
/// look and the lock; 42207 if the context holds the content under another id than the
/// request's.
fn registered_meanwhile(
    existing_id: Option<i64>,
    request: &SchemaRequest,
    versions: &[VersionRecord],
    candidate: &Candidate,
) -> Result<Option<Registered>> {
    let Some(id) = existing_id else {
        return Ok(None);
    };
    if let Some(requested) = request.id {
        if id != requested {
            return Err(RegistryError::IdDoesNotMatch(id, requested));
        }
    }
    if request.version.is_some_and(|v| v > 0) {
        return Ok(None);
    }
    Ok(versions
        .iter()
        .rev()
        .find(|v| !v.deleted && v.schema_id == id)
        .map(|v| registered(v.version, id, candidate)))
}

/// The version number to write: the one requested (an import may fill a gap; otherwise it
/// must be the next), or one more than the highest, soft-deleted included.
fn version_to_write(
    subject: &QualifiedSubject,
    registration: &Registration,
    versions: &[VersionRecord],
) -> Result<i64> {
    let next_version = versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
    match registration.request.version {
        Some(v) if v > 0 => {
            if registration.import {
                if versions.iter().any(|existing| existing.version == v) {
                    return Err(RegistryError::OperationNotPermitted(format!(
                        "Overwrite new schema with version {v} in subject {} is not permitted.",
                        subject.qualified()
                    )));
                }
            } else if v != next_version {
                return Err(RegistryError::InvalidSchema(
                    "Version is not one more than previous version".into(),
                ));
            }
            Ok(v)
        }
        _ => Ok(next_version),
    }
}

/// The schema id to write: the id the context already gives this content, the requested
/// one (IMPORT: inserted, and the id counter raised above it), or a new one.
async fn schema_id_to_write(
    tx: &mut WriteTx<'_>,
    subject: &QualifiedSubject,
    existing_id: Option<i64>,
    requested_id: Option<i64>,
    candidate: &Candidate,
) -> Result<i64> {
    let context = &subject.context;
    match (existing_id, requested_id) {
        (Some(id), _) => Ok(id),
        (None, Some(id)) => {
            if tx.schema_exists(context, id).await? {
                return Err(RegistryError::OperationNotPermitted(format!(
                    "Overwrite new schema with id {id} in context {context} is not permitted."
                )));
            }
            tx.insert_schema(context, id, &candidate.new_schema())
                .await?;
            tx.raise_schema_id_floor(context, id).await?;
            Ok(id)
        }
        (None, None) => {
            let id = tx.allocate_schema_id(context).await?;
            if tx
                .insert_schema(context, id, &candidate.new_schema())
                .await?
            {
                return Ok(id);
            }
            // The same schema was just committed under another subject: share its id.
            tx.schema_id_by_hash(context, &candidate.hash)
                .await?
                .ok_or(RegistryError::SchemaNotFound)
        }
    }
}

/// CSR drops older soft-deleted versions of this subject that carry the same id, unless
/// another schema still references them.
async fn drop_superseded_soft_deletes(
    tx: &mut WriteTx<'_>,
    subject: &QualifiedSubject,
    versions: &[VersionRecord],
    schema_id: i64,
) -> Result<()> {
    for old in versions
        .iter()
        .filter(|v| v.deleted && v.schema_id == schema_id)
    {
        let referenced = !tx
            .referrers(&subject.context, &subject.name, old.version, true)
            .await?
            .is_empty();
        if !referenced {
            tx.remove_version(&subject.context, &subject.name, old.version)
                .await?;
            // Other processes may remember it (soft-deleted) for `?deleted=true` lookups.
            tx.announce_subject_changed(&subject.context, &subject.name)
                .await?;
        }
    }
    Ok(())
}
