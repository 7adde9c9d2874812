//! Canonical printer: round trips (parse(print(d)) == d, modulo source info, file name and
//! json_name), normalisation, the `serialized` rendering, error messages, references and
//! well-known imports.

use crate::protobuf_support::*;
use base64::Engine;
use prost::Message;
use prost_types::{DescriptorProto, FileDescriptorProto};
use schemata_compat::protobuf::printer::{print_file, PrintOptions};
use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::ParseOptions;
use serde_json::Value;

const FEATURES_PROTO2: &str = r#"
syntax = "proto2";
package a.b;
import "google/protobuf/timestamp.proto";
import public "google/protobuf/duration.proto";
import "confluent/meta.proto";
import "google/protobuf/descriptor.proto";
option java_package = "x.y";
option optimize_for = SPEED;
option (confluent.file_meta) = { doc: "file" params: [{key: "k", value: "v"}] tags: ["a", "b"] };
message M {
  option deprecated = true;
  option (confluent.message_meta).doc = "msg";
  required int32 a = 1 [default = -5, (confluent.field_meta).tags = "PII"];
  optional string s = 2 [default = "a\"b\n\tc"];
  optional bytes by = 12 [default = "\001\377x"];
  repeated int64 r = 3 [packed = true];
  map<string, Inner> m = 4;
  oneof choice {
    option (oneof_doc) = "one";
    int32 x = 5;
    string y = 6 [deprecated = true];
  }
  optional group G = 7 { optional int32 q = 1; repeated group H = 2 { optional string w = 1; } }
  optional google.protobuf.Timestamp ts = 8;
  optional E e = 9 [default = B];
  optional double d = 10 [default = inf];
  optional float f = 13 [default = -1.5e-3];
  optional int32 camel_case = 11 [json_name = "foo"];
  optional uint64 big = 14 [default = 18446744073709551615];
  optional bool flag = 15 [default = true];
  optional sint64 neg = 16 [default = -9223372036854775808];
  message Inner { optional int32 z = 1; map<int64, E> em = 2; }
  enum E {
    option allow_alias = true;
    A = 0;
    B = 1 [deprecated = true];
    B2 = 1;
    reserved 5 to 7, 9, 100 to max;
    reserved "C", "D";
  }
  reserved 100 to 200, 300, 50000 to max;
  reserved "old", "older";
  extensions 1000 to 1999, 2000;
  extend M { optional string nested_ext = 1001; }
}
extend M { optional int32 ext = 1000; repeated group Extra = 2000 { optional int32 v = 1; } }
extend google.protobuf.OneofOptions { optional string oneof_doc = 50000; }
enum Top { TOP_ZERO = 0; TOP_ONE = 1 [(confluent.enum_value_meta).doc = "one"]; }
service S {
  option deprecated = true;
  rpc Call(stream M) returns (M);
  rpc Other(M) returns (stream M) { option deprecated = true; option idempotency_level = NO_SIDE_EFFECTS; }
}
"#;

const FEATURES_PROTO3: &str = r#"
syntax = "proto3";
package shop.v1;
import "google/protobuf/any.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/descriptor.proto";
import "confluent/type/decimal.proto";
message Order {
  string id = 1;
  optional string note = 2;
  repeated Line lines = 3;
  map<string, google.protobuf.Value> attrs = 4;
  google.protobuf.Any detail = 5;
  confluent.type.Decimal total = 6;
  oneof payment { Card card = 7; string voucher = 8; }
  google.protobuf.Int64Value count = 9;
  Status status = 10;
  repeated int32 packed_ints = 11 [packed = false];
  bytes blob = 12;
  message Line { string sku = 1; uint32 qty = 2; fixed64 price = 3; sfixed32 delta = 4; sint32 s = 5; double w = 6; float h = 7; }
  message Card { string number = 1; }
  enum Status { STATUS_UNSPECIFIED = 0; STATUS_PAID = 1; }
  reserved 20 to 25;
  reserved "legacy";
}
extend google.protobuf.FieldOptions { optional string sensitivity = 50001; repeated int32 codes = 50002; }
message Tagged { string secret = 1 [(sensitivity) = "high", (codes) = 1, (codes) = 2]; }
service Orders {
  rpc Get(google.protobuf.Empty) returns (Order);
  rpc Mask(google.protobuf.FieldMask) returns (stream Order);
}
"#;

