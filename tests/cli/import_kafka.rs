//! `schemata import --from-kafka` (docs/migration.md §5), run as the real binary against a
//! real Kafka-protocol broker (tansu) holding a storage topic written as Confluent Schema
//! Registry writes it: references across subjects, three formats, metadata and a rule set,
//! soft deletes (rewritten values and DELETE_SUBJECT), permanent deletes (tombstones) of a
//! version and of a subject whose id is the highest, CLEAR_SUBJECT, configs and modes at
//! every level and their tombstones, a second context, NOOP and records to skip. Imported
//! into SQLite and PostgreSQL and checked through the REST API of a Schemata served on the
//! result: every id, version, deletion, registration time, config and mode.

use crate::app::{drop_database, fresh_database, spawn_on, Backend, TestApp};
use crate::import::{schemata, text};
use crate::tansu::{avro, csr, Broker, Topic, T0};
use serde_json::{json, Value};
use std::process::Output;

async fn import_kafka(bootstrap: &str, target: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "import".to_string(),
        "--from-kafka".into(),
        bootstrap.into(),
        "--database-url".into(),
        target.into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    schemata(args).await
}

/// Writes records one second apart, from [`T0`].
struct Writer<'a> {
    topic: &'a Topic,
    next: i64,
}

impl Writer<'_> {
    /// Write a record; its timestamp.
    async fn put(&mut self, key: Value, value: Option<Value>) -> i64 {
        let at = T0 + self.next * 1000;
        self.next += 1;
        self.topic.write(&key, value, at).await;
        at
    }

    async fn schema(
        &mut self,
        subject: &str,
        version: i64,
        id: i64,
        text: &str,
        deleted: bool,
        extra: Value,
    ) -> i64 {
        self.put(
            csr::schema_key(subject, version),
            Some(csr::schema(subject, version, id, text, deleted, extra)),
        )
        .await
    }
}

/// The registration times of the versions the checks look at.
pub(crate) struct Times {
    avro_v3: i64,
    staged_v2: i64,
}

const PAYMENT: &str = "syntax = \"proto3\";\npackage acme;\nimport \"acme/money.proto\";\nmessage Payment { string id = 1; acme.Money amount = 2; }\n";
const MONEY: &str = "syntax = \"proto3\";\npackage acme;\nmessage Money { int64 cents = 1; string currency = 2; }\n";

pub(crate) fn order(field: &str) -> String {
    json!({"type": "record", "name": "Order", "namespace": "com.acme",
        "fields": [{"name": "common", "type": "com.acme.Common"}, {"name": field, "type": "int", "default": 0}]})
    .to_string()
}

