//! The compatibility endpoints (`POST /compatibility/...`): check without writing.

use super::references::ReferenceUse;
use super::register::{Candidate, SchemaRequest};
use super::CachedSchema;
use super::{Registry, RegistryError, Result};
use crate::domain::EffectiveConfig;
use crate::domain::VersionRecord;
use crate::domain::{QualifiedSubject, VersionId};
use schemata_compat::{CompatibilityLevel, ParseOptions, ParsedSchema, DIFFERENT_SCHEMA_TYPE};
use serde_json::Value;
use std::sync::Arc;

/// CSR cuts the old schema in verbose messages after 10 KiB.
const OLD_SCHEMA_MESSAGE_LIMIT: usize = 10 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatibilityReport {
    pub is_compatible: bool,
    pub messages: Vec<String>,
}

impl CompatibilityReport {
    fn compatible() -> Self {
        CompatibilityReport {
            is_compatible: true,
            messages: Vec::new(),
        }
    }

    /// A schema that does not parse, reported (verbose) as incompatible with the reason.
    fn invalid(message: String) -> Self {
        CompatibilityReport {
            is_compatible: false,
            messages: vec![message],
        }
    }
}

/// How a compatibility check request is answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// `?normalize=`; combined with the config's `normalize`.
    pub normalize: Option<bool>,
    /// `?verbose=true`: say why, and report an invalid schema as incompatible.
    pub verbose: bool,
}

impl Registry {
    /// Check against one version (`latest` or a number), whatever the level's transitivity.
    pub async fn check_against_version(
        &self,
        subject: &QualifiedSubject,
        version: VersionId,
        request: &SchemaRequest,
        options: CheckOptions,
    ) -> Result<CompatibilityReport> {
        let (subject, versions) = self.locate(subject).await?;
        let target = match version {
            VersionId::Latest => versions.iter().rev().find(|v| !v.deleted),
            VersionId::Number(n) => {
                let found = versions.iter().find(|v| v.version == n && !v.deleted);
                if found.is_none() {
                    return Err(RegistryError::VersionNotFound(n));
                }
                found
            }
        };
        let config = self.effective_config(&subject).await?;
        let Some(target) = target else {
            // Nothing to compare with, but the schema must still be valid.
            return self
                .parse_or_report(&subject, request, options, &config)
                .await;
        };
        let new = match self
            .checked_candidate(&subject, request, options.normalize, &config)
            .await
        {
            Ok(new) => new,
            Err(RegistryError::InvalidSchema(message)) if options.verbose => {
                return Ok(CompatibilityReport::invalid(message))
            }
            Err(e) => return Err(e),
        };
        let old = self.parsed_versions(&[target], None).await?;
        // One previous version: the failure, if any, is its messages.
        let messages = match self.check(config.level, &new, &old).await? {
            Ok(()) => Vec::new(),
            Err(failure) => failure.messages,
        };
        self.report(messages, target, &config, options.verbose)
            .await
    }

    /// Check against the versions the level names (latest, or all live ones if transitive).
    pub async fn check_against_all(
        &self,
        subject: &QualifiedSubject,
        request: &SchemaRequest,
        options: CheckOptions,
    ) -> Result<CompatibilityReport> {
        let (subject, versions) = self.locate(subject).await?;
        let config = self.effective_config(&subject).await?;
        let new = match self
            .checked_candidate(&subject, request, options.normalize, &config)
            .await
        {
            Ok(new) => new,
            Err(RegistryError::InvalidSchema(message)) if options.verbose => {
                return Ok(CompatibilityReport::invalid(message))
            }
            Err(e) => return Err(e),
        };
        let live: Vec<&VersionRecord> = versions.iter().filter(|v| !v.deleted).rev().collect();
        let (metadata, _) = super::contract::with_config(&config, request.metadata.clone(), None);
        let live = self
            .in_compatibility_group(&config, metadata.as_ref(), live)
            .await?;
        let parsed = self.parsed_versions(&live, None).await?;
        match self.check(config.level, &new, &parsed).await? {
            Ok(()) => Ok(CompatibilityReport::compatible()),
            Err(failure) => {
                self.report(
                    failure.messages,
                    live[failure.index],
                    &config,
                    options.verbose,
                )
                .await
            }
        }
    }

