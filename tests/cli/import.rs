//! `schemata export` and `schemata import` (docs/migration.md), run as the real binary
//! against real registries: a source filled with a history that exercises every case,
//! imported over REST into fresh SQLite and PostgreSQL stores, exported from SQLite and
//! restored into PostgreSQL; every REST answer of the source and the target compared.
//! Also: conflicts refused with nothing written, re-runs that write nothing, a resumed
//! import, `--dry-run`.

use crate::app::{drop_database, fresh_database, spawn_on, Backend, TempDir, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Run the binary off the async runtime (the registries run on it).
pub(crate) async fn schemata(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args(&args)
            .env_remove("SCHEMATA_DATABASE_URL")
            .env_remove("SCHEMATA_REGISTRY_URL")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn import_from(url: &str, target: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "import".to_string(),
        "--from".into(),
        url.into(),
        "--database-url".into(),
        target.into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    schemata(args).await
}

async fn import_file(file: &Path, target: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "import".to_string(),
        "--from-file".into(),
        file.display().to_string(),
        "--database-url".into(),
        target.into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    schemata(args).await
}

async fn export(database: &str, file: &Path) -> Output {
    schemata(vec![
        "export".into(),
        "--database-url".into(),
        database.into(),
        "--output".into(),
        file.display().to_string(),
    ])
    .await
}

/// A registry on a fresh database of `backend`; the database URL, its directory (SQLite)
/// kept alive by the caller.
async fn fresh(backend: Backend) -> (String, Option<TempDir>) {
    fresh_database(backend).await
}

async fn ok(app: &TestApp, reply: crate::app::Reply) -> Value {
    let _ = app;
    reply.assert_ok()
}

/// Fill `app` with a history that exercises every case the import must keep: three formats,
/// references across subjects (Avro and Protobuf), metadata and a rule set, soft-deleted
/// versions, a permanently deleted version and subject, a soft-deleted subject, an id shared
/// by two subjects, a second context, and config and mode at global, `.__GLOBAL`, context
/// and subject level.
async fn fill(app: &TestApp) {
    app.put("/config", json!({"compatibility": "NONE"}))
        .await
        .assert_ok();
    let common = json!({"type": "record", "name": "Common", "namespace": "com.acme",
        "fields": [{"name": "id", "type": "string"}]});
    let r = app
        .register_body("common-ref", json!({"schema": common.to_string()}))
        .await;
    ok(app, r).await;
    let order = |extra: &str| {
        json!({"type": "record", "name": "Order", "namespace": "com.acme",
            "fields": [{"name": "common", "type": "com.acme.Common"},
                       {"name": extra, "type": "int", "default": 0}]})
        .to_string()
    };
    let reference = json!([{"name": "com.acme.Common", "subject": "common-ref", "version": 1}]);
    for (i, extra) in ["a", "b", "c"].iter().enumerate() {
        let mut body = json!({"schema": order(extra), "references": reference});
        if i == 1 {
            body["metadata"] = json!({"properties": {"owner": "team-a", "pii": "no"}});
            body["ruleSet"] = json!({"domainRules": [{"name": "checkA", "kind": "CONDITION",
                "mode": "WRITE", "type": "CEL", "expr": "message.a > 0"}]});
        }
        let r = app.register_body("avro-value", body).await;
        ok(app, r).await;
    }
    // Version 3 soft-deleted.
    app.delete("/subjects/avro-value/versions/3")
        .await
        .assert_ok();

    let dep = "syntax = \"proto3\";\npackage acme;\nmessage Money { int64 cents = 1; string currency = 2; }\n";
    let r = app
        .register_body(
            "acme%2Fmoney.proto",
            json!({"schemaType": "PROTOBUF", "schema": dep}),
        )
        .await;
    ok(app, r).await;
    let payment = "syntax = \"proto3\";\npackage acme;\nimport \"acme/money.proto\";\nmessage Payment { string id = 1; acme.Money amount = 2; }\n";
    let r = app
        .register_body(
            "proto-value",
            json!({"schemaType": "PROTOBUF", "schema": payment,
                "references": [{"name": "acme/money.proto", "subject": "acme/money.proto", "version": 1}]}),
        )
        .await;
    ok(app, r).await;

    let json_schema =
        json!({"type": "object", "properties": {"n": {"type": "integer"}}}).to_string();
    for subject in ["json-value", "json-copy"] {
        // The same schema in two subjects: one id.
        let r = app
            .register_body(
                subject,
                json!({"schemaType": "JSON", "schema": json_schema}),
            )
            .await;
        ok(app, r).await;
    }

    // A version deleted for good, and a whole subject deleted for good.
    for n in 1..=2 {
        let schema = json!({"type": "record", "name": "H", "fields": [{"name": format!("f{n}"), "type": "int", "default": 0}]});
        app.register("hard-value", &schema).await;
    }
    app.delete("/subjects/hard-value/versions/2")
        .await
        .assert_ok();
    app.delete("/subjects/hard-value/versions/2?permanent=true")
        .await
        .assert_ok();
    app.register(
        "gone-value",
        &json!({"type": "record", "name": "Gone", "fields": []}),
    )
    .await;
    app.delete("/subjects/gone-value").await.assert_ok();
    app.delete("/subjects/gone-value?permanent=true")
        .await
        .assert_ok();
    // A subject soft-deleted whole, with a config that survives it.
    app.register(
        "soft-value",
        &json!({"type": "record", "name": "Soft", "fields": []}),
    )
    .await;
    app.put("/config/soft-value", json!({"compatibility": "FULL"}))
        .await
        .assert_ok();
    app.delete("/subjects/soft-value").await.assert_ok();

    // Another context with its own ids.
    for n in 1..=2 {
        let schema = json!({"type": "record", "name": "Staged", "fields": [{"name": format!("s{n}"), "type": "int", "default": 0}]});
        let r = app
            .register_body(
                ":.staging:staged-value",
                json!({"schema": schema.to_string()}),
            )
            .await;
        ok(app, r).await;
    }
    app.put(
        "/config/:.staging:",
        json!({"compatibility": "BACKWARD_TRANSITIVE"}),
    )
    .await
    .assert_ok();
    app.put("/mode/:.staging:staged-value", json!({"mode": "READONLY"}))
        .await
        .assert_ok();

    // A context emptied and deleted: hidden, its id counter kept.
    let r = app
        .register_body(
            ":.tmp:x",
            json!({"schema": json!({"type": "record", "name": "Tmp", "fields": []}).to_string()}),
        )
        .await;
    assert_eq!(ok(app, r).await["id"], 1);
    app.delete("/subjects/:.tmp:x").await.assert_ok();
    app.delete("/subjects/:.tmp:x?permanent=true")
        .await
        .assert_ok();
    let r = app.delete("/contexts/:.tmp:").await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);

    // Settings at every level.
    app.put(
        "/config/avro-value",
        json!({"compatibility": "FORWARD", "normalize": true}),
    )
    .await
    .assert_ok();
    app.put(
        "/config/:.__GLOBAL:",
        json!({"compatibility": "FULL_TRANSITIVE"}),
    )
    .await
    .assert_ok();
    app.put("/mode/proto-value", json!({"mode": "READONLY"}))
        .await
        .assert_ok();
    app.put("/config", json!({"compatibility": "FULL"}))
        .await
        .assert_ok();
}

/// Every REST answer a client can see, by request: subjects, every version with
/// `deleted=true`, schemas by id (with their subjects and versions), `referencedby`,
/// config and mode at every level, contexts.
async fn answers(app: &TestApp) -> BTreeMap<String, (u16, String)> {
    let mut out = BTreeMap::new();
    let mut ask = |path: String, reply: crate::app::Reply| {
        out.insert(path, (reply.status.as_u16(), reply.text.clone()));
        reply
    };
    let subjects = ask(
        "/subjects?deleted=true".into(),
        app.get("/subjects?deleted=true").await,
    )
    .json();
    ask("/subjects".into(), app.get("/subjects").await);
    ask("/contexts".into(), app.get("/contexts").await);
    for scope in ["", "/:.staging:", "/:.__GLOBAL:"] {
        for resource in ["config", "mode"] {
            let path = format!("/{resource}{scope}");
            ask(path.clone(), app.get(&path).await);
        }
    }
    let mut ids = BTreeMap::new();
    for subject in subjects.as_array().unwrap() {
        let s = subject.as_str().unwrap();
        let seg = s.replace('/', "%2F");
        for path in [
            format!("/subjects/{seg}/versions?deleted=true"),
            format!("/subjects/{seg}/versions"),
            format!("/config/{seg}"),
            format!("/mode/{seg}"),
        ] {
            ask(path.clone(), app.get(&path).await);
        }
        let versions = app
            .get(&format!("/subjects/{seg}/versions?deleted=true"))
            .await
            .json();
        for v in versions.as_array().unwrap() {
            let path = format!("/subjects/{seg}/versions/{v}?deleted=true");
            let body = ask(path.clone(), app.get(&path).await).json();
            let context = if s.starts_with(":.staging:") {
                ":.staging:"
            } else {
                ""
            };
            ids.insert((context.to_string(), body["id"].as_i64().unwrap()), ());
            let path = format!("/subjects/{seg}/versions/{v}/referencedby?deleted=true");
            ask(path.clone(), app.get(&path).await);
        }
    }
    // Every id up to one past the highest, in both contexts (misses must agree too).
    for context in ["", ":.staging:"] {
        let highest = ids
            .keys()
            .filter(|(c, _)| c == context)
            .map(|(_, i)| *i)
            .max()
            .unwrap_or(0);
        for id in 1..=highest + 1 {
            for suffix in ["", "/versions?deleted=true", "/subjects?deleted=true"] {
                let path = format!("/schemas/ids/{id}{suffix}");
                let path = if context.is_empty() {
                    path
                } else {
                    let sep = if suffix.is_empty() { '?' } else { '&' };
                    format!("{path}{sep}subject={context}")
                };
                ask(path.clone(), app.get(&path).await);
            }
        }
    }
    out
}

/// Assert two registries answer every request alike.
fn assert_same(source: &BTreeMap<String, (u16, String)>, target: &BTreeMap<String, (u16, String)>) {
    assert!(source.len() > 30, "only {} answers compared", source.len());
    let differing: Vec<String> = source
        .iter()
        .filter(|(path, answer)| target.get(*path) != Some(answer))
        .map(|(path, answer)| format!("{path}: source {answer:?}, target {:?}", target.get(path)))
        .collect();
    assert!(
        differing.is_empty(),
        "{} answers differ:\n{}",
        differing.len(),
        differing.join("\n")
    );
    assert_eq!(
        source.keys().collect::<Vec<_>>(),
        target.keys().collect::<Vec<_>>()
    );
}

/// A new registration in the target gets an id above every id the source gave out.
async fn new_ids_continue_above(target: &TestApp, above: i64) {
    app_mode_readwrite(target).await;
    let r = target
        .register_body(
            "after-import",
            json!({"schema": json!({"type": "record", "name": "After", "fields": []}).to_string()}),
        )
        .await;
    let id = r.assert_ok()["id"].as_i64().unwrap();
    assert!(id > above, "new id {id} not above {above}");
}

async fn app_mode_readwrite(app: &TestApp) {
    app.put("/mode", json!({"mode": "READWRITE"}))
        .await
        .assert_ok();
}

/// The highest id the source's REST API shows in its default context.
async fn highest_id(app: &TestApp) -> i64 {
    let mut highest = 0;
    for id in 1..=50 {
        if app.get(&format!("/schemas/ids/{id}")).await.status.as_u16() == 200 {
            highest = id;
        }
    }
    highest
}

/// The history `fill` wrote is what the comparisons compare: deletions, references, the
/// shared id, metadata and the second context are all in the source's answers.
fn assert_history_exercised(answers: &BTreeMap<String, (u16, String)>) {
    let answer = |path: &str| {
        answers
            .get(path)
            .unwrap_or_else(|| panic!("no {path}"))
            .1
            .clone()
    };
    let subjects = answer("/subjects?deleted=true");
    for s in [
        "soft-value",
        ":.staging:staged-value",
        "acme/money.proto",
        "json-copy",
    ] {
        assert!(subjects.contains(s), "{subjects}");
    }
    assert!(!subjects.contains("gone-value"), "{subjects}");
    assert!(!answer("/subjects").contains("soft-value"));
    assert_eq!(
        answer("/subjects/avro-value/versions?deleted=true"),
        "[1,2,3]"
    );
    assert_eq!(answer("/subjects/avro-value/versions"), "[1,2]");
    assert_eq!(answer("/subjects/hard-value/versions?deleted=true"), "[1]");
    assert!(answer("/subjects/avro-value/versions/3?deleted=true").contains("\"deleted\":true"));
    assert!(answer("/subjects/avro-value/versions/2?deleted=true").contains("checkA"));
    assert_ne!(
        answer("/subjects/common-ref/versions/1/referencedby?deleted=true"),
        "[]"
    );
    let shared = answers
        .iter()
        .filter(|(p, (_, body))| {
            p.ends_with("/subjects?deleted=true")
                && body.contains("json-copy")
                && body.contains("json-value")
        })
        .count();
    assert!(shared > 0, "one id carries both JSON subjects");
    assert!(answer("/config/:.staging:").contains("BACKWARD_TRANSITIVE"));
    assert!(answer("/mode/proto-value").contains("READONLY"));
    assert!(answer("/config/soft-value").contains("FULL"));
    assert!(answer("/contexts").contains(".staging"));
}

#[tokio::test]
async fn import_over_rest_into_sqlite_and_postgres_answers_alike() {
    let (source_url, _source_dir) = fresh(Backend::Postgres).await;
    let source = spawn_on(&source_url, Backend::Postgres, Default::default()).await;
    fill(&source).await;
    let expected = answers(&source).await;
    assert_history_exercised(&expected);
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (target_url, _dir) = fresh(backend).await;
        let out = import_from(&source.base, &target_url, &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("verified:"), "{}", text(&out));
        let target = spawn_on(&target_url, backend, Default::default()).await;
        assert_same(&expected, &answers(&target).await);
        // Running it again writes nothing.
        let again = import_from(&source.base, &target_url, &[]).await;
        assert_eq!(again.status.code(), Some(0), "{}", text(&again));
        assert!(
            text(&again).contains("(0 to write)") && text(&again).contains("0 versions written"),
            "{}",
            text(&again)
        );
        assert_same(&expected, &answers(&target).await);
        new_ids_continue_above(&target, highest_id(&source).await).await;
        drop_database(backend, &target_url).await;
    }
    drop_database(Backend::Postgres, &source_url).await;
}

