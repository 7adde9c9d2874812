//! Incoming schemas compared with the target a window at a time: each comparison only
//! reads (a few round trips to the database and a parse), so up to [`WINDOW`] run at once
//! and a remote PostgreSQL's latency is paid once per window rather than once per schema.
//! Results come back in source order.

use super::target::Target;
use crate::registry::{Examination, ImportedSchema};
use tokio::task::JoinSet;

/// Comparisons run at once.
const WINDOW: usize = 16;

pub(super) struct Examiner {
    target: Target,
    waiting: Vec<ImportedSchema>,
}

pub(super) type Examined = Vec<(ImportedSchema, Examination)>;

impl Examiner {
    pub(super) fn new(target: Target) -> Self {
        Examiner {
            target,
            waiting: Vec::with_capacity(WINDOW),
        }
    }

    /// Queue one schema; when the window is full, the results of the whole window.
    pub(super) async fn push(&mut self, schema: ImportedSchema) -> anyhow::Result<Examined> {
        self.waiting.push(schema);
        if self.waiting.len() < WINDOW {
            return Ok(Vec::new());
        }
        self.finish().await
    }

    /// The results of what is still queued.
    pub(super) async fn finish(&mut self) -> anyhow::Result<Examined> {
        let mut tasks = JoinSet::new();
        for (i, schema) in std::mem::take(&mut self.waiting).into_iter().enumerate() {
            let target = self.target.clone();
            tasks.spawn(async move {
                let found = target.examine(&schema).await;
                (i, schema, found)
            });
        }
        let mut done = Vec::with_capacity(tasks.len());
        while let Some(joined) = tasks.join_next().await {
            let (i, schema, found) = joined?;
            done.push((i, schema, found?));
        }
        done.sort_by_key(|(i, _, _)| *i);
        Ok(done.into_iter().map(|(_, s, f)| (s, f)).collect())
    }
}
