//! Registering a schema under a subject (`POST /subjects/{s}/versions`), as named steps in
//! CSR's order (docs/rest-api.md §3.1):
//!
//! 1. [`prepare`](Registry::prepare): validate the subject and rule set, resolve config and
//!    mode, complete a metadata-only request, merge the config's data contract;
//! 2. [`candidate`](Registry::candidate): parse the schema and compute its identity;
//! 3. [`already_registered`](Registry::already_registered): the subject already holds it;
//! 4. [`inherit_latest_contract`](Registry::inherit_latest_contract): a request without
//!    metadata or rules carries the latest version's, then step 3 again;
//! 5. [`Registration::ensure_mode_permits`]: the mode allows this write;
//! 6. write, either [`register_grouped`](Registry::register_grouped) (checked against the
//!    history read without a lock, written in a group that the store verifies) or
//!    [`register_locked`](Registry::register_locked) (under the subject lock: imports,
//!    explicit versions, and every fallback).

mod candidate;
mod grouped;
mod history;
mod locked;

pub(super) use candidate::{identity_key, Candidate};
pub(super) use history::{live_version_with, KnownHistory};

use super::references::ReferenceUse;
use super::{Registry, RegistryError, Result};
use crate::domain::{
    validate_metadata, validate_rule_set, EffectiveConfig, Mode, QualifiedSubject, SchemaReference,
    VersionRecord,
};
use schemata_compat::ParseOptions;
use serde_json::Value;
use std::sync::Arc;

/// The body of register, lookup and compatibility requests, parsed.
#[derive(Debug, Clone, Default)]
pub struct SchemaRequest {
    pub schema: String,
    /// `None` = the field was absent (AVRO).
    pub schema_type: Option<String>,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    pub id: Option<i64>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterOptions {
    /// `?normalize=`; true if this or the config's `normalize` is.
    pub normalize: Option<bool>,
    /// `?force=true`: skip the compatibility check.
    pub force: bool,
}

#[derive(Debug, Clone)]
pub struct Registered {
    pub id: i64,
    pub version: i64,
    pub guid: String,
}

/// A registration once [`Registry::prepare`] has settled everything but the schema itself.
struct Registration {
    /// The request, with the config's contract merged in.
    request: SchemaRequest,
    config: Arc<EffectiveConfig>,
    mode: Mode,
    /// The write carries its own id (IMPORT or FORWARD mode, or an explicit `id`): stored
    /// as sent, with no normalisation, validation or compatibility check.
    import: bool,
    parse_options: ParseOptions,
    /// Whether the candidate is checked against the subject's history (not for imports,
    /// nor with `?force=true`).
    check_compatibility: bool,
    /// The metadata and rule set as the request sent them, before the config's defaults and
    /// overrides were merged in.
    own_contract: (Option<Value>, Option<Value>),
}

impl Registration {
    /// References of a new registration must point at live versions; an import may
    /// reference soft-deleted ones, as the registry it comes from did.
    fn reference_use(&self) -> ReferenceUse {
        if self.import {
            ReferenceUse::Stored
        } else {
            ReferenceUse::New
        }
    }

    /// Read-only modes refuse every write; an explicit id needs IMPORT (or FORWARD) mode,
    /// and those modes need one.
    fn ensure_mode_permits(&self, subject: &QualifiedSubject) -> Result<()> {
        let refuse = |why: &str| {
            Err(RegistryError::OperationNotPermitted(format!(
                "Subject {} in context {} is {why}",
                subject.name, subject.context
            )))
        };
        if self.mode.is_read_only() {
            return refuse("in read-only mode");
        }
        match (self.request.id, self.mode.accepts_explicit_ids()) {
            (Some(_), false) => refuse("not in import mode"),
            (None, true) => refuse("not in read-write mode"),
            _ => Ok(()),
        }
    }

    /// The grouped write appends the next version with a new or shared id; anything else
    /// (an import, an explicit version) takes the locked path.
    fn may_write_grouped(&self) -> bool {
        !self.import && self.request.version.is_none_or(|v| v <= 0)
    }
}

impl Registry {
    pub async fn register(
        &self,
        subject: &QualifiedSubject,
        request: SchemaRequest,
        options: RegisterOptions,
    ) -> Result<Registered> {
        let mut registration = self.prepare(subject, request, options).await?;
        if let Some(existing) = self
            .known_registration(subject, &registration.request, registration.parse_options)
            .await
        {
            return Ok(existing);
        }
        let mut candidate = self
            .candidate(
                &subject.context,
                &registration.request,
                registration.parse_options,
                registration.reference_use(),
            )
            .await?;
        // Before any mode check and without the lock: a schema already registered is
        // answered as such even in read-only modes, as CSR does. (So a subject is guessed
        // new only when the write is permitted: nothing is answered from a guess.)
        let may_guess = registration.may_write_grouped()
            && registration.ensure_mode_permits(subject).is_ok()
            && self.followed_source().await?.is_none();
        let mut history = self.registration_history(subject, may_guess).await?;
        loop {
            if let Some(existing) = self
                .already_registered(subject, &mut history, &candidate, &registration.request)
                .await?
            {
                return Ok(existing);
            }
            if !registration.import {
                // Nothing to inherit from a guessed (empty) history: the registration and
                // the candidate are unchanged when the loop runs again.
                if let Some(inherited) = self
                    .inherit_latest_contract(subject, &mut registration, &history)
                    .await?
                {
                    candidate = inherited;
                    if let Some(existing) = self
                        .already_registered(
                            subject,
                            &mut history,
                            &candidate,
                            &registration.request,
                        )
                        .await?
                    {
                        return Ok(existing);
                    }
                }
            }
            registration.ensure_mode_permits(subject)?;
            // Another server on the database following a topic (this one's own following
            // makes the mode READONLY above).
            self.ensure_not_following(subject).await?;
            if registration.may_write_grouped() {
                if let Some(done) = self
                    .register_grouped(subject, &registration, &candidate, &history)
                    .await?
                {
                    return Ok(done);
                }
                if history.assumed {
                    // Not new after all (or the context changed): from step 3 again, with
                    // the subject's history read.
                    history = KnownHistory {
                        history: self.read_history(subject).await?,
                        from_cache: false,
                        assumed: false,
                    };
                    continue;
                }
            }
            return self
                .register_locked(subject, &registration, &candidate)
                .await;
        }
    }

