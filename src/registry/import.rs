//! Restoring another registry's contents with their ids and versions (`schemata import`,
//! docs/migration.md): what the target already holds of an incoming schema
//! ([`Registry::examine_import`], for the up-front conflict report, resuming and the final
//! verification) and the idempotent write of one schema with its versions
//! ([`Registry::import_schema`]). Imports are an operator's tool on the database: modes do
//! not apply, nothing is validated, normalised or checked for compatibility (as in IMPORT
//! mode, docs/rest-api.md §3.7).

use super::references::ReferenceUse;
use super::register::{Candidate, SchemaRequest};
use super::{Registry, RegistryError, Result};
use crate::domain::{Config, Mode, QualifiedSubject, SchemaReference};
use schemata_compat::ParseOptions;
use serde_json::Value;

/// One schema of the source with every version that carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedSchema {
    pub context: String,
    pub id: i64,
    /// As on the wire: `AVRO` (also when empty), `PROTOBUF` or `JSON`.
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    pub versions: Vec<ImportedVersion>,
}

/// A version of a subject (in the schema's context) that carries the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedVersion {
    pub subject: String,
    pub version: i64,
    pub deleted: bool,
    /// When the source registered it (milliseconds, its `ts`); now when unknown.
    pub registered_at: Option<i64>,
}

/// What the target holds of an [`ImportedSchema`].
#[derive(Debug, Clone, Default)]
pub struct Examination {
    /// Why it cannot be imported, one sentence each; empty when it can.
    pub conflicts: Vec<String>,
    /// The target has no schema under the incoming id.
    pub schema_missing: bool,
    /// Versions still to write or to mark deleted.
    pub versions_missing: usize,
    /// The identity hash of the incoming schema, when its references could be resolved in
    /// the target (so duplicates within the source can be told apart).
    pub hash: Option<String>,
}

impl Examination {
    /// Nothing left to write, nothing in the way.
    pub fn complete(&self) -> bool {
        self.conflicts.is_empty() && !self.schema_missing && self.versions_missing == 0
    }
}

impl ImportedSchema {
    fn subject(&self, name: &str) -> QualifiedSubject {
        QualifiedSubject::in_context(&self.context, name)
    }

    fn request(&self) -> SchemaRequest {
        SchemaRequest {
            schema: self.schema.clone(),
            schema_type: Some(self.schema_type.clone()),
            references: self.references.clone(),
            metadata: self.metadata.clone(),
            rule_set: self.rule_set.clone(),
            id: Some(self.id),
            version: None,
        }
    }

    fn describe(&self) -> String {
        format!("schema id {} in context {}", self.id, self.context)
    }
}

impl Registry {
    /// The incoming schema parsed as an import parses it: stored as sent, references
    /// resolved in the target (soft-deleted versions included).
    async fn imported_candidate(&self, schema: &ImportedSchema) -> Result<Candidate> {
        let options = ParseOptions {
            validate: false,
            normalize: false,
        };
        self.candidate(
            &schema.context,
            &schema.request(),
            options,
            ReferenceUse::Stored,
        )
        .await
    }

