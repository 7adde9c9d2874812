//! The suite's scenarios, each a function of a fresh [`TestStore`]; `main.rs` runs every one
//! on both backends.

use crate::common::{drop_database, fresh_database, Backend, TempDir};
use schemata::domain::{
    Config, Mode, NewSchema, ReferenceTarget, SchemaReference, SeenHistory, VersionRecord,
};
use schemata::store::{
    Invalidation, Page, SqliteSynchronous, Store, StoreError, StoreOptions, SubjectPage,
    SubjectState,
};
use schemata_compat::SchemaType;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Connection;
use std::time::Duration;

pub(crate) struct TestStore {
    pub(crate) store: Store,
    url: String,
    backend: Backend,
    _dir: Option<TempDir>,
}

impl TestStore {
    pub(crate) async fn open(backend: Backend) -> TestStore {
        Self::open_with(backend, SqliteSynchronous::default()).await
    }

    pub(crate) async fn open_with(backend: Backend, synchronous: SqliteSynchronous) -> TestStore {
        let (url, dir) = fresh_database(backend).await;
        let options = StoreOptions {
            max_connections: Some(4),
            sqlite_synchronous: synchronous,
        };
        let store = Store::connect(&url, &options)
            .await
            .expect("open the store");
        TestStore {
            store,
            url,
            backend,
            _dir: dir,
        }
    }

    pub(crate) async fn cleanup(self) {
        drop(self.store);
        drop_database(self.backend, &self.url).await;
    }

    /// Run SQL behind the store's back (to plant rows no writer produces).
    async fn raw(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.backend {
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.unwrap();
            }
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.unwrap();
            }
        }
    }
}

fn hash_of(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An Avro schema row for `text`, with metadata naming its owner.
struct Row {
    text: String,
    hash: String,
    metadata: serde_json::Value,
    references: Vec<SchemaReference>,
}

impl Row {
    fn new(text: &str) -> Row {
        Row {
            text: text.to_string(),
            hash: hash_of(text),
            metadata: json!({ "properties": { "owner": "team-a" } }),
            references: Vec::new(),
        }
    }

    fn schema(&self) -> NewSchema<'_> {
        NewSchema {
            hash: &self.hash,
            schema_type: SchemaType::Avro,
            schema: &self.text,
            references: &self.references,
            metadata: Some(&self.metadata),
            rule_set: None,
            guid: &self.hash[..36],
        }
    }
}

/// Append the next version of `subject` holding `row` (sharing the context's id for the same
/// content), as the registry's locked path does. Returns (id, version).
async fn append(store: &Store, context: &str, subject: &str, row: &Row) -> (i64, i64) {
    let mut tx = store.begin_subject_write(context, subject).await.unwrap();
    tx.ensure_context(context).await.unwrap();
    let versions = tx.versions(context, subject).await.unwrap();
    let version = versions.last().map_or(1, |v| v.version + 1);
    let id = match tx.schema_id_by_hash(context, &row.hash).await.unwrap() {
        Some(id) => id,
        None => {
            let id = tx.allocate_schema_id(context).await.unwrap();
            assert!(tx.insert_schema(context, id, &row.schema()).await.unwrap());
            id
        }
    };
    tx.insert_version(context, subject, version, id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (id, version)
}

fn numbers(versions: &[VersionRecord]) -> Vec<(i64, i64, bool)> {
    versions
        .iter()
        .map(|v| (v.version, v.schema_id, v.deleted))
        .collect()
}

async fn generation(store: &Store, context: &str, subject: &str) -> i64 {
    store
        .versions_with_hashes(context, subject)
        .await
        .unwrap()
        .1
}

pub(crate) async fn the_database_answers(t: &TestStore) {
    t.store.check_ready().await.unwrap();
    assert!(t.store.registers_in_one_statement());
}

pub(crate) async fn schemas_and_versions_round_trip(t: &TestStore) {
    let store = &t.store;
    let (a, b) = (Row::new(r#""string""#), Row::new(r#""long""#));
    let (id_a, v1) = append(store, ".", "orders", &a).await;
    let (id_b, v2) = append(store, ".", "orders", &b).await;
    let (shared, p1) = append(store, ".", "payments", &a).await;
    assert_eq!((v1, v2, p1, shared), (1, 2, 1, id_a));
    assert_ne!(id_a, id_b);

    let record = store
        .schema_by_id(".", id_a)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        (record.context.as_str(), record.id, record.schema.as_str()),
        (".", id_a, a.text.as_str())
    );
    assert_eq!(record.schema_type, SchemaType::Avro);
    assert_eq!(record.hash, a.hash);
    assert_eq!(record.guid, a.hash[..36]);
    assert_eq!(record.metadata, Some(a.metadata.clone()));
    assert_eq!((record.rule_set, record.references.len()), (None, 0));
    assert!(store.schema_by_id(".", 999).await.unwrap().is_none());
    assert!(store.schema_by_id(".other", id_a).await.unwrap().is_none());

    let versions = store.versions(".", "orders").await.unwrap();
    assert_eq!(numbers(&versions), [(1, id_a, false), (2, id_b, false)]);
    let (hashed, _) = store.versions_with_hashes(".", "orders").await.unwrap();
    let hashes: Vec<&str> = hashed.iter().map(|(_, h)| h.as_str()).collect();
    assert_eq!(hashes, [a.hash.as_str(), b.hash.as_str()]);
    let (none, _) = store.versions_with_hashes(".", "nobody").await.unwrap();
    assert!(none.is_empty());

    let found = store.version_with_hash(".", "orders", &b.hash, false).await;
    assert_eq!(found.unwrap().map(|v| v.version), Some(2));
    let users: Vec<(String, i64)> = store
        .versions_of_schema(".", id_a)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.subject, v.version))
        .collect();
    assert_eq!(
        users,
        [("orders".to_string(), 1), ("payments".to_string(), 1)]
    );

    assert_eq!(store.all_versions(None).await.unwrap().len(), 3);
    assert_eq!(store.all_versions(Some(".")).await.unwrap().len(), 3);
    assert!(store.all_versions(Some(".other")).await.unwrap().is_empty());
    let mut subjects: Vec<(String, bool)> = store
        .subjects()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.subject, s.all_deleted))
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            ("orders".to_string(), false),
            ("payments".to_string(), false)
        ]
    );
    let by_guid = store.schemas_by_guid(&a.hash[..36]).await.unwrap();
    assert_eq!(by_guid.iter().map(|s| s.id).collect::<Vec<_>>(), [id_a]);
    assert_eq!(store.max_schema_id(".").await.unwrap(), id_a.max(id_b));
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.schema_exists(".", id_b).await.unwrap());
    assert!(!tx.schema_exists(".", 999).await.unwrap());
}

