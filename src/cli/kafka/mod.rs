//! A registry's Kafka storage topic (Confluent Schema Registry's or Karapace's `_schemas`,
//! docs/migration.md §5): the connection and its options (`connect.rs`), the records
//! (`record.rs`), and their folding into the state they describe (`fold.rs`), which `schemata
//! import --from-kafka` imports and `schemata serve --follow-kafka` keeps following
//! (`follow.rs`).

mod connect;
mod fold;
pub(super) mod follow;
mod record;
mod tls;

pub(super) use connect::{KafkaSource, RawRecord, TopicReader};
pub(super) use fold::Fold;

/// Parse one record and apply it to `fold`; a record that cannot be read is skipped with a
/// warning (as the registries skip it). Returns what the record changed (for a fold that
/// reports changes); an error is the fold's temporary file's.
pub(super) fn fold_record(
    fold: &mut Fold,
    record: &RawRecord,
) -> anyhow::Result<Vec<super::import::Item>> {
    match record::parse(record.key.as_deref(), record.value.as_deref()) {
        Ok(event) => fold.apply(record.offset, record.timestamp, event),
        Err(why) => {
            fold.warn(record.offset, why);
            Ok(Vec::new())
        }
    }
}
