//! Parsing never panics: random text, random bytes sent as base64, mutations of valid
//! schemas, and random reference texts. A panic hook records panics even where the parser
//! would catch them, so a caught panic still fails the test.

use crate::protobuf_support::PanicCounter;
use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::{ParseOptions, ResolvedReference, SchemaType};

const SEED: &str = "syntax = \"proto2\";\npackage a.b;\nimport \"google/protobuf/timestamp.proto\";\nimport \"confluent/meta.proto\";\n\
message M {\n  option (confluent.message_meta) = { doc: \"d\" params { key: \"k\" value: \"v\" } };\n  required int32 a = 1 [default = 5];\n  map<string, M> m = 4;\n  oneof c { int32 x = 5; string y = 6; }\n  \
optional group G = 7 { optional int32 q = 1; }\n  optional .google.protobuf.Timestamp ts = 8;\n  extensions 100 to max;\n}\n\
enum E { A = 0; B = 1; }\nextend M { optional int32 e = 100; }\nservice S { rpc R(M) returns (stream M); }\n";

fn exercise(text: &str, references: &[ResolvedReference]) {
    for normalize in [false, true] {
        let options = ParseOptions {
            normalize,
            validate: true,
        };
        if let Ok(schema) = ProtobufSchema::parse(text, references, options) {
            let _ = schema.render("serialized");
            let _ = schema.render("ignore_extensions");
            let _ = schemata_compat::protobuf::incompatibilities(
                &schema,
                &schema,
                schemata_compat::Roles::BACKWARD,
            );
            for name in schema.message_names() {
                let _ = schema.message_indexes(&name);
            }
        }
    }
}

#[test]
fn parsing_never_panics() {
    let panics = PanicCounter::default();
    panics.watch();

    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&any::<String>(), |text| {
            exercise(&text, &[]);
            Ok(())
        })
        .unwrap();
    runner
        .run(&"[a-z0-9 ={};<>\\[\\]\".\n]{0,80}", |text| {
            exercise(&text, &[]);
            Ok(())
        })
        .unwrap();
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..200), |bytes| {
            exercise(
                &base64::engine::general_purpose::STANDARD.encode(&bytes),
                &[],
            );
            Ok(())
        })
        .unwrap();
    let seed_bytes = ProtobufSchema::parse(SEED, &[], ParseOptions::default())
        .unwrap()
        .serialized();
    runner
        .run(
            &(0..seed_bytes.len(), any::<u8>(), 0usize..3),
            |(pos, byte, how)| {
                let mut bytes = seed_bytes.clone();
                match how {
                    0 => bytes[pos] = byte,
                    1 => bytes.truncate(pos),
                    _ => bytes.insert(pos, byte),
                }
                exercise(
                    &base64::engine::general_purpose::STANDARD.encode(&bytes),
                    &[],
                );
                Ok(())
            },
        )
        .unwrap();
    runner
        .run(
            &(0..SEED.len(), any::<char>(), 0usize..3),
            |(pos, c, how)| {
                let mut text = SEED.to_owned();
                let pos = (0..=pos)
                    .rev()
                    .find(|p| text.is_char_boundary(*p))
                    .unwrap_or(0);
                match how {
                    0 => text.insert(pos, c),
                    1 => {
                        if pos < text.len() {
                            text.remove(pos);
                        }
                    }
                    _ => text.truncate(pos),
                }
                exercise(&text, &[]);
                Ok(())
            },
        )
        .unwrap();
    runner
        .run(
            &(any::<String>(), "[a-z/]{0,12}(\\.proto)?"),
            |(schema, name)| {
                let reference = ResolvedReference {
                    name: name.clone(),
                    schema_type: SchemaType::Protobuf,
                    schema,
                };
                let text = format!(
                    "syntax = \"proto3\";\nimport \"{name}\";\nmessage A {{ int32 x = 1; }}\n"
                );
                exercise(&text, &[reference]);
                Ok(())
            },
        )
        .unwrap();

    assert_eq!(panics.count(), 0, "a parse panicked (caught or not)");
}