/// The descriptor without what the printer is allowed to lose.
fn comparable(file: &FileDescriptorProto) -> FileDescriptorProto {
    fn clean_message(m: &mut DescriptorProto) {
        for f in m.field.iter_mut().chain(m.extension.iter_mut()) {
            f.json_name = None;
            // protox drops source-retention options (descriptor.proto's own
            // `[retention = RETENTION_SOURCE]`), leaving an empty options message.
            if f.options == Some(Default::default()) {
                f.options = None;
            }
        }
        m.nested_type.iter_mut().for_each(clean_message);
    }
    let mut file = file.clone();
    file.name = None;
    file.source_code_info = None;
    file.message_type.iter_mut().for_each(clean_message);
    for f in file.extension.iter_mut() {
        f.json_name = None;
    }
    file
}

fn assert_round_trip(schema: &ProtobufSchema, refs: &[(&str, &str)]) {
    let d1 = comparable(schema.file().file_descriptor_proto());
    let again = ProtobufSchema::parse(
        schema.canonical(),
        &references(refs),
        ParseOptions::default(),
    )
    .unwrap_or_else(|e| panic!("canonical text does not parse: {e}\n{}", schema.canonical()));
    assert_eq!(
        d1,
        comparable(again.file().file_descriptor_proto()),
        "{}",
        schema.canonical()
    );
    assert_eq!(schema.canonical(), again.canonical());
    // Extension options survive the text round trip too.
    assert_eq!(schema.serialized(), again.serialized());

    let serialized = schema.render("serialized").unwrap();
    let from_descriptor =
        ProtobufSchema::parse(&serialized, &references(refs), ParseOptions::default())
            .unwrap_or_else(|e| panic!("serialized form does not parse: {e}"));
    assert_eq!(
        d1,
        comparable(from_descriptor.file().file_descriptor_proto())
    );
    assert_eq!(schema.canonical(), from_descriptor.canonical());

    let normalized = ProtobufSchema::parse(
        schema.canonical(),
        &references(refs),
        ParseOptions {
            normalize: true,
            validate: true,
        },
    )
    .unwrap();
    let normalized_again = ProtobufSchema::parse(
        normalized.canonical(),
        &references(refs),
        ParseOptions {
            normalize: true,
            validate: true,
        },
    )
    .unwrap();
    assert_eq!(normalized.canonical(), normalized_again.canonical());
}

#[test]
fn proto2_features_round_trip() {
    assert_round_trip(&parse(FEATURES_PROTO2), &[]);
}

#[test]
fn proto3_features_round_trip() {
    assert_round_trip(&parse(FEATURES_PROTO3), &[]);
}

