//! Step 6, the common case: the candidate is checked against the history read without a
//! lock, then written grouped with concurrent registrations (one transaction and one commit
//! for the group); under the subject locks (PostgreSQL) or the single write slot (SQLite) the
//! store writes it only if the history is still the one checked
//! (`store::Store::register_in_one_statement`).

use super::history::{checked_versions, seen};
use super::{count_registration, registered, Candidate, KnownHistory, Registration};
use crate::domain::{QualifiedSubject, VersionRecord};
use crate::registry::cache::{hash_bytes, HistoryReadStart, HistoryVersion, SubjectHistory};
use crate::registry::{Registered, Registry, Result};
use crate::store::Appended;
use std::sync::Arc;

impl Registry {
    /// Register through the grouped write. `None`: take the locked path (the history changed
    /// since it was read).
    pub(super) async fn register_grouped(
        &self,
        subject: &QualifiedSubject,
        registration: &Registration,
        candidate: &Candidate,
        known: &KnownHistory,
    ) -> Result<Option<Registered>> {
        if !self.store.registers_in_one_statement() {
            return Ok(None);
        }
        match self
            .write_grouped(subject, registration, candidate, &known.history)
            .await
        {
            // Judged against a remembered history: another process may have changed the
            // subject since (even hard-deleted the version checked against), so a refusal
            // or an error is only given after a fresh read.
            Err(_) if known.from_cache => {
                let fresh = self.read_history(subject).await?;
                self.write_grouped(subject, registration, candidate, &fresh)
                    .await
            }
            other => other,
        }
    }

    /// Check the candidate against `history`, then let the store write it if `history` is
    /// still current; on success the new history is remembered with the new schema.
    async fn write_grouped(
        &self,
        subject: &QualifiedSubject,
        registration: &Registration,
        candidate: &Candidate,
        history: &SubjectHistory,
    ) -> Result<Option<Registered>> {
        if registration.check_compatibility {
            let live = checked_versions(history, subject, &registration.config);
            let live: Vec<&VersionRecord> = live.iter().collect();
            self.ensure_compatible(
                subject,
                &registration.config,
                candidate,
                &live,
                history.latest_schema.as_ref(),
            )
            .await?;
        }
        let start = self.histories.read_start();
        let written = self
            .store
            .register_in_one_statement(
                &subject.context,
                &subject.name,
                seen(history),
                &candidate.new_schema(),
                &candidate.references.targets,
            )
            .await?;
        tracing::debug!(subject = %subject, one_statement = written.is_some(), "registration write");
        let Some(appended) = written else {
            // The subject changed since `history` was read: forget it, the locked path
            // reads it under the lock.
            self.histories
                .invalidate(&subject.context, &subject.name)
                .await;
            return Ok(None);
        };
        self.remember_appended(subject, history, candidate, appended, start)
            .await;
        count_registration("one_statement");
        Ok(Some(registered(appended.version, appended.id, candidate)))
    }

    /// The database verified `history` was current, so with the new version it is the
    /// subject's history now; the new schema is kept with it, parsed, for the next
    /// registration to check against. Not kept if a delete was announced since the write
    /// began (`start`).
    async fn remember_appended(
        &self,
        subject: &QualifiedSubject,
        history: &SubjectHistory,
        candidate: &Candidate,
        appended: Appended,
        start: HistoryReadStart,
    ) {
        let Appended {
            id,
            version,
            created_at,
        } = appended;
        let mut versions = Vec::with_capacity(history.len() + 1);
        versions.extend_from_slice(history);
        versions.push(HistoryVersion {
            version,
            schema_id: id,
            created_at,
            deleted: false,
            hash: hash_bytes(&candidate.hash),
        });
        let next = SubjectHistory {
            generation: history.generation,
            versions,
            latest_schema: Some(Arc::new(self.registered_schema(
                &subject.context,
                id,
                candidate,
            ))),
        };
        self.histories
            .insert_read(&subject.context, &subject.name, Arc::new(next), start)
            .await;
    }
}
