//! Registering a schema under a subject, and looking one up (`POST /subjects/{s}`).
//! Order of operations follows CSR (`spec/rest-api.md` §8.1).

use super::identity::Identity;
use super::references::ResolvedReferences;
use super::{Registry, RegistryError, Result};
use crate::cache::{hash_bytes, CachedSchema, History, HistoryVersion, SubjectHistory};
use crate::domain::{QualifiedSubject, SchemaReference};
use crate::store::queries::{self, NewSchema};
use crate::store::{SchemaRecord, SeenHistory, VersionRecord};
use schemata_compat::{check_compatibility, ParseOptions, ParsedSchema, SchemaType};
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
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// A request turned into a parsed schema with its identity.
pub(super) struct Candidate {
    /// Shared with the remembered history (or, on the general path, the id cache) once
    /// registered: a deep copy of the tree would cost more than the rest of remembering it.
    pub parsed: Arc<ParsedSchema>,
    pub schema_type: SchemaType,
    pub references: ResolvedReferences,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    pub hash: String,
    pub guid: String,
}

impl Candidate {
    fn new_schema(&self) -> NewSchema<'_> {
        NewSchema {
            hash: &self.hash,
            schema_type: self.schema_type,
            schema: self.parsed.canonical(),
            references: &self.references.direct,
            metadata: self.metadata.as_ref(),
            rule_set: self.rule_set.as_ref(),
            guid: &self.guid,
        }
    }
}

pub(super) fn schema_type_of(request: &SchemaRequest) -> Result<SchemaType> {
    match request.schema_type.as_deref() {
        None | Some("") => Ok(SchemaType::Avro),
        Some(name) => SchemaType::from_wire(name)
            .ok_or_else(|| RegistryError::InvalidSchema(format!("Invalid schema type {name}"))),
    }
}

impl Registry {
    /// Parse a request into a candidate schema in `context`.
    pub(super) async fn candidate(
        &self,
        context: &str,
        request: &SchemaRequest,
        options: ParseOptions,
        new_registration: bool,
    ) -> Result<Candidate> {
        if request.schema.len() > self.settings.max_schema_bytes {
            return Err(RegistryError::SchemaTooLarge);
        }
        if request.schema.trim().is_empty() {
            return Err(RegistryError::InvalidSchema("Empty schema".into()));
        }
        let schema_type = schema_type_of(request)?;
        let references = self
            .resolve_references(context, &request.references, new_registration)
            .await?;
        let parsed =
            ParsedSchema::parse(schema_type, &request.schema, &references.schemas, options)
                .map_err(|e| invalid_schema(schema_type, &e.0))?;
        let identity = Identity {
            schema_type,
            canonical: parsed.canonical(),
            references: &references.direct,
            metadata: request.metadata.as_ref(),
            rule_set: request.rule_set.as_ref(),
        };
        let (hash, guid) = identity.hash_and_guid();
        Ok(Candidate {
            parsed: Arc::new(parsed),
            schema_type,
            references,
            metadata: request.metadata.clone(),
            rule_set: request.rule_set.clone(),
            hash,
            guid,
        })
    }

