//! A Schemata's REST API as the import target (`--to URL`): what the target holds is read
//! with `GET`s, and schemas are written as IMPORT-mode registrations carrying their id and
//! version (docs/rest-api.md §3.7), soft-deleted versions deleted after. The target is put
//! in IMPORT mode (global and `.__GLOBAL`, with `force=true`) for the writes and given its
//! modes back after them. Registration times (`ts`) are the target's own. What the source
//! removed for good (a Kafka storage topic's permanent deletes) is deleted as a client
//! would: soft, then `?permanent=true`.

use crate::domain::{Config, Mode, QualifiedSubject};
use crate::registry::{Examination, ImportedSchema};
use anyhow::Context as _;
use schemata_client::{path_segment, SchemaRegistryClient};
use schemata_compat::{ParseOptions, ParsedSchema, ResolvedReference, SchemaType};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Mutex;

/// How deep a chain of references the comparison of spellings follows (`same_canonical_text`).
const MAX_REFERENCE_DEPTH: usize = 16;

pub(super) struct RestTarget {
    client: SchemaRegistryClient,
    /// The modes stored at the global and `.__GLOBAL` scopes before `begin_writes`.
    saved_modes: Mutex<Vec<(String, Option<String>)>>,
}

/// The scopes whose mode `begin_writes` sets: every subject of every context resolves
/// through one of them when it has no mode of its own (docs/rest-api.md §5.4).
const IMPORT_SCOPES: [&str; 2] = [":.:", ":.__GLOBAL:"];

#[derive(Debug, Deserialize)]
struct VersionBody {
    id: i64,
    #[serde(default)]
    deleted: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaBody {
    schema: String,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<crate::domain::SchemaReference>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    rule_set: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ModeBody {
    mode: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IdBody {
    id: i64,
}

impl RestTarget {
    pub(super) fn new(client: SchemaRegistryClient) -> Self {
        RestTarget {
            client,
            saved_modes: Mutex::new(Vec::new()),
        }
    }

    /// A GET; `None` on 404.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<Option<T>> {
        match self.client.get_json::<T>(path).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context(format!("GET {path} from the target"))),
        }
    }

    fn version_path(schema: &ImportedSchema, subject: &str, version: i64) -> String {
        let qualified = QualifiedSubject::in_context(&schema.context, subject).qualified();
        format!(
            "/subjects/{}/versions/{version}?deleted=true",
            path_segment(&qualified)
        )
    }

    fn body(schema: &ImportedSchema) -> Value {
        let mut body = json!({
            "schema": schema.schema,
            "schemaType": schema.schema_type,
            "references": schema.references,
        });
        if let Some(metadata) = &schema.metadata {
            body["metadata"] = metadata.clone();
        }
        if let Some(rule_set) = &schema.rule_set {
            body["ruleSet"] = rule_set.clone();
        }
        body
    }

    /// Whether the target holds something a source removed for good.
    pub(super) async fn holds(&self, removal: &super::Removal) -> anyhow::Result<bool> {
        use super::Removal;
        Ok(match removal {
            Removal::Version {
                context,
                subject,
                version,
                id,
            } => {
                let qualified = QualifiedSubject::in_context(context, subject).qualified();
                let path = format!(
                    "/subjects/{}/versions/{version}?deleted=true",
                    path_segment(&qualified)
                );
                match self.get::<VersionBody>(&path).await? {
                    Some(held) => id.is_none_or(|id| id == held.id),
                    None => false,
                }
            }
            Removal::Config { scope } => self.stored_config(scope).await?.is_some(),
            Removal::Mode { scope } => self.stored_mode(scope).await?.is_some(),
        })
    }