    async fn checked_candidate(
        &self,
        subject: &QualifiedSubject,
        request: &SchemaRequest,
        normalize: Option<bool>,
        config: &EffectiveConfig,
    ) -> Result<Arc<ParsedSchema>> {
        let normalize = config.normalize_with(normalize);
        let candidate = self
            .candidate(
                &subject.context,
                request,
                ParseOptions {
                    validate: true,
                    normalize,
                },
                ReferenceUse::Stored,
            )
            .await?;
        Ok(candidate.parsed)
    }

    async fn parse_or_report(
        &self,
        subject: &QualifiedSubject,
        request: &SchemaRequest,
        options: CheckOptions,
        config: &EffectiveConfig,
    ) -> Result<CompatibilityReport> {
        match self
            .checked_candidate(subject, request, options.normalize, config)
            .await
        {
            Ok(_) => Ok(CompatibilityReport::compatible()),
            Err(RegistryError::InvalidSchema(message)) if options.verbose => {
                Ok(CompatibilityReport::invalid(message))
            }
            Err(e) => Err(e),
        }
    }

    async fn report(
        &self,
        mut messages: Vec<String>,
        old: &VersionRecord,
        config: &EffectiveConfig,
        verbose: bool,
    ) -> Result<CompatibilityReport> {
        if messages.is_empty() {
            return Ok(CompatibilityReport::compatible());
        }
        if !verbose {
            return Ok(CompatibilityReport {
                is_compatible: false,
                messages: Vec::new(),
            });
        }
        let context = self.failure_context(&messages, old, config).await?;
        messages.extend(context);
        Ok(CompatibilityReport {
            is_compatible: false,
            messages,
        })
    }

    /// Parsed schemas of the given versions, in the same order (`known`: a schema already
    /// at hand, see [`Registry::schema_or_known`]).
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

    /// Fail with 409 unless the candidate passes the subject's level against its live
    /// history (`live` newest first).
    pub(super) async fn ensure_compatible(
        &self,
        subject: &QualifiedSubject,
        config: &EffectiveConfig,
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
        if let Err(failure) = self.check(config.level, new, &parsed).await? {
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

    /// `compatibilityGroup` (`docs/compatibility.md` §1.2): of `live`, the versions whose
    /// metadata property named by the group has the new schema's value (absent matches
    /// absent). Without a group, all of them.
    pub(super) async fn in_compatibility_group<'v>(
        &self,
        config: &EffectiveConfig,
        new_metadata: Option<&Value>,
        live: Vec<&'v VersionRecord>,
    ) -> Result<Vec<&'v VersionRecord>> {
        let Some(group) = config.group() else {
            return Ok(live);
        };
        let wanted = group_value(new_metadata, group);
        let mut kept = Vec::with_capacity(live.len());
        for version in live {
            let schema = self.schema(&version.context, version.schema_id).await?;
            let value = schema.and_then(|s| group_value(s.record.metadata.as_ref(), group));
            if value == wanted {
                kept.push(version);
            }
        }
        Ok(kept)
    }

    /// The trailing entries CSR appends to a list of incompatibilities (`messages`, not
    /// empty): `{oldSchemaVersion}` and `{oldSchema}` after format errors, then
    /// `{validateFields, compatibility}`. A previous schema of another type is reported by
    /// its single error, with only the last entry (`docs/compatibility.md` §1.1).
    pub(super) async fn failure_context(
        &self,
        messages: &[String],
        old: &VersionRecord,
        config: &EffectiveConfig,
    ) -> Result<Vec<String>> {
        let level: CompatibilityLevel = config.level;
        let settings = format!(
            "{{validateFields: '{}', compatibility: '{}'}}",
            config.validate_fields.unwrap_or(false),
            level.as_str()
        );
        if messages == [DIFFERENT_SCHEMA_TYPE] {
            return Ok(vec![settings]);
        }
        let mut schema = match self.schema(&old.context, old.schema_id).await? {
            Some(s) => s.record.schema.clone(),
            None => String::new(),
        };
        if schema.len() > OLD_SCHEMA_MESSAGE_LIMIT {
            let mut cut = OLD_SCHEMA_MESSAGE_LIMIT;
            while !schema.is_char_boundary(cut) {
                cut -= 1;
            }
            schema.truncate(cut);
            schema.push_str("...");
        }
        Ok(vec![
            format!("{{oldSchemaVersion: {}}}", old.version),
            format!("{{oldSchema: '{schema}'}}"),
            settings,
        ])
    }
}

/// `metadata.properties[group]`, if set.
fn group_value(metadata: Option<&Value>, group: &str) -> Option<Value> {
    metadata?.get("properties")?.get(group).cloned()
}
