//! The client subcommands of the `schemata` binary, run as a CI pipeline would.

use crate::common::spawn_registry;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}"#;
const V2_OK: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"long"},{"name":"email","type":["null","string"],"default":null}]}"#;
const V2_BAD: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;

struct Files(PathBuf);

impl Files {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("schemata_cli_{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Files(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn schemata(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(args)
        .env_remove("SCHEMATA_REGISTRY_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Run the binary off the async runtime (the registry runs on it).
async fn run(args: Vec<String>, stdin: Vec<u8>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        schemata(&args, &stdin)
    })
    .await
    .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn offline_check_exit_codes() {
    let f = Files::new();
    let v1 = f.write("v1.avsc", V1);
    let ok = f.write("ok.avsc", V2_OK);
    let bad = f.write("bad.avsc", V2_BAD);
    let o = schemata(
        &[
            "check", "--type", "AVRO", "--level", "BACKWARD", "--new", &ok, "--old", &v1,
        ],
        b"",
    );
    assert_eq!(code(&o), 0, "{o:?}");
    let o = schemata(
        &[
            "check", "--type", "AVRO", "--level", "BACKWARD", "--new", &bad, "--old", &v1,
        ],
        b"",
    );
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(
        stdout(&o).contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{}",
        stdout(&o)
    );
    let o = schemata(
        &[
            "check", "--type", "AVRO", "--level", "FULL", "--new", &bad, "--old", &v1, "--json",
        ],
        b"",
    );
    assert_eq!(code(&o), 1);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["is_compatible"], false);
    let messages = report["messages"].as_array().unwrap();
    assert!(messages.len() >= 2, "every reason: {report}");
    let o = schemata(
        &[
            "check", "--type", "AVRO", "--level", "NONE", "--new", &bad, "--old", &v1, "--json",
        ],
        b"",
    );
    assert_eq!(code(&o), 0);
    assert_eq!(
        serde_json::from_slice::<Value>(&o.stdout).unwrap(),
        json!({"is_compatible": true, "messages": []})
    );
    // Transitive levels look at every old file (oldest first on the command line).
    let o = schemata(
        &[
            "check",
            "--level",
            "BACKWARD_TRANSITIVE",
            "--new",
            &ok,
            "--old",
            &bad,
            "--old",
            &v1,
        ],
        b"",
    );
    assert_eq!(code(&o), 1, "{o:?}");
    let o = schemata(
        &[
            "check", "--level", "BACKWARD", "--new", &ok, "--old", &bad, "--old", &v1,
        ],
        b"",
    );
    assert_eq!(code(&o), 0, "non-transitive: newest only {o:?}");
    // Invalid input: exit 2.
    let garbage = f.write("garbage.avsc", "{not json");
    for args in [
        vec!["check", "--new", &garbage, "--old", &v1],
        vec!["check", "--new", "/does/not/exist", "--old", &v1],
        vec!["check", "--type", "XML", "--new", &ok],
        vec!["check", "--level", "SIDEWAYS", "--new", &ok],
        vec!["check", "--no-such-flag"],
        vec!["check"],
    ] {
        let o = schemata(&args, b"");
        assert_eq!(code(&o), 2, "{args:?} {o:?}");
    }
    // With --json, a failure is one object on stdout too (CI jobs read stdout).
    let o = schemata(&["check", "--new", &garbage, "--old", &v1, "--json"], b"");
    assert_eq!(code(&o), 2, "{o:?}");
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["exit_code"], 2, "{report}");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("not a valid AVRO schema"),
        "{report}"
    );
    // --level applies to files; with --subject the registry's level rules, so both at once
    // is a usage error rather than a level silently ignored.
    let o = schemata(
        &[
            "check",
            "--level",
            "NONE",
            "--new",
            &ok,
            "--subject",
            "s",
            "--registry-url",
            "http://127.0.0.1:9",
        ],
        b"",
    );
    assert_eq!(code(&o), 2, "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--level"),
        "{o:?}"
    );
    // Nothing to check against is a usage error, not "compatible".
    let o = schemata(&["check", "--new", &ok], b"");
    assert_eq!(code(&o), 2, "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--old"),
        "{o:?}"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn offline_check_protobuf_and_json_with_references() {
    let f = Files::new();
    let old = f.write(
        "old.proto",
        "syntax = \"proto3\";\nmessage M { string a = 1; int32 b = 2; }\n",
    );
    let new = f.write(
        "new.proto",
        "syntax = \"proto3\";\nmessage M { string a = 1; }\nmessage N { int32 x = 1; }\n",
    );
    let bad = f.write(
        "bad.proto",
        "syntax = \"proto3\";\nmessage N { int32 x = 1; }\n",
    );
    let o = schemata(
        &[
            "check", "--type", "PROTOBUF", "--level", "BACKWARD", "--new", &new, "--old", &old,
        ],
        b"",
    );
    assert_eq!(code(&o), 0, "{o:?}");
    let o = schemata(
        &[
            "check", "--type", "PROTOBUF", "--level", "BACKWARD", "--new", &bad, "--old", &old,
        ],
        b"",
    );
    assert_eq!(code(&o), 1, "{o:?}");
    // JSON Schema with a reference.
    let r = f.write(
        "addr.json",
        r#"{"type":"object","properties":{"city":{"type":"string"}}}"#,
    );
    let old = f.write("old.json", r#"{"type":"object","properties":{"home":{"$ref":"addr.json"}},"additionalProperties":false}"#);
    let new = f.write("new.json", r#"{"type":"object","properties":{"home":{"$ref":"addr.json"},"n":{"type":"integer"}},"additionalProperties":false}"#);
    let ref_arg = format!("addr.json={r}");
    let o = schemata(
        &[
            "check", "--type", "JSON", "--level", "BACKWARD", "--new", &new, "--old", &old,
            "--ref", &ref_arg,
        ],
        b"",
    );
    assert_eq!(code(&o), 0, "{o:?}");
    let o = schemata(
        &[
            "check", "--type", "JSON", "--level", "FORWARD", "--new", &new, "--old", &old, "--ref",
            &ref_arg,
        ],
        b"",
    );
    assert_eq!(code(&o), 1, "{o:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_check_register_encode_decode() {
    let registry = spawn_registry().await;
    let f = Files::new();
    let v1 = f.write("v1.avsc", V1);
    let ok = f.write("ok.avsc", V2_OK);
    let bad = f.write("bad.avsc", V2_BAD);
    let url = registry.url.clone();
    let reg = |rest: &[&str]| {
        let mut a = strs(rest);
        a.extend(["--registry-url".to_owned(), url.clone()]);
        a
    };
    // A subject with no versions accepts anything.
    let o = run(
        reg(&["check", "--subject", "users-value", "--new", &v1]),
        vec![],
    )
    .await;
    assert_eq!(code(&o), 0, "{o:?}");
    let o = run(
        reg(&["register", "--subject", "users-value", "--schema", &v1]),
        vec![],
    )
    .await;
    assert_eq!(code(&o), 0, "{o:?}");
    let registered: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        registered,
        json!({"subject": "users-value", "id": 1, "version": 1})
    );
    // register: an incompatible schema is refused (1), an invalid one is invalid input (2).
    let o = run(
        reg(&["register", "--subject", "users-value", "--schema", &bad]),
        vec![],
    )
    .await;
    assert_eq!(code(&o), 1, "incompatible: {o:?}");
    let garbage = f.write("garbage.avsc", "{\"type\": \"nope\"}");
    let o = run(
        reg(&["register", "--subject", "users-value", "--schema", &garbage]),
        vec![],
    )
    .await;
    assert_eq!(code(&o), 2, "invalid: {o:?}");
    let o = run(
        reg(&["check", "--subject", "users-value", "--new", &ok]),
        vec![],
    )
    .await;
    assert_eq!(code(&o), 0, "{o:?}");
    let o = run(
        reg(&["check", "--subject", "users-value", "--new", &bad, "--json"]),
        vec![],
    )
    .await;
    assert_eq!(code(&o), 1, "{o:?}");
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["is_compatible"], false);
    assert!(!report["messages"].as_array().unwrap().is_empty());

    // Avro encode/decode (AVRO is the default type, as for check and register).
    let o = run(
        reg(&["encode", "--topic", "users", "--schema", &v1]),
        br#"{"name":"ann","age":3}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(o.stdout, [0, 0, 0, 0, 1, 6, b'a', b'n', b'n', 6]);
    let o = run(reg(&["decode"]), o.stdout).await;
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&o.stdout).unwrap(),
        json!({"name": "ann", "age": 3})
    );

    // Protobuf, second message, key.
    let proto = f.write("m.proto", "syntax = \"proto3\";\npackage p;\nmessage A { string s = 1; }\nmessage B { int64 n = 1; repeated string tags = 2; }\n");
    let o = run(
        reg(&[
            "encode",
            "--topic",
            "pb",
            "--type",
            "PROTOBUF",
            "--schema",
            &proto,
            "--message",
            "p.B",
            "--key",
        ]),
        br#"{"n":"42","tags":["x"]}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(&o.stdout[5..7], &[2, 2]);
    let o = run(reg(&["decode", "--with-id"]), o.stdout).await;
    assert_eq!(code(&o), 0, "{o:?}");
    let decoded: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(decoded["value"], json!({"n": "42", "tags": ["x"]}));
    assert!(registry.client().get_versions("pb-key").await.is_ok());

    // JSON Schema, with validation.
    let schema = f.write(
        "s.json",
        r#"{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}"#,
    );
    let o = run(
        reg(&[
            "encode", "--topic", "js", "--type", "JSON", "--schema", &schema,
        ]),
        br#"{"n":1}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&o), 0, "{o:?}");
    let o = run(reg(&["decode"]), o.stdout).await;
    assert_eq!(
        serde_json::from_slice::<Value>(&o.stdout).unwrap(),
        json!({"n": 1})
    );
    let o = run(
        reg(&[
            "encode", "--topic", "js", "--type", "JSON", "--schema", &schema,
        ]),
        br#"{"n":"x"}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&o), 2, "invalid input: {o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("validation failed"));

    // Bad input to decode: clear errors, non-zero exit.
    for (bytes, expected) in [
        (vec![1u8, 0, 0, 0, 1, 0], "magic byte"),
        (vec![0u8, 0], "too short"),
        (vec![0u8, 0, 0, 0x30, 0x39, 0], "unknown schema id 12345"),
    ] {
        let o = run(reg(&["decode"]), bytes).await;
        assert_eq!(code(&o), 2, "invalid input");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(expected),
            "{o:?}"
        );
    }
}

const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
    {"name":"amount","type":"double"},
    {"name":"note","type":["null","string"],"default":null},
    {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}}]}"#;

