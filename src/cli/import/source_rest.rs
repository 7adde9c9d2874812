//! A registry's REST API as an import source (any registry speaking Confluent's API): every
//! subject with `deleted=true`, every version with its id, type, references, metadata and
//! rule set, and the config and mode of the global scope, of each context and of each
//! subject. The crawl goes subject by subject; each schema's body goes to a temporary file
//! as it arrives (`spill.rs`), so memory holds only ids, digests and versions. Schemas come
//! out by context and id, with their versions.

use super::progress::Progress;
use super::spill::{Body, Spill};
use super::{Item, Output};
use crate::cli::options::ImportArgs;
use crate::domain::{Config, Mode, QualifiedSubject, SchemaReference, DEFAULT_CONTEXT};
use crate::registry::ImportedVersion;
use anyhow::Context as _;
use schemata_client::{path_segment, SchemaRegistryClient};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeSet, VecDeque};

pub(super) struct Crawl {
    client: SchemaRegistryClient,
    /// `--context`: where the source's default context lands.
    into_context: Option<String>,
    /// `--subjects`: glob patterns on the source's (qualified) subject names.
    patterns: Vec<String>,
}

/// `GET /subjects/{s}/versions/{v}` as any Confluent-compatible registry answers it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionBody {
    subject: Option<String>,
    version: i64,
    id: i64,
    #[serde(default)]
    schema_type: Option<String>,
    schema: String,
    #[serde(default)]
    references: Vec<SchemaReference>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    rule_set: Option<Value>,
    /// When it was registered (CSR 7.6+ and Schemata answer it).
    #[serde(default)]
    ts: Option<i64>,
}

/// What the crawl read: the schemas (their bodies in a temporary file) and the configs and
/// modes.
pub(in crate::cli) struct Crawled {
    pub(super) schemas: Spill,
    pub(super) settings: Vec<Item>,
}

impl Crawled {
    /// Every item, schemas first by context and id, then configs and modes.
    pub(super) fn items(&self) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Item>> + '_> {
        let schemas = self.schemas.schemas()?.map(|s| s.map(Item::Schema));
        Ok(schemas.chain(self.settings.iter().cloned().map(Ok)))
    }
}

#[derive(Debug, Deserialize)]
struct ModeBody {
    mode: String,
}

impl Crawl {
    pub(super) fn new(url: &str, args: &ImportArgs) -> anyhow::Result<Self> {
        let mut registry = args.registry.clone();
        registry.registry_url = Some(url.to_string());
        let client = super::super::registry_client(&registry)?;
        let into_context = args
            .context
            .as_deref()
            .map(|c| {
                let c = c.trim_matches(':');
                let c = if c.starts_with('.') {
                    c.to_string()
                } else {
                    format!(".{c}")
                };
                let valid = c.len() > 1
                    && c != ".__GLOBAL"
                    && !c.chars().any(|ch| ch == ':' || ch.is_control());
                if valid {
                    Ok(c)
                } else {
                    Err(anyhow::anyhow!("--context {c:?} is not a context name"))
                }
            })
            .transpose()?;
        Ok(Crawl {
            client,
            into_context,
            patterns: args.subjects.clone(),
        })
    }

    /// Read everything the import needs from the source registry.
    pub(super) async fn run(&self, out: Output) -> anyhow::Result<Crawled> {
        let all: Vec<String> = self
            .get("/subjects?deleted=true")
            .await?
            .unwrap_or_default();
        // Every subject queued once: the selected ones, then those they reference.
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<String> = all
            .into_iter()
            .filter(|s| self.selected(s) && seen.insert(s.clone()))
            .collect();
        let mut progress = Progress::counting(
            "reading the source",
            "subjects",
            out,
            Some(seen.len() as u64),
        );
        let mut schemas = Spill::create(&std::env::temp_dir())?;
        let mut settings = Vec::new();
        let default_mode = self.subject_mode_default().await?;
        let mut defaulted = 0u64;
        let mut done = 0;
        while let Some(subject) = queue.pop_front() {
            for referenced in self.crawl_subject(&subject, &mut schemas).await? {
                if seen.insert(referenced.clone()) {
                    queue.push_back(referenced);
                }
            }
            progress.set_total(seen.len() as u64);
            for item in self
                .settings(&subject, &self.subject_scope(&subject))
                .await?
            {
                match (&item, default_mode) {
                    (Item::Mode { mode, .. }, Some(default)) if *mode == default => defaulted += 1,
                    _ => settings.push(item),
                }
            }
            done += 1;
            progress.tick();
        }
        schemas.seal()?;
        progress.done(done);
        let (count, versions, bytes) = schemas.counts();
        progress.say(&format!(
            "read {done} subjects, {count} schemas, {versions} versions ({} KiB of schemas) from the source",
            bytes.div_ceil(1024)
        ));
        if defaulted > 0 {
            progress.say(&format!(
                "{defaulted} subject modes not imported: the source answers its global mode for a subject without a mode of its own (docs/migration.md §1.1)"
            ));
        }
        let mut all_settings = self.scope_settings().await?;
        all_settings.extend(settings);
        Ok(Crawled {
            schemas,
            settings: all_settings,
        })
    }