#[test]
fn proto2_features_print_as_expected() {
    let text = parse(FEATURES_PROTO2).canonical().to_owned();
    for expected in [
        "syntax = \"proto2\";\npackage a.b;\n",
        "import public \"google/protobuf/duration.proto\";",
        "option (confluent.file_meta) = { doc: \"file\" params { key: \"k\" value: \"v\" } tags: \"a\" tags: \"b\" };",
        "  option (confluent.message_meta) = { doc: \"msg\" };",
        "  required int32 a = 1 [default = -5, (confluent.field_meta) = { tags: \"PII\" }];",
        "  optional string s = 2 [default = \"a\\\"b\\n\\tc\"];",
        "  optional bytes by = 12 [default = \"\\001\\377x\"];",
        "  map<string, .a.b.M.Inner> m = 4;",
        "  oneof choice {\n    option (a.b.oneof_doc) = \"one\";\n    int32 x = 5;",
        "  optional group G = 7 {\n    optional int32 q = 1;\n    repeated group H = 2 {",
        "  optional .google.protobuf.Timestamp ts = 8;",
        "  optional .a.b.M.E e = 9 [default = B];",
        "  optional double d = 10 [default = inf];",
        "  optional int32 camel_case = 11 [json_name = \"foo\"];",
        "  reserved 100 to 200, 300, 50000 to max;",
        "  reserved \"old\", \"older\";",
        "  extensions 1000 to 1999;\n  extensions 2000;",
        "    reserved 5 to 7, 9, 100 to max;",
        "  extend .a.b.M {\n    optional string nested_ext = 1001;\n  }",
        "extend .a.b.M {\n  optional int32 ext = 1000;\n  repeated group Extra = 2000 {",
        "  TOP_ONE = 1 [(confluent.enum_value_meta) = { doc: \"one\" }];",
        "  rpc Call(stream .a.b.M) returns (.a.b.M);",
        "  rpc Other(.a.b.M) returns (stream .a.b.M) {\n    option deprecated = true;\n    option idempotency_level = NO_SIDE_EFFECTS;\n  }",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // Map entries and group bodies are not printed as nested messages.
    assert!(!text.contains("MEntry"), "{text}");
    assert!(!text.contains("message G"), "{text}");
}

#[test]
fn proto3_labels_print_as_written() {
    let text = parse(FEATURES_PROTO3).canonical().to_owned();
    assert!(text.contains("\n  string id = 1;\n"), "{text}");
    assert!(text.contains("\n  optional string note = 2;\n"), "{text}");
    assert!(
        text.contains("\n  repeated .shop.v1.Order.Line lines = 3;\n"),
        "{text}"
    );
    assert!(
        text.contains("oneof payment {\n    .shop.v1.Order.Card card = 7;"),
        "{text}"
    );
    assert!(!text.contains("_note"), "synthetic oneof printed: {text}");
    assert!(
        text.contains(
            "[(shop.v1.sensitivity) = \"high\", (shop.v1.codes) = 1, (shop.v1.codes) = 2]"
        ),
        "{text}"
    );
    assert!(
        text.contains("repeated int32 packed_ints = 11 [packed = false];"),
        "{text}"
    );
}

#[test]
fn embedded_and_vector_files_round_trip() {
    use schemata_compat::protobuf::well_known::FILES;
    for (name, source) in FILES {
        let schema = parse(source);
        assert_round_trip(&schema, &[]);
        assert!(!schema.canonical().is_empty(), "{name}");
    }
    let vectors: Value = serde_json::from_str(include_str!(
        "../vectors/protobuf/karapace_protobuf_compatibility_transcribed.json"
    ))
    .unwrap();
    let mut count = 0;
    for case in vectors.as_array().unwrap() {
        for side in ["old", "new"] {
            let text = case[side].as_str().unwrap();
            if let Ok(schema) = ProtobufSchema::parse(text, &[], ParseOptions::default()) {
                assert_round_trip(&schema, &[]);
                count += 1;
            }
        }
    }
    assert_eq!(count, 32);
}

#[test]
fn google_well_known_files_round_trip() {
    let schema = parse(
        "syntax = \"proto3\";\n\
         import \"google/protobuf/any.proto\";\nimport \"google/protobuf/api.proto\";\n\
         import \"google/protobuf/descriptor.proto\";\nimport \"google/protobuf/duration.proto\";\n\
         import \"google/protobuf/empty.proto\";\nimport \"google/protobuf/field_mask.proto\";\n\
         import \"google/protobuf/source_context.proto\";\nimport \"google/protobuf/struct.proto\";\n\
         import \"google/protobuf/timestamp.proto\";\nimport \"google/protobuf/type.proto\";\n\
         import \"google/protobuf/wrappers.proto\";\n",
    );
    let deps: Vec<_> = schema.file().dependencies().collect();
    assert_eq!(deps.len(), 11);
    for dep in deps {
        let text = print_file(&dep, PrintOptions::default());
        let reparsed = ProtobufSchema::parse(&text, &[], ParseOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}\n{text}", dep.name()));
        let (a, b) = (
            comparable(dep.file_descriptor_proto()),
            comparable(reparsed.file().file_descriptor_proto()),
        );
        for (ma, mb) in a.message_type.iter().zip(&b.message_type) {
            assert_eq!(ma, mb, "{}", dep.name());
        }
        assert_eq!(a, b, "{}", dep.name());
        assert_eq!(text, reparsed.canonical(), "{}", dep.name());
    }
}

#[test]
fn formatting_and_abbreviations_do_not_change_the_canonical_text() {
    let a = parse("syntax=\"proto3\";package p;message A{B b=1;message B{int32 x=1;}}");
    let b = parse(
        "// comment\nsyntax = \"proto3\";\n\npackage p;\n\n/* block */\nmessage A {\n  .p.A.B b = 1;\n  message B {\n    int32 x = 1; // trailing\n  }\n}\n",
    );
    assert_eq!(a.canonical(), b.canonical());
    assert_eq!(
        a.canonical(),
        "syntax = \"proto3\";\npackage p;\n\nmessage A {\n  .p.A.B b = 1;\n  message B {\n    int32 x = 1;\n  }\n}\n"
    );
}

#[test]
fn normalize_sorts_imports_options_and_fields() {
    let normalized = |text: &str| {
        ProtobufSchema::parse(
            text,
            &[],
            ParseOptions {
                normalize: true,
                validate: true,
            },
        )
        .unwrap()
        .canonical()
        .to_owned()
    };
    let one = normalized(
        "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\nimport \"google/protobuf/any.proto\";\n\
         option java_package = \"j\";\noption go_package = \"g\";\n\
         message A { string b = 2; int32 a = 1 [json_name = \"x\", deprecated = true]; oneof o { bool d = 4; bool c = 3; } google.protobuf.Any any = 5; google.protobuf.Timestamp t = 6; }\n",
    );
    let two = normalized(
        "syntax = \"proto3\";\nimport \"google/protobuf/any.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\
         option go_package = \"g\";\noption java_package = \"j\";\n\
         message A { int32 a = 1 [deprecated = true, json_name = \"x\"]; string b = 2; oneof o { bool c = 3; bool d = 4; } google.protobuf.Any any = 5; google.protobuf.Timestamp t = 6; }\n",
    );
    assert_eq!(one, two);
    assert!(one.contains(
        "import \"google/protobuf/any.proto\";\nimport \"google/protobuf/timestamp.proto\";"
    ));
    assert!(one.contains("option go_package = \"g\";\noption java_package = \"j\";"));
    assert!(one.contains("int32 a = 1 [deprecated = true, json_name = \"x\"];\n  string b = 2;\n  oneof o {\n    bool c = 3;\n    bool d = 4;"));
    // Without normalisation, declaration order is kept.
    let plain = parse("syntax = \"proto3\";\nmessage A { string b = 2; int32 a = 1; }\n");
    assert!(plain.canonical().contains("string b = 2;\n  int32 a = 1;"));
}

#[test]
fn normalize_keeps_message_and_enum_value_order() {
    let schema = ProtobufSchema::parse(
        "syntax = \"proto3\";\nmessage Z { int32 x = 1; }\nmessage A { int32 y = 1; }\nenum E { E0 = 0; E2 = 2; E1 = 1; }\n",
        &[],
        ParseOptions { normalize: true, validate: true },
    )
    .unwrap();
    let text = schema.canonical();
    assert!(text.find("message Z").unwrap() < text.find("message A").unwrap());
    assert!(text.contains("E0 = 0;\n  E2 = 2;\n  E1 = 1;"));
}

#[test]
fn serialized_is_base64_descriptor_without_source_info() {
    let schema = parse(FEATURES_PROTO3);
    let b64 = schema.render("serialized").unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&b64)
        .unwrap();
    let descriptor = FileDescriptorProto::decode(bytes.as_slice()).unwrap();
    assert!(descriptor.source_code_info.is_none());
    assert_eq!(descriptor.package(), "shop.v1");
    assert_eq!(descriptor.message_type[0].name(), "Order");
    assert_eq!(bytes, schema.serialized());
    assert_eq!(schema.render("unknown"), None);
}

