//! Config and mode: storage per scope and resolution along the chain
//! subject → context (global for the default context) → `:.__GLOBAL:` → server default.

use super::{Registry, RegistryError, Result};
use crate::domain::{
    context_scope, validate_metadata, validate_rule_set, AllSettings, Config, EffectiveConfig,
    Mode, QualifiedSubject, SubjectSummary, GLOBAL_CONTEXT,
};
use crate::store::WriteTx;
use schemata_compat::CompatibilityLevel;
use std::str::FromStr;
use std::sync::Arc;

/// Scopes consulted for a subject, most specific first.
fn chain(subject: &QualifiedSubject) -> Vec<String> {
    let mut scopes = Vec::with_capacity(3);
    if !subject.is_context_only() {
        scopes.push(subject.qualified());
    }
    scopes.push(context_scope(&subject.context));
    scopes.push(context_scope(GLOBAL_CONTEXT));
    scopes.dedup();
    scopes
}

impl Registry {
    /// The config that applies to `subject`, resolved once per subject and kept until any
    /// config or mode changes (here or, over NOTIFY, in another process).
    pub async fn effective_config(
        &self,
        subject: &QualifiedSubject,
    ) -> Result<Arc<EffectiveConfig>> {
        let resolve = async { self.resolve_config(subject).await.map(Arc::new) };
        self.config_mode_cache
            .effective_config(&subject.qualified(), resolve)
            .await
    }

    async fn resolve_config(&self, subject: &QualifiedSubject) -> Result<EffectiveConfig> {
        let mut merged = Config::default();
        let mut level = None;
        for scope in chain(subject) {
            if let Some(config) = self.config_at(&scope).await? {
                if level.is_none() {
                    level = config
                        .compatibility_level
                        .as_deref()
                        .and_then(|l| CompatibilityLevel::from_str(l).ok());
                }
                merged = merged.merged_with(&config);
            }
        }
        let level = level.unwrap_or(self.options.default_compatibility);
        merged.compatibility_level = Some(level.as_str().to_string());
        Ok(EffectiveConfig {
            level,
            config: merged,
        })
    }

    /// Every config and mode, when there are few enough to hold in memory (then one query
    /// after each change answers every scope, including the many that have none).
    async fn all_settings(&self) -> Result<Option<Arc<AllSettings>>> {
        let load =
            |limit| async move { Ok::<_, RegistryError>(self.store.all_settings(limit).await?) };
        self.config_mode_cache.all_settings(load).await
    }

    /// The config stored at exactly this scope (no fallback).
    pub async fn config_at(&self, scope: &str) -> Result<Option<Config>> {
        if let Some(all) = self.all_settings().await? {
            return Ok(all.configs.get(scope).cloned());
        }
        let load = async { Ok::<_, RegistryError>(self.store.config(scope).await?) };
        self.config_mode_cache.config(scope, load).await
    }

    /// The subject `subject` is an alias of (its own config's `alias`, not inherited), with
    /// an unqualified alias taken in `subject`'s context.
    pub async fn alias_of(&self, subject: &QualifiedSubject) -> Result<Option<QualifiedSubject>> {
        if subject.is_context_only() {
            return Ok(None);
        }
        let Some(config) = self.config_at(&subject.scope()).await? else {
            return Ok(None);
        };
        Ok(config
            .alias
            .filter(|alias| !alias.is_empty())
            .map(|alias| {
                let target = QualifiedSubject::parse(&alias);
                if alias.starts_with(":.") {
                    target
                } else {
                    QualifiedSubject::in_context(&subject.context, &target.name)
                }
            })
            .filter(|target| target != subject))
    }

    /// `GET /config`: the global config, or the server default.
    pub async fn global_config(&self) -> Result<Config> {
        let mut config = self.config_at("").await?.unwrap_or_default();
        if config.compatibility_level.is_none() {
            config.compatibility_level = Some(self.options.default_compatibility.as_str().into());
        }
        Ok(config)
    }

    /// Partial update of the config at `subject`'s scope; returns the stored result.
    pub async fn update_config(
        &self,
        subject: &QualifiedSubject,
        update: Config,
    ) -> Result<Config> {
        subject.validate_for_write()?;
        if let Some(level) = &update.compatibility_level {
            CompatibilityLevel::from_str(level)
                .map_err(|_| RegistryError::InvalidCompatibilityLevel)?;
        }
        for rules in [&update.default_rule_set, &update.override_rule_set] {
            validate_rule_set(rules.as_ref())?;
        }
        for metadata in [&update.default_metadata, &update.override_metadata] {
            validate_metadata(metadata.as_ref())?;
        }
        self.ensure_writable(subject).await?;
        let scope = subject.scope();
        let mut tx = self.store.begin_write().await?;
        let mut config = tx.config(&scope).await?.unwrap_or_default();
        config.apply(update);
        if let Some(level) = &config.compatibility_level {
            let level = CompatibilityLevel::from_str(level)
                .map_err(|_| RegistryError::InvalidCompatibilityLevel)?;
            config.compatibility_level = Some(level.as_str().to_string());
        }
        tx.put_config(&scope, &config).await?;
        self.commit_settings_change(tx).await?;
        Ok(config)
    }

    /// Remove the config at a scope; returns what was there.
    pub async fn delete_config(&self, subject: &QualifiedSubject) -> Result<Option<Config>> {
        self.ensure_writable(subject).await?;
        let scope = subject.scope();
        let mut tx = self.store.begin_write().await?;
        let old = tx.config(&scope).await?;
        tx.delete_config(&scope).await?;
        self.commit_settings_change(tx).await?;
        Ok(old)
    }

