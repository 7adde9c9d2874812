//! Step 3 of a registration: the subject's history as this process knows it, and whether it
//! already holds the candidate. A history may come from memory ([`HistoryCache`]) and be
//! stale; every answer a stale history could get wrong is confirmed by a fresh read.
//!
//! [`HistoryCache`]: crate::registry::cache::HistoryCache

use super::candidate::identity_key;
use super::{registered, Candidate, Registered, SchemaRequest};
use crate::domain::{EffectiveConfig, QualifiedSubject, SeenHistory, VersionRecord};
use crate::registry::cache::{hash_bytes, History, HistoryVersion, SubjectHistory};
use crate::registry::{CachedSchema, Registry, Result};
use schemata_compat::ParseOptions;
use std::sync::Arc;

/// A subject's history and where it came from.
pub(crate) struct KnownHistory {
    pub(crate) history: History,
    /// Remembered rather than read just now: another process may have changed the subject.
    pub(crate) from_cache: bool,
    /// Neither remembered nor read: the guess that a subject this process knows nothing of
    /// is new ([`Registry::registration_history`]). Nothing is answered from it; only a
    /// grouped write is tried, which the database refuses if the guess was wrong.
    pub(crate) assumed: bool,
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
                assumed: false,
            });
        }
        Ok(KnownHistory {
            history: self.read_history(subject).await?,
            from_cache: false,
            assumed: false,
        })
    }

    /// The history a registration starts from: remembered; else, for a write that is
    /// permitted and may be grouped, the guess that the subject is new, as of the context's
    /// last generation this process saw (docs/performance.md, "New subjects"): the grouped
    /// write verifies the subject has no versions and the context's generation is unchanged,
    /// so a wrong guess costs a refused write, then a read; else read now.
    pub(crate) async fn registration_history(
        &self,
        subject: &QualifiedSubject,
        may_guess: bool,
    ) -> Result<KnownHistory> {
        if let Some(history) = self.histories.get(&subject.context, &subject.name).await {
            return Ok(KnownHistory {
                history,
                from_cache: true,
                assumed: false,
            });
        }
        let generation = (may_guess && self.store.registers_in_one_statement())
            .then(|| self.histories.generation(&subject.context))
            .flatten();
        if let Some(generation) = generation {
            return Ok(KnownHistory {
                history: Arc::new(SubjectHistory {
                    generation,
                    versions: Vec::new(),
                    latest_schema: None,
                }),
                from_cache: false,
                assumed: true,
            });
        }
        Ok(KnownHistory {
            history: self.read_history(subject).await?,
            from_cache: false,
            assumed: false,
        })
    }

    /// The subject's history as stored now; remembered for the next registration.
    pub(crate) async fn read_history(&self, subject: &QualifiedSubject) -> Result<History> {
        let start = self.histories.read_start();
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
        self.histories.note_generation(&subject.context, generation);
        self.histories
            .insert_read(&subject.context, &subject.name, history.clone(), start)
            .await;
        Ok(history)
    }

    /// The live version of `subject` with this candidate's identity, if any. A "yes" from
    /// remembered history is trusted (a remembered live version is live, see
    /// [`HistoryCache`]), except for a request that names its id or version: it is confirmed
    /// by a fresh read, and `known` is replaced by that read.
    ///
    /// [`HistoryCache`]: crate::registry::cache::HistoryCache
    pub(crate) async fn already_registered(
        &self,
        subject: &QualifiedSubject,
        known: &mut KnownHistory,
        candidate: &Candidate,
        request: &SchemaRequest,
    ) -> Result<Option<Registered>> {
        let plain = request.id.is_none() && request.version.is_none();
        if known.from_cache
            && !plain
            && existing_version(&known.history, candidate, request).is_some()
        {
            *known = KnownHistory {
                history: self.read_history(subject).await?,
                from_cache: false,
                assumed: false,
            };
        }
        Ok(existing_version(&known.history, candidate, request))
    }
}

impl Registry {
    /// Step 3 before step 2, from memory alone: the live version of `subject` that holds
    /// this text, when the text was parsed before with these options (its identity is
    /// remembered) and the subject's history is remembered. `None` when memory cannot tell;
    /// the steps then run in order. A request naming its id or version always takes them.
    pub(crate) async fn known_registration(
        &self,
        subject: &QualifiedSubject,
        request: &SchemaRequest,
        options: ParseOptions,
    ) -> Option<Registered> {
        if request.id.is_some() || request.version.is_some() {
            return None;
        }
        let key = identity_key(request, options)?;
        let identity = self.identities.get(&key).await?;
        let history = self.histories.get(&subject.context, &subject.name).await?;
        let found = live_version_with(&history, &identity.hash)?;
        Some(Registered {
            id: found.schema_id,
            version: found.version,
            guid: identity.guid.clone(),
        })
    }
}

/// The newest live version whose schema has this identity hash.
pub(crate) fn live_version_with<'h>(
    history: &'h [HistoryVersion],
    hash: &[u8; 32],
) -> Option<&'h HistoryVersion> {
    history
        .iter()
        .rev()
        .find(|v| !v.deleted && v.hash.as_ref() == Some(hash))
}

/// The live version in `history` that already holds this exact schema, if the request does
/// not ask for a different id or version.
fn existing_version(
    history: &[HistoryVersion],
    candidate: &Candidate,
    request: &SchemaRequest,
) -> Option<Registered> {
    let found = live_version_with(history, &hash_bytes(&candidate.hash)?)?;
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