/// The history, as CSR writes it to its topic.
pub(crate) async fn write_history(topic: &Topic) -> Times {
    let mut w = Writer { topic, next: 0 };
    w.put(csr::noop(), None).await;
    w.put(
        csr::config_key(None),
        Some(json!({"compatibilityLevel": "BACKWARD"})),
    )
    .await;
    let common = json!({"type": "record", "name": "Common", "namespace": "com.acme",
        "fields": [{"name": "id", "type": "string"}]})
    .to_string();
    w.schema("common-ref", 1, 1, &common, false, json!({}))
        .await;
    let refs =
        json!({"references": [{"name": "com.acme.Common", "subject": "common-ref", "version": 1}]});
    w.schema("avro-value", 1, 2, &order("a"), false, refs.clone())
        .await;
    let mut contract = refs.clone();
    contract["metadata"] = json!({"properties": {"owner": "team-a"}});
    contract["ruleSet"] = json!({"domainRules": [{"name": "checkA", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "message.a > 0"}]});
    w.schema("avro-value", 2, 3, &order("b"), false, contract)
        .await;
    let avro_v3 = w
        .schema("avro-value", 3, 4, &order("c"), false, refs.clone())
        .await;
    // A soft delete of one version rewrites its value.
    w.schema("avro-value", 3, 4, &order("c"), true, refs).await;
    w.schema(
        "acme/money.proto",
        1,
        5,
        MONEY,
        false,
        json!({"schemaType": "PROTOBUF"}),
    )
    .await;
    w.schema(
        "proto-value",
        1,
        6,
        PAYMENT,
        false,
        json!({"schemaType": "PROTOBUF",
        "references": [{"name": "acme/money.proto", "subject": "acme/money.proto", "version": 1}]}),
    )
    .await;
    let json_schema =
        json!({"type": "object", "properties": {"n": {"type": "integer"}}}).to_string();
    w.schema(
        "json-value",
        1,
        7,
        &json_schema,
        false,
        json!({"schemaType": "JSON"}),
    )
    .await;
    w.schema(
        "json-copy",
        1,
        7,
        &json_schema,
        false,
        json!({"schemaType": "JSON"}),
    )
    .await;
    // A version deleted for good: soft, then the tombstone.
    w.schema("hard-value", 1, 8, &avro("H", "f1"), false, json!({}))
        .await;
    w.schema("hard-value", 2, 9, &avro("H", "f2"), false, json!({}))
        .await;
    w.schema("hard-value", 2, 9, &avro("H", "f2"), true, json!({}))
        .await;
    w.put(csr::schema_key("hard-value", 2), None).await;
    // A subject soft-deleted whole (its config survives).
    w.schema("soft-value", 1, 10, &avro("Soft", "s"), false, json!({}))
        .await;
    w.put(
        csr::config_key(Some("soft-value")),
        Some(json!({"compatibilityLevel": "FULL"})),
    )
    .await;
    w.schema("soft-value", 1, 10, &avro("Soft", "s"), true, json!({}))
        .await;
    let (k, v) = csr::delete_subject("soft-value", 1);
    w.put(k, Some(v)).await;
    // A subject deleted for good, with its config and mode, holding the highest id.
    w.schema("gone-value", 1, 11, &avro("Gone", "g"), false, json!({}))
        .await;
    w.put(
        csr::config_key(Some("gone-value")),
        Some(json!({"compatibilityLevel": "NONE"})),
    )
    .await;
    w.put(
        csr::mode_key(Some("gone-value")),
        Some(json!({"subject": "gone-value", "mode": "READONLY"})),
    )
    .await;
    let (k, v) = csr::delete_subject("gone-value", 1);
    w.put(k, Some(v)).await;
    w.schema("gone-value", 1, 11, &avro("Gone", "g"), true, json!({}))
        .await;
    w.put(csr::schema_key("gone-value", 1), None).await;
    w.put(csr::mode_key(Some("gone-value")), None).await;
    w.put(csr::config_key(Some("gone-value")), None).await;
    // Another context with its own ids.
    w.schema(
        ":.staging:staged-value",
        1,
        1,
        &avro("Staged", "s1"),
        false,
        json!({}),
    )
    .await;
    let staged_v2 = w
        .schema(
            ":.staging:staged-value",
            2,
            2,
            &avro("Staged", "s2"),
            false,
            json!({}),
        )
        .await;
    w.put(
        csr::config_key(Some(":.staging:")),
        Some(json!({"compatibilityLevel": "BACKWARD_TRANSITIVE"})),
    )
    .await;
    w.put(
        csr::mode_key(Some(":.staging:staged-value")),
        Some(json!({"subject": ":.staging:staged-value", "mode": "READONLY"})),
    )
    .await;
    // A context emptied by CLEAR_SUBJECT (written when a scope switches to IMPORT).
    w.schema(":.tmp:x", 1, 1, &avro("Tmp", "t"), false, json!({}))
        .await;
    w.schema(":.tmp:x", 1, 1, &avro("Tmp", "t"), true, json!({}))
        .await;
    let (k, v) = csr::clear_subject(":.tmp:");
    w.put(k, Some(v)).await;
    // Settings at every level; the global config written twice.
    w.put(
        csr::config_key(Some("avro-value")),
        Some(json!({"compatibilityLevel": "FORWARD", "normalize": true})),
    )
    .await;
    w.put(
        csr::config_key(Some(":.__GLOBAL:")),
        Some(json!({"compatibilityLevel": "FULL_TRANSITIVE"})),
    )
    .await;
    w.put(
        csr::mode_key(Some("proto-value")),
        Some(json!({"subject": "proto-value", "mode": "READONLY"})),
    )
    .await;
    w.put(
        csr::config_key(None),
        Some(json!({"compatibilityLevel": "FULL"})),
    )
    .await;
    // Records a registry skips: a key type of newer releases, a key that is not JSON.
    w.put(
        json!({"keytype": "ASSOC", "tenant": "default", "magic": 0}),
        Some(json!({})),
    )
    .await;
    topic
        .write_raw(
            Some(b"not json".to_vec()),
            Some(b"{}".to_vec()),
            T0 + w.next * 1000,
        )
        .await;
    w.put(csr::noop(), None).await;
    Times { avro_v3, staged_v2 }
}

async fn body(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.text);
    r.json()
}

