//! `schemata import`: one engine fed by three sources — an export file (`source_file.rs`),
//! a registry's REST API (`source_rest.rs`) or a registry's Kafka storage topic
//! (`source_kafka.rs`, read by `cli::kafka`) — writing to one of two targets (`target.rs`:
//! the store, or a Schemata's REST API), that checks the whole import against the target
//! first (`plan.rs`: conflicts refuse it before anything is written), writes it
//! idempotently (`apply.rs`, so a re-run is a no-op and an interrupted run resumes), then
//! verifies it (`verify.rs`). docs/migration.md describes it for users.

mod apply;
pub(in crate::cli) mod body_file;
mod examine;
mod plan;
mod progress;
mod source_file;
mod source_kafka;
mod source_rest;
mod spill;
mod target;
mod target_rest;
mod verify;

use super::kafka::Fold;
use super::options::ImportArgs;
use crate::domain::{Config, Mode};
use crate::registry::{ImportedSchema, Registry, RegistryOptions};
use crate::store::Store;
use anyhow::Context;
use progress::Display;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use target::Target;

/// The target registry's cache budget: an import reads and writes each schema a few times
/// in a row, so a server's default (64 MiB) would only hold what is done with.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// One thing to import, whichever source it came from.
#[derive(Debug, Clone)]
pub(in crate::cli) enum Item {
    Context {
        name: String,
        listed: bool,
        max_id: i64,
    },
    Schema(ImportedSchema),
    Config {
        scope: String,
        config: Config,
    },
    Mode {
        scope: String,
        mode: Mode,
    },
    /// Something the source removed for good, removed from the target if it holds it (only
    /// a Kafka storage topic records removals).
    Removed(Removal),
}

/// What a source removed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::cli) enum Removal {
    /// A permanently deleted version, with the id it held when known (removed from the
    /// target only if it holds that id there).
    Version {
        context: String,
        subject: String,
        version: i64,
        id: Option<i64>,
    },
    Config {
        scope: String,
    },
    Mode {
        scope: String,
    },
}

impl Removal {
    pub(super) fn describe(&self) -> String {
        match self {
            Removal::Version {
                context,
                subject,
                version,
                ..
            } => format!(
                "subject {} version {version}",
                crate::domain::QualifiedSubject::in_context(context, subject)
            ),
            Removal::Config { scope } => format!("the config of scope {scope:?}"),
            Removal::Mode { scope } => format!("the mode of scope {scope:?}"),
        }
    }
}

/// Where the items come from. A file is read again for each pass (planning, writing,
/// verifying), so it is never held in memory; a REST crawl and a Kafka topic are read once,
/// their schema texts kept in a temporary file (a follower's topic: in memory), and each pass
/// reads them back one at a time.
pub(super) enum Source<'a> {
    File(source_file::FileSource),
    Rest(source_rest::Crawled),
    Folded(&'a Fold),
}

impl Source<'_> {
    /// How many schemas the passes go through, when known before the first.
    fn schema_count(&self) -> Option<u64> {
        match self {
            Source::File(file) => Some(file.schemas()),
            Source::Rest(crawled) => Some(crawled.schemas.counts().0),
            Source::Folded(fold) => Some(fold.schema_count()),
        }
    }

    /// The items, in source order.
    fn items(&self) -> anyhow::Result<Box<dyn Iterator<Item = anyhow::Result<Item>> + '_>> {
        match self {
            Source::File(file) => Ok(Box::new(file.items()?)),
            Source::Rest(crawled) => Ok(Box::new(crawled.items()?)),
            Source::Folded(fold) => Ok(Box::new(fold.items()?)),
        }
    }
}