#[test]
fn ignore_extensions_drops_custom_options() {
    let schema = parse(FEATURES_PROTO2);
    let text = schema.render("ignore_extensions").unwrap();
    assert!(!text.contains("(confluent."), "{text}");
    assert!(text.contains("option java_package = \"x.y\";"));
}

#[test]
fn python_style_descriptor_is_accepted() {
    // What confluent-kafka's ProtobufSerializer sends: a protoc descriptor with its own file
    // name, fully qualified type names and json_name on every field.
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::FieldDescriptorProto;
    let field = |name: &str, number: i32, ty: Type, type_name: Option<&str>| FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(Label::Optional as i32),
        r#type: Some(ty as i32),
        type_name: type_name.map(Into::into),
        json_name: Some(name.into()),
        ..Default::default()
    };
    let file = FileDescriptorProto {
        name: Some("user.proto".into()),
        package: Some("demo".into()),
        dependency: vec!["google/protobuf/timestamp.proto".into()],
        message_type: vec![DescriptorProto {
            name: Some("User".into()),
            field: vec![
                field("name", 1, Type::String, None),
                field(
                    "created",
                    2,
                    Type::Message,
                    Some(".google.protobuf.Timestamp"),
                ),
            ],
            ..Default::default()
        }],
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec());
    let schema = parse(&b64);
    assert_eq!(
        schema.canonical(),
        "syntax = \"proto3\";\npackage demo;\n\nimport \"google/protobuf/timestamp.proto\";\n\nmessage User {\n  string name = 1;\n  .google.protobuf.Timestamp created = 2;\n}\n"
    );
    assert_eq!(schema.file().name(), "user.proto");
    // The same schema as text is the same schema.
    let text = parse("syntax = \"proto3\";\npackage demo;\nimport \"google/protobuf/timestamp.proto\";\nmessage User { string name = 1; google.protobuf.Timestamp created = 2; }");
    assert_eq!(schema.canonical(), text.canonical());
}