    /// Replay a removal of the source: a version deleted for good is soft-deleted (unless it
    /// is already) then deleted with `?permanent=true`, as a client of the target would; a
    /// config or mode is deleted. `false` when the target did not hold it (a version under
    /// another id than the source's is left alone, as into a database).
    pub(super) async fn remove(&self, removal: &super::Removal) -> anyhow::Result<bool> {
        use super::Removal;
        if !self.holds(removal).await? {
            return Ok(false);
        }
        let delete = |path: String| async move {
            self.client
                .delete_json::<Value>(&path)
                .await
                .with_context(|| format!("DELETE {path} on the target"))
        };
        match removal {
            Removal::Version {
                context,
                subject,
                version,
                ..
            } => {
                let qualified = QualifiedSubject::in_context(context, subject).qualified();
                let path = format!("/subjects/{}/versions/{version}", path_segment(&qualified));
                let held = self
                    .get::<VersionBody>(&format!("{path}?deleted=true"))
                    .await?;
                if held.is_some_and(|v| !v.deleted) {
                    delete(path.clone()).await?;
                }
                delete(format!("{path}?permanent=true")).await?;
            }
            Removal::Config { scope } => {
                delete(Self::scope_path("config", scope)).await?;
            }
            Removal::Mode { scope } => {
                delete(Self::scope_path("mode", scope)).await?;
            }
        }
        Ok(true)
    }

    pub(super) async fn examine(&self, schema: &ImportedSchema) -> anyhow::Result<Examination> {
        let mut found = Examination::default();
        let mut present_in = None;
        for v in &schema.versions {
            let path = Self::version_path(schema, &v.subject, v.version);
            match self.get::<VersionBody>(&path).await? {
                None => found.versions_missing += 1,
                Some(e) if e.id != schema.id => found.conflicts.push(format!(
                    "subject {} version {} holds schema id {} in the target, id {} in the source",
                    v.subject, v.version, e.id, schema.id
                )),
                Some(e) if e.deleted && !v.deleted => found.conflicts.push(format!(
                    "subject {} version {} is soft-deleted in the target and live in the source",
                    v.subject, v.version
                )),
                Some(e) => {
                    if !e.deleted && v.deleted {
                        found.versions_missing += 1;
                    }
                    present_in = Some(v.subject.clone());
                }
            }
        }
        let any_subject = schema
            .versions
            .first()
            .map(|v| v.subject.as_str())
            .unwrap_or("");
        let qualified = QualifiedSubject::in_context(&schema.context, any_subject).qualified();
        let path = format!(
            "/schemas/ids/{}?subject={}",
            schema.id,
            path_segment(&qualified)
        );
        let Some(stored) = self.get::<SchemaBody>(&path).await? else {
            found.schema_missing = true;
            return Ok(found);
        };
        let same_contract = stored.schema_type.as_deref().unwrap_or("AVRO") == schema.schema_type
            && stored.references == schema.references
            && stored.metadata == schema.metadata
            && stored.rule_set == schema.rule_set;
        let same = (same_contract
            && (stored.schema == schema.schema
                || self.same_canonical_text(schema, &stored.schema).await?))
            || match &present_in {
                // The target's canonical text may differ from the source's: ask the target
                // whether the incoming schema is the one it holds in that subject.
                Some(subject) => self.looked_up_id(schema, subject).await? == Some(schema.id),
                None => false,
            };
        if !same {
            found.conflicts.push(format!(
                "schema id {} in context {} holds a different schema in the target",
                schema.id, schema.context
            ));
        }
        Ok(found)
    }