async fn status(app: &TestApp, path: &str) -> u16 {
    app.get(path).await.status.as_u16()
}

/// Every id, version, deletion, registration time, reference, config, mode and context of
/// the history, as the target answers them.
async fn check_history(app: &TestApp, times: &Times) {
    let deleted = body(app, "/subjects?deleted=true").await;
    let live = body(app, "/subjects").await;
    for s in [
        "avro-value",
        "common-ref",
        "acme/money.proto",
        "proto-value",
        "json-value",
        "json-copy",
        "hard-value",
    ] {
        assert!(
            live.as_array().unwrap().contains(&json!(s)),
            "{s} in {live}"
        );
    }
    assert!(!live.to_string().contains("soft-value"), "{live}");
    assert!(deleted.to_string().contains("soft-value"), "{deleted}");
    for gone in ["gone-value", ":.tmp:x"] {
        assert!(!deleted.to_string().contains(gone), "{deleted}");
        assert_eq!(
            status(app, &format!("/subjects/{gone}/versions?deleted=true")).await,
            404
        );
    }
    assert_eq!(
        body(app, "/subjects/avro-value/versions?deleted=true").await,
        json!([1, 2, 3])
    );
    assert_eq!(
        body(app, "/subjects/avro-value/versions").await,
        json!([1, 2])
    );
    assert_eq!(
        body(app, "/subjects/hard-value/versions?deleted=true").await,
        json!([1])
    );
    assert_eq!(
        body(app, "/subjects/soft-value/versions?deleted=true").await,
        json!([1])
    );
    // Every version with its id and deletion.
    for (subject, version, id, soft) in [
        ("common-ref", 1, 1, false),
        ("avro-value", 1, 2, false),
        ("avro-value", 2, 3, false),
        ("avro-value", 3, 4, true),
        ("acme%2Fmoney.proto", 1, 5, false),
        ("proto-value", 1, 6, false),
        ("json-value", 1, 7, false),
        ("json-copy", 1, 7, false),
        ("hard-value", 1, 8, false),
        ("soft-value", 1, 10, true),
    ] {
        let v = body(
            app,
            &format!("/subjects/{subject}/versions/{version}?deleted=true"),
        )
        .await;
        assert_eq!(v["id"], id, "{subject} v{version}: {v}");
        assert_eq!(
            v["deleted"].as_bool().unwrap_or(false),
            soft,
            "{subject} v{version}: {v}"
        );
    }
    // The registration time is the record that registered the version, not its soft delete.
    let v3 = body(app, "/subjects/avro-value/versions/3?deleted=true").await;
    assert_eq!(v3["ts"], times.avro_v3, "{v3}");
    let v2 = body(app, "/subjects/avro-value/versions/2").await;
    assert_eq!(v2["metadata"]["properties"]["owner"], "team-a", "{v2}");
    assert_eq!(v2["ruleSet"]["domainRules"][0]["name"], "checkA", "{v2}");
    assert_eq!(v2["references"][0]["subject"], "common-ref", "{v2}");
    let proto = body(app, "/schemas/ids/6").await;
    assert_eq!(proto["schemaType"], "PROTOBUF", "{proto}");
    assert_eq!(
        body(app, "/schemas/ids/7/subjects").await,
        json!(["json-copy", "json-value"])
    );
    assert_eq!(
        body(
            app,
            "/subjects/common-ref/versions/1/referencedby?deleted=true"
        )
        .await,
        json!([2, 3, 4])
    );
    // Ids permanently deleted are gone; the others resolve.
    for id in 1..=11 {
        let expected = if id == 9 || id == 11 { 404 } else { 200 };
        assert_eq!(
            status(app, &format!("/schemas/ids/{id}")).await,
            expected,
            "id {id}"
        );
    }
    // The second context.
    let staged = body(app, "/subjects/:.staging:staged-value/versions/2").await;
    assert_eq!(
        (staged["id"].clone(), staged["ts"].clone()),
        (json!(2), json!(times.staged_v2)),
        "{staged}"
    );
    assert_eq!(status(app, "/schemas/ids/2?subject=:.staging:").await, 200);
    let contexts = body(app, "/contexts").await;
    assert_eq!(
        contexts,
        json!([".", ".staging"]),
        "the emptied .tmp is hidden: {contexts}"
    );
    // Configs and modes, the removed ones absent.
    assert_eq!(body(app, "/config").await["compatibilityLevel"], "FULL");
    let avro_config = body(app, "/config/avro-value").await;
    assert_eq!(
        (
            avro_config["compatibilityLevel"].clone(),
            avro_config["normalize"].clone()
        ),
        (json!("FORWARD"), json!(true))
    );
    assert_eq!(
        body(app, "/config/:.__GLOBAL:").await["compatibilityLevel"],
        "FULL_TRANSITIVE"
    );
    assert_eq!(
        body(app, "/config/:.staging:").await["compatibilityLevel"],
        "BACKWARD_TRANSITIVE"
    );
    assert_eq!(
        body(app, "/config/soft-value").await["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(status(app, "/config/gone-value").await, 404);
    assert_eq!(status(app, "/mode/gone-value").await, 404);
    assert_eq!(body(app, "/mode/proto-value").await["mode"], "READONLY");
    assert_eq!(
        body(app, "/mode/:.staging:staged-value").await["mode"],
        "READONLY"
    );
}

#[tokio::test]
async fn a_csr_storage_topic_imports_into_sqlite_and_postgres_with_every_id() {
    let broker = Broker::start(&[]);
    let topic = broker.topic("_schemas").await;
    let times = write_history(&topic).await;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (target_url, _dir) = fresh_database(backend).await;
        let out = import_kafka(&broker.bootstrap, &target_url, &[]).await;
        let report = text(&out);
        assert_eq!(out.status.code(), Some(0), "{report}");
        assert!(report.contains("verified:"), "{report}");
        // What was read, skipped and ignored is said.
        assert!(
            report.contains("1 ASSOC") && report.contains("2 NOOP"),
            "{report}"
        );
        assert!(report.contains("its key is not a registry key"), "{report}");
        let target = spawn_on(&target_url, backend, Default::default()).await;
        check_history(&target, &times).await;
        // Running it again writes nothing.
        let again = import_kafka(&broker.bootstrap, &target_url, &[]).await;
        let report = text(&again);
        assert_eq!(again.status.code(), Some(0), "{report}");
        assert!(
            report.contains("(0 to write)") && report.contains("0 versions written"),
            "{report}"
        );
        // New ids continue above every id the topic gave out, the permanently deleted 11
        // included; and in the hidden context above its own.
        target
            .put("/mode", json!({"mode": "READWRITE"}))
            .await
            .assert_ok();
        let r = target
            .register_body("after-import", json!({"schema": avro("After", "a")}))
            .await;
        assert_eq!(r.assert_ok()["id"], 12, "{}", r.text);
        let r = target
            .register_body(":.tmp:y", json!({"schema": avro("Y", "y")}))
            .await;
        assert_eq!(r.assert_ok()["id"], 2, "{}", r.text);
        drop_database(backend, &target_url).await;
    }
}

#[tokio::test]
async fn a_new_import_replays_the_permanent_deletes_since_the_last_one() {
    let broker = Broker::start(&[]);
    let topic = broker.topic("_schemas").await;
    write_history(&topic).await;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (target_url, _dir) = fresh_database(backend).await;
        let out = import_kafka(&broker.bootstrap, &target_url, &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        // Meanwhile the source deleted avro-value's version 3 for good and a config.
        let at = T0 + 1_000_000;
        topic
            .write(&csr::schema_key("avro-value", 3), None, at)
            .await;
        topic
            .write(&csr::config_key(Some("soft-value")), None, at)
            .await;
        let out = import_kafka(&broker.bootstrap, &target_url, &[]).await;
        let report = text(&out);
        assert_eq!(out.status.code(), Some(0), "{report}");
        assert!(report.contains("2 removed as in the source"), "{report}");
        let target = spawn_on(&target_url, backend, Default::default()).await;
        assert_eq!(
            body(&target, "/subjects/avro-value/versions?deleted=true").await,
            json!([1, 2])
        );
        assert_eq!(status(&target, "/schemas/ids/4").await, 404);
        assert_eq!(status(&target, "/config/soft-value").await, 404);
        // Put back for the next backend.
        topic.write(&csr::schema_key("avro-value", 3), Some(csr::schema("avro-value", 3, 4, &order("c"), true,
            json!({"references": [{"name": "com.acme.Common", "subject": "common-ref", "version": 1}]}))), at).await;
        topic
            .write(
                &csr::config_key(Some("soft-value")),
                Some(json!({"compatibilityLevel": "FULL"})),
                at,
            )
            .await;
        drop_database(backend, &target_url).await;
    }
}

#[tokio::test]
async fn an_import_through_the_rest_api_replays_the_permanent_deletes() {
    let broker = Broker::start(&[]);
    let topic = broker.topic("_schemas").await;
    let mut w = Writer {
        topic: &topic,
        next: 0,
    };
    let base = avro("Base", "b");
    w.schema("base-ref", 1, 1, &base, false, json!({})).await;
    let refs = json!({"references": [{"name": "Base", "subject": "base-ref", "version": 1}]});
    let user = |field: &str| {
        json!({"type": "record", "name": "User", "fields": [{"name": "base", "type": "Base"},
            {"name": field, "type": "int", "default": 0}]})
        .to_string()
    };
    w.schema("users-value", 1, 2, &user("a"), false, refs.clone())
        .await;
    w.schema("users-value", 2, 3, &user("b"), false, refs.clone())
        .await;
    w.schema("users-value", 2, 3, &user("b"), true, refs.clone())
        .await;
    w.schema("copy-value", 1, 2, &user("a"), false, refs.clone())
        .await;
    w.put(
        csr::config_key(Some("users-value")),
        Some(json!({"compatibilityLevel": "NONE"})),
    )
    .await;
    w.put(
        csr::mode_key(Some("copy-value")),
        Some(json!({"subject": "copy-value", "mode": "READWRITE"})),
    )
    .await;
    let (target_url, _dir) = fresh_database(Backend::Sqlite).await;
    let target = spawn_on(&target_url, Backend::Sqlite, Default::default()).await;
    let to = ["--to", target.base.as_str()];
    let out = import_kafka(&broker.bootstrap, "unused", &to).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        body(&target, "/subjects/users-value/versions?deleted=true").await,
        json!([1, 2])
    );
    // Then the source deleted for good the soft-deleted version, a live one (soft first,
    // as a registry must), a config and a mode.
    w.put(csr::schema_key("users-value", 2), None).await;
    w.schema("copy-value", 1, 2, &user("a"), true, refs).await;
    w.put(csr::schema_key("copy-value", 1), None).await;
    w.put(csr::config_key(Some("users-value")), None).await;
    w.put(csr::mode_key(Some("copy-value")), None).await;
    let out = import_kafka(&broker.bootstrap, "unused", &to).await;
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report.contains("(4 to remove)"), "{report}");
    // The mode goes with the subject's last version (the target deletes a subject's
    // settings with it), so three removals do it all.
    assert!(report.contains("3 removed as in the source"), "{report}");
    assert!(report.contains("4 removals absent"), "{report}");
    assert_eq!(
        body(&target, "/subjects/users-value/versions?deleted=true").await,
        json!([1])
    );
    assert_eq!(status(&target, "/schemas/ids/3").await, 404);
    assert_eq!(
        status(&target, "/subjects/copy-value/versions?deleted=true").await,
        404
    );
    assert_eq!(
        body(&target, "/schemas/ids/2/subjects?deleted=true").await,
        json!(["users-value"])
    );
    assert_eq!(status(&target, "/config/users-value").await, 404);
    assert_eq!(status(&target, "/mode/copy-value").await, 404);
    // Again: nothing left to remove.
    let again = import_kafka(&broker.bootstrap, "unused", &to).await;
    let report = text(&again);
    assert_eq!(again.status.code(), Some(0), "{report}");
    assert!(report.contains("(0 to remove)"), "{report}");
}