#[test]
fn base64_reference_is_accepted() {
    let dep = parse("syntax = \"proto3\";\npackage d;\nmessage D { int32 x = 1; }\n");
    let dep_b64 = dep.render("serialized").unwrap();
    let schema = parse_with(
        "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage A { d.D d = 1; }\n",
        &[("dep.proto", &dep_b64)],
    );
    assert!(schema.canonical().contains(".d.D d = 1;"));
}

#[test]
fn transitive_references_resolve() {
    let c = "syntax = \"proto3\";\npackage c;\nmessage C { int32 x = 1; }\n";
    let b = "syntax = \"proto3\";\npackage b;\nimport \"c.proto\";\nmessage B { c.C c = 1; }\n";
    let schema = parse_with(
        "syntax = \"proto3\";\nimport \"b.proto\";\nmessage A { b.B b = 1; }\n",
        &[("c.proto", c), ("b.proto", b)],
    );
    assert!(schema.canonical().contains(".b.B b = 1;"));
    // The import of the import must be there too.
    let err = ProtobufSchema::parse(
        "syntax = \"proto3\";\nimport \"b.proto\";\nmessage A { b.B b = 1; }\n",
        &references(&[("b.proto", b)]),
        ParseOptions::default(),
    )
    .unwrap_err();
    assert!(err.0.contains("c.proto"), "{err}");
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let err = ProtobufSchema::parse(
        "syntax = \"proto3\";\nmessage A {\n  int32 x = ;\n}\n",
        &[],
        ParseOptions::default(),
    )
    .unwrap_err();
    assert!(err.0.starts_with("line 3, column 13:"), "{err}");
    let err = ProtobufSchema::parse(
        "syntax = \"proto3\";\nmessage A {\n  Foo x = 1;\n}\n",
        &[],
        ParseOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.0.contains("line 3, column 3") && err.0.contains("Foo"),
        "{err}"
    );
    let err = ProtobufSchema::parse("message {", &[], ParseOptions::default()).unwrap_err();
    assert!(err.0.starts_with("line 1, column"), "{err}");
}

#[test]
fn unresolved_imports_name_the_file() {
    let err = ProtobufSchema::parse(
        "syntax = \"proto3\";\nimport \"missing/thing.proto\";\nmessage A { int32 x = 1; }\n",
        &[],
        ParseOptions::default(),
    )
    .unwrap_err();
    assert!(err.0.contains("missing/thing.proto"), "{err}");
    assert!(err.0.contains("line 2"), "{err}");
}

#[test]
fn reference_errors_name_the_reference() {
    let err = ProtobufSchema::parse(
        "syntax = \"proto3\";\nimport \"dep.proto\";\n",
        &references(&[("dep.proto", "syntax = \"proto3\";\nmessage {")]),
        ParseOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.0.contains("dep.proto") && err.0.contains("line 2"),
        "{err}"
    );
    let err = ProtobufSchema::parse(
        "syntax = \"proto3\";\nimport \"dep.proto\";\n",
        &references(&[(
            "dep.proto",
            "syntax = \"proto3\";\nmessage D { Nope n = 1; }",
        )]),
        ParseOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.0.contains("dep.proto") && err.0.contains("Nope"),
        "{err}"
    );
}

