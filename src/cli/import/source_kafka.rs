//! A registry's Kafka storage topic as an import source (`--from-kafka`): read from its
//! first offset to the end it had when the read began, folded in topic order into the state
//! it describes (`cli::kafka::fold`), the schema bodies in a temporary file as for a REST
//! crawl (docs/migration.md §5), and that state as import items.

use crate::cli::kafka::{self, Fold, KafkaSource};
use crate::cli::options::KafkaArgs;

/// Read the topic to its end and fold it.
pub(super) async fn read(bootstrap: &str, args: &KafkaArgs) -> anyhow::Result<Fold> {
    let source = KafkaSource::new(
        bootstrap,
        &args.topic,
        args.kafka_config.as_deref(),
        &args.kafka_option,
    )?;
    let mut reader = source.open().await?;
    eprintln!("reading {}", source.describe());
    let mut fold = Fold::spilled(&std::env::temp_dir())?;
    reader
        .read_to_end(|record| kafka::fold_record(&mut fold, &record).map(drop))
        .await?;
    fold.finish()?;
    for warning in &fold.warnings {
        eprintln!("warning: {warning}");
    }
    if fold.warnings_total > fold.warnings.len() as u64 {
        eprintln!(
            "warning: {} more records skipped",
            fold.warnings_total - fold.warnings.len() as u64
        );
    }
    eprintln!("{}", fold.summary());
    Ok(fold)
}