pub(super) async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    if args.from.is_none() && (args.context.is_some() || !args.subjects.is_empty()) {
        anyhow::bail!("--context and --subjects apply to --from URL only");
    }
    if args.from_kafka.is_none() && args.kafka.given() {
        anyhow::bail!("--topic, --kafka-option and --kafka-config apply to --from-kafka only");
    }
    let out = Output::Print(Display::choose(args.quiet, std::io::stderr().is_terminal()));
    let fold;
    let source = match (&args.from_file, &args.from, &args.from_kafka) {
        (None, None, Some(bootstrap)) => {
            fold = source_kafka::read(bootstrap, &args.kafka).await?;
            Source::Folded(&fold)
        }
        (Some(path), None, None) => {
            let file = source_file::FileSource::open(path)?;
            if !file.complete() {
                eprintln!(
                    "warning: {} has no end record: the export was cut short; importing what it holds",
                    path.display()
                );
            }
            Source::File(file)
        }
        (None, Some(url), None) => {
            let crawl = source_rest::Crawl::new(url, &args)?;
            Source::Rest(crawl.run(out).await?)
        }
        _ => anyhow::bail!(
            "give exactly one of --from-file FILE, --from URL and --from-kafka BOOTSTRAP"
        ),
    };
    let registry = match &args.to {
        Some(url) => {
            let mut target = args.registry.clone();
            target.registry_url = Some(url.clone());
            target.basic_auth = args.to_basic_auth.clone();
            target.bearer_token = args.to_bearer_token.clone();
            let client = super::registry_client(&target)?;
            Target::Rest(Arc::new(target_rest::RestTarget::new(client)))
        }
        None => {
            let store = Store::connect(&args.database.database_url, &args.database.store_options())
                .await
                .context("cannot open the target database")?;
            Target::Store(Arc::new(Registry::new(
                store,
                RegistryOptions {
                    cache_bytes: CACHE_BYTES,
                    ..RegistryOptions::default()
                },
            )))
        }
    };
    let Some(plan) = checked_plan(&registry, &source, out).await? else {
        return Ok(ExitCode::from(1));
    };
    if args.dry_run {
        println!("dry run: nothing was written");
        return Ok(ExitCode::SUCCESS);
    }
    apply_and_verify(&registry, &source, &plan, out).await?;
    if let Source::File(file) = &source {
        if !file.complete() {
            eprintln!("the file has no end record: run the import again with the complete export");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the engine reports: `schemata import` prints (the plan and the summary on stdout,
/// progress and problems on stderr, progress as `Display` says), a following server logs.
#[derive(Debug, Clone, Copy)]
pub(super) enum Output {
    Print(Display),
    Log,
}

impl Output {
    /// A result line.
    pub(super) fn line(self, text: &str) {
        match self {
            Output::Print(_) => println!("{text}"),
            Output::Log => tracing::info!("{text}"),
        }
    }

    /// A progress line or a problem.
    pub(super) fn note(self, text: &str) {
        match self {
            Output::Print(_) => eprintln!("{text}"),
            Output::Log => tracing::warn!("{text}"),
        }
    }
}

/// The plan, reported; `None` (with every conflict reported) when conflicts refuse the
/// import.
async fn checked_plan(
    target: &Target,
    source: &Source<'_>,
    out: Output,
) -> anyhow::Result<Option<plan::Plan>> {
    let plan = plan::plan(target, source, out).await?;
    out.line(&plan.line());
    if plan.conflicts.is_empty() {
        return Ok(Some(plan));
    }
    for conflict in &plan.conflicts {
        out.note(&format!("conflict: {conflict}"));
    }
    out.note(&format!(
        "refused: {} conflict(s) with what the target holds; nothing was written",
        plan.conflicts.len()
    ));
    Ok(None)
}

async fn apply_and_verify(
    target: &Target,
    source: &Source<'_>,
    plan: &plan::Plan,
    out: Output,
) -> anyhow::Result<()> {
    let applied = apply::apply(target, source, out).await?;
    out.line(&applied.line());
    let problems = verify::verify(target, source, out).await?;
    if !problems.is_empty() {
        for problem in &problems {
            out.note(&format!("verification: {problem}"));
        }
        anyhow::bail!("verification failed: {} difference(s)", problems.len());
    }
    out.line(&format!(
        "verified: {} schemas, {} versions, {} configs, {} modes as in the source{}",
        plan.schemas,
        plan.versions,
        plan.configs,
        plan.modes,
        if plan.removals > 0 {
            format!(", {} removals absent", plan.removals)
        } else {
            String::new()
        }
    ));
    Ok(())
}

/// Bring the store behind `registry` to the state `fold` holds (a following server's start:
/// the storage topic at its end), with the import's plan, conflict refusal, writes and
/// verification, reported in the log.
pub(in crate::cli) async fn replicate(registry: Arc<Registry>, fold: &Fold) -> anyhow::Result<()> {
    let target = Target::Store(registry);
    let source = Source::Folded(fold);
    let out = Output::Log;
    let Some(plan) = checked_plan(&target, &source, out).await? else {
        anyhow::bail!("the target database holds schemas that conflict with the topic (logged above); nothing was written");
    };
    apply_and_verify(&target, &source, &plan, out).await
}

/// Apply one change of a followed topic to the store behind `registry`: a schema with the
/// versions the record wrote or soft-deleted, a config or mode, or a removal. What is
/// already there is skipped.
pub(in crate::cli) async fn apply_change(
    registry: &Arc<Registry>,
    change: &Item,
) -> anyhow::Result<()> {
    let target = Target::Store(registry.clone());
    apply::apply_one(&target, change).await
}