#[test]
fn well_known_imports_need_no_references() {
    let schema = parse(
        "syntax = \"proto3\";\nimport \"confluent/meta.proto\";\nimport \"confluent/type/decimal.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\
         message A { confluent.type.Decimal amount = 1 [(confluent.field_meta) = { params: [{ key: \"precision\", value: \"8\" }] }]; google.protobuf.Timestamp at = 2; }\n",
    );
    assert!(
        schema
            .canonical()
            .contains("(confluent.field_meta) = { params { key: \"precision\" value: \"8\" } }"),
        "{}",
        schema.canonical()
    );
    assert!(schemata_compat::protobuf::well_known::is_well_known(
        "google/protobuf/any.proto"
    ));
    assert!(schemata_compat::protobuf::well_known::is_well_known(
        "confluent/meta.proto"
    ));
    assert!(!schemata_compat::protobuf::well_known::is_well_known(
        "other.proto"
    ));
}

#[test]
fn message_indexes_follow_declarations() {
    let schema = parse(
        "syntax = \"proto3\";\npackage p;\nmessage A { map<string, int32> m = 1; message B { message C {} } message D {} }\nmessage E {}\n",
    );
    assert_eq!(schema.message_indexes("p.A"), Some(vec![0]));
    assert_eq!(schema.message_indexes(".p.A.B"), Some(vec![0, 0]));
    assert_eq!(schema.message_indexes("p.A.B.C"), Some(vec![0, 0, 0]));
    // The map entry is not counted.
    assert_eq!(schema.message_indexes("p.A.D"), Some(vec![0, 1]));
    assert_eq!(schema.message_indexes("p.E"), Some(vec![1]));
    assert_eq!(schema.message_indexes("p.A.MEntry"), None);
    assert_eq!(schema.message_indexes("p.X"), None);
    assert_eq!(schema.message_name(&[0, 1]).as_deref(), Some("p.A.D"));
    assert_eq!(schema.message_name(&[]).as_deref(), Some("p.A"));
    assert_eq!(schema.message_name(&[1]).as_deref(), Some("p.E"));
    assert_eq!(schema.message_name(&[2]), None);
    assert_eq!(schema.message_name(&[-1]), None);
    assert_eq!(
        schema.message_names(),
        ["p.A", "p.A.B", "p.A.B.C", "p.A.D", "p.E"]
    );
    for name in schema.message_names() {
        let idx = schema.message_indexes(&name).unwrap();
        assert_eq!(schema.message_name(&idx).unwrap(), name);
    }
}

#[test]
fn empty_and_odd_inputs() {
    // An empty file is a valid (if useless) schema, as it is for protoc.
    assert!(ProtobufSchema::parse("", &[], ParseOptions::default()).is_ok());
    for bad in [
        "abcd",
        "{}",
        "\"syntax\"",
        "AAAA",
        "syntax = \"proto4\";",
        "\u{0}",
    ] {
        assert!(
            ProtobufSchema::parse(bad, &[], ParseOptions::default()).is_err(),
            "{bad:?} accepted"
        );
    }
}

