//! The up-front pass: every incoming schema compared with the target (nothing written), so
//! that any conflict refuses the whole import before its first write, with every conflict
//! reported; and the counts of what the import will write.

use super::examine::Examiner;
use super::progress::Progress;
use super::target::Target;
use super::{Item, Output, Source};
use crate::registry::{Examination, ImportedSchema};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default)]
pub(super) struct Plan {
    pub conflicts: Vec<String>,
    pub schemas: u64,
    pub schemas_to_write: u64,
    pub versions: u64,
    pub versions_to_write: u64,
    pub configs: u64,
    pub configs_to_write: u64,
    pub modes: u64,
    pub modes_to_write: u64,
    /// Versions, configs and modes the source removed for good.
    pub removals: u64,
    pub removals_to_apply: u64,
}

impl Plan {
    pub(super) fn line(&self) -> String {
        let mut line = format!(
            "plan: {} schemas ({} to write), {} versions ({} to write or mark deleted), {} configs ({} to write), {} modes ({} to write)",
            self.schemas,
            self.schemas_to_write,
            self.versions,
            self.versions_to_write,
            self.configs,
            self.configs_to_write,
            self.modes,
            self.modes_to_write
        );
        if self.removals > 0 {
            line.push_str(&format!(
                ", {} removed by the source ({} to remove)",
                self.removals, self.removals_to_apply
            ));
        }
        line
    }
}

pub(super) async fn plan(
    target: &Target,
    source: &Source<'_>,
    out: Output,
) -> anyhow::Result<Plan> {
    let mut plan = Plan::default();
    let mut progress = Progress::new("checking", out, source.schema_count());
    let mut examiner = Examiner::new(target.clone());
    // Within one context an id names one schema and a schema has one id: the source must
    // agree with itself too.
    let mut ids: HashSet<(String, i64)> = HashSet::new();
    let mut hashes: HashMap<(String, String), i64> = HashMap::new();
    for item in source.items()? {
        match item? {
            Item::Context { .. } => {}
            Item::Schema(schema) => {
                progress.tick();
                plan.schemas += 1;
                plan.versions += schema.versions.len() as u64;
                if !ids.insert((schema.context.clone(), schema.id)) {
                    plan.conflicts.push(format!(
                        "schema id {} in context {} appears twice in the source",
                        schema.id, schema.context
                    ));
                    continue;
                }
                for (schema, found) in examiner.push(schema).await? {
                    plan.count(&schema, found, &mut hashes);
                }
            }
            Item::Config { scope, config } => {
                plan.configs += 1;
                if target.stored_config(&scope).await?.as_ref() != Some(&config) {
                    plan.configs_to_write += 1;
                }
            }
            Item::Mode { scope, mode } => {
                plan.modes += 1;
                if target.stored_mode(&scope).await? != Some(mode) {
                    plan.modes_to_write += 1;
                }
            }
            Item::Removed(removal) => {
                plan.removals += 1;
                if target.holds(&removal).await? {
                    plan.removals_to_apply += 1;
                }
            }
        }
    }
    for (schema, found) in examiner.finish().await? {
        plan.count(&schema, found, &mut hashes);
    }
    progress.done(plan.schemas);
    Ok(plan)
}

impl Plan {
    /// Add what the target holds of one schema; `hashes` finds two ids of the source that
    /// are one schema.
    fn count(
        &mut self,
        schema: &ImportedSchema,
        found: Examination,
        hashes: &mut HashMap<(String, String), i64>,
    ) {
        if let Some(hash) = &found.hash {
            if let Some(other) = hashes.insert((schema.context.clone(), hash.clone()), schema.id) {
                self.conflicts.push(format!(
                    "schema ids {other} and {} in context {} are the same schema in the source; Schemata keeps one id per schema",
                    schema.id, schema.context
                ));
            }
        }
        self.schemas_to_write += u64::from(found.schema_missing);
        self.versions_to_write += found.versions_missing as u64;
        self.conflicts.extend(found.conflicts);
    }
}