#[tokio::test]
async fn export_from_sqlite_restores_into_postgres_with_every_answer_and_id() {
    let (source_url, _source_dir) = fresh(Backend::Sqlite).await;
    let source = spawn_on(&source_url, Backend::Sqlite, Default::default()).await;
    fill(&source).await;
    let expected = answers(&source).await;
    assert_history_exercised(&expected);
    let dir = scratch();
    let file = dir.0.join("backup.jsonl");
    let out = export(&source_url, &file).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["format"], "schemata-export");
    assert_eq!(lines[0]["version"], 1);
    assert_eq!(lines.last().unwrap()["record"], "end");
    let ids: Vec<i64> = lines
        .iter()
        .filter(|l| l["record"] == "schema" && l["context"] == ".")
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids not ascending: {ids:?}"
    );
    // The permanently deleted subject's id is not exported, but the counter is.
    let default_context = lines
        .iter()
        .find(|l| l["record"] == "context" && l["name"] == ".")
        .unwrap();
    let max_id = default_context["max_id"].as_i64().unwrap();
    assert!(
        max_id > *ids.last().unwrap() || ids.contains(&max_id),
        "{default_context}"
    );

    let (target_url, _dir) = fresh(Backend::Postgres).await;
    let out = import_file(&file, &target_url, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let target = spawn_on(&target_url, Backend::Postgres, Default::default()).await;
    assert_same(&expected, &answers(&target).await);
    new_ids_continue_above(&target, max_id).await;
    // The hidden context stays hidden, and its counter did not go back.
    let r = target
        .register_body(
            ":.tmp:y",
            json!({"schema": json!({"type": "record", "name": "Y", "fields": []}).to_string()}),
        )
        .await;
    assert_eq!(r.assert_ok()["id"], 2);
    drop_database(Backend::Postgres, &target_url).await;
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch() -> Scratch {
    let dir =
        std::env::temp_dir().join(format!("schemata_import_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// A source on a fresh SQLite file, filled, and its export.
async fn exported_source() -> (TestApp, Option<TempDir>, Scratch, PathBuf) {
    let (url, dir) = fresh(Backend::Sqlite).await;
    let source = spawn_on(&url, Backend::Sqlite, Default::default()).await;
    fill(&source).await;
    let scratch = scratch();
    let file = scratch.0.join("backup.jsonl");
    let out = export(&url, &file).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (source, dir, scratch, file)
}

#[tokio::test]
async fn conflicts_are_all_reported_and_nothing_is_written() {
    let (_source, _source_dir, _scratch, file) = exported_source().await;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (target_url, _dir) = fresh(backend).await;
        let target = spawn_on(&target_url, backend, Default::default()).await;
        // Id 1 holds another schema, and avro-value version 1 another id.
        target
            .register(
                "elsewhere",
                &json!({"type": "record", "name": "Mine", "fields": []}),
            )
            .await;
        target
            .register(
                "filler",
                &json!({"type": "record", "name": "Filler", "fields": []}),
            )
            .await;
        target
            .register(
                "avro-value",
                &json!({"type": "record", "name": "Theirs", "fields": []}),
            )
            .await;
        let before = answers(&target).await;
        let out = import_file(&file, &target_url, &[]).await;
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let report = text(&out);
        assert!(
            report.contains("schema id 1 in context . holds a different schema"),
            "{report}"
        );
        assert!(
            report.contains("subject avro-value version 1 holds schema id 3 in the target"),
            "{report}"
        );
        assert!(report.contains("nothing was written"), "{report}");
        assert_same(&before, &answers(&target).await);
        drop_database(backend, &target_url).await;
    }
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let (_source, _source_dir, _scratch, file) = exported_source().await;
    let (empty_url, _empty_dir) = fresh(Backend::Sqlite).await;
    let empty = answers(&spawn_on(&empty_url, Backend::Sqlite, Default::default()).await).await;
    let (target_url, _dir) = fresh(Backend::Sqlite).await;
    let out = import_file(&file, &target_url, &["--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("dry run: nothing was written"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("11 schemas (11 to write)"),
        "{}",
        text(&out)
    );
    let target = spawn_on(&target_url, Backend::Sqlite, Default::default()).await;
    let after = answers(&target).await;
    assert_eq!(after, empty);
    assert_eq!(after["/subjects?deleted=true"].1, "[]");
}

/// Off a terminal, progress is plain lines on stderr (no bar, no control characters);
/// `--quiet` shows none; the schema texts a REST crawl keeps in a temporary file (in
/// `TMPDIR`) are gone when the import ends.
#[tokio::test]
async fn progress_is_plain_lines_off_a_terminal_and_nothing_when_quiet() {
    let (source, _source_dir, scratch, file) = exported_source().await;
    let tmp = scratch.0.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let run = |args: Vec<String>| {
        let tmp = tmp.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_schemata"))
                .args(&args)
                .env_remove("SCHEMATA_DATABASE_URL")
                .env_remove("SCHEMATA_IMPORT_QUIET")
                .env("TMPDIR", &tmp)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        })
    };
    let args = |from: &[&str], target: &str, quiet: bool| {
        let mut args: Vec<String> = vec!["import".into()];
        args.extend(from.iter().map(|s| s.to_string()));
        args.extend(["--database-url".into(), target.to_string()]);
        if quiet {
            args.push("--quiet".into());
        }
        args
    };
    let file = file.display().to_string();
    for from in [
        vec!["--from-file", file.as_str()],
        vec!["--from", source.base.as_str()],
    ] {
        let (target_url, _dir) = fresh(Backend::Sqlite).await;
        let out = run(args(&from, &target_url, false)).await.unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let stderr = String::from_utf8(out.stderr.clone()).unwrap();
        let mut passes = vec!["checking", "importing", "verifying"];
        if from[0] == "--from" {
            passes.insert(0, "reading the source");
        }
        let done: Vec<&str> = stderr
            .lines()
            .filter(|l| l.ends_with(" schemas done") || l.ends_with(" subjects done"))
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(done, passes, "{}", text(&out));
        assert!(
            !stderr.contains(['\r', '\u{1b}']),
            "no bar off a terminal: {stderr:?}"
        );
        let stdout = String::from_utf8(out.stdout.clone()).unwrap();
        assert!(stdout.contains("verified: 11 schemas"), "{}", text(&out));

        let (target_url, _dir) = fresh(Backend::Sqlite).await;
        let out = run(args(&from, &target_url, true)).await.unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{}", text(&out));
        assert_eq!(String::from_utf8(out.stdout.clone()).unwrap(), stdout);
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "no temporary file is left behind"
        );
    }
}

#[tokio::test]
async fn an_interrupted_import_resumes() {
    let (source, _source_dir, scratch, file) = exported_source().await;
    let expected = answers(&source).await;
    // The import stopped after some schemas: the same file cut after its sixth schema.
    let whole = std::fs::read_to_string(&file).unwrap();
    let mut cut = String::new();
    let mut schemas = 0;
    for line in whole.lines() {
        if line.contains("\"record\":\"schema\"") {
            schemas += 1;
            if schemas > 6 {
                break;
            }
        }
        cut.push_str(line);
        cut.push('\n');
    }
    let partial = scratch.0.join("partial.jsonl");
    std::fs::write(&partial, cut).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (target_url, _dir) = fresh(backend).await;
        let out = import_file(&partial, &target_url, &[]).await;
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("no end record"), "{}", text(&out));
        let out = import_file(&file, &target_url, &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            text(&out).contains("11 schemas (5 to write)"),
            "only the rest is written: {}",
            text(&out)
        );
        let target = spawn_on(&target_url, backend, Default::default()).await;
        assert_same(&expected, &answers(&target).await);
        drop_database(backend, &target_url).await;
    }
}