#[test]
fn editions_descriptors_are_refused() {
    let file = FileDescriptorProto {
        name: Some("e.proto".into()),
        syntax: Some("editions".into()),
        message_type: vec![DescriptorProto {
            name: Some("A".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec());
    assert!(ProtobufSchema::parse(&b64, &[], ParseOptions::default()).is_err());
    let err = ProtobufSchema::parse(
        "edition = \"2023\";\nmessage A {}\n",
        &[],
        ParseOptions::default(),
    )
    .unwrap_err();
    assert!(err.0.contains("line 1"), "{err}");
}

/// `nested_type` names of the message at `path` (top-level name first).
fn nested_names(file: &FileDescriptorProto, path: &[&str]) -> Vec<String> {
    let mut messages = &file.message_type;
    let mut found = None;
    for name in path {
        let m = messages
            .iter()
            .find(|m| m.name() == *name)
            .unwrap_or_else(|| panic!("no message {name}"));
        messages = &m.nested_type;
        found = Some(m);
    }
    found
        .expect("a path")
        .nested_type
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// parse(print(d)) keeps `nested_type` in protoc's order at `path`; `expected` is that order.
fn assert_nested_order(text: &str, path: &[&str], expected: &[&str]) {
    let schema = parse(text);
    let original = schema.file().file_descriptor_proto();
    assert_eq!(nested_names(original, path), expected, "protox order");
    let printed = parse(schema.canonical());
    assert_eq!(
        nested_names(printed.file().file_descriptor_proto(), path),
        expected,
        "{}",
        schema.canonical()
    );
    // What `render("serialized")` serves for the stored text, and the descriptor input path.
    let from_descriptor = parse(&printed.render("serialized").unwrap());
    assert_eq!(
        nested_names(from_descriptor.file().file_descriptor_proto(), path),
        expected
    );
    assert_round_trip(&schema, &[]);
}

#[test]
fn nested_message_declared_before_a_map_field_keeps_its_place() {
    assert_nested_order(
        "syntax = \"proto3\"; message O { message Line { string s = 1; } map<string,string> labels = 1; Line line = 2; }",
        &["O"],
        &["Line", "LabelsEntry"],
    );
}

#[test]
fn nested_message_declared_after_a_map_field_keeps_its_place() {
    assert_nested_order(
        "syntax = \"proto3\"; message O { map<string,string> labels = 1; message Line { string s = 1; } Line line = 2; }",
        &["O"],
        &["LabelsEntry", "Line"],
    );
}

#[test]
fn nested_message_between_two_map_fields_keeps_its_place() {
    assert_nested_order(
        "syntax = \"proto3\"; message O { message First {} map<string,string> a = 1; message Mid { int32 x = 1; } map<string, Mid> b = 2; message Last {} Last last = 3; }",
        &["O"],
        &["First", "AEntry", "Mid", "BEntry", "Last"],
    );
}

#[test]
fn nested_nested_message_order_is_kept_at_every_level() {
    let text = "syntax = \"proto3\"; package p; message O { message I { message Deep { int32 d = 1; } map<string, Deep> m = 1; message After {} map<int32, string> n = 2; After after = 3; } map<string, I> top = 1; message Tail { map<int64, int64> t = 1; message Z {} } }";
    assert_nested_order(text, &["O"], &["I", "TopEntry", "Tail"]);
    assert_nested_order(text, &["O", "I"], &["Deep", "MEntry", "After", "NEntry"]);
    assert_nested_order(text, &["O", "Tail"], &["TEntry", "Z"]);
}

#[test]
fn nested_message_order_around_groups_and_oneofs_is_kept() {
    let text = "syntax = \"proto2\"; message O { message A {} optional group G = 1 { optional int32 g = 1; } message B {} oneof o { int32 x = 2; group H = 3 { optional int32 h = 1; } } message C {} map<string, string> m = 4; }";
    assert_nested_order(text, &["O"], &["A", "G", "B", "H", "C", "MEntry"]);
}

#[test]
fn normalized_nested_message_order_is_deterministic() {
    // Normalised text prints nested messages after all fields: on re-parse the synthesized
    // map entries come first (by field number), then the other nested messages in order.
    let normalized = |text: &str| {
        ProtobufSchema::parse(
            text,
            &[],
            ParseOptions {
                normalize: true,
                validate: true,
            },
        )
        .unwrap()
        .canonical()
        .to_owned()
    };
    let before = normalized("syntax = \"proto3\"; message O { message Line { string s = 1; } map<string,string> labels = 2; Line line = 1; message Other {} map<int32,int32> z = 3; }");
    let after = normalized("syntax = \"proto3\"; message O { map<int32,int32> z = 3; map<string,string> labels = 2; message Line { string s = 1; } Line line = 1; message Other {} }");
    assert_eq!(before, after);
    assert_eq!(normalized(&before), before);
    assert_eq!(
        nested_names(parse(&before).file().file_descriptor_proto(), &["O"]),
        ["LabelsEntry", "ZEntry", "Line", "Other"]
    );
}