    pub async fn register(
        &self,
        subject: &QualifiedSubject,
        mut request: SchemaRequest,
        options: RegisterOptions,
    ) -> Result<Registered> {
        subject.validate_for_register()?;
        super::settings::validate_rule_set(request.rule_set.as_ref())?;
        let config = self.effective_config(subject).await?;
        let mode = self.effective_mode(subject).await?;
        let import = mode.accepts_explicit_ids() || request.id.is_some();
        let normalize = !import && config.normalize_with(options.normalize);
        let validate = !import && config.validate_new_schemas.unwrap_or(true);

        // A metadata-only update re-uses the latest schema; data contracts merge config
        // defaults and overrides (override > request > latest version > default).
        if request.schema.trim().is_empty() {
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
        }
        let own_contract = (request.metadata.clone(), request.rule_set.clone());
        (request.metadata, request.rule_set) =
            super::contract::with_config(&config, request.metadata, request.rule_set);
        super::settings::validate_rule_set(request.rule_set.as_ref())?;
        let parse_options = ParseOptions {
            validate,
            normalize,
        };
        let mut candidate = self
            .candidate(&subject.context, &request, parse_options, !import)
            .await?;

        // Fast path, before any mode check and without the lock: already registered. The
        // history may come from memory (`HistoryCache`); a "yes" from memory is confirmed by
        // a fresh read, as another process may have deleted that version.
        let (mut history, mut from_cache) = self.history(subject).await?;
        if let Some(existing) = self
            .already_registered(subject, &mut history, &mut from_cache, &candidate, &request)
            .await?
        {
            return Ok(existing);
        }
        // A request without metadata or rules carries the latest version's (§2.5): an
        // auto-registering serializer must not strip a subject's data contract.
        if !import {
            let latest = history
                .iter()
                .rev()
                .find(|v| !v.deleted)
                .map(|v| v.schema_id);
            if let Some(inherited) = self
                .inherit_contract(
                    &subject.context,
                    &config,
                    own_contract,
                    latest,
                    history.latest_schema.as_ref(),
                    &request,
                )
                .await?
            {
                (request.metadata, request.rule_set) = inherited;
                candidate = self
                    .candidate(&subject.context, &request, parse_options, true)
                    .await?;
                if let Some(existing) = self
                    .already_registered(
                        subject,
                        &mut history,
                        &mut from_cache,
                        &candidate,
                        &request,
                    )
                    .await?
                {
                    return Ok(existing);
                }
            }
        }

        if mode.is_read_only() {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {} in context {} is in read-only mode",
                subject.name, subject.context
            )));
        }
        if request.id.is_some() && !mode.accepts_explicit_ids() {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {} in context {} is not in import mode",
                subject.name, subject.context
            )));
        }
        if request.id.is_none() && mode.accepts_explicit_ids() {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {} in context {} is not in read-write mode",
                subject.name, subject.context
            )));
        }

        if !import && request.version.is_none_or(|v| v <= 0) {
            let attempt = self
                .register_optimistically(subject, &config, &candidate, &history, options.force)
                .await;
            let attempt = match attempt {
                // Judged against a remembered history: another process may have changed
                // the subject since (even hard-deleted the version checked against), so a
                // refusal or an error is only given after a fresh read.
                Err(_) if from_cache => {
                    let fresh = self.read_history(subject).await?;
                    self.register_optimistically(
                        subject,
                        &config,
                        &candidate,
                        &fresh,
                        options.force,
                    )
                    .await
                }
                other => other,
            };
            if let Some(done) = attempt? {
                return Ok(done);
            }
        }

        let mut tx = self
            .store
            .begin_subject_write(&subject.context, &subject.name)
            .await?;
        tx.ensure_context(&subject.context).await?;
        let versions = queries::versions(&mut *tx.tx, &subject.context, &subject.name).await?;
        let next_version = versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let existing_id =
            queries::schema_id_by_hash(&mut *tx.tx, &subject.context, &candidate.hash).await?;

        if let (Some(existing), Some(requested)) = (existing_id, request.id) {
            if existing != requested {
                return Err(RegistryError::IdDoesNotMatch(existing, requested));
            }
        }
        // Another writer may have registered it between the fast path and the lock.
        if let Some(id) = existing_id {
            if request.version.is_none_or(|v| v <= 0) {
                if let Some(v) = versions
                    .iter()
                    .rev()
                    .find(|v| !v.deleted && v.schema_id == id)
                {
                    return Ok(registered(v.version, id, &candidate));
                }
            }
        }

        if !import && !options.force {
            let live: Vec<&VersionRecord> = versions.iter().filter(|v| !v.deleted).rev().collect();
            self.ensure_compatible(subject, &config, &candidate, &live, None)
                .await?;
        }

        let version = match request.version {
            Some(v) if v > 0 => {
                if import {
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
                v
            }
            _ => next_version,
        };

        let schema_id = match (existing_id, request.id) {
            (Some(id), _) => id,
            (None, Some(id)) => {
                if queries::schema_by_id(&mut *tx.tx, &subject.context, id)
                    .await?
                    .is_some()
                {
                    return Err(RegistryError::OperationNotPermitted(format!(
                        "Overwrite new schema with id {id} in context {} is not permitted.",
                        subject.context
                    )));
                }
                queries::insert_schema_row(
                    &mut *tx.tx,
                    &subject.context,
                    id,
                    &candidate.new_schema(),
                )
                .await?;
                tx.raise_schema_id_floor(&subject.context, id).await?;
                id
            }
            (None, None) => {
                let id = tx.allocate_schema_id(&subject.context).await?;
                let inserted = queries::insert_schema_row(
                    &mut *tx.tx,
                    &subject.context,
                    id,
                    &candidate.new_schema(),
                )
                .await?;
                if inserted {
                    id
                } else {
                    // The same schema was just committed under another subject: share its id.
                    queries::schema_id_by_hash(&mut *tx.tx, &subject.context, &candidate.hash)
                        .await?
                        .ok_or(RegistryError::SchemaNotFound)?
                }
            }
        };

        // CSR drops older soft-deleted versions of this subject that carry the same id.
        for old in versions
            .iter()
            .filter(|v| v.deleted && v.schema_id == schema_id)
        {
            let referenced = !queries::referrers(
                &mut *tx.tx,
                &subject.context,
                &subject.name,
                old.version,
                true,
            )
            .await?
            .is_empty();
            if !referenced {
                queries::remove_version(&mut *tx.tx, &subject.context, &subject.name, old.version)
                    .await?;
            }
        }
        queries::insert_version(
            &mut *tx.tx,
            &subject.context,
            &subject.name,
            version,
            schema_id,
        )
        .await?;
        for target in &candidate.references.targets {
            queries::insert_reference(
                &mut *tx.tx,
                &subject.context,
                schema_id,
                (&target.0, &target.1, target.2),
            )
            .await?;
        }
        tx.commit().await?;
        self.histories
            .invalidate(&subject.context, &subject.name)
            .await;
        self.remember(&subject.context, schema_id, &candidate).await;
        count_registration("general");
        Ok(registered(version, schema_id, &candidate))
    }

    /// The common case in one database round trip for the write (where the store can): read
    /// the history without a lock, check compatibility against it, then let the store write
    /// only if the history is still what was checked. `None`: take the general path.
    async fn register_optimistically(
        &self,
        subject: &QualifiedSubject,
        config: &super::settings::EffectiveConfig,
        candidate: &Candidate,
        history: &SubjectHistory,
        force: bool,
    ) -> Result<Option<Registered>> {
        if !self.store.registers_in_one_statement() {
            return Ok(None);
        }
        if !force {
            let live = checked_versions(history, subject, config);
            let live: Vec<&VersionRecord> = live.iter().collect();
            self.ensure_compatible(
                subject,
                config,
                candidate,
                &live,
                history.latest_schema.as_ref(),
            )
            .await?;
        }
        let seen = SeenHistory {
            max_version: history.iter().map(|v| v.version).max().unwrap_or(0),
            generation: history.generation,
        };
        let written = self
            .store
            .register_in_one_statement(
                &subject.context,
                &subject.name,
                seen,
                &candidate.new_schema(),
                &candidate.references.targets,
            )
            .await?;
        tracing::debug!(subject = %subject, one_statement = written.is_some(), "registration write");
        let Some((id, version)) = written else {
            // The subject changed since `history` was read: forget it, the general path
            // reads it under the lock.
            self.histories
                .invalidate(&subject.context, &subject.name)
                .await;
            return Ok(None);
        };
        // The database verified `history` was current, so with this version it is the
        // subject's history now.
        let mut next = Vec::with_capacity(history.len() + 1);
        next.extend_from_slice(history);
        next.push(HistoryVersion {
            version,
            schema_id: id,
            created_at: crate::store::now_millis(),
            deleted: false,
            hash: hash_bytes(&candidate.hash),
        });
        let next = SubjectHistory {
            generation: history.generation,
            versions: next,
            latest_schema: Some(Arc::new(self.registered_schema(
                &subject.context,
                id,
                candidate,
            ))),
        };
        self.histories
            .insert(&subject.context, &subject.name, Arc::new(next))
            .await;
        count_registration("one_statement");
        Ok(Some(registered(version, id, candidate)))
    }

    /// Put a schema registered on the general path in the id cache, parsed: the next
    /// registration in the subject checks compatibility against it without reading it back.
    /// (The one-statement path keeps it with the subject's history instead.)
    async fn remember(&self, context: &str, id: i64, candidate: &Candidate) {
        let cached = self.registered_schema(context, id, candidate);
        self.cache.insert(Arc::new(cached)).await;
    }

    /// A just-registered schema as the read path keeps it, parsed.
    fn registered_schema(&self, context: &str, id: i64, candidate: &Candidate) -> CachedSchema {
        self.contexts_seen.note_created(context);
        let record = SchemaRecord {
            context: context.to_string(),
            id,
            hash: candidate.hash.clone(),
            schema_type: candidate.schema_type,
            schema: candidate.parsed.canonical().to_string(),
            references: candidate.references.direct.clone(),
            metadata: candidate.metadata.clone(),
            rule_set: candidate.rule_set.clone(),
            guid: candidate.guid.clone(),
            created_at: crate::store::now_millis(),
        };
        let cached = CachedSchema::new(record);
        cached.set_parsed(candidate.parsed.clone());
        cached
    }

    /// `POST /subjects/{s}`: which version of the subject holds this schema.
    pub async fn lookup(
        &self,
        subject: &QualifiedSubject,
        request: &SchemaRequest,
        normalize: Option<bool>,
        include_deleted: bool,
    ) -> Result<super::SubjectVersion> {
        let (subject, versions) = self.locate(subject).await?;
        let config = self.effective_config(&subject).await?;
        let normalize = config.normalize_with(normalize);
        let candidate = self
            .candidate(
                &subject.context,
                request,
                ParseOptions {
                    validate: false,
                    normalize,
                },
                false,
            )
            .await?;
        if !versions.iter().any(|v| include_deleted || !v.deleted) {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        let find = |hash: String| {
            let subject = &subject;
            async move {
                queries::version_with_hash(
                    self.store.pool(),
                    &subject.context,
                    &subject.name,
                    &hash,
                    include_deleted,
                )
                .await
            }
        };
        let mut found = find(candidate.hash.clone()).await?;
        // Not found as sent: fill in metadata and rules as registration would, and if that
        // changed the request, look once more (§7.2).
        if found.is_none() {
            let latest = versions.iter().rev().find(|v| !v.deleted);
            let own_contract = (request.metadata.clone(), request.rule_set.clone());
            if let Some((metadata, rule_set)) = self
                .inherit_contract(
                    &subject.context,
                    &config,
                    own_contract,
                    latest.map(|v| v.schema_id),
                    None,
                    request,
                )
                .await?
            {
                let filled = SchemaRequest {
                    metadata,
                    rule_set,
                    ..request.clone()
                };
                let options = ParseOptions {
                    validate: false,
                    normalize,
                };
                let candidate = self
                    .candidate(&subject.context, &filled, options, false)
                    .await?;
                found = find(candidate.hash).await?;
            }
        }
        let found = found.ok_or(RegistryError::SchemaNotFound)?;
        let schema = self
            .schema(&subject.context, found.schema_id)
            .await?
            .ok_or(RegistryError::SchemaNotFound)?;
        Ok(super::SubjectVersion {
            subject,
            version: found.version,
            deleted: found.deleted,
            registered_at: found.created_at,
            schema,
        })
    }

    /// The live version of `subject` with this candidate's identity, if any. A "yes" from
    /// remembered history is confirmed by a fresh read (another process may have deleted
    /// that version); `history` and `from_cache` are updated when that happens.
    async fn already_registered(
        &self,
        subject: &QualifiedSubject,
        history: &mut History,
        from_cache: &mut bool,
        candidate: &Candidate,
        request: &SchemaRequest,
    ) -> Result<Option<Registered>> {
        if *from_cache && existing_version(history, candidate, request).is_some() {
            *history = self.read_history(subject).await?;
            *from_cache = false;
        }
        Ok(existing_version(history, candidate, request))
    }

    /// The metadata and rule set a request gets when it carries none of its own (`own`):
    /// the latest live version's, under the config's override and over its default (§2.5).
    /// `None` when that is what `request` already has.
    async fn inherit_contract(
        &self,
        context: &str,
        config: &super::settings::EffectiveConfig,
        (own_metadata, own_rule_set): (Option<Value>, Option<Value>),
        latest_schema_id: Option<i64>,
        known: Option<&Arc<CachedSchema>>,
        request: &SchemaRequest,
    ) -> Result<Option<(Option<Value>, Option<Value>)>> {
        let Some(latest_schema_id) = latest_schema_id else {
            return Ok(None);
        };
        let latest = if own_metadata.is_some() && own_rule_set.is_some() {
            None
        } else {
            self.schema_or_known(known, context, latest_schema_id)
                .await?
        };
        let (latest_metadata, latest_rule_set) = latest
            .map(|l| (l.record.metadata.clone(), l.record.rule_set.clone()))
            .unwrap_or_default();
        let inherited = super::contract::with_config(
            config,
            own_metadata.or(latest_metadata),
            own_rule_set.or(latest_rule_set),
        );
        let unchanged = inherited.0 == request.metadata && inherited.1 == request.rule_set;
        Ok((!unchanged).then_some(inherited))
    }

    /// The subject's history for the registration path: remembered, or read (and then
    /// remembered). `true` when it came from memory and may be stale.
    async fn history(&self, subject: &QualifiedSubject) -> Result<(History, bool)> {
        if let Some(history) = self.histories.get(&subject.context, &subject.name).await {
            return Ok((history, true));
        }
        Ok((self.read_history(subject).await?, false))
    }

    /// The subject's history as stored now; remembered for the next registration.
    async fn read_history(&self, subject: &QualifiedSubject) -> Result<History> {
        let (versions, generation) =
            queries::versions_with_hashes(self.store.pool(), &subject.context, &subject.name)
                .await?;
        let history: History = Arc::new(SubjectHistory {
            generation,
            versions: versions
                .iter()
                .map(|(record, hash)| HistoryVersion::new(record, hash))
                .collect(),
            latest_schema: None,
        });
        self.histories
            .insert(&subject.context, &subject.name, history.clone())
            .await;
        Ok(history)
    }

    /// Live versions of a subject, oldest first.
    pub(super) async fn live_versions(
        &self,
        subject: &QualifiedSubject,
    ) -> Result<Vec<VersionRecord>> {
        let mut versions =
            queries::versions(self.store.pool(), &subject.context, &subject.name).await?;
        versions.retain(|v| !v.deleted);
        Ok(versions)
    }

    /// Parsed schemas of the given versions, in the same order.
    pub(super) async fn parsed_versions(
        &self,
        versions: &[&VersionRecord],
        known: Option<&Arc<CachedSchema>>,
    ) -> Result<Vec<Arc<ParsedSchema>>> {
        let mut out = Vec::with_capacity(versions.len());
        for v in versions {
            let schema = self
                .schema_or_known(known, &v.context, v.schema_id)
                .await?
                .ok_or(RegistryError::SchemaNotFound)?;
            out.push(self.parsed(&schema).await?);
        }
        Ok(out)
    }

    /// Fail with 409 unless `new` passes the subject's level against its live history
    /// (`live` newest first).
    async fn ensure_compatible(
        &self,
        subject: &QualifiedSubject,
        config: &super::settings::EffectiveConfig,
        candidate: &Candidate,
        live: &[&VersionRecord],
        known: Option<&Arc<CachedSchema>>,
    ) -> Result<()> {
        let new = &candidate.parsed;
        let live = self
            .in_compatibility_group(config, candidate.metadata.as_ref(), live.to_vec())
            .await?;
        // Only the versions the level looks at, so a long history costs nothing on the
        // registration path.
        let considered = live.len().min(config.versions_checked());
        let live = &live[..considered];
        let parsed = self.parsed_versions(live, known).await?;
        let previous: Vec<&ParsedSchema> = parsed.iter().map(|p| p.as_ref()).collect();
        if let Err(failure) = check_compatibility(config.level, new, &previous) {
            let old = live[failure.index];
            let mut messages = failure.messages;
            let context = self.failure_context(&messages, old, config).await?;
            messages.extend(context);
            return Err(RegistryError::Incompatible {
                subject: subject.qualified(),
                messages,
            });
        }
        Ok(())
    }
}

