//! One registration queued for a grouped write (`register_batch` on PostgreSQL,
//! `sqlite_group` on SQLite): what it writes, owned so it can cross to a writer task, and
//! where its own outcome goes back to; and how a writer takes the queued ones into a group.

use super::Appended;
use crate::domain::{NewSchema, ReferenceTarget, SeenHistory};
use tokio::sync::{mpsc, oneshot};

/// What one registration writes.
pub(super) struct GroupItem {
    pub(super) context: String,
    pub(super) subject: String,
    /// The history the registration was checked against; written only if it still is.
    pub(super) seen: SeenHistory,
    pub(super) hash: String,
    pub(super) schema_type: &'static str,
    pub(super) schema_text: String,
    /// The references as JSON.
    pub(super) refs: String,
    pub(super) metadata: Option<String>,
    pub(super) rule_set: Option<String>,
    pub(super) guid: String,
    /// Every stored version this schema references.
    pub(super) targets: Vec<ReferenceTarget>,
}

impl GroupItem {
    pub(super) fn new(
        context: &str,
        subject: &str,
        seen: SeenHistory,
        schema: &NewSchema<'_>,
        reference_targets: &[ReferenceTarget],
    ) -> GroupItem {
        GroupItem {
            context: context.to_string(),
            subject: subject.to_string(),
            seen,
            hash: schema.hash.to_string(),
            schema_type: schema.schema_type.as_str(),
            schema_text: schema.schema.to_string(),
            refs: serde_json::to_string(schema.references).unwrap_or_else(|_| "[]".into()),
            metadata: schema.metadata.map(|m| m.to_string()),
            rule_set: schema.rule_set.map(|r| r.to_string()),
            guid: schema.guid.to_string(),
            targets: reference_targets.to_vec(),
        }
    }

    /// Queue it on `queue` and wait for its outcome: `None` (take the general path) also when
    /// the writer went away without answering.
    pub(super) async fn submit(self, queue: &mpsc::Sender<Pending>) -> Option<Appended> {
        let (reply, answer) = oneshot::channel();
        if queue.send(Pending { item: self, reply }).await.is_err() {
            return None;
        }
        answer.await.unwrap_or(None)
    }
}

/// A queued registration and where its outcome goes.
pub(super) struct Pending {
    pub(super) item: GroupItem,
    pub(super) reply: oneshot::Sender<Option<Appended>>,
}

/// Move what is queued on `receiver` into `group`, without waiting, until it holds `max`.
pub(super) fn take_queued<T>(receiver: &mut mpsc::Receiver<T>, group: &mut Vec<T>, max: usize) {
    while group.len() < max {
        match receiver.try_recv() {
            Ok(next) => group.push(next),
            Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::take_queued;
    use tokio::sync::mpsc;

    #[test]
    fn a_group_takes_what_is_queued_up_to_its_bound_and_no_more() {
        let (sender, mut receiver) = mpsc::channel(256);
        for n in 0..100 {
            sender.try_send(n).unwrap();
        }
        let mut group = vec![-1];
        take_queued(&mut receiver, &mut group, 64);
        assert_eq!(group.len(), 64);
        assert_eq!(
            group[1..],
            (0..63).collect::<Vec<_>>()[..],
            "in queue order"
        );
        let mut rest = Vec::new();
        take_queued(&mut receiver, &mut rest, 64);
        assert_eq!(
            rest,
            (63..100).collect::<Vec<_>>(),
            "the next group takes the rest"
        );
        let mut none = Vec::new();
        take_queued(&mut receiver, &mut none, 64);
        assert!(none.is_empty(), "nothing queued: nothing taken, no wait");
    }
}