#[tokio::test]
async fn a_target_holding_other_schemas_under_the_ids_is_refused_untouched() {
    let broker = Broker::start(&[]);
    let topic = broker.topic("_schemas").await;
    write_history(&topic).await;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (target_url, _dir) = fresh_database(backend).await;
        let target = spawn_on(&target_url, backend, Default::default()).await;
        target
            .put("/mode", json!({"mode": "IMPORT"}))
            .await
            .assert_ok();
        let r = target
            .register_body(
                "mine",
                json!({"schema": avro("Mine", "m"), "id": 2, "version": 1}),
            )
            .await;
        r.assert_ok();
        let out = import_kafka(&broker.bootstrap, &target_url, &[]).await;
        let report = text(&out);
        assert_eq!(out.status.code(), Some(1), "{report}");
        assert!(
            report.contains("conflict: schema id 2 in context . holds a different schema"),
            "{report}"
        );
        assert!(report.contains("nothing was written"), "{report}");
        assert_eq!(
            body(&target, "/subjects?deleted=true").await,
            json!(["mine"])
        );
        drop_database(backend, &target_url).await;
    }
}

#[tokio::test]
async fn batches_compressed_with_every_codec_kafka_uses_are_read() {
    use rskafka::client::partition::Compression;
    let broker = Broker::start(&[]);
    let topic = broker.topic("_schemas").await;
    let codecs = [
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ];
    for (n, (name, compression)) in codecs.into_iter().enumerate() {
        let subject = format!("{name}-value");
        let records: Vec<_> = (1..=3)
            .map(|version| {
                let id = (n * 3) as i64 + version;
                (
                    csr::schema_key(&subject, version),
                    Some(csr::schema(
                        &subject,
                        version,
                        id,
                        &avro(&format!("C{id}"), name),
                        false,
                        json!({}),
                    )),
                )
            })
            .collect();
        topic
            .write_batch(&records, T0 + n as i64, compression)
            .await;
    }
    let dir = crate::common::Dir::new();
    let out = import_kafka(&broker.bootstrap, &dir.database_url(), &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let target = spawn_on(&dir.database_url(), Backend::Sqlite, Default::default()).await;
    for (n, name) in ["gzip", "snappy", "lz4", "zstd"].into_iter().enumerate() {
        for version in 1..=3 {
            let v = body(
                &target,
                &format!("/subjects/{name}-value/versions/{version}"),
            )
            .await;
            assert_eq!(v["id"], (n * 3) as i64 + version, "{name} v{version}: {v}");
            assert_eq!(v["ts"], T0 + n as i64, "{name} v{version}: {v}");
        }
    }
}

#[tokio::test]
async fn kafka_sources_that_cannot_be_read_fail_clearly() {
    let broker = Broker::start(&[]);
    let dir = crate::common::Dir::new();
    let target = dir.database_url();
    // No such topic (and asking does not create it).
    let out = import_kafka(&broker.bootstrap, &target, &["--topic", "_nothing"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("topic _nothing on"), "{}", text(&out));
    assert!(text(&out).contains("does not exist"), "{}", text(&out));
    // Options this build cannot honour, named; the password never shown.
    let out = import_kafka(
        &broker.bootstrap,
        &target,
        &[
            "--kafka-option",
            "security.protocol=SASL_SSL",
            "--kafka-option",
            "sasl.password=hunter2",
            "--kafka-option",
            "sasl.mechanism=GSSAPI",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("sasl.mechanism GSSAPI is not supported"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
    // A cluster that cannot be reached is an outage: 3, as for a registry, once
    // socket.timeout.ms has passed.
    let out = import_kafka(
        &crate::common::dead_url().replace("http://", ""),
        &target,
        &["--kafka-option", "socket.timeout.ms=500"],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("cannot connect to Kafka") && text(&out).contains("deadline"),
        "{}",
        text(&out)
    );
    // A timeout that is not milliseconds is bad input, named.
    let out = import_kafka(
        &broker.bootstrap,
        &target,
        &["--kafka-option", "socket.timeout.ms=soon"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("socket.timeout.ms \"soon\": milliseconds from 10 to 3600000"),
        "{}",
        text(&out)
    );
    // Kafka options without a Kafka source.
    let out = schemata(vec![
        "import".into(),
        "--from-file".into(),
        "x".into(),
        "--database-url".into(),
        target.clone(),
        "--kafka-option".into(),
        "client.id=x".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("apply to --from-kafka only"),
        "{}",
        text(&out)
    );
}

/// The realistic topic through the REST API: its Avro schemas name a referenced type in full
/// where the target's canonical text shortens it, under a subject whose config has
/// `normalize: true`. The verification and a re-run compare the two spellings by parsing
/// them (the target's lookup would normalise only the incoming one): verified, and nothing
/// to write or refuse the second time.
#[tokio::test]
async fn another_spelling_of_a_schema_is_the_same_schema_through_the_rest_api() {
    let broker = Broker::start(&[]);
    let topic = broker.topic("_schemas").await;
    write_history(&topic).await;
    let (target_url, _dir) = fresh_database(Backend::Sqlite).await;
    let target = spawn_on(&target_url, Backend::Sqlite, Default::default()).await;
    let to = ["--to", target.base.as_str()];
    let out = import_kafka(&broker.bootstrap, "unused", &to).await;
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report.contains("verified:"), "{report}");
    assert_eq!(body(&target, "/config/avro-value").await["normalize"], true);
    let again = import_kafka(&broker.bootstrap, "unused", &to).await;
    let report = text(&again);
    assert_eq!(again.status.code(), Some(0), "{report}");
    assert!(report.contains("(0 to write)"), "{report}");
    assert!(!report.contains("conflict"), "{report}");
}