pub(crate) async fn one_content_has_one_id_per_context(t: &TestStore) {
    let row = Row::new(r#""int""#);
    let mut tx = t.store.begin_write().await.unwrap();
    tx.ensure_context(".").await.unwrap();
    tx.ensure_context(".ctx").await.unwrap();
    assert!(tx.insert_schema(".", 1, &row.schema()).await.unwrap());
    assert!(
        !tx.insert_schema(".", 2, &row.schema()).await.unwrap(),
        "the same content keeps its first id"
    );
    assert_eq!(tx.schema_id_by_hash(".", &row.hash).await.unwrap(), Some(1));
    assert!(tx.insert_schema(".ctx", 1, &row.schema()).await.unwrap());
    tx.commit().await.unwrap();
    assert!(t.store.schema_by_id(".", 2).await.unwrap().is_none());
    assert!(t.store.schema_by_id(".ctx", 1).await.unwrap().is_some());
}

pub(crate) async fn ids_are_allocated_above_imported_ones(t: &TestStore) {
    let mut tx = t.store.begin_write().await.unwrap();
    tx.ensure_context(".").await.unwrap();
    assert!(tx
        .insert_schema(".", 10, &Row::new("1").schema())
        .await
        .unwrap());
    tx.raise_schema_id_floor(".", 10).await.unwrap();
    let next = tx.allocate_schema_id(".").await.unwrap();
    assert_eq!(next, 11);
    assert!(tx
        .insert_schema(".", 11, &Row::new("2").schema())
        .await
        .unwrap());
    // An id imported without raising the floor is skipped, never handed out twice.
    assert!(tx
        .insert_schema(".", 12, &Row::new("3").schema())
        .await
        .unwrap());
    assert_eq!(tx.allocate_schema_id(".").await.unwrap(), 13);
    tx.commit().await.unwrap();
}

pub(crate) async fn soft_and_hard_deletes_change_the_history_generation(t: &TestStore) {
    let store = &t.store;
    let (first, second) = (Row::new(r#""a""#), Row::new(r#""b""#));
    let (id1, _) = append(store, ".", "orders", &first).await;
    let (id2, _) = append(store, ".", "orders", &second).await;
    let before = generation(store, ".", "orders").await;

    let mut tx = store.begin_subject_write(".", "orders").await.unwrap();
    tx.mark_deleted(".", "orders", 1).await.unwrap();
    tx.commit().await.unwrap();
    let soft = generation(store, ".", "orders").await;
    assert_ne!(soft, before, "a soft delete changes the generation");
    let versions = store.versions(".", "orders").await.unwrap();
    assert_eq!(numbers(&versions), [(1, id1, true), (2, id2, false)]);
    let live = store.version_with_hash(".", "orders", &first.hash, false);
    assert!(live.await.unwrap().is_none());
    let any = store.version_with_hash(".", "orders", &first.hash, true);
    assert_eq!(any.await.unwrap().map(|v| v.deleted), Some(true));

    let mut tx = store.begin_subject_write(".", "orders").await.unwrap();
    tx.mark_deleted(".", "orders", 2).await.unwrap();
    tx.commit().await.unwrap();
    let summary = store.subjects().await.unwrap();
    assert!(summary[0].all_deleted);

    let mut tx = store.begin_subject_write(".", "orders").await.unwrap();
    tx.remove_version(".", "orders", 1).await.unwrap();
    tx.commit().await.unwrap();
    let hard = generation(store, ".", "orders").await;
    assert!(hard != soft && hard != before, "a hard delete changes it");
    assert_eq!(
        numbers(&store.versions(".", "orders").await.unwrap()),
        [(2, id2, true)]
    );

    // Appending on top is not a change of history: the grouped write relies on it.
    append(store, ".", "orders", &Row::new(r#""c""#)).await;
    assert_eq!(generation(store, ".", "orders").await, hard);
}

pub(crate) async fn references_find_their_referrers(t: &TestStore) {
    let store = &t.store;
    let (_, _) = append(store, ".", "common", &Row::new(r#""common""#)).await;
    let mut app = Row::new(r#"{"type":"record","name":"App","fields":[]}"#);
    app.references = vec![SchemaReference {
        name: "common.avsc".into(),
        subject: "common".into(),
        version: 1,
    }];
    let target = ReferenceTarget {
        context: ".".into(),
        subject: "common".into(),
        version: 1,
    };
    let mut tx = store.begin_subject_write(".", "app").await.unwrap();
    let id = tx.allocate_schema_id(".").await.unwrap();
    tx.insert_schema(".", id, &app.schema()).await.unwrap();
    tx.insert_version(".", "app", 1, id).await.unwrap();
    tx.insert_reference(".", id, &target).await.unwrap();
    tx.insert_reference(".", id, &target).await.unwrap();
    tx.commit().await.unwrap();

    let stored = store.schema_by_id(".", id).await.unwrap().unwrap();
    assert_eq!(stored.references, app.references);
    assert_eq!(
        store.referrers(".", "common", 1, false).await.unwrap(),
        [id]
    );
    assert!(store
        .referrers(".", "common", 2, true)
        .await
        .unwrap()
        .is_empty());

    let mut tx = store.begin_subject_write(".", "app").await.unwrap();
    tx.mark_deleted(".", "app", 1).await.unwrap();
    assert!(tx
        .referrers(".", "common", 1, false)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(tx.referrers(".", "common", 1, true).await.unwrap(), [id]);
    tx.commit().await.unwrap();
    assert!(store
        .referrers(".", "common", 1, false)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.referrers(".", "common", 1, true).await.unwrap(), [id]);
}

pub(crate) async fn config_and_mode_per_scope(t: &TestStore) {
    let store = &t.store;
    assert_eq!(store.config("").await.unwrap(), None);
    let full = Config {
        compatibility_level: Some("FULL".into()),
        default_metadata: Some(json!({ "properties": { "owner": "x" } })),
        ..Config::default()
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.put_config("", &full).await.unwrap();
    tx.put_config("orders", &Config::default()).await.unwrap();
    assert_eq!(tx.config("").await.unwrap(), Some(full.clone()));
    tx.delete_config("orders").await.unwrap();
    for (scope, mode) in [
        ("", Mode::ReadOnly),
        ("orders", Mode::Import),
        (":.ctx:", Mode::ReadWrite),
        (":.ctx:a", Mode::ReadOnlyOverride),
    ] {
        tx.put_mode(scope, mode).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(store.config("").await.unwrap(), Some(full));
    assert_eq!(store.config("orders").await.unwrap(), None);
    assert_eq!(store.mode("orders").await.unwrap(), Some(Mode::Import));
    assert_eq!(
        store.mode(":.ctx:a").await.unwrap(),
        Some(Mode::ReadOnlyOverride)
    );

    let mut tx = store.begin_write().await.unwrap();
    tx.delete_modes_with_prefix(":.ctx:").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.mode(":.ctx:").await.unwrap(), None);
    assert_eq!(store.mode(":.ctx:a").await.unwrap(), None);
    assert_eq!(store.mode("orders").await.unwrap(), Some(Mode::Import));

    let mut tx = store.begin_write().await.unwrap();
    tx.delete_default_context_subject_modes().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.mode("orders").await.unwrap(), None);
    assert_eq!(store.mode("").await.unwrap(), Some(Mode::ReadOnly));
    let mut tx = store.begin_write().await.unwrap();
    tx.delete_mode("").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.mode("").await.unwrap(), None);
}

pub(crate) async fn contexts_are_created_listed_and_hidden(t: &TestStore) {
    let store = &t.store;
    assert!(!store
        .contexts()
        .await
        .unwrap()
        .contains(&".ctx".to_string()));
    let (first_id, _) = append(store, ".ctx", "orders", &Row::new(r#""x""#)).await;
    assert!(store
        .contexts()
        .await
        .unwrap()
        .contains(&".ctx".to_string()));
    assert_eq!(
        store.contexts_with_subject("orders").await.unwrap(),
        [".ctx"]
    );

    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.context_has_versions(".ctx").await.unwrap());
    tx.remove_version(".ctx", "orders", 1).await.unwrap();
    assert!(!tx.context_has_versions(".ctx").await.unwrap());
    tx.hide_context(".ctx").await.unwrap();
    tx.commit().await.unwrap();
    assert!(!store
        .contexts()
        .await
        .unwrap()
        .contains(&".ctx".to_string()));

    // Used again, it is listed again, and its ids go on from where they were.
    let (next_id, _) = append(store, ".ctx", "orders", &Row::new(r#""y""#)).await;
    assert!(store
        .contexts()
        .await
        .unwrap()
        .contains(&".ctx".to_string()));
    assert!(next_id > first_id);
}

pub(crate) async fn an_uncommitted_write_leaves_nothing(t: &TestStore) {
    let store = &t.store;
    {
        let mut tx = store.begin_subject_write(".", "orders").await.unwrap();
        let id = tx.allocate_schema_id(".").await.unwrap();
        tx.insert_schema(".", id, &Row::new(r#""z""#).schema())
            .await
            .unwrap();
        tx.insert_version(".", "orders", 1, id).await.unwrap();
        // Dropped without commit.
    }
    assert!(store.versions(".", "orders").await.unwrap().is_empty());
    assert!(store.all_versions(None).await.unwrap().is_empty());
    // The write slot went with it (SQLite has one): the next write does not wait.
    let next = tokio::time::timeout(Duration::from_secs(5), store.begin_write()).await;
    assert!(next.expect("the write slot was released").is_ok());
}

fn corrupt<T>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Corrupt { .. }))
}

pub(crate) async fn corrupt_rows_are_errors_not_defaults(t: &TestStore) {
    let store = &t.store;
    let (id, _) = append(store, ".", "orders", &Row::new(r#""q""#)).await;

    t.raw(&format!(
        "UPDATE schemas SET schema_type = 'XML' WHERE id = {id}"
    ))
    .await;
    assert!(corrupt(store.schema_by_id(".", id).await), "unknown type");
    t.raw(&format!(
        "UPDATE schemas SET schema_type = 'AVRO', refs = 'not json' WHERE id = {id}"
    ))
    .await;
    assert!(corrupt(store.schema_by_id(".", id).await), "references");
    t.raw(&format!(
        "UPDATE schemas SET refs = '[]', metadata = '{{' WHERE id = {id}"
    ))
    .await;
    assert!(corrupt(store.schema_by_id(".", id).await), "metadata");
    t.raw("INSERT INTO modes (scope, mode) VALUES ('m', 'BOGUS')")
        .await;
    assert!(corrupt(store.mode("m").await), "mode");
    t.raw("INSERT INTO configs (scope, config) VALUES ('c', 'not json')")
        .await;
    assert!(corrupt(store.config("c").await), "config");
}

pub(crate) async fn grouped_registration_checks_the_history_it_was_given(t: &TestStore) {
    let store = &t.store;
    let first = Row::new(r#""first""#);
    let seen = |max_version, generation| SeenHistory {
        max_version,
        generation,
    };
    let empty = generation(store, ".", "orders").await;
    let written = store
        .register_in_one_statement(".", "orders", seen(0, empty), &first.schema(), &[])
        .await
        .unwrap();
    let appended = written.expect("written against the current history");
    assert_eq!(appended.version, 1);
    let stale = store
        .register_in_one_statement(".", "orders", seen(0, empty), &Row::new("2").schema(), &[])
        .await
        .unwrap();
    assert_eq!(stale, None, "a history that moved on is handed back");
    let current = generation(store, ".", "orders").await;
    let second = store
        .register_in_one_statement(
            ".",
            "orders",
            seen(1, current),
            &Row::new("3").schema(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(second.map(|a| a.version), Some(2));
    let versions = store.versions(".", "orders").await.unwrap();
    assert_eq!(versions[0].schema_id, appended.id);
    // The timestamp handed back is the one stored.
    assert_eq!(versions[0].created_at, appended.created_at);
    assert_eq!(versions.len(), 2);
}

/// Registrations submitted together (on SQLite held behind the write slot until all are
/// queued, so they form one group): each member gets its own outcome, the ones that cannot be
/// written hand themselves back and write nothing, and the others are written as alone.
pub(crate) async fn a_group_writes_each_member_on_its_own(t: &TestStore) {
    let store = &t.store;
    let (a, b, c, d) = (
        Row::new(r#""a""#),
        Row::new(r#""b""#),
        Row::new(r#""c""#),
        Row::new(r#""d""#),
    );
    let (id_a, _) = append(store, ".", "orders", &a).await;
    append(store, ".", "orders-a", &a).await;
    append(store, ".", "orders-stale", &a).await;
    let current = generation(store, ".", "orders").await;
    let seen = |max_version| SeenHistory {
        max_version,
        generation: current,
    };
    let other_generation = SeenHistory {
        max_version: 0,
        generation: current + 1,
    };
    let members: Vec<(&str, &str, SeenHistory, &Row)> = vec![
        (".", "fresh-b", seen(0), &b),
        // The same content under two subjects: one id.
        (".", "fresh-c1", seen(0), &c),
        (".", "fresh-c2", seen(0), &c),
        // Checked against a history that moved on.
        (".", "orders-stale", seen(0), &d),
        // The subject already holds this content.
        (".", "orders-a", seen(1), &a),
        // Two registrations of one subject, both checked against the empty history: one
        // is written, the other hands itself back.
        (".", "twice", seen(0), &b),
        (".", "twice", seen(0), &d),
        // A context that does not exist yet.
        (".new", "fresh", seen(0), &d),
        // A history generation that is not the context's.
        (".", "fresh-d", other_generation, &d),
        (".", "orders", seen(1), &d),
    ];
    let (outcomes, ()) = {
        let hold = store.begin_write().await.unwrap();
        let writes = members
            .iter()
            .map(|(context, subject, seen, row)| async move {
                store
                    .register_in_one_statement(context, subject, seen.clone(), &row.schema(), &[])
                    .await
            });
        let release = async {
            // PostgreSQL's writers do not take the slot; SQLite's waits for it.
            while t.backend == Backend::Sqlite && store.registrations_waiting() < members.len() {
                tokio::task::yield_now().await;
            }
            drop(hold);
        };
        tokio::join!(join_all(writes.collect()), release)
    };
    let outcomes: Vec<Option<(i64, i64)>> = outcomes
        .into_iter()
        .map(|o| o.unwrap().map(|a| (a.id, a.version)))
        .collect();
    let version_of = |n: usize| outcomes[n].map(|(_, v)| v);
    let id_of = |n: usize| outcomes[n].map(|(id, _)| id);
    assert_eq!(version_of(0), Some(1), "{outcomes:?}");
    assert_eq!((version_of(1), version_of(2)), (Some(1), Some(1)));
    assert_eq!(id_of(1), id_of(2), "one content, one id");
    assert_ne!(id_of(0), id_of(1));
    assert_eq!(outcomes[3], None, "stale history");
    assert_eq!(outcomes[4], None, "already registered");
    let twice: Vec<_> = [outcomes[5], outcomes[6]].into_iter().flatten().collect();
    assert_eq!(twice.len(), 1, "one of two for one subject: {outcomes:?}");
    assert_eq!(twice[0].1, 1);
    assert_eq!(outcomes[7], None, "missing context");
    assert_eq!(outcomes[8], None, "other generation");
    assert_eq!(version_of(9), Some(2), "{outcomes:?}");
    let ids: std::collections::HashSet<i64> = [
        id_a,
        id_of(0).unwrap(),
        id_of(1).unwrap(),
        id_of(9).unwrap(),
    ]
    .into();
    assert_eq!(
        ids.len(),
        4,
        "distinct contents, distinct ids: {outcomes:?}"
    );
    // What the store holds is what was answered, and nothing of the members handed back.
    for (n, (context, subject, _, row)) in members.iter().enumerate() {
        let Some((id, version)) = outcomes[n] else {
            continue;
        };
        let versions = store.versions(context, subject).await.unwrap();
        let stored = versions.iter().find(|v| v.version == version).unwrap();
        assert_eq!(stored.schema_id, id, "member {n}");
        let record = store.schema_by_id(context, id).await.unwrap().unwrap();
        assert_eq!(record.hash, row.hash, "member {n}");
    }
    assert_eq!(store.versions(".", "orders").await.unwrap().len(), 2);
    assert_eq!(store.versions(".", "orders-a").await.unwrap().len(), 1);
    assert_eq!(store.versions(".", "orders-stale").await.unwrap().len(), 1);
    assert_eq!(store.versions(".", "fresh-d").await.unwrap().len(), 0);
    assert_eq!(store.versions(".new", "fresh").await.unwrap().len(), 0);
    assert_eq!(store.versions(".", "twice").await.unwrap().len(), 1);
    assert_eq!(
        generation(store, ".", "orders").await,
        current,
        "appends only"
    );
}

/// A grouped registration never takes an id an imported schema holds.
pub(crate) async fn grouped_ids_skip_imported_ones(t: &TestStore) {
    let store = &t.store;
    let mut tx = store.begin_write().await.unwrap();
    for (id, text) in [(1, "1"), (2, "2")] {
        // Imported without raising the counter above them.
        assert!(tx
            .insert_schema(".", id, &Row::new(text).schema())
            .await
            .unwrap());
    }
    tx.commit().await.unwrap();
    let seen = SeenHistory {
        max_version: 0,
        generation: generation(store, ".", "fresh").await,
    };
    let row = Row::new(r#""fresh""#);
    let written = store
        .register_in_one_statement(".", "fresh", seen, &row.schema(), &[])
        .await
        .unwrap();
    match t.backend {
        // SQLite's group goes on to the next free id.
        Backend::Sqlite => assert_eq!(written.map(|a| (a.id, a.version)), Some((3, 1))),
        // PostgreSQL's hands the member back to the general path, which looks further.
        Backend::Postgres => assert!(written.is_none_or(|a| a.id > 2), "{written:?}"),
    }
    let record = store.schema_by_id(".", 1).await.unwrap().unwrap();
    assert_eq!(record.hash, Row::new("1").hash, "the imported schema stays");
}

/// What a listener saw, in a form tests can compare.
fn describe(event: &Invalidation) -> String {
    match event {
        Invalidation::Schema { context, id } => format!("schema {context} {id}"),
        Invalidation::Subject { context, subject } => format!("subject {context} {subject}"),
        Invalidation::Settings => "settings".into(),
        Invalidation::Everything => "everything".into(),
    }
}

async fn next(events: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the listener is running")
}

pub(crate) async fn changes_are_announced(t: &TestStore) {
    let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
    t.store.follow_invalidations(move |event| {
        let _ = sender.send(describe(&event));
    });
    // Sent once the listener listens: from here on nothing is missed.
    assert_eq!(next(&mut events).await, "everything");
    {
        let mut rolled_back = t.store.begin_write().await.unwrap();
        rolled_back.announce_invalidation(".", 99).await.unwrap();
    }
    let mut tx = t.store.begin_write().await.unwrap();
    tx.announce_invalidation(".ctx", 7).await.unwrap();
    // Names with the separator in them arrive whole.
    tx.announce_subject_changed(".c:tx", "orders:value")
        .await
        .unwrap();
    tx.announce_settings_changed().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        next(&mut events).await,
        "schema .ctx 7",
        "a rolled-back announcement is not sent"
    );
    assert_eq!(next(&mut events).await, "subject .c:tx orders:value");
    assert_eq!(next(&mut events).await, "settings");
}

pub(crate) async fn only_the_group_function_registers(t: &TestStore) {
    let mut conn = sqlx::PgConnection::connect(&t.url).await.unwrap();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT proname::text FROM pg_proc WHERE proname LIKE 'schemata_register%' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(names, ["schemata_register_group2"]);
}

pub(crate) async fn a_database_behind_on_migrations_is_not_ready(t: &TestStore) {
    t.store.check_ready().await.unwrap();
    t.raw(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .await;
    let refused = t.store.check_ready().await;
    assert!(
        matches!(refused, Err(StoreError::NotMigrated { applied, embedded }) if applied < embedded),
        "{refused:?}"
    );
}

/// Soft-delete one version (as `DELETE .../versions/{v}` does).
async fn soft_delete(store: &Store, context: &str, subject: &str, version: i64) {
    let mut tx = store.begin_subject_write(context, subject).await.unwrap();
    tx.mark_deleted(context, subject, version).await.unwrap();
    tx.commit().await.unwrap();
}

fn page(offset: u64, limit: u64) -> Page {
    Page { offset, limit }
}

pub(crate) async fn subject_pages_honour_every_filter(t: &TestStore) {
    let store = &t.store;
    for (n, subject) in ["or-b", "a-live", "dead", "mixed", "or-a", "or_c", "os"]
        .iter()
        .enumerate()
    {
        append(store, ".", subject, &Row::new(&format!(r#""s{n}""#))).await;
    }
    append(store, ".", "mixed", &Row::new(r#""mixed-2""#)).await;
    soft_delete(store, ".", "dead", 1).await;
    soft_delete(store, ".", "mixed", 1).await;
    append(store, ".ctx", "orders", &Row::new(r#""c""#)).await;
    let names = |query: SubjectPage<'static>| async move {
        let rows = store.subject_page(&query).await.unwrap();
        rows.into_iter()
            .map(|s| {
                format!(
                    "{}{}{}",
                    s.subject,
                    if s.all_deleted { "*" } else { "" },
                    if s.context == "." { "" } else { "@ctx" }
                )
            })
            .collect::<Vec<_>>()
    };
    let query = |name_prefix: Option<&'static str>, state: SubjectState, p: Page| SubjectPage {
        context: ".",
        name_prefix,
        state,
        page: p,
    };
    let all = Page::ALL;
    assert_eq!(
        names(query(None, SubjectState::Live, all)).await,
        ["a-live", "mixed", "or-a", "or-b", "or_c", "os"]
    );
    assert_eq!(
        names(query(None, SubjectState::Any, all)).await,
        ["a-live", "dead*", "mixed", "or-a", "or-b", "or_c", "os"]
    );
    assert_eq!(
        names(query(None, SubjectState::AllDeleted, all)).await,
        ["dead*"]
    );
    // Only the page, after the filter.
    assert_eq!(
        names(query(None, SubjectState::Live, page(1, 2))).await,
        ["mixed", "or-a"]
    );
    assert_eq!(
        names(query(None, SubjectState::Any, page(1, 2))).await,
        ["dead*", "mixed"]
    );
    assert!(names(query(None, SubjectState::Live, page(6, 5)))
        .await
        .is_empty());
    // A prefix is a prefix of bytes: `_` and `%` are no wildcards, `os` is past `or`.
    assert_eq!(
        names(query(Some("or"), SubjectState::Live, all)).await,
        ["or-a", "or-b", "or_c"]
    );
    assert_eq!(
        names(query(Some("or"), SubjectState::Live, page(1, 1))).await,
        ["or-b"]
    );
    assert_eq!(
        names(query(Some("or_"), SubjectState::Live, all)).await,
        ["or_c"]
    );
    assert!(names(query(Some("or%"), SubjectState::Live, all))
        .await
        .is_empty());
    assert!(names(query(Some("dead"), SubjectState::Live, all))
        .await
        .is_empty());
    let other = SubjectPage {
        context: ".ctx",
        name_prefix: None,
        state: SubjectState::Live,
        page: all,
    };
    assert_eq!(names(other).await, ["orders@ctx"]);
    assert_eq!(store.context_names().await.unwrap(), [".", ".ctx"]);
}

pub(crate) async fn usage_pages_honour_every_filter(t: &TestStore) {
    let store = &t.store;
    let shared = Row::new(r#""shared""#);
    let (id, _) = append(store, ".", "s3", &shared).await;
    append(store, ".", "s3", &Row::new(r#""other""#)).await;
    append(store, ".", "s3", &shared).await;
    append(store, ".", "s2", &shared).await;
    append(store, ".", "s1", &shared).await;
    soft_delete(store, ".", "s2", 1).await;
    let pairs = |include_deleted: bool, p: Page| async move {
        store
            .usage_page(".", id, include_deleted, p)
            .await
            .unwrap()
            .into_iter()
            .map(|v| format!("{}/{}", v.subject, v.version))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(false, Page::ALL).await, ["s1/1", "s3/1", "s3/3"]);
    assert_eq!(
        pairs(true, Page::ALL).await,
        ["s1/1", "s2/1", "s3/1", "s3/3"]
    );
    assert_eq!(pairs(false, page(1, 1)).await, ["s3/1"]);
    assert_eq!(pairs(true, page(1, 2)).await, ["s2/1", "s3/1"]);
    assert!(pairs(true, page(4, 2)).await.is_empty());
    let subjects = |include_deleted: bool, p: Page| async move {
        store
            .usage_subject_page(".", id, include_deleted, p)
            .await
            .unwrap()
    };
    assert_eq!(subjects(false, Page::ALL).await, ["s1", "s3"]);
    assert_eq!(subjects(true, Page::ALL).await, ["s1", "s2", "s3"]);
    assert_eq!(subjects(true, page(1, 1)).await, ["s2"]);
    assert_eq!(subjects(false, page(1, 5)).await, ["s3"]);
    // Ids used by soft-deleted versions only are still in use; other contexts are apart.
    let (gone, _) = append(store, ".", "gone", &Row::new(r#""gone""#)).await;
    soft_delete(store, ".", "gone", 1).await;
    assert!(store.id_in_use(".", gone).await.unwrap());
    assert!(store
        .usage_page(".", gone, false, Page::ALL)
        .await
        .unwrap()
        .is_empty());
    assert!(!store.id_in_use(".", 999).await.unwrap());
    assert!(!store.id_in_use(".ctx", id).await.unwrap());
    assert!(store.subject_uses_id(".", id, "s2").await.unwrap());
    assert!(store.subject_uses_id(".", id, "s3").await.unwrap());
    assert!(!store.subject_uses_id(".", id, "gone").await.unwrap());
    assert!(!store.subject_uses_id(".", id, "s").await.unwrap());
    assert!(!store.subject_uses_id(".ctx", id, "s1").await.unwrap());
}

pub(crate) async fn referrer_pages_honour_every_filter(t: &TestStore) {
    let store = &t.store;
    append(store, ".", "common", &Row::new(r#""common""#)).await;
    let target = ReferenceTarget {
        context: ".".into(),
        subject: "common".into(),
        version: 1,
    };
    let mut ids = Vec::new();
    for app in ["app-a", "app-b", "app-c", "app-d"] {
        let mut row = Row::new(&format!(
            r#"{{"type":"record","name":"{app}","fields":[]}}"#
        ));
        row.references = vec![SchemaReference {
            name: "common.avsc".into(),
            subject: "common".into(),
            version: 1,
        }];
        let mut tx = store.begin_subject_write(".", app).await.unwrap();
        let id = tx.allocate_schema_id(".").await.unwrap();
        tx.insert_schema(".", id, &row.schema()).await.unwrap();
        tx.insert_version(".", app, 1, id).await.unwrap();
        tx.insert_reference(".", id, &target).await.unwrap();
        tx.commit().await.unwrap();
        ids.push(id);
    }
    soft_delete(store, ".", "app-b", 1).await;
    let referrers = |include_deleted: bool, p: Page| async move {
        store
            .referrer_page((".", "common", 1), include_deleted, p)
            .await
            .unwrap()
    };
    assert_eq!(referrers(false, Page::ALL).await, [ids[0], ids[2], ids[3]]);
    assert_eq!(referrers(true, Page::ALL).await, ids);
    assert_eq!(referrers(false, page(1, 1)).await, [ids[2]]);
    assert_eq!(referrers(true, page(1, 2)).await, [ids[1], ids[2]]);
    assert!(referrers(true, page(4, 1)).await.is_empty());
    assert_eq!(
        store.referrers(".", "common", 1, false).await.unwrap(),
        [ids[0], ids[2], ids[3]]
    );
}

/// Many histories read at once (on PostgreSQL they share statements, `history_batch.rs`):
/// each gets exactly its own versions, hashes and generation, as a read alone would.
pub(crate) async fn concurrent_history_reads_each_get_their_own(t: &TestStore) {
    let store = &t.store;
    let (a, b) = (Row::new(r#""string""#), Row::new(r#""long""#));
    for n in 0..20 {
        let subject = format!("s{n}");
        append(store, ".", &subject, &a).await;
        if n % 2 == 0 {
            append(store, ".", &subject, &b).await;
        }
    }
    let mut expected = Vec::new();
    // Existing subjects with one or two versions, a missing subject, a missing context.
    let mut names: Vec<(String, String)> = (0..20).map(|n| (".".into(), format!("s{n}"))).collect();
    names.push((".".into(), "nobody".into()));
    names.push((".nowhere".into(), "s1".into()));
    for (context, subject) in &names {
        expected.push(store.versions_with_hashes(context, subject).await.unwrap());
    }
    for round in 0..3 {
        let reads = names
            .iter()
            .map(|(context, subject)| store.versions_with_hashes(context, subject));
        let got = join_all(reads.collect()).await;
        for ((got, want), name) in got.into_iter().zip(&expected).zip(&names) {
            let got = got.unwrap();
            assert_eq!(got.1, want.1, "round {round} {name:?}: generation");
            assert_eq!(
                got.0
                    .iter()
                    .map(|(v, h)| (numbers(std::slice::from_ref(v)), h.clone()))
                    .collect::<Vec<_>>(),
                want.0
                    .iter()
                    .map(|(v, h)| (numbers(std::slice::from_ref(v)), h.clone()))
                    .collect::<Vec<_>>(),
                "round {round} {name:?}"
            );
        }
    }
    assert_eq!(expected[0].0.len(), 2);
    assert_eq!(expected[1].0.len(), 1);
    assert!(expected[20].0.is_empty() && expected[21].0.is_empty());
    assert_eq!(
        expected[21].1, 0,
        "a context not created yet has generation 0"
    );
}

/// Every future polled together until all are done; their outputs in order.
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// SQLite: more registrations than the group writer's queue holds, all submitted while the
/// write slot is held. The queue stays within its bound (the rest wait to enter it, holding
/// no queue memory), and once the slot is free every one gets its own outcome.
pub(crate) async fn more_registrations_than_the_queue_holds_all_get_their_outcome(t: &TestStore) {
    assert_eq!(t.backend, Backend::Sqlite);
    const QUEUE: usize = 1024; // sqlite_group.rs
    let store = &t.store;
    append(store, ".", "first", &Row::new(r#""first""#)).await;
    let current = generation(store, ".", "first").await;
    let total = QUEUE + 200;
    let rows: Vec<Row> = (0..total)
        .map(|n| {
            Row::new(&format!(
                r#"{{"type":"enum","name":"E{n}","symbols":["A"]}}"#
            ))
        })
        .collect();
    let seen = SeenHistory {
        max_version: 0,
        generation: current,
    };
    let (outcomes, most_queued) = {
        let hold = store.begin_write().await.unwrap();
        let writes = rows.iter().enumerate().map(|(n, row)| {
            let seen = seen.clone();
            async move {
                store
                    .register_in_one_statement(".", &format!("s{n}"), seen, &row.schema(), &[])
                    .await
            }
        });
        let release = async {
            let mut most_queued = 0;
            while store.registrations_waiting() < total {
                most_queued = most_queued.max(store.registrations_queued());
                tokio::task::yield_now().await;
            }
            most_queued = most_queued.max(store.registrations_queued());
            drop(hold);
            most_queued
        };
        tokio::join!(join_all(writes.collect()), release)
    };
    assert_eq!(
        most_queued, QUEUE,
        "the queue fills to its bound and no further"
    );
    let ids: std::collections::HashSet<i64> = outcomes
        .into_iter()
        .map(|o| {
            let appended = o.unwrap().expect("written by the group writer");
            assert_eq!(appended.version, 1);
            appended.id
        })
        .collect();
    assert_eq!(ids.len(), total, "each its own id");
    assert_eq!(store.registrations_waiting(), 0);
    assert_eq!(store.registrations_queued(), 0);
}
