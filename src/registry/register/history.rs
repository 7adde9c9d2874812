//! Step 3 of a registration: the subject's history as this process knows it, and whether it
//! already holds the candidate. A history may come from memory ([`HistoryCache`]) and be
//! stale; every answer a stale history could get wrong is confirmed by a fresh read.
//!
//! [`HistoryCache`]: crate::registry::cache::HistoryCache

use super::{registered, Candidate, Registered, SchemaRequest};
use crate::domain::{EffectiveConfig, QualifiedSubject, SeenHistory, VersionRecord};
use crate::registry::cache::{hash_bytes, History, HistoryVersion, SubjectHistory};
use crate::registry::{CachedSchema, Registry, Result};
use std::sync::Arc;

/// A subject's history and where it came from.
pub(crate) struct KnownHistory {
    pub(crate) history: History,
    /// Remembered rather than read just now: another process may have changed the subject.
    pub(crate) from_cache: bool,
}

impl KnownHistory {
    /// The schema id of the newest live version.
    pub(crate) fn latest_live_schema_id(&self) -> Option<i64> {
        self.history
            .iter()
            .rev()
            .find(|v| !v.deleted)
            .map(|v| v.schema_id)
    }

    /// The newest version's schema, parsed, when this process registered it.
    pub(crate) fn latest_schema(&self) -> Option<&Arc<CachedSchema>> {
        self.history.latest_schema.as_ref()
    }
}

/// What a grouped write records it was checked against (see [`SeenHistory`]).
pub(crate) fn seen(history: &SubjectHistory) -> SeenHistory {
    SeenHistory {
        max_version: history.iter().map(|v| v.version).max().unwrap_or(0),
        generation: history.generation,
    }
}

impl Registry {
    /// The subject's history for the registration path: remembered, or read (and then
    /// remembered).
    pub(crate) async fn history(&self, subject: &QualifiedSubject) -> Result<KnownHistory> {
        if let Some(history) = self.histories.get(&subject.context, &subject.name).await {
            return Ok(KnownHistory {
                history,
                from_cache: true,
            });
        }
        Ok(KnownHistory {
            history: self.read_history(subject).await?,
            from_cache: false,
        })
    }

    /// The subject's history as stored now; remembered for the next registration.
    pub(crate) async fn read_history(&self, subject: &QualifiedSubject) -> Result<History> {
        let (versions, generation) = self
            .store
            .versions_with_hashes(&subject.context, &subject.name)
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

    /// The live version of `subject` with this candidate's identity, if any. A "yes" from
    /// remembered history is confirmed by a fresh read (another process may have deleted
    /// that version); `known` is replaced by that read when it happens.
    pub(crate) async fn already_registered(
        &self,
        subject: &QualifiedSubject,
        known: &mut KnownHistory,
        candidate: &Candidate,
        request: &SchemaRequest,
    ) -> Result<Option<Registered>> {
        if known.from_cache && existing_version(&known.history, candidate, request).is_some() {
            *known = KnownHistory {
                history: self.read_history(subject).await?,
                from_cache: false,
            };
        }
        Ok(existing_version(&known.history, candidate, request))
    }
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
pub(crate) fn checked_versions(
    history: &SubjectHistory,
    subject: &QualifiedSubject,
    config: &EffectiveConfig,
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
