//! `schemata import`: one engine fed by two sources — an export file (`source_file.rs`) or
//! a registry's REST API (`source_rest.rs`) — writing to one of two targets (`target.rs`:
//! the store, or a Schemata's REST API), that checks the whole import against the target
//! first (`plan.rs`: conflicts refuse it before anything is written), writes it
//! idempotently (`apply.rs`, so a re-run is a no-op and an interrupted run resumes), then
//! verifies it (`verify.rs`). docs/migration.md describes it for users.

mod apply;
mod examine;
mod plan;
mod progress;
mod source_file;
mod source_rest;
mod target;
mod target_rest;
mod verify;

use super::options::ImportArgs;
use crate::domain::{Config, Mode};
use crate::registry::{ImportedSchema, Registry, RegistryOptions};
use crate::store::Store;
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;
use target::Target;

/// One thing to import, whichever source it came from.
#[derive(Debug, Clone)]
pub(super) enum Item {
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
}

/// Where the items come from. A file is read again for each pass (planning, writing,
/// verifying), so it is never held in memory; a REST crawl is read once and kept.
pub(super) enum Source {
    File(source_file::FileSource),
    Crawled(Vec<Item>),
}

impl Source {
    /// The items, in source order.
    fn items(&self) -> anyhow::Result<Box<dyn Iterator<Item = anyhow::Result<Item>> + '_>> {
        match self {
            Source::File(file) => Ok(Box::new(file.items()?)),
            Source::Crawled(items) => Ok(Box::new(items.iter().cloned().map(Ok))),
        }
    }
}

pub(super) async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    if args.from.is_none() && (args.context.is_some() || !args.subjects.is_empty()) {
        anyhow::bail!("--context and --subjects apply to --from URL only");
    }
    let source = match (&args.from_file, &args.from) {
        (Some(path), None) => {
            let file = source_file::FileSource::open(path)?;
            if !file.complete() {
                eprintln!(
                    "warning: {} has no end record: the export was cut short; importing what it holds",
                    path.display()
                );
            }
            Source::File(file)
        }
        (None, Some(url)) => {
            let crawl = source_rest::Crawl::new(url, &args)?;
            Source::Crawled(crawl.run().await?)
        }
        _ => anyhow::bail!("give exactly one of --from-file FILE and --from URL"),
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
            Target::Store(Arc::new(Registry::new(store, RegistryOptions::default())))
        }
    };
    let plan = plan::plan(&registry, &source).await?;
    plan.report();
    if !plan.conflicts.is_empty() {
        for conflict in &plan.conflicts {
            eprintln!("conflict: {conflict}");
        }
        eprintln!(
            "refused: {} conflict(s) with what the target holds; nothing was written",
            plan.conflicts.len()
        );
        return Ok(ExitCode::from(1));
    }
    if args.dry_run {
        println!("dry run: nothing was written");
        return Ok(ExitCode::SUCCESS);
    }
    let applied = apply::apply(&registry, &source).await?;
    applied.report();
    let problems = verify::verify(&registry, &source).await?;
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("verification: {problem}");
        }
        anyhow::bail!("verification failed: {} difference(s)", problems.len());
    }
    println!(
        "verified: {} schemas, {} versions, {} configs, {} modes as in the source",
        plan.schemas, plan.versions, plan.configs, plan.modes
    );
    if let Source::File(file) = &source {
        if !file.complete() {
            eprintln!("the file has no end record: run the import again with the complete export");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