#[tokio::test]
async fn import_into_a_context_and_only_selected_subjects() {
    let (source_url, _source_dir) = fresh(Backend::Sqlite).await;
    let source = spawn_on(&source_url, Backend::Sqlite, Default::default()).await;
    fill(&source).await;
    let (target_url, _dir) = fresh(Backend::Sqlite).await;
    let out = import_from(
        &source.base,
        &target_url,
        &["--context", ".old", "--subjects", "avro-*"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let target = spawn_on(&target_url, Backend::Sqlite, Default::default()).await;
    // The selected subject, and the one its schemas reference.
    assert_eq!(
        target.get("/subjects?deleted=true").await.json(),
        json!([":.old:avro-value", ":.old:common-ref"])
    );
    for path in [
        "/subjects/avro-value/versions?deleted=true",
        "/subjects/avro-value/versions/2",
        "/subjects/avro-value/versions/3?deleted=true",
        "/subjects/common-ref/versions/1/referencedby",
        "/config/avro-value",
    ] {
        let want = source.get(path).await.assert_ok();
        let qualified = path
            .replacen("/avro-value", "/:.old:avro-value", 1)
            .replacen("/common-ref", "/:.old:common-ref", 1);
        let mut got = target.get(&qualified).await.assert_ok();
        if let Some(subject) = got.get_mut("subject") {
            *subject = json!(subject.as_str().unwrap().trim_start_matches(":.old:"));
        }
        assert_eq!(got, want, "{path}");
    }
    // The source's global settings are the context's.
    assert_eq!(
        target.get("/config/:.old:").await.assert_ok()["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(
        target.get("/config").await.assert_ok()["compatibilityLevel"],
        "BACKWARD"
    );
}

#[tokio::test]
async fn bad_files_are_refused_with_a_clear_error() {
    let scratch = scratch();
    let (target_url, _dir) = fresh(Backend::Sqlite).await;
    let not_export = scratch.0.join("other.json");
    std::fs::write(&not_export, "{\"hello\":1}\n").unwrap();
    let out = import_file(&not_export, &target_url, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("is not a Schemata export"),
        "{}",
        text(&out)
    );
    let newer = scratch.0.join("newer.jsonl");
    std::fs::write(
        &newer,
        "{\"format\":\"schemata-export\",\"version\":2,\"exported_at\":0,\"generator\":\"x\"}\n",
    )
    .unwrap();
    let out = import_file(&newer, &target_url, &[]).await;
    assert!(
        text(&out).contains("this build reads version 1"),
        "{}",
        text(&out)
    );
    // A line longer than the bound is refused before it is held in memory whole.
    let long = scratch.0.join("long.jsonl");
    let mut content = String::from(
        "{\"format\":\"schemata-export\",\"version\":1,\"exported_at\":0,\"generator\":\"x\"}\n",
    );
    content.push_str(&"x".repeat((16 << 20) + 10));
    content.push('\n');
    std::fs::write(&long, content).unwrap();
    let out = import_file(&long, &target_url, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("line 2 is longer than 16777216 bytes"),
        "{}",
        text(&out)
    );
    let garbage = scratch.0.join("garbage.jsonl");
    std::fs::write(&garbage, "{\"format\":\"schemata-export\",\"version\":1,\"exported_at\":0,\"generator\":\"x\"}\n{\"record\":\"schema\",\"id\":\"one\"}\n").unwrap();
    let out = import_file(&garbage, &target_url, &[]).await;
    assert!(text(&out).contains("line 2"), "{}", text(&out));
}

/// An export file written by hand: 1,100 schemas in the default context and 300 in `.two`
/// (so export pages cross a context), versions spread over 50 subjects with every seventh
/// soft-deleted, registration times of their own, and schema 5 referencing schema 1,100
/// (a reference to a higher id: the import must write 1,100 first).
fn synthesized_export(path: &Path) -> Vec<Value> {
    let mut records = vec![
        json!({"record": "context", "name": ".", "listed": true, "max_id": 1100}),
        json!({"record": "context", "name": ".two", "listed": true, "max_id": 300}),
    ];
    for i in 1..=1100i64 {
        let (schema, references, subject, version) = match i {
            5 => (
                json!({"type": "record", "name": "UsesLate", "namespace": "com.x",
                    "fields": [{"name": "late", "type": "com.x.Late"}]}),
                json!([{"name": "com.x.Late", "subject": "late", "version": 1}]),
                "s5".to_string(),
                1,
            ),
            1100 => (
                json!({"type": "record", "name": "Late", "namespace": "com.x", "fields": []}),
                json!([]),
                "late".to_string(),
                1,
            ),
            _ => (
                json!({"type": "record", "name": format!("R{i}"), "fields": [{"name": format!("f{i}"), "type": "int"}]}),
                json!([]),
                format!("s{}", i % 50),
                i / 50 + 1,
            ),
        };
        records.push(json!({"record": "schema", "context": ".", "id": i, "schemaType": "AVRO",
            "schema": schema.to_string(), "references": references,
            "versions": [{"subject": subject, "version": version, "deleted": i % 7 == 0, "ts": 1_700_000_000_000i64 + i}]}));
    }
    for i in 1..=300i64 {
        records.push(json!({"record": "schema", "context": ".two", "id": i, "schemaType": "AVRO",
            "schema": json!({"type": "record", "name": format!("T{i}"), "fields": []}).to_string(),
            "references": [],
            "versions": [{"subject": "t", "version": i, "deleted": false, "ts": 1_700_000_000_000i64}]}));
    }
    records
        .push(json!({"record": "config", "scope": "", "config": {"compatibilityLevel": "NONE"}}));
    records.push(json!({"record": "mode", "scope": ":.two:t", "mode": "READONLY"}));
    records.push(json!({"record": "end", "schemas": 1400, "versions": 1400}));
    let mut text = String::from(
        "{\"format\":\"schemata-export\",\"version\":1,\"exported_at\":0,\"generator\":\"test\"}\n",
    );
    for r in &records {
        text.push_str(&r.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
    records
}

/// The records of an export file, without its header.
fn records_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn large_imports_and_exports_round_trip_page_by_page() {
    let scratch = scratch();
    let source_file = scratch.0.join("synthesized.jsonl");
    let written = synthesized_export(&source_file);
    let (sqlite_url, _dir) = fresh(Backend::Sqlite).await;
    let out = import_file(&source_file, &sqlite_url, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let first = scratch.0.join("first.jsonl");
    let out = export(&sqlite_url, &first).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let exported = records_of(&first);
    // Every schema, in order, with its versions, deletions and registration times; the
    // schema texts are Schemata's canonical form of the ones written.
    let schemas = |records: &[Value]| -> Vec<(String, i64, Value, Value)> {
        records
            .iter()
            .filter(|r| r["record"] == "schema")
            .map(|r| {
                (
                    r["context"].as_str().unwrap().to_string(),
                    r["id"].as_i64().unwrap(),
                    r["versions"].clone(),
                    r["references"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(schemas(&exported), schemas(&written));
    assert_eq!(
        exported.last().unwrap(),
        &json!({"record": "end", "schemas": 1400, "versions": 1400})
    );

    // The export restores into PostgreSQL and exports the same again; an import killed in
    // the middle, run again, finishes it.
    let (pg_url, _) = fresh(Backend::Postgres).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args([
            "import",
            "--from-file",
            first.to_str().unwrap(),
            "--database-url",
            &pg_url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg_url)
        .await
        .unwrap();
    loop {
        let written: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM subject_versions")
            .fetch_one(&mut conn)
            .await;
        if matches!(written, Ok(n) if n > 0) || child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    drop(conn);
    let out = import_file(&first, &pg_url, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    if status.code().is_none() {
        // Killed before it finished: the second run wrote only what was left.
        assert!(
            !text(&out).contains("1400 schemas (1400 to write)"),
            "{}",
            text(&out)
        );
    }
    let second = scratch.0.join("second.jsonl");
    let out = export(&pg_url, &second).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(records_of(&second), exported);
    // Ids continue above the imported ones in both contexts.
    let target = spawn_on(&pg_url, Backend::Postgres, Default::default()).await;
    let id = |r: crate::app::Reply| r.assert_ok()["id"].as_i64().unwrap();
    let body =
        json!({"schema": json!({"type": "record", "name": "New", "fields": []}).to_string()});
    assert_eq!(id(target.register_body("new", body.clone()).await), 1101);
    assert_eq!(id(target.register_body(":.two:new", body).await), 301);
    drop_database(Backend::Postgres, &pg_url).await;
}

#[tokio::test]
async fn a_source_with_basic_authentication_is_read_with_its_credentials_never_shown() {
    use schemata::api::auth::{Authentication, BasicAuth};
    let (source_url, _source_dir) = fresh(Backend::Sqlite).await;
    let mut state = schemata::build_state(&source_url, Default::default(), &Default::default())
        .await
        .unwrap();
    state.auth = Some(std::sync::Arc::new(
        Authentication::new("*")
            .with_basic(BasicAuth::parse("reader: pa55-w0rd-secret\n").unwrap()),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(schemata::api::serve(listener, state));
    // Filled directly in its database (the server asks for credentials).
    let seed = spawn_on(&source_url, Backend::Sqlite, Default::default()).await;
    seed.register(
        "guarded-value",
        &json!({"type": "record", "name": "G", "fields": []}),
    )
    .await;

    let (target_url, _dir) = fresh(Backend::Sqlite).await;
    let refused = import_from(
        &base,
        &target_url,
        &["--basic-auth", "reader:wrong-secret-xyz"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("401"), "{}", text(&refused));
    assert!(
        !text(&refused).contains("wrong-secret-xyz"),
        "{}",
        text(&refused)
    );
    let out = import_from(
        &base,
        &target_url,
        &["--basic-auth", "reader:pa55-w0rd-secret"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("pa55-w0rd-secret"), "{}", text(&out));
    let target = spawn_on(&target_url, Backend::Sqlite, Default::default()).await;
    assert_eq!(
        target.get("/subjects").await.json(),
        json!(["guarded-value"])
    );
    // An unreachable source is exit status 3.
    let dead = import_from(
        &crate::common::dead_url(),
        &target_url,
        &["--max-retries", "0"],
    )
    .await;
    assert_eq!(dead.status.code(), Some(3), "{}", text(&dead));
}

#[tokio::test]
async fn export_writes_to_stdout_and_fails_clearly() {
    let (url, _dir) = fresh(Backend::Sqlite).await;
    let app = spawn_on(&url, Backend::Sqlite, Default::default()).await;
    app.register(
        "one",
        &json!({"type": "record", "name": "One", "fields": []}),
    )
    .await;
    let out = schemata(vec!["export".into(), "--database-url".into(), url.clone()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines: Vec<Value> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["format"], "schemata-export");
    assert_eq!(
        lines.last().unwrap(),
        &json!({"record": "end", "schemas": 1, "versions": 1})
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("exported 1 schemas, 1 versions"));

    let scratch = scratch();
    let nowhere = scratch.0.join("missing-dir").join("backup.jsonl");
    let out = export(&url, &nowhere).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("cannot create"), "{}", text(&out));
    let out = export(
        "postgres://nobody:hidden-pw@127.0.0.1:1/none",
        &scratch.0.join("x.jsonl"),
    )
    .await;
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("127.0.0.1:1"), "{}", text(&out));
    assert!(!text(&out).contains("hidden-pw"), "{}", text(&out));
    assert!(!scratch.0.join("x.jsonl").exists() && !scratch.0.join("x.partial").exists());
}

/// The answers with every `ts` removed (an import through the REST API cannot keep the
/// source's registration times).
fn without_ts(answers: &BTreeMap<String, (u16, String)>) -> BTreeMap<String, (u16, String)> {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("ts");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    answers
        .iter()
        .map(|(path, (status, body))| {
            let body = match serde_json::from_str::<Value>(body) {
                Ok(mut value) => {
                    strip(&mut value);
                    value.to_string()
                }
                Err(_) => body.clone(),
            };
            (path.clone(), (*status, body))
        })
        .collect()
}

#[tokio::test]
async fn import_through_a_target_registrys_rest_api() {
    let (source_url, _source_dir) = fresh(Backend::Postgres).await;
    let source = spawn_on(&source_url, Backend::Postgres, Default::default()).await;
    fill(&source).await;
    let expected = without_ts(&answers(&source).await);
    let (target_url, _dir) = fresh(Backend::Sqlite).await;
    let target = spawn_on(&target_url, Backend::Sqlite, Default::default()).await;
    let out = import_from(&source.base, "unused", &["--to", &target.base]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_same(&expected, &without_ts(&answers(&target).await));
    let again = import_from(&source.base, "unused", &["--to", &target.base]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(text(&again).contains("(0 to write)"), "{}", text(&again));
    assert_same(&expected, &without_ts(&answers(&target).await));
    // A conflicting target is refused through the API too, with nothing written.
    let (other_url, _other_dir) = fresh(Backend::Sqlite).await;
    let other = spawn_on(&other_url, Backend::Sqlite, Default::default()).await;
    other
        .register(
            "elsewhere",
            &json!({"type": "record", "name": "Mine", "fields": []}),
        )
        .await;
    let before = answers(&other).await;
    let refused = import_from(&source.base, "unused", &["--to", &other.base]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("schema id 1 in context . holds a different schema"),
        "{}",
        text(&refused)
    );
    assert_eq!(answers(&other).await, before);
    new_ids_continue_above(&target, highest_id(&source).await).await;
    drop_database(Backend::Postgres, &source_url).await;
}

/// A front before `upstream` that answers as Karapace does (docs/migration.md §1.1):
/// `GET /mode/{subject}` is the global mode for every subject, since it keeps no subject
/// modes. Everything else is passed through. Its base URL.
async fn global_mode_for_every_subject(upstream: String) -> String {
    use axum::extract::{Request, State};
    use axum::response::IntoResponse;
    async fn pass(State(upstream): State<String>, request: Request) -> axum::response::Response {
        let path = request.uri().path().to_string();
        let query = request
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let target = if path.starts_with("/mode/") {
            format!("{upstream}/mode")
        } else {
            format!("{upstream}{path}{query}")
        };
        let client = reqwest::Client::new();
        let answer = client
            .request(request.method().clone(), target)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let body = answer.bytes().await.unwrap();
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/vnd.schemaregistry.v1+json")],
            body,
        )
            .into_response()
    }
    let app = axum::Router::new().fallback(pass).with_state(upstream);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn subject_modes_of_a_source_that_answers_its_global_mode_for_every_subject() {
    let (source_url, _source_dir) = fresh(Backend::Sqlite).await;
    let source = spawn_on(&source_url, Backend::Sqlite, Default::default()).await;
    for subject in ["plain-value", "other-value"] {
        source
            .register(
                subject,
                &json!({"type": "record", "name": "P", "fields": []}),
            )
            .await;
    }
    source
        .put("/mode/other-value", json!({"mode": "READONLY"}))
        .await
        .assert_ok();
    let front = global_mode_for_every_subject(source.base.clone()).await;
    assert_eq!(
        reqwest::get(format!("{front}/mode/plain-value"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        r#"{"mode":"READWRITE"}"#,
        "the front answers as Karapace does"
    );

    // Through the front: a subject mode equal to the global one is no mode of its own.
    let (target_url, _dir) = fresh(Backend::Sqlite).await;
    let out = import_from(&front, &target_url, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("2 subject modes not imported"),
        "{}",
        text(&out)
    );
    let target = spawn_on(&target_url, Backend::Sqlite, Default::default()).await;
    for subject in ["plain-value", "other-value"] {
        let mode = target.get(&format!("/mode/{subject}")).await;
        assert_eq!(mode.status, 404, "{subject}: {}", mode.text);
        assert_eq!(mode.json()["error_code"], 40409, "{subject}");
    }

    // Directly (a registry that answers 40409 for a subject without a mode): every subject
    // mode it holds is imported, and only those.
    let (direct_url, _dir2) = fresh(Backend::Sqlite).await;
    let out = import_from(&source.base, &direct_url, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !text(&out).contains("subject modes not imported"),
        "{}",
        text(&out)
    );
    let direct = spawn_on(&direct_url, Backend::Sqlite, Default::default()).await;
    assert_eq!(
        direct.get("/mode/other-value").await.json()["mode"],
        "READONLY"
    );
    assert_eq!(direct.get("/mode/plain-value").await.status, 404);
}