    /// Whether the target's text `stored` is the incoming schema's text in another spelling:
    /// both parsed here as the target stores imported schemas (neither validated nor
    /// normalised), against the referenced schemas as the target holds them, give the same
    /// canonical text (the caller compared type, references, metadata and rule set).
    /// `false` when either does not parse here; the target's lookup decides then.
    async fn same_canonical_text(
        &self,
        schema: &ImportedSchema,
        stored: &str,
    ) -> anyhow::Result<bool> {
        let wire = match schema.schema_type.as_str() {
            "" => "AVRO",
            other => other,
        };
        let Some(schema_type) = SchemaType::from_wire(wire) else {
            return Ok(false);
        };
        let Some(references) = self
            .resolved_references(&schema.context, &schema.references)
            .await?
        else {
            return Ok(false);
        };
        let options = ParseOptions {
            validate: false,
            normalize: false,
        };
        let canonical = |text: &str| {
            ParsedSchema::parse(schema_type, text, &references, options)
                .ok()
                .map(|parsed| parsed.canonical().to_string())
        };
        Ok(match (canonical(&schema.schema), canonical(stored)) {
            (Some(incoming), Some(held)) => incoming == held,
            _ => false,
        })
    }

    /// The schemas `references` name, as the target holds them, each after its own
    /// references (the order a parse needs them in); `None` if one is missing or the chain
    /// is deeper than [`MAX_REFERENCE_DEPTH`].
    async fn resolved_references(
        &self,
        context: &str,
        references: &[crate::domain::SchemaReference],
    ) -> anyhow::Result<Option<Vec<ResolvedReference>>> {
        let mut resolved = Vec::new();
        // (reference, depth, whether its own references are already in `resolved`)
        let mut pending: Vec<(crate::domain::SchemaReference, usize, bool)> = references
            .iter()
            .rev()
            .map(|r| (r.clone(), 0, false))
            .collect();
        let mut seen = std::collections::HashSet::new();
        while let Some((reference, depth, expanded)) = pending.pop() {
            if depth > MAX_REFERENCE_DEPTH {
                return Ok(None);
            }
            let subject = if reference.subject.starts_with(":.") {
                reference.subject.clone()
            } else {
                QualifiedSubject::in_context(context, &reference.subject).qualified()
            };
            let path = format!(
                "/subjects/{}/versions/{}?deleted=true",
                path_segment(&subject),
                reference.version
            );
            let Some(body) = self.get::<SchemaBody>(&path).await? else {
                return Ok(None);
            };
            if !expanded && !body.references.is_empty() {
                pending.push((reference, depth, true));
                pending.extend(
                    body.references
                        .iter()
                        .rev()
                        .map(|r| (r.clone(), depth + 1, false)),
                );
                continue;
            }
            let wire = body.schema_type.as_deref().unwrap_or("AVRO");
            let Some(schema_type) = SchemaType::from_wire(wire) else {
                return Ok(None);
            };
            if seen.insert((subject, reference.version, reference.name.clone())) {
                resolved.push(ResolvedReference {
                    name: reference.name,
                    schema_type,
                    schema: body.schema,
                });
            }
        }
        Ok(Some(resolved))
    }

    /// The id the target answers for the incoming schema in `subject` (lookup). Under a
    /// subject whose config has `normalize: true` the lookup normalises the incoming text
    /// and cannot find an imported one, which is stored as sent: `same_canonical_text`
    /// answers first where it can.
    async fn looked_up_id(
        &self,
        schema: &ImportedSchema,
        subject: &str,
    ) -> anyhow::Result<Option<i64>> {
        let qualified = QualifiedSubject::in_context(&schema.context, subject).qualified();
        let path = format!("/subjects/{}?deleted=true", path_segment(&qualified));
        match self
            .client
            .post_json::<IdBody>(&path, Self::body(schema))
            .await
        {
            Ok(found) => Ok(Some(found.id)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context(format!("POST {path} to the target"))),
        }
    }

