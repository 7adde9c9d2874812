//! `POST /subjects/{s}`: which version of a subject holds a schema.

use super::cache::{hash_bytes, HistoryVersion};
use super::references::ReferenceUse;
use super::register::{identity_key, live_version_with, KnownHistory};
use super::{Registry, RegistryError, Result, SchemaRequest, SubjectVersion};
use crate::domain::QualifiedSubject;
use schemata_compat::ParseOptions;

/// The query parameters of a lookup.
#[derive(Debug, Clone, Copy, Default)]
pub struct LookupOptions {
    /// `?normalize=`; combined with the config's `normalize`.
    pub normalize: Option<bool>,
    /// `?deleted=true`: soft-deleted versions are found too.
    pub include_deleted: bool,
}

impl Registry {
    pub async fn lookup(
        &self,
        subject: &QualifiedSubject,
        request: &SchemaRequest,
        options: LookupOptions,
    ) -> Result<SubjectVersion> {
        let config = self.effective_config(subject).await?;
        let parse_options = ParseOptions {
            validate: false,
            normalize: config.normalize_with(options.normalize),
        };
        if let Some(found) = self.known_lookup(subject, request, parse_options).await? {
            return Ok(found);
        }
        let (subject, mut history) = self.located_history(subject).await?;
        let config = self.effective_config(&subject).await?;
        let parse_options = ParseOptions {
            validate: false,
            normalize: config.normalize_with(options.normalize),
        };
        let candidate = self
            .candidate(
                &subject.context,
                request,
                parse_options,
                ReferenceUse::Stored,
            )
            .await?;
        if !history
            .history
            .iter()
            .any(|v| options.include_deleted || !v.deleted)
        {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        let mut found = version_with(&history.history, &candidate.hash, options);
        if found.is_none() && history.from_cache {
            // Another process may have registered it since the history was remembered.
            history = KnownHistory {
                history: self.read_history(&subject).await?,
                from_cache: false,
                assumed: false,
            };
            found = version_with(&history.history, &candidate.hash, options);
        }
        // Not found as sent: fill in metadata and rules as registration would, and if that
        // changed the request, look once more (`docs/rest-api.md` §3.4).
        if found.is_none() {
            let own_contract = (request.metadata.clone(), request.rule_set.clone());
            if let Some((metadata, rule_set)) = self
                .inherit_contract(
                    &subject.context,
                    &config,
                    own_contract,
                    history.latest_live_schema_id(),
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
                let candidate = self
                    .candidate(
                        &subject.context,
                        &filled,
                        parse_options,
                        ReferenceUse::Stored,
                    )
                    .await?;
                found = version_with(&history.history, &candidate.hash, options);
            }
        }
        let found = found.ok_or(RegistryError::SchemaNotFound)?;
        let schema = self
            .schema(&subject.context, found.schema_id)
            .await?
            .ok_or(RegistryError::SchemaNotFound)?;
        Ok(SubjectVersion {
            subject,
            version: found.version,
            deleted: found.deleted,
            registered_at: found.created_at,
            schema,
        })
    }

    /// The subject a lookup reads, with its history (remembered, or read and then
    /// remembered); for an unqualified name missing from the default context, the first other
    /// context holding it (as [`locate`](Registry::located) finds it), read afresh.
    async fn located_history(
        &self,
        subject: &QualifiedSubject,
    ) -> Result<(QualifiedSubject, KnownHistory)> {
        let mut known = self.history(subject).await?;
        if known.history.is_empty() && known.from_cache {
            // Remembered as empty: another process may have registered to it since.
            known = KnownHistory {
                history: self.read_history(subject).await?,
                from_cache: false,
                assumed: false,
            };
        }
        if !known.history.is_empty() {
            return Ok((subject.clone(), known));
        }
        let located = self.located(subject).await?;
        if &located == subject {
            return Ok((located, known));
        }
        let history = self.read_history(&located).await?;
        Ok((
            located,
            KnownHistory {
                history,
                from_cache: false,
                assumed: false,
            },
        ))
    }
}

/// The newest version with this identity hash, live or (with `?deleted=true`) soft-deleted.
fn version_with(
    history: &[HistoryVersion],
    hash: &str,
    options: LookupOptions,
) -> Option<HistoryVersion> {
    let hash = hash_bytes(hash)?;
    history
        .iter()
        .rev()
        .find(|v| v.hash == Some(hash) && (options.include_deleted || !v.deleted))
        .copied()
}

impl Registry {
    /// A lookup answered from memory, as registration's step 3 is
    /// ([`known_registration`](Registry::known_registration)): the text was parsed before
    /// with these options, the subject's history is remembered, and a live version holds
    /// it. `None` when memory cannot tell; a miss, a soft-deleted version (`?deleted=true`)
    /// and the search of other contexts go to the store.
    async fn known_lookup(
        &self,
        subject: &QualifiedSubject,
        request: &SchemaRequest,
        options: ParseOptions,
    ) -> Result<Option<SubjectVersion>> {
        let Some(key) = identity_key(request, options) else {
            return Ok(None);
        };
        let Some(identity) = self.identities.get(&key).await else {
            return Ok(None);
        };
        let Some(history) = self.histories.get(&subject.context, &subject.name).await else {
            return Ok(None);
        };
        let Some(found) = live_version_with(&history, &identity.hash) else {
            return Ok(None);
        };
        let Some(schema) = self.schema(&subject.context, found.schema_id).await? else {
            return Ok(None);
        };
        Ok(Some(SubjectVersion {
            subject: subject.clone(),
            version: found.version,
            deleted: false,
            registered_at: found.created_at,
            schema,
        }))
    }
}