    /// Step 1: everything about the registration but the schema itself.
    async fn prepare(
        &self,
        subject: &QualifiedSubject,
        mut request: SchemaRequest,
        options: RegisterOptions,
    ) -> Result<Registration> {
        subject.validate_for_register()?;
        validate_rule_set(request.rule_set.as_ref())?;
        validate_metadata(request.metadata.as_ref())?;
        let config = self.effective_config(subject).await?;
        let mode = self.effective_mode(subject).await?;
        let import = mode.accepts_explicit_ids() || request.id.is_some();
        let parse_options = ParseOptions {
            validate: !import && config.validate_new_schemas.unwrap_or(true),
            normalize: !import && config.normalize_with(options.normalize),
        };
        if request.schema.trim().is_empty() {
            self.complete_metadata_only_update(subject, &mut request)
                .await?;
        }
        // Data contracts: override > request > latest version > default (`docs/rest-api.md`
        // §3.4); the
        // latest version's part is added in step 4.
        let own_contract = (request.metadata.clone(), request.rule_set.clone());
        (request.metadata, request.rule_set) =
            super::contract::with_config(&config, request.metadata, request.rule_set);
        validate_rule_set(request.rule_set.as_ref())?;
        Ok(Registration {
            request,
            config,
            mode,
            import,
            parse_options,
            check_compatibility: !import && !options.force,
            own_contract,
        })
    }

    /// A request without a schema updates the latest version's metadata or rules: it takes
    /// that version's schema, and its metadata and rule set where it sends none.
    async fn complete_metadata_only_update(
        &self,
        subject: &QualifiedSubject,
        request: &mut SchemaRequest,
    ) -> Result<()> {
        let live = self.live_versions(subject).await?;
        let latest = live
            .last()
            .ok_or_else(|| RegistryError::InvalidSchema("Empty schema".into()))?;
        let record = self
            .schema(&subject.context, latest.schema_id)
            .await?
            .ok_or(RegistryError::SchemaNotFound)?;
        request.schema = record.record.schema.clone();
        request.schema_type = Some(record.record.schema_type.as_str().into());
        request.references = record.record.references.clone();
        if request.metadata.is_none() {
            request.metadata = record.record.metadata.clone();
        }
        if request.rule_set.is_none() {
            request.rule_set = record.record.rule_set.clone();
        }
        Ok(())
    }

    /// Step 4: a request without metadata or rules of its own carries the latest live
    /// version's (`docs/rest-api.md` §3.4): an auto-registering serializer must not strip a subject's data
    /// contract. The candidate rebuilt with them, or `None` when nothing changed.
    async fn inherit_latest_contract(
        &self,
        subject: &QualifiedSubject,
        registration: &mut Registration,
        history: &KnownHistory,
    ) -> Result<Option<Candidate>> {
        let Some(inherited) = self
            .inherit_contract(
                &subject.context,
                &registration.config,
                registration.own_contract.clone(),
                history.latest_live_schema_id(),
                history.latest_schema(),
                &registration.request,
            )
            .await?
        else {
            return Ok(None);
        };
        let request = &mut registration.request;
        (request.metadata, request.rule_set) = inherited;
        let candidate = self
            .candidate(
                &subject.context,
                request,
                registration.parse_options,
                ReferenceUse::New,
            )
            .await?;
        Ok(Some(candidate))
    }

    /// Live versions of a subject, oldest first.
    async fn live_versions(&self, subject: &QualifiedSubject) -> Result<Vec<VersionRecord>> {
        let mut versions = self.store.versions(&subject.context, &subject.name).await?;
        versions.retain(|v| !v.deleted);
        Ok(versions)
    }
}

/// Registrations written, by the path that wrote them: `one_statement` (the grouped write)
/// or `general` (the locked transaction: imports, explicit versions, and any fallback). A
/// high share of `general` means histories keep changing under the fast path.
fn count_registration(path: &'static str) {
    metrics::counter!("schemata_schemas_registered_total", "path" => path).increment(1);
}

fn registered(version: i64, id: i64, candidate: &Candidate) -> Registered {
    Registered {
        id,
        version,
        guid: candidate.guid.clone(),
    }
}
