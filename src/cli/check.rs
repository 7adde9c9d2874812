//! `schemata check`: is a new schema compatible with its history? Offline (files) or against
//! a registry subject (the compatibility endpoint, at the subject's configured level).
//! Exit 0 compatible, 1 incompatible (every reason printed), 2 invalid input or usage, 3 the
//! registry unreachable or failing.

use super::options::CheckArgs;
use super::{read_file, registry_client, registry_references};
use anyhow::{anyhow, Context};
use schemata_client::{Schema, SchemaType, VersionSelector};
use schemata_compat::{CompatibilityLevel, ParseOptions, ParsedSchema, ResolvedReference};
use std::process::ExitCode;
use std::str::FromStr;

pub(super) async fn run(args: CheckArgs) -> ExitCode {
    let outcome = if args.subject.is_some() {
        against_registry(&args).await
    } else {
        offline(&args)
    };
    match outcome {
        Ok((is_compatible, messages)) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({ "is_compatible": is_compatible, "messages": messages })
                );
            } else if is_compatible {
                println!("compatible");
            } else {
                for m in &messages {
                    println!("{m}");
                }
            }
            if is_compatible {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            let code = super::client_failure(&e);
            if args.json {
                // CI reads stdout: one object there for a failure too.
                println!("{}", super::failure_json(&e));
            }
            code
        }
    }
}

fn schema_type(s: &str) -> anyhow::Result<SchemaType> {
    SchemaType::from_str(s).map_err(|e| anyhow!(e))
}

fn offline(args: &CheckArgs) -> anyhow::Result<(bool, Vec<String>)> {
    let schema_type = schema_type(&args.schema_type)?.to_compat();
    let level = CompatibilityLevel::from_str(&args.level)
        .map_err(|()| anyhow!("invalid --level {:?}", args.level))?;
    let references = args
        .refs
        .iter()
        .map(|r| {
            let (name, file) = r
                .split_once('=')
                .with_context(|| format!("--ref {r:?} is not NAME=FILE"))?;
            Ok(ResolvedReference {
                name: name.to_owned(),
                schema_type,
                schema: read_file(std::path::Path::new(file))?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let parse = |path: &std::path::Path, validate: bool| -> anyhow::Result<ParsedSchema> {
        let text = read_file(path)?;
        ParsedSchema::parse(
            schema_type,
            &text,
            &references,
            ParseOptions {
                validate,
                normalize: false,
            },
        )
        .with_context(|| format!("{} is not a valid {schema_type} schema", path.display()))
    };
    let new = parse(&args.new, true)?;
    let old = args
        .old
        .iter()
        .map(|p| parse(p, false).map(|s| (p, s)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if level == CompatibilityLevel::None || old.is_empty() {
        return Ok((true, Vec::new()));
    }
    // Newest first; non-transitive levels look at the newest only.
    let considered = if level.is_transitive() { old.len() } else { 1 };
    let mut messages = Vec::new();
    for (path, previous) in old.iter().rev().take(considered) {
        for m in level.check_pair(&new, previous) {
            let m = if considered > 1 {
                format!("{}: {m}", path.display())
            } else {
                m
            };
            if !messages.contains(&m) {
                messages.push(m);
            }
        }
    }
    Ok((messages.is_empty(), messages))
}

async fn against_registry(args: &CheckArgs) -> anyhow::Result<(bool, Vec<String>)> {
    let subject = args.subject.as_deref().unwrap_or_default();
    let client = registry_client(&args.registry)?;
    let schema = Schema::new(schema_type(&args.schema_type)?, read_file(&args.new)?)
        .with_references(registry_references(&client, &args.refs).await?);
    match client
        .test_compatibility(subject, VersionSelector::All, &schema)
        .await
    {
        Ok(result) => Ok((result.is_compatible, result.messages)),
        // A subject with no versions yet accepts any valid schema.
        Err(e) if e.error_code() == Some(40401) => Ok((true, Vec::new())),
        Err(e) => Err(e.into()),
    }
}