    /// The mode that applies to `subject`, kept like [`Self::effective_config`].
    pub async fn effective_mode(&self, subject: &QualifiedSubject) -> Result<Mode> {
        // A follower is read-only everywhere: the followed registry takes the writes.
        if self.follow.is_following() {
            return Ok(Mode::ReadOnly);
        }
        let resolve = self.resolve_mode(subject);
        self.config_mode_cache
            .effective_mode(&subject.qualified(), resolve)
            .await
    }

    async fn resolve_mode(&self, subject: &QualifiedSubject) -> Result<Mode> {
        // A global READONLY_OVERRIDE beats every subject-level mode.
        let global = self.mode_at("").await?;
        if global == Some(Mode::ReadOnlyOverride) {
            return Ok(Mode::ReadOnlyOverride);
        }
        for scope in chain(subject) {
            if let Some(mode) = self.mode_at(&scope).await? {
                return Ok(mode);
            }
        }
        Ok(Mode::ReadWrite)
    }

    pub async fn mode_at(&self, scope: &str) -> Result<Option<Mode>> {
        if let Some(all) = self.all_settings().await? {
            return Ok(all.modes.get(scope).copied());
        }
        let load = async { Ok::<_, RegistryError>(self.store.mode(scope).await?) };
        self.config_mode_cache.mode(scope, load).await
    }

    /// Commit a config or mode change and make every process forget the old settings.
    pub(super) async fn commit_settings_change(&self, mut tx: WriteTx<'_>) -> Result<()> {
        tx.announce_settings_changed().await?;
        tx.commit().await?;
        self.config_mode_cache.clear();
        Ok(())
    }

    /// Set the mode of a scope. Switching to IMPORT needs an empty scope unless forced.
    pub async fn set_mode(
        &self,
        subject: &QualifiedSubject,
        mode: Mode,
        force: bool,
    ) -> Result<()> {
        subject.validate_for_write()?;
        self.ensure_not_following(subject).await?;
        let scope = subject.scope();
        if mode == Mode::Forward && !scope.is_empty() {
            return Err(RegistryError::InvalidMode(
                "Forward mode only supported on global level".into(),
            ));
        }
        let to_purge = if mode == Mode::Import && !force {
            self.subjects_to_purge_for_import(subject).await?
        } else {
            Vec::new()
        };
        let mut tx = self.store.begin_write().await?;
        let purged = self.purge_soft_deleted(&mut tx, &to_purge).await?;
        tx.put_mode(&scope, mode).await?;
        self.commit_settings_change(tx).await?;
        self.forget_purged(&purged).await;
        Ok(())
    }

    /// Switching a scope to IMPORT (unless forced or already importing) needs it free of live
    /// subjects; its soft-deleted subjects are hard-deleted first (`docs/rest-api.md` §5.6).
    async fn subjects_to_purge_for_import(
        &self,
        subject: &QualifiedSubject,
    ) -> Result<Vec<SubjectSummary>> {
        if self.effective_mode(subject).await? == Mode::Import {
            return Ok(Vec::new());
        }
        let in_scope = self.subjects_in_scope(subject).await?;
        if in_scope.iter().any(|s| !s.all_deleted) {
            return Err(RegistryError::OperationNotPermitted(
                "Cannot import since found existing subjects".into(),
            ));
        }
        Ok(in_scope)
    }

    /// Remove the mode of a scope (and, with `recursive`, of every subject in a context).
    pub async fn delete_mode(
        &self,
        subject: &QualifiedSubject,
        recursive: bool,
    ) -> Result<Option<Mode>> {
        self.ensure_not_following(subject).await?;
        let scope = subject.scope();
        let old = self.mode_at(&scope).await?;
        let mut tx = self.store.begin_write().await?;
        tx.delete_mode(&scope).await?;
        if recursive && subject.is_context_only() {
            if subject.is_default_context() {
                tx.delete_default_context_subject_modes().await?;
            } else {
                tx.delete_modes_with_prefix(&scope).await?;
            }
        }
        self.commit_settings_change(tx).await?;
        Ok(old)
    }

    /// The subjects a mode change of `subject`'s scope covers: the one subject, one context,
    /// or (global scope) every context.
    async fn subjects_in_scope(&self, subject: &QualifiedSubject) -> Result<Vec<SubjectSummary>> {
        let mut subjects = self.store.subjects().await?;
        subjects.retain(|s| {
            if subject.is_context_only() {
                subject.scope().is_empty() || s.context == subject.context
            } else {
                s.context == subject.context && s.subject == subject.name
            }
        });
        Ok(subjects)
    }

    /// Mode changes (allowed in READONLY) and context deletes are refused while following:
    /// the followed registry's topic decides them.
    /// So are they while another server on the same database follows (its mark in the
    /// store, docs/migration.md §6.4).
    pub(super) async fn ensure_not_following(&self, subject: &QualifiedSubject) -> Result<()> {
        match self.followed_source().await? {
            Some(who) => Err(read_only_while_following(subject, &who)),
            None => Ok(()),
        }
    }

    /// Config and data writes are refused in read-only modes, and while this server or
    /// another on the same database follows a storage topic.
    pub(super) async fn ensure_writable(&self, subject: &QualifiedSubject) -> Result<()> {
        if self.effective_mode(subject).await?.is_read_only() {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {} in context {} is in read-only mode",
                subject.name, subject.context
            )));
        }
        self.ensure_not_following(subject).await
    }
}

/// CSR's READONLY refusal (42205), saying who follows which topic.
pub(super) fn read_only_while_following(subject: &QualifiedSubject, who: &str) -> RegistryError {
    RegistryError::OperationNotPermitted(format!(
        "Subject {} in context {} is in read-only mode: {who}",
        subject.name, subject.context
    ))
}
