//! `schemata register`: register a schema file under a subject; prints
//! `{"subject":..,"id":..,"version":..}` (with `--json`, a failure is an object too).

use super::options::RegisterArgs;
use super::{read_file, registry_client, registry_references};
use anyhow::anyhow;
use schemata_client::{Schema, SchemaType};
use std::process::ExitCode;
use std::str::FromStr;

pub(super) async fn run(args: RegisterArgs) -> anyhow::Result<ExitCode> {
    let client = registry_client(&args.registry)?;
    let schema_type = SchemaType::from_str(&args.schema_type).map_err(|e| anyhow!(e))?;
    let schema = Schema::new(schema_type, read_file(&args.schema)?)
        .with_references(registry_references(&client, &args.refs).await?);
    let id = client
        .register(&args.subject, &schema, args.normalize)
        .await?;
    let version = client
        .lookup(&args.subject, &schema, args.normalize)
        .await
        .map(|r| r.version)
        .ok();
    println!(
        "{}",
        serde_json::json!({ "subject": args.subject, "id": id, "version": version })
    );
    Ok(ExitCode::SUCCESS)
}
