//! The last pass: every incoming schema resolves in the target to the same schema under the
//! same id, every version is there with the same id and deletion, every config and mode is
//! stored as in the source, and what the source removed is not there.

use super::examine::Examiner;
use super::progress::Progress;
use super::target::Target;
use super::{Item, Output, Source};
use crate::registry::{Examination, ImportedSchema};

/// Differences found, one sentence each; empty when the target matches the source.
pub(super) async fn verify(
    target: &Target,
    source: &Source<'_>,
    out: Output,
) -> anyhow::Result<Vec<String>> {
    let mut progress = Progress::new("verifying", out, source.schema_count());
    let mut schemas = 0;
    let mut problems = Vec::new();
    let mut examiner = Examiner::new(target.clone());
    for item in source.items()? {
        match item? {
            Item::Context { .. } => {}
            Item::Schema(schema) => {
                progress.tick();
                schemas += 1;
                for (schema, found) in examiner.push(schema).await? {
                    report(&schema, found, &mut problems);
                }
            }
            Item::Config { scope, config } => {
                if target.stored_config(&scope).await?.as_ref() != Some(&config) {
                    problems.push(format!("the config of scope {scope:?} differs"));
                }
            }
            Item::Mode { scope, mode } => {
                if target.stored_mode(&scope).await? != Some(mode) {
                    problems.push(format!("the mode of scope {scope:?} differs"));
                }
            }
            Item::Removed(removal) => {
                if target.holds(&removal).await? {
                    problems.push(format!(
                        "{} is still there; the source removed it",
                        removal.describe()
                    ));
                }
            }
        }
    }
    for (schema, found) in examiner.finish().await? {
        report(&schema, found, &mut problems);
    }
    progress.done(schemas);
    Ok(problems)
}

fn report(schema: &ImportedSchema, found: Examination, problems: &mut Vec<String>) {
    problems.extend(found.conflicts);
    if found.schema_missing {
        problems.push(format!(
            "schema id {} in context {} is missing",
            schema.id, schema.context
        ));
    }
    if found.versions_missing > 0 {
        problems.push(format!(
            "{} version(s) of schema id {} in context {} are missing or not deleted",
            found.versions_missing, schema.id, schema.context
        ));
    }
}