    /// Whether every version the schema references is in the target.
    pub async fn import_references_present(&self, schema: &ImportedSchema) -> Result<bool> {
        for reference in &schema.references {
            let target = if reference.subject.starts_with(":.") {
                QualifiedSubject::parse(&reference.subject)
            } else {
                schema.subject(&reference.subject)
            };
            let versions = self.store.versions(&target.context, &target.name).await?;
            let present = if reference.version == -1 {
                versions.iter().any(|v| !v.deleted)
            } else {
                versions.iter().any(|v| v.version == reference.version)
            };
            if !present {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Compare an incoming schema with what the target holds under its id and at its
    /// versions. Writes nothing.
    pub async fn examine_import(&self, schema: &ImportedSchema) -> Result<Examination> {
        let mut found = Examination::default();
        for v in &schema.versions {
            let subject = schema.subject(&v.subject);
            let existing = self.store.versions(&subject.context, &subject.name).await?;
            match existing.iter().find(|e| e.version == v.version) {
                None => found.versions_missing += 1,
                Some(e) if e.schema_id != schema.id => found.conflicts.push(format!(
                    "subject {subject} version {} holds schema id {} in the target, id {} in the source",
                    v.version, e.schema_id, schema.id
                )),
                Some(e) if e.deleted && !v.deleted => found.conflicts.push(format!(
                    "subject {subject} version {} is soft-deleted in the target and live in the source",
                    v.version
                )),
                Some(e) if !e.deleted && v.deleted => found.versions_missing += 1,
                Some(_) => {}
            }
        }
        let stored = self.store.schema_by_id(&schema.context, schema.id).await?;
        let candidate = if self.import_references_present(schema).await? {
            Some(self.imported_candidate(schema).await)
        } else {
            None
        };
        match (stored, candidate) {
            (Some(row), Some(Ok(candidate))) => {
                if row.hash != candidate.hash {
                    found.conflicts.push(format!(
                        "{} holds a different schema in the target",
                        schema.describe()
                    ));
                }
                found.hash = Some(candidate.hash);
            }
            (Some(row), None) => {
                let same = row.schema == schema.schema
                    && row.schema_type.as_str() == wire_type(&schema.schema_type)
                    && row.references == schema.references;
                if !same {
                    found.conflicts.push(format!(
                        "{} holds a different schema in the target",
                        schema.describe()
                    ));
                }
            }
            (_, Some(Err(e))) => found
                .conflicts
                .push(format!("{} cannot be read: {e}", schema.describe())),
            (None, Some(Ok(candidate))) => {
                found.schema_missing = true;
                if let Some(other) = self
                    .store
                    .schema_id_by_hash(&schema.context, &candidate.hash)
                    .await?
                {
                    found.conflicts.push(format!(
                        "{}: the target holds the same schema under id {other}",
                        schema.describe()
                    ));
                }
                found.hash = Some(candidate.hash);
            }
            (None, None) => found.schema_missing = true,
        }
        Ok(found)
    }

    /// Write a schema under its id and each of its versions, each version in its own
    /// transaction under its subject's lock, skipping what is already there (so a run that
    /// was interrupted resumes). Every version it references must already be in the target.
    /// Returns how many versions it wrote or marked deleted.
    pub async fn import_schema(&self, schema: &ImportedSchema) -> Result<usize> {
        let candidate = self.imported_candidate(schema).await?;
        let context = &schema.context;
        let conflict = |why: String| {
            Err(RegistryError::OperationNotPermitted(format!(
                "{}: {why}",
                schema.describe()
            )))
        };
        let mut written = 0;
        let stored = self.store.schema_by_id(context, schema.id).await?;
        let schema_in_place = stored.is_some_and(|s| s.hash == candidate.hash);
        for v in &schema.versions {
            let subject = schema.subject(&v.subject);
            subject.validate_for_register()?;
            // What is already there costs one read, not a transaction (re-runs, resumes).
            if schema_in_place {
                let versions = self.store.versions(context, &subject.name).await?;
                let in_place = versions.iter().any(|e| {
                    e.version == v.version && e.schema_id == schema.id && e.deleted == v.deleted
                });
                if in_place {
                    continue;
                }
            }
            let mut tx = self
                .store
                .begin_subject_write(context, &subject.name)
                .await?;
            tx.ensure_context(context).await?;
            match tx.schema_hash(context, schema.id).await? {
                Some(hash) if hash != candidate.hash => {
                    return conflict("the target holds a different schema under this id".into())
                }
                Some(_) => {}
                None => {
                    if !tx
                        .insert_schema(context, schema.id, &candidate.new_schema())
                        .await?
                    {
                        return conflict(
                            "the target holds the same schema under another id".into(),
                        );
                    }
                    tx.raise_schema_id_floor(context, schema.id).await?;
                }
            }
            let versions = tx.versions(context, &subject.name).await?;
            let existing = versions.iter().find(|e| e.version == v.version);
            let mut changed = false;
            match existing {
                Some(e) if e.schema_id != schema.id => {
                    return conflict(format!(
                        "subject {subject} version {} holds id {} in the target",
                        v.version, e.schema_id
                    ))
                }
                Some(_) => {}
                None => {
                    let at = v.registered_at.unwrap_or_else(crate::store::now_millis);
                    tx.insert_version_at((context, &subject.name, v.version), schema.id, at)
                        .await?;
                    for target in &candidate.references.targets {
                        tx.insert_reference(context, schema.id, target).await?;
                    }
                    changed = true;
                }
            }
            if v.deleted && existing.is_none_or(|e| !e.deleted) {
                tx.mark_deleted(context, &subject.name, v.version).await?;
                changed = true;
            }
            if !changed {
                continue;
            }
            tx.announce_invalidation(context, schema.id).await?;
            tx.announce_subject_changed(context, &subject.name).await?;
            tx.commit().await?;
            written += 1;
            self.histories.invalidate(context, &subject.name).await;
            self.forget_schema(context, schema.id).await;
            self.contexts_seen.note_created(context);
        }
        Ok(written)
    }

    /// Record a context (with `listed: false`, one hidden by `DELETE /contexts`) and keep its
    /// id counter above `max_id`, so ids given out by the source are never handed out again.
    pub async fn import_context(&self, context: &str, listed: bool, max_id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        tx.ensure_context(context).await?;
        if max_id > 0 {
            tx.raise_schema_id_floor(context, max_id).await?;
        }
        if !listed && !tx.context_has_versions(context).await? {
            tx.hide_context(context).await?;
        }
        tx.commit().await?;
        if listed {
            self.contexts_seen.note_created(context);
        }
        Ok(())
    }

    /// Set the config stored at `scope` (docs/rest-api.md §5.1) to exactly `config`;
    /// `false` when it already was.
    pub async fn import_config(&self, scope: &str, config: &Config) -> Result<bool> {
        let mut tx = self.store.begin_write().await?;
        if tx.config(scope).await?.as_ref() == Some(config) {
            return Ok(false);
        }
        tx.put_config(scope, config).await?;
        self.commit_settings_change(tx).await?;
        Ok(true)
    }

    /// Set the mode stored at `scope`; `false` when it already was.
    pub async fn import_mode(&self, scope: &str, mode: Mode) -> Result<bool> {
        if self.store.mode(scope).await? == Some(mode) {
            return Ok(false);
        }
        let mut tx = self.store.begin_write().await?;
        tx.put_mode(scope, mode).await?;
        self.commit_settings_change(tx).await?;
        Ok(true)
    }

    /// Whether `subject` (in `context`) holds `version`, under `id` when one is given: a
    /// version the source removed for good.
    pub async fn import_holds_version(
        &self,
        context: &str,
        subject: &str,
        version: i64,
        id: Option<i64>,
    ) -> Result<bool> {
        let versions = self.store.versions(context, subject).await?;
        Ok(versions
            .iter()
            .any(|v| v.version == version && id.is_none_or(|id| id == v.schema_id)))
    }

    /// Remove a version the source removed for good (soft-deleted or not: the source's
    /// history decides), if the target holds it under `id` (any id when `None`). Refused
    /// while another version references it. The subject's config and mode stay: the source
    /// removes them with records of their own. Returns whether it was there.
    pub async fn import_remove_version(
        &self,
        context: &str,
        subject: &str,
        version: i64,
        id: Option<i64>,
    ) -> Result<bool> {
        let qualified = QualifiedSubject::in_context(context, subject);
        let mut tx = self.store.begin_subject_write(context, subject).await?;
        let versions = tx.versions(context, subject).await?;
        let Some(found) = versions
            .iter()
            .find(|v| v.version == version && id.is_none_or(|id| id == v.schema_id))
        else {
            return Ok(false);
        };
        super::delete::ensure_unreferenced(&mut tx, &qualified, version, true).await?;
        tx.remove_version(context, subject, version).await?;
        tx.announce_invalidation(context, found.schema_id).await?;
        tx.announce_subject_changed(context, subject).await?;
        tx.commit().await?;
        self.histories.invalidate(context, subject).await;
        self.forget_schema(context, found.schema_id).await;
        Ok(true)
    }

    /// Remove the config stored at `scope`; `false` when there was none.
    pub async fn import_remove_config(&self, scope: &str) -> Result<bool> {
        let mut tx = self.store.begin_write().await?;
        if tx.config(scope).await?.is_none() {
            return Ok(false);
        }
        tx.delete_config(scope).await?;
        self.commit_settings_change(tx).await?;
        Ok(true)
    }

    /// Remove the mode stored at `scope`; `false` when there was none.
    pub async fn import_remove_mode(&self, scope: &str) -> Result<bool> {
        if self.store.mode(scope).await?.is_none() {
            return Ok(false);
        }
        let mut tx = self.store.begin_write().await?;
        tx.delete_mode(scope).await?;
        self.commit_settings_change(tx).await?;
        Ok(true)
    }

    /// The config stored at exactly `scope`.
    pub async fn stored_config(&self, scope: &str) -> Result<Option<Config>> {
        Ok(self.store.config(scope).await?)
    }

    /// The mode stored at exactly `scope`.
    pub async fn stored_mode(&self, scope: &str) -> Result<Option<Mode>> {
        Ok(self.store.mode(scope).await?)
    }
}

/// A wire schema type as stored: absent or empty is AVRO.
fn wire_type(schema_type: &str) -> &str {
    if schema_type.is_empty() {
        "AVRO"
    } else {
        schema_type
    }
}
