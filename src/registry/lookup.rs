//! `POST /subjects/{s}`: which version of a subject holds a schema.

use super::references::ReferenceUse;
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
        let (subject, versions) = self.locate(subject).await?;
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
        if !versions
            .iter()
            .any(|v| options.include_deleted || !v.deleted)
        {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        let find = |hash: String| {
            let subject = &subject;
            async move {
                self.store
                    .version_with_hash(
                        &subject.context,
                        &subject.name,
                        &hash,
                        options.include_deleted,
                    )
                    .await
            }
        };
        let mut found = find(candidate.hash.clone()).await?;
        // Not found as sent: fill in metadata and rules as registration would, and if that
        // changed the request, look once more (`docs/rest-api.md` §3.4).
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
                let candidate = self
                    .candidate(
                        &subject.context,
                        &filled,
                        parse_options,
                        ReferenceUse::Stored,
                    )
                    .await?;
                found = find(candidate.hash).await?;
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
}