/// Registrations written, by the path that wrote them: `one_statement` (PostgreSQL's grouped
/// write) or `general` (the locked transaction: SQLite, imports, and any fallback). A high
/// share of `general` on PostgreSQL means histories keep changing under the fast path.
fn count_registration(path: &'static str) {
    metrics::counter!("schemata_schemas_registered_total", "path" => path).increment(1);
}

/// `Invalid AVRO schema: <what the parser said>`, without the parsers' own generic prefix.
fn invalid_schema(schema_type: SchemaType, reason: &str) -> RegistryError {
    let reason = reason
        .strip_prefix("Invalid schema: ")
        .or_else(|| reason.strip_prefix("Invalid JSON Schema: "))
        .unwrap_or(reason);
    RegistryError::InvalidSchema(format!("Invalid {schema_type} schema: {reason}"))
}

/// The live version in `history` that already holds this exact schema, if the request does
/// not ask for a different id or version.
fn existing_version(
    history: &[HistoryVersion],
    candidate: &Candidate,
    request: &SchemaRequest,
) -> Option<Registered> {
    let hash = hash_bytes(&candidate.hash)?;
    let found = history
        .iter()
        .rev()
        .find(|v| !v.deleted && v.hash == Some(hash))?;
    let id_matches = request.id.is_none_or(|id| id == found.schema_id);
    let version_matches = request.version.is_none_or(|v| v <= 0 || v == found.version);
    // `version: -1` means "only if it is the latest".
    let latest_live = history.iter().rev().find(|v| !v.deleted).map(|v| v.version);
    if !id_matches
        || !version_matches
        || (request.version == Some(-1) && latest_live != Some(found.version))
    {
        return None;
    }
    Some(registered(found.version, found.schema_id, candidate))
}

/// The live versions of a remembered history that a compatibility check under `config`
/// looks at, newest first, as records: the latest alone unless the level is transitive or
/// the config sets a compatibility group (which filters all of them first); none for NONE.
/// Only those are turned into records, so a long history costs no allocation per version.
fn checked_versions(
    history: &SubjectHistory,
    subject: &QualifiedSubject,
    config: &super::settings::EffectiveConfig,
) -> Vec<VersionRecord> {
    // The group filter runs before the count is applied, so it needs every live version.
    let wanted = match config.group() {
        Some(_) if config.versions_checked() > 0 => usize::MAX,
        _ => config.versions_checked(),
    };
    history
        .iter()
        .rev()
        .filter(|v| !v.deleted)
        .take(wanted)
        .map(|v| v.record(&subject.context, &subject.name))
        .collect()
}

fn registered(version: i64, id: i64, candidate: &Candidate) -> Registered {
    Registered {
        id,
        version,
        guid: candidate.guid.clone(),
        schema_type: candidate.schema_type,
        schema: candidate.parsed.canonical().to_string(),
        references: candidate.references.direct.clone(),
    }
}