    pub(super) async fn references_present(&self, schema: &ImportedSchema) -> anyhow::Result<bool> {
        for r in &schema.references {
            let subject = if r.subject.starts_with(":.") {
                r.subject.clone()
            } else {
                QualifiedSubject::in_context(&schema.context, &r.subject).qualified()
            };
            let path = format!(
                "/subjects/{}/versions/{}?deleted=true",
                path_segment(&subject),
                r.version
            );
            if self.get::<Value>(&path).await?.is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub(super) async fn import_schema(&self, schema: &ImportedSchema) -> anyhow::Result<usize> {
        let mut written = 0;
        for v in &schema.versions {
            let qualified = QualifiedSubject::in_context(&schema.context, &v.subject).qualified();
            let segment = path_segment(&qualified);
            let existing = self
                .get::<VersionBody>(&Self::version_path(schema, &v.subject, v.version))
                .await?;
            let mut changed = false;
            if existing.is_none() {
                let mut body = Self::body(schema);
                body["id"] = json!(schema.id);
                body["version"] = json!(v.version);
                let path = format!("/subjects/{segment}/versions");
                let registered: IdBody = self
                    .client
                    .post_json(&path, body)
                    .await
                    .with_context(|| format!("POST {path} to the target"))?;
                if registered.id != schema.id {
                    anyhow::bail!(
                        "the target registered schema id {} of the source as id {}",
                        schema.id,
                        registered.id
                    );
                }
                changed = true;
            }
            if v.deleted && existing.is_none_or(|e| !e.deleted) {
                let path = format!("/subjects/{segment}/versions/{}", v.version);
                self.client
                    .delete_json::<Value>(&path)
                    .await
                    .with_context(|| format!("DELETE {path} on the target"))?;
                changed = true;
            }
            written += usize::from(changed);
        }
        Ok(written)
    }

    fn scope_path(resource: &str, scope: &str) -> String {
        if scope.is_empty() {
            format!("/{resource}/{}", path_segment(":.:"))
        } else {
            format!("/{resource}/{}", path_segment(scope))
        }
    }

    pub(super) async fn stored_config(&self, scope: &str) -> anyhow::Result<Option<Config>> {
        self.get(&Self::scope_path("config", scope)).await
    }

    pub(super) async fn stored_mode(&self, scope: &str) -> anyhow::Result<Option<Mode>> {
        let body: Option<ModeBody> = self.get(&Self::scope_path("mode", scope)).await?;
        Ok(body.and_then(|b| b.mode).and_then(|m| Mode::parse(&m)))
    }

    pub(super) async fn import_config(&self, scope: &str, config: &Config) -> anyhow::Result<bool> {
        if self.stored_config(scope).await?.as_ref() == Some(config) {
            return Ok(false);
        }
        let path = Self::scope_path("config", scope);
        self.client
            .put_json::<Value>(&path, serde_json::to_value(config)?)
            .await
            .with_context(|| format!("PUT {path} on the target"))?;
        Ok(true)
    }

    pub(super) async fn import_mode(&self, scope: &str, mode: Mode) -> anyhow::Result<bool> {
        if self.stored_mode(scope).await? == Some(mode) {
            return Ok(false);
        }
        self.put_mode(scope, Some(mode.as_str())).await?;
        Ok(true)
    }

    async fn put_mode(&self, scope: &str, mode: Option<&str>) -> anyhow::Result<()> {
        let path = format!("{}?force=true", Self::scope_path("mode", scope));
        self.client
            .put_json::<Value>(&path, json!({ "mode": mode }))
            .await
            .with_context(|| format!("PUT {path} on the target"))?;
        Ok(())
    }

    pub(super) async fn begin_writes(&self) -> anyhow::Result<()> {
        let mut saved = Vec::new();
        for scope in IMPORT_SCOPES {
            let body: Option<ModeBody> = self.get(&Self::scope_path("mode", scope)).await?;
            saved.push((scope.to_string(), body.and_then(|b| b.mode)));
            self.put_mode(scope, Some("IMPORT")).await?;
        }
        *self.saved_modes.lock().expect("not poisoned") = saved;
        Ok(())
    }

    pub(super) async fn end_writes(&self) -> anyhow::Result<()> {
        let saved = std::mem::take(&mut *self.saved_modes.lock().expect("not poisoned"));
        for (scope, mode) in saved {
            self.put_mode(&scope, mode.as_deref()).await?;
        }
        Ok(())
    }
}
