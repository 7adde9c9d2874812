//! Step 2 of a registration (also used by lookup and the compatibility checks): a request
//! turned into a parsed schema with its identity, and the data contract it inherits.

use super::SchemaRequest;
use crate::domain::{EffectiveConfig, NewSchema, SchemaRecord};
use crate::registry::cache::{hash_bytes, IdentityInputs, InputKey, KnownIdentity};
use crate::registry::identity::Identity;
use crate::registry::references::{ReferenceUse, ResolvedReferences};
use crate::registry::{CachedSchema, Registry, RegistryError, Result};
use schemata_compat::{ParseOptions, ParsedSchema, SchemaType};
use serde_json::Value;
use std::sync::Arc;

/// A request turned into a parsed schema with its identity.
pub(crate) struct Candidate {
    /// Shared with the remembered history (or, on the locked path, the id cache) once
    /// registered: a deep copy of the tree would cost more than the rest of remembering it.
    pub(crate) parsed: Arc<ParsedSchema>,
    pub(crate) schema_type: SchemaType,
    pub(crate) references: ResolvedReferences,
    pub(crate) metadata: Option<Value>,
    pub(crate) rule_set: Option<Value>,
    pub(crate) hash: String,
    pub(crate) guid: String,
}

impl Candidate {
    /// The row the store inserts for it.
    pub(crate) fn new_schema(&self) -> NewSchema<'_> {
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

/// The key under which the identity of this request's schema is remembered
/// (`cache/identities.rs`), or `None` when it is not: a request with references, or of an
/// unknown type.
pub(crate) fn identity_key(request: &SchemaRequest, options: ParseOptions) -> Option<InputKey> {
    if !request.references.is_empty() {
        return None;
    }
    let inputs = IdentityInputs {
        schema_type: schema_type_of(request).ok()?,
        schema: &request.schema,
        metadata: request.metadata.as_ref(),
        rule_set: request.rule_set.as_ref(),
        validate: options.validate,
        normalize: options.normalize,
    };
    Some(inputs.key())
}

/// The request's `schemaType`; absent or empty means AVRO.
fn schema_type_of(request: &SchemaRequest) -> Result<SchemaType> {
    match request.schema_type.as_deref() {
        None | Some("") => Ok(SchemaType::Avro),
        Some(name) => SchemaType::from_wire(name)
            .ok_or_else(|| RegistryError::InvalidSchema(format!("Invalid schema type {name}"))),
    }
}

impl Registry {
    /// Parse a request into a candidate schema in `context`.
    pub(crate) async fn candidate(
        &self,
        context: &str,
        request: &SchemaRequest,
        options: ParseOptions,
        references: ReferenceUse,
    ) -> Result<Candidate> {
        if request.schema.len() > self.options.max_schema_bytes {
            return Err(RegistryError::SchemaTooLarge);
        }
        if request.schema.trim().is_empty() {
            return Err(RegistryError::InvalidSchema("Empty schema".into()));
        }
        let schema_type = schema_type_of(request)?;
        let references = self
            .resolve_references(context, &request.references, references)
            .await?;
        let parsed = self
            .parse(schema_type, &request.schema, &references.schemas, options)
            .await?
            .map_err(|e| invalid_schema(schema_type, &e.0))?;
        let identity = Identity {
            schema_type,
            canonical: parsed.canonical(),
            references: &references.direct,
            metadata: request.metadata.as_ref(),
            rule_set: request.rule_set.as_ref(),
        };
        let (hash, guid) = identity.hash_and_guid();
        if let (Some(key), Some(hash)) = (identity_key(request, options), hash_bytes(&hash)) {
            let guid = guid.clone();
            self.identities
                .insert(key, KnownIdentity { hash, guid })
                .await;
        }
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

    /// The metadata and rule set a request gets when it carries none of its own (`own`):
    /// the latest live version's, under the config's override and over its default
    /// (`docs/rest-api.md` §3.4).
    /// `None` when that is what `request` already has.
    pub(crate) async fn inherit_contract(
        &self,
        context: &str,
        config: &EffectiveConfig,
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
        let inherited = crate::registry::contract::with_config(
            config,
            own_metadata.or(latest_metadata),
            own_rule_set.or(latest_rule_set),
        );
        let unchanged = inherited.0 == request.metadata && inherited.1 == request.rule_set;
        Ok((!unchanged).then_some(inherited))
    }

    /// A just-registered schema as the read path keeps it, parsed.
    pub(crate) fn registered_schema(
        &self,
        context: &str,
        id: i64,
        candidate: &Candidate,
    ) -> CachedSchema {
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
        CachedSchema::with_parsed(record, candidate.parsed.clone())
    }
}

/// `Invalid AVRO schema: <what the parser said>`, without the parsers' own generic prefix.
fn invalid_schema(schema_type: SchemaType, reason: &str) -> RegistryError {
    let reason = reason
        .strip_prefix("Invalid schema: ")
        .or_else(|| reason.strip_prefix("Invalid JSON Schema: "))
        .unwrap_or(reason);
    RegistryError::InvalidSchema(format!("Invalid {schema_type} schema: {reason}"))
}