    fn selected(&self, subject: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| glob(p, subject))
    }

    /// The target context of a source context.
    fn context(&self, source: &str) -> String {
        match &self.into_context {
            Some(into) if source == DEFAULT_CONTEXT => into.clone(),
            _ => source.to_string(),
        }
    }

    /// The target scope of a source subject.
    fn subject_scope(&self, subject: &str) -> String {
        let parsed = QualifiedSubject::parse(subject);
        QualifiedSubject::in_context(&self.context(&parsed.context), &parsed.name).scope()
    }

    /// Every version of one subject into `schemas`; returns the subjects its schemas
    /// reference (qualified), which are imported too.
    async fn crawl_subject(
        &self,
        subject: &str,
        schemas: &mut Spill,
    ) -> anyhow::Result<Vec<String>> {
        let segment = path_segment(subject);
        let all: Vec<i64> = self
            .get(&format!("/subjects/{segment}/versions?deleted=true"))
            .await?
            .unwrap_or_default();
        let live: BTreeSet<i64> = self
            .get::<Vec<i64>>(&format!("/subjects/{segment}/versions"))
            .await?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut referenced = Vec::new();
        for version in all {
            let Some(body) = self
                .get::<VersionBody>(&format!(
                    "/subjects/{segment}/versions/{version}?deleted=true"
                ))
                .await?
            else {
                continue;
            };
            let source = QualifiedSubject::parse(body.subject.as_deref().unwrap_or(subject));
            let context = self.context(&source.context);
            for r in &body.references {
                referenced.push(if r.subject.starts_with(":.") {
                    r.subject.clone()
                } else {
                    QualifiedSubject::in_context(&source.context, &r.subject).qualified()
                });
            }
            let answered = Body {
                schema_type: body.schema_type.unwrap_or_else(|| "AVRO".into()),
                schema: body.schema,
                references: body.references,
                metadata: body.metadata,
                rule_set: body.rule_set,
            };
            schemas.add(
                &context,
                body.id,
                &answered,
                ImportedVersion {
                    subject: source.name.clone(),
                    version: body.version,
                    deleted: !live.contains(&version),
                    registered_at: body.ts,
                },
            )?;
        }
        Ok(referenced)
    }

    /// Whether the source tells a subject without a mode of its own from one with a mode:
    /// `None` when it does (CSR 7+, Schemata: 404 with 40409 for a subject that has none) or
    /// when the probe tells nothing; else the global mode, which the source then answers for
    /// every subject (Karapace does: it has no subject modes), so a subject mode equal to it
    /// is taken as none.
    async fn subject_mode_default(&self) -> anyhow::Result<Option<Mode>> {
        // A name no registry holds (time and process make it unique enough for a probe).
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let probe = format!("/mode/schemata-import-probe-{}-{nanos}", std::process::id());
        match self.client.get_json::<ModeBody>(&probe).await {
            // A mode for a subject it does not hold (Karapace 3), or "no such subject" where
            // CSR 7+ says "no mode" (Karapace 4+; CSR 6.x too): it keeps no subject modes.
            Ok(_) => {}
            Err(schemata_client::Error::Registry {
                status: 404,
                error_code,
                ..
            }) if error_code != 40409 => {}
            // 40409, or an answer that tells nothing (403 under an ACL, 5xx): the subject
            // modes are taken as answered.
            Err(schemata_client::Error::Registry { .. }) => return Ok(None),
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("GET {probe} from the source")))
            }
        }
        match self.get::<ModeBody>("/mode").await? {
            Some(body) => Ok(Mode::parse(&body.mode)),
            None => Ok(None),
        }
    }

    /// The config and mode of the global scope, of `.__GLOBAL` and of every context.
    async fn scope_settings(&self) -> anyhow::Result<Vec<Item>> {
        let mut items = Vec::new();
        let global = match &self.into_context {
            Some(into) => format!(":{into}:"),
            None => String::new(),
        };
        items.extend(self.settings("", &global).await?);
        if self.into_context.is_none() {
            items.extend(self.settings(":.__GLOBAL:", ":.__GLOBAL:").await?);
        }
        let contexts: Vec<String> = self.get("/contexts").await?.unwrap_or_default();
        for context in contexts.iter().filter(|c| c.as_str() != DEFAULT_CONTEXT) {
            let scope = format!(":{}:", self.context(context));
            items.extend(self.settings(&format!(":{context}:"), &scope).await?);
        }
        Ok(items)
    }

    /// The config and mode stored at a source scope (`""` the global one), as items for
    /// `target` scope.
    async fn settings(&self, scope: &str, target: &str) -> anyhow::Result<Vec<Item>> {
        let mut items = Vec::new();
        let path = |resource: &str| {
            if scope.is_empty() {
                format!("/{resource}")
            } else {
                format!("/{resource}/{}", path_segment(scope))
            }
        };
        if let Some(config) = self.get::<Config>(&path("config")).await? {
            items.push(Item::Config {
                scope: target.to_string(),
                config,
            });
        }
        if let Some(body) = self.get::<ModeBody>(&path("mode")).await? {
            let mode = Mode::parse(&body.mode)
                .with_context(|| format!("the source answers an unknown mode {:?}", body.mode))?;
            items.push(Item::Mode {
                scope: target.to_string(),
                mode,
            });
        }
        Ok(items)
    }

    /// A GET; `None` when the source answers 404 (nothing there) or 422 (a registry that
    /// does not know the scope, as some do for contexts).
    async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<Option<T>> {
        match self.client.get_json::<T>(path).await {
            Ok(value) => Ok(Some(value)),
            Err(schemata_client::Error::Registry { status, .. })
                if status == 404 || status == 422 =>
            {
                Ok(None)
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("GET {path} from the source"))),
        }
    }
}

/// Whether `text` matches a glob `pattern` (`*` any run of characters, `?` one character).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob("orders-*", "orders-value"));
        assert!(glob("*-value", "orders-value"));
        assert!(glob("o?ders*", "orders"));
        assert!(glob("*", ""));
        assert!(!glob("orders-*", "payments-value"));
        assert!(!glob("a?c", "ac"));
        assert!(glob(":.ctx:*", ":.ctx:a"));
    }
}