/// `encode` and `decode` as a person uses them: errors that name the field, Avro's JSON
/// encoding of unions, JSON lines in and hex or base64 lines out, `--json` on failures, and
/// Protobuf imports taken from the registry with `--ref NAME=SUBJECT:latest`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encode_and_decode_for_people() {
    let registry = spawn_registry().await;
    let f = Files::new();
    let order = f.write("order.avsc", ORDER);
    let url = registry.url.clone();
    let reg = |rest: &[&str]| {
        let mut a = strs(rest);
        a.extend(["--registry-url".to_owned(), url.clone()]);
        a
    };
    let encode = |extra: &[&str]| {
        let mut a = vec!["encode", "--topic", "orders", "--schema", order.as_str()];
        a.extend(extra);
        reg(&a)
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();

    // Errors name the record, the field's path and the expected type.
    let o = run(encode(&[]), br#"{"amount":"abc","status":"NEW"}"#.to_vec()).await;
    assert_eq!(code(&o), 2, "{o:?}");
    assert!(
        stderr(&o).contains(
            r#"record 1: validation failed: $.amount: expected double, got string "abc""#
        ),
        "{}",
        stderr(&o)
    );
    let o = run(encode(&[]), br#"{"amount":1,"status":"GONE"}"#.to_vec()).await;
    assert!(stderr(&o).contains(r#"$.status: expected one of the symbols ["NEW", "PAID"] of enum shop.Status, got string "GONE""#), "{}", stderr(&o));
    let o = run(
        encode(&[]),
        br#"{"amount":1,"status":"NEW","amout":2}"#.to_vec(),
    )
    .await;
    assert!(
        stderr(&o).contains(r#"has no field "amout""#),
        "{}",
        stderr(&o)
    );

    // Plain JSON and kafka-avro-console-producer's union form encode alike; JSON lines give
    // one message a line; decode reads them back.
    let lines = b"{\"amount\":1.5,\"note\":\"hi\",\"status\":\"NEW\"}\n\
                  {\"amount\":1.5,\"note\":{\"string\":\"hi\"},\"status\":\"NEW\"}\n\
                  {\"amount\":2,\"status\":\"PAID\"}\n";
    for framing in ["hex", "base64"] {
        let o = run(encode(&["--output", framing]), lines.to_vec()).await;
        assert_eq!(code(&o), 0, "{o:?}");
        let out = stdout(&o);
        let messages: Vec<&str> = out.lines().collect();
        assert_eq!(messages.len(), 3, "{out}");
        assert_eq!(messages[0], messages[1], "the two union forms encode alike");
        let o = run(
            reg(&["decode", "--input", framing]),
            out.clone().into_bytes(),
        )
        .await;
        assert_eq!(code(&o), 0, "{o:?}");
        let decoded: Vec<Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            decoded,
            [
                json!({"amount": 1.5, "note": "hi", "status": "NEW"}),
                json!({"amount": 1.5, "note": "hi", "status": "NEW"}),
                json!({"amount": 2.0, "note": null, "status": "PAID"}),
            ]
        );
    }
    // Raw output is for one record only: a usage error before anything is written.
    let o = run(encode(&[]), lines.to_vec()).await;
    assert_eq!(code(&o), 2, "{o:?}");
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).contains("--output hex or base64"),
        "{}",
        stderr(&o)
    );

    // --json: one object on stdout, for a success and for a failure.
    let o = run(encode(&["--json"]), lines.to_vec()).await;
    assert_eq!(code(&o), 0, "{o:?}");
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["id"], 1);
    assert_eq!(report["messages"].as_array().unwrap().len(), 3);
    let o = run(
        encode(&["--json"]),
        br#"{"amount":"abc","status":"NEW"}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&o), 2);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["exit_code"], 2);
    assert!(report["error"].as_str().unwrap().contains("$.amount"));
    let o = run(reg(&["decode", "--json"]), vec![1, 0, 0, 0, 1, 0]).await;
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((code(&o), report["exit_code"].clone()), (2, json!(2)));
    assert!(report["error"].as_str().unwrap().contains("magic byte"));
    let garbage = f.write("garbage.avsc", "{\"type\": \"nope\"}");
    let o = run(
        reg(&["register", "--subject", "x", "--schema", &garbage, "--json"]),
        vec![],
    )
    .await;
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((code(&o), report["exit_code"].clone()), (2, json!(2)));

    // Protobuf imports come from the registry: --ref NAME=SUBJECT:latest.
    let common = f.write(
        "common.proto",
        "syntax = \"proto3\";\npackage c;\nmessage Money { int64 cents = 1; }\n",
    );
    let o = run(
        reg(&[
            "register",
            "--subject",
            "common",
            "--type",
            "PROTOBUF",
            "--schema",
            &common,
        ]),
        vec![],
    )
    .await;
    assert_eq!(code(&o), 0, "{o:?}");
    let payment = f.write(
        "payment.proto",
        "syntax = \"proto3\";\npackage p;\nimport \"common.proto\";\nmessage Payment { c.Money total = 1; }\n",
    );
    let o = run(
        reg(&[
            "encode",
            "--topic",
            "payments",
            "--type",
            "PROTOBUF",
            "--schema",
            &payment,
            "--ref",
            "common.proto=common:latest",
        ]),
        br#"{"total":{"cents":"250"}}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&o), 0, "{o:?}");
    let o = run(reg(&["decode"]), o.stdout).await;
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&o.stdout).unwrap(),
        json!({"total": {"cents": "250"}})
    );
    let o = run(
        reg(&[
            "encode",
            "--topic",
            "payments",
            "--type",
            "PROTOBUF",
            "--schema",
            &payment,
            "--ref",
            "common.proto=common:first",
        ]),
        br#"{"total":{"cents":"250"}}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&o), 2, "{o:?}");
    assert!(
        stderr(&o).contains("positive number or latest"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn registry_down_is_a_clear_error() {
    let url = crate::common::dead_url();
    let f = Files::new();
    let v1 = f.write("v1.avsc", V1);
    let o = schemata(
        &[
            "register",
            "--registry-url",
            &url,
            "--subject",
            "s",
            "--schema",
            &v1,
            "--max-retries",
            "1",
        ],
        b"",
    );
    assert_eq!(code(&o), 3, "registry unreachable");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unavailable after 2 attempt(s)"), "{err}");
    // The cause, not only "error sending request".
    assert!(err.contains("Connection refused"), "{err}");
    let o = schemata(
        &[
            "check",
            "--registry-url",
            &url,
            "--subject",
            "s",
            "--new",
            &v1,
            "--max-retries",
            "0",
        ],
        b"",
    );
    assert_eq!(code(&o), 3, "registry unreachable: {o:?}");
    let _ = Path::new(&v1);
}

/// `schemata health` for container HEALTHCHECKs: exit 0 when the server answers 200, 1 when
/// it does not answer at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_command_exit_codes() {
    let registry = spawn_registry().await;
    for extra in [None, Some("--ready")] {
        let mut args = strs(&["health", "--url", &registry.url]);
        args.extend(extra.map(String::from));
        let o = run(args, Vec::new()).await;
        assert_eq!(code(&o), 0, "{extra:?} {o:?}");
        assert!(stdout(&o).contains("200"), "{o:?}");
    }
    let dead = crate::common::dead_url();
    let o = run(strs(&["health", "--url", &dead]), Vec::new()).await;
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(stdout(&o).contains("cannot connect"), "{o:?}");
    let o = run(
        strs(&["health", "--url", "https://example.invalid"]),
        Vec::new(),
    )
    .await;
    assert_eq!(code(&o), 1, "{o:?}");
}
