//! `schemata follow [--stop]`: the follower's status of a running `schemata serve
//! --follow-kafka` (`GET /v1/follow`), or the cut-over (`POST /v1/follow/stop`,
//! docs/migration.md §6.1): the status is printed as JSON; with `--stop`, exit 1 when the
//! server was behind the topic when it stopped, or was not following. `--stop
//! --database-url` removes a crashed follower's mark from the database instead
//! (docs/migration.md §6.4): exit 1 when there was none.

use super::options::FollowArgs;
use super::registry_client;
use crate::store::{Store, StoreOptions};
use anyhow::Context as _;
use serde_json::{json, Value};
use std::process::ExitCode;

pub(super) async fn run(args: FollowArgs) -> anyhow::Result<ExitCode> {
    if let Some(url) = &args.database_url {
        return clear_mark(url).await;
    }
    let client = registry_client(&args.registry)?;
    let status: Value = if args.stop {
        client.post_json("/v1/follow/stop", json!({})).await?
    } else {
        client.get_json("/v1/follow").await?
    };
    println!("{status}");
    if !args.stop {
        return Ok(ExitCode::SUCCESS);
    }
    if status["stopped"] != true {
        eprintln!("the server was not following a storage topic");
        return Ok(ExitCode::from(1));
    }
    let lag = status["lagRecords"].as_i64().unwrap_or(0);
    if lag > 0 {
        eprintln!(
            "stopped {lag} record(s) behind the topic's end: records written after the stop are not applied"
        );
        return Ok(ExitCode::from(1));
    }
    eprintln!("stopped following at lag 0: the server takes writes now (as its modes allow)");
    Ok(ExitCode::SUCCESS)
}

/// Remove the follower's mark straight from the database; exit 1 when there was none.
async fn clear_mark(url: &str) -> anyhow::Result<ExitCode> {
    let options = StoreOptions {
        max_connections: Some(1),
        ..StoreOptions::default()
    };
    let store = Store::connect(url, &options)
        .await
        .context("cannot open the database")?;
    match store.clear_follower().await? {
        Some(mark) => {
            println!(
                "{}",
                json!({"cleared": true, "source": mark.source, "since": mark.since})
            );
            eprintln!(
                "removed the mark of the follower of {}: servers on this database take writes now (as their modes allow)",
                mark.source
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!("{}", json!({"cleared": false}));
            eprintln!("no server was marked as following on this database");
            Ok(ExitCode::from(1))
        }
    }
}
