//! Resolving a schema's `references` to concrete stored versions, transitively.

use super::{Registry, RegistryError, Result};
use crate::domain::{QualifiedSubject, ReferenceTarget, SchemaReference, VersionId};
use schemata_compat::ResolvedReference;
use std::collections::HashSet;

/// Deep reference chains are almost certainly a mistake; bound the walk so a cycle built
/// through IMPORT mode cannot recurse forever.
const MAX_REFERENCE_DEPTH: usize = 32;
/// More references than this in one closure is refused rather than walked.
pub(super) const MAX_REFERENCES: usize = 1000;

/// Which versions a reference may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReferenceUse {
    /// A schema being registered: each reference must point at a live version.
    New,
    /// A stored schema (or one being imported): soft-deleted versions resolve too.
    Stored,
}

pub(crate) struct ResolvedReferences {
    /// Transitive closure, dependencies before dependents, for the parser.
    pub schemas: Vec<ResolvedReference>,
    /// The direct references with concrete versions (what is stored with the schema).
    pub direct: Vec<SchemaReference>,
    /// The stored version of each direct reference, for the referenced-by index.
    pub targets: Vec<ReferenceTarget>,
}

impl Registry {
    /// Resolve `references` of a schema in `context` (see [`ReferenceUse`]).
    pub(super) async fn resolve_references(
        &self,
        context: &str,
        references: &[SchemaReference],
        usage: ReferenceUse,
    ) -> Result<ResolvedReferences> {
        let mut out = ResolvedReferences {
            schemas: Vec::new(),
            direct: Vec::new(),
            targets: Vec::new(),
        };
        let mut seen = HashSet::new();
        for reference in references {
            if reference.name.is_empty() || reference.subject.is_empty() {
                return Err(RegistryError::InvalidSchema(format!(
                    "Invalid reference {{name=\"{}\", subject=\"{}\", version={}}}: name, subject and version are required",
                    reference.name, reference.subject, reference.version
                )));
            }
            let target = reference_subject(context, &reference.subject);
            let version = self
                .reference_version(&target, reference.version, usage)
                .await?;
            let record = self
                .schema(&target.context, version.1)
                .await?
                .ok_or_else(|| not_found(&reference.subject, reference.version))?;
            self.collect(
                &record.record.context,
                &record.record.references,
                &mut out.schemas,
                &mut seen,
                1,
            )
            .await?;
            if seen.insert(reference.name.clone()) {
                out.schemas.push(ResolvedReference {
                    name: reference.name.clone(),
                    schema_type: record.record.schema_type,
                    schema: record.record.schema.clone(),
                });
            }
            out.direct.push(SchemaReference {
                name: reference.name.clone(),
                subject: reference.subject.clone(),
                version: version.0,
            });
            out.targets.push(ReferenceTarget {
                context: target.context.clone(),
                subject: target.name.clone(),
                version: version.0,
            });
        }
        Ok(out)
    }

    /// Add the closure of stored (already concrete) references, dependencies first.
    fn collect<'a>(
        &'a self,
        context: &'a str,
        references: &'a [SchemaReference],
        out: &'a mut Vec<ResolvedReference>,
        seen: &'a mut HashSet<String>,
        depth: usize,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>> {
        Box::pin(async move {
            if depth > MAX_REFERENCE_DEPTH || seen.len() > MAX_REFERENCES {
                return Err(RegistryError::InvalidSchema(
                    "Schema references are nested too deeply or too many".into(),
                ));
            }
            for reference in references {
                if seen.contains(&reference.name) {
                    continue;
                }
                let target = reference_subject(context, &reference.subject);
                let (_, id) = self
                    .reference_version(&target, reference.version, ReferenceUse::Stored)
                    .await?;
                let Some(record) = self.schema(&target.context, id).await? else {
                    return Err(not_found(&reference.subject, reference.version));
                };
                self.collect(
                    &record.record.context,
                    &record.record.references,
                    out,
                    seen,
                    depth + 1,
                )
                .await?;
                if seen.insert(reference.name.clone()) {
                    out.push(ResolvedReference {
                        name: reference.name.clone(),
                        schema_type: record.record.schema_type,
                        schema: record.record.schema.clone(),
                    });
                }
            }
            Ok(())
        })
    }

    /// (concrete version, schema id) of a referenced subject version.
    async fn reference_version(
        &self,
        target: &QualifiedSubject,
        version: i64,
        usage: ReferenceUse,
    ) -> Result<(i64, i64)> {
        let live_only = usage == ReferenceUse::New;
        let versions = self.store.versions(&target.context, &target.name).await?;
        let wanted = VersionId::parse(&version.to_string())
            .map_err(|_| not_found(&target.qualified(), version))?;
        let found = match wanted {
            VersionId::Latest => versions.iter().rev().find(|v| !v.deleted),
            VersionId::Number(n) => versions
                .iter()
                .find(|v| v.version == n && (!live_only || !v.deleted)),
        };
        found
            .map(|v| (v.version, v.schema_id))
            .ok_or_else(|| not_found(&target.qualified(), version))
    }
}

/// A reference's subject is relative to the referring schema's context unless qualified.
fn reference_subject(context: &str, subject: &str) -> QualifiedSubject {
    if subject.starts_with(":.") {
        QualifiedSubject::parse(subject)
    } else {
        QualifiedSubject::in_context(context, subject)
    }
}

fn not_found(subject: &str, version: i64) -> RegistryError {
    RegistryError::InvalidSchema(format!(
        "No schema reference found for subject \"{subject}\" and version {version}"
    ))
}
