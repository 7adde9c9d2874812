//! `schemata serve --follow-kafka` (docs/migration.md §6): the server becomes a read replica
//! of the registry whose storage topic it follows. At start the topic is read to its end and
//! the store brought to that state by the import's engine (plan with conflict refusal,
//! writes, verification, and the topic's permanent deletes); then each new record is applied
//! as it arrives, in order. Clients can read; writes are refused with CSR's READONLY answer
//! (`registry::Follow`). The lag, in records and seconds, is on `/metrics` and `GET
//! /v1/follow`; `POST /v1/follow/stop` (`schemata follow --stop`) ends the following.

use super::{fold_record, Fold, KafkaSource, TopicReader};
use crate::cli::import;
use crate::cli::options::KafkaArgs;
use crate::registry::Registry;
use crate::store::now_millis;
use std::sync::Arc;
use std::time::Duration;

/// How long one fetch waits for new records.
const POLL: Duration = Duration::from_secs(1);
/// The pause after a failed read before the next.
const RETRY: Duration = Duration::from_secs(1);

/// Catch up with the topic, then keep following it in a task of its own.
pub(in crate::cli) async fn start(
    registry: Arc<Registry>,
    bootstrap: &str,
    args: &KafkaArgs,
) -> anyhow::Result<()> {
    let source = KafkaSource::new(
        bootstrap,
        &args.topic,
        args.kafka_config.as_deref(),
        &args.kafka_option,
    )?;
    registry.start_following(source.describe()).await?;
    let mut reader = source.open().await?;
    tracing::info!(source = %source.describe(), "following: reading the topic from its start");
    let mut fold = Fold::in_memory();
    reader
        .read_to_end(|record| {
            fold_record(&mut fold, &record)?;
            registry
                .follow()
                .applied(record.offset, record.timestamp, now_millis());
            Ok(())
        })
        .await?;
    for warning in &fold.warnings {
        tracing::warn!(source = %source.describe(), "skipped: {warning}");
    }
    for _ in 0..fold.warnings_total {
        registry.follow().failed(fold.warnings.last().map_or_else(
            || "a record was skipped".into(),
            |w| format!("skipped: {w}"),
        ));
    }
    tracing::info!(source = %source.describe(), "{}", fold.summary());
    import::replicate(registry.clone(), &fold).await?;
    let position = reader.position();
    registry.follow().observe(position, position, now_millis());
    tracing::info!(source = %source.describe(), position, "following: caught up; applying new records as they arrive");
    tokio::spawn(follow(registry, reader, fold, source.describe()));
    Ok(())
}

/// Apply each new record as it arrives, for as long as the server runs. A record that
/// cannot be applied is logged and counted, and the follower goes on; a failed read is
/// tried again.
async fn follow(registry: Arc<Registry>, mut reader: TopicReader, mut fold: Fold, source: String) {
    loop {
        if !registry.follow().is_following() {
            tracing::info!(%source, position = reader.position(), "stopped following");
            return;
        }
        let from = reader.position();
        let (records, high_watermark) = match reader.fetch(POLL).await {
            Ok(fetched) => fetched,
            Err(e) => {
                tracing::warn!(%source, error = format!("{e:#}"), "following: cannot read the topic; trying again");
                registry.follow().failed(format!("{e:#}"));
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        registry
            .follow()
            .observe(from, high_watermark.max(reader.position()), now_millis());
        for record in records {
            // Stopped (the cut-over): clients write now; no record applies after that.
            if !registry.follow().is_following() {
                break;
            }
            let skipped = fold.warnings_total;
            let changes = match fold_record(&mut fold, &record) {
                Ok(changes) => changes,
                Err(e) => {
                    let why = format!("record at offset {}: {e:#}", record.offset);
                    tracing::error!(%source, offset = record.offset, error = format!("{e:#}"), "following: a record could not be folded");
                    registry.follow().failed(why);
                    Vec::new()
                }
            };
            if fold.warnings_total > skipped {
                let why = format!("record at offset {} skipped", record.offset);
                tracing::warn!(%source, offset = record.offset, "following: {why}: {}", fold.warnings.last().map(String::as_str).unwrap_or("unreadable"));
                registry.follow().failed(why);
            }
            for change in &changes {
                if let Err(e) = import::apply_change(&registry, change).await {
                    let why = format!("record at offset {}: {e:#}", record.offset);
                    tracing::error!(%source, offset = record.offset, error = format!("{e:#}"), "following: a record could not be applied");
                    registry.follow().failed(why);
                }
            }
            registry
                .follow()
                .applied(record.offset, record.timestamp, now_millis());
        }
    }
}
