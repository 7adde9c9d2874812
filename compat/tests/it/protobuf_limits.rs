//! Hostile sizes and shapes: deep nesting and long type chains neither overflow a 2 MiB
//! stack (the size of test and tokio worker threads) nor panic.

use crate::protobuf_support::PanicCounter;
use base64::Engine;
use prost::Message;
use prost_types::{DescriptorProto, FileDescriptorProto, MessageOptions};
use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::{ParseOptions, Roles};

fn on_small_stack<T: Send + 'static>(
    panics: &PanicCounter,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let panics = panics.clone();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            panics.watch();
            f()
        })
        .unwrap()
        .join()
        .unwrap()
}

fn parse(text: &str) -> Result<ProtobufSchema, String> {
    ProtobufSchema::parse(text, &[], ParseOptions::default()).map_err(|e| e.0)
}

fn option_aggregate(depth: usize) -> String {
    let mut t = String::from(
        "syntax = \"proto3\";\nimport \"google/protobuf/descriptor.proto\";\n\
         message R { R r = 1; int32 v = 2; }\n\
         extend google.protobuf.MessageOptions { R ropt = 5000; }\nmessage A { option (ropt) = ",
    );
    for _ in 0..depth {
        t.push_str("{ r ");
    }
    t.push_str("{ v: 1 }");
    for _ in 0..depth {
        t.push_str(" }");
    }
    t.push_str("; }\n");
    t
}

fn nested_descriptor(depth: usize) -> String {
    let mut message = DescriptorProto {
        name: Some("N".into()),
        ..Default::default()
    };
    for _ in 0..depth {
        message = DescriptorProto {
            name: Some("N".into()),
            nested_type: vec![message],
            ..Default::default()
        };
    }
    let file = FileDescriptorProto {
        name: Some("deep.proto".into()),
        syntax: Some("proto3".into()),
        message_type: vec![message],
        ..Default::default()
    };
    base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec())
}

#[test]
fn hostile_shapes_fail_cleanly() {
    let panics = PanicCounter::default();
    panics.watch();

    on_small_stack(&panics, || {
        // Moderate aggregate options are fine, deep ones are refused before protox recurses.
        let ok = parse(&option_aggregate(20)).unwrap();
        assert!(ok.canonical().contains("option (ropt) = { r { r {"));
        let err = parse(&option_aggregate(500)).unwrap_err();
        assert!(err.contains("nests more than"), "{err}");

        // Nested message declarations: protox's own limit.
        let mut t = String::from("syntax = \"proto3\";\n");
        for i in 0..60 {
            t.push_str(&format!("message M{i} {{ "));
        }
        for _ in 0..60 {
            t.push_str("} ");
        }
        assert!(parse(&t).is_err());

        // Strings and comments do not count as nesting.
        let braces = "{".repeat(1000);
        let quoted = format!(
            "syntax = \"proto3\";\n// {braces}\n/* {braces} */\nmessage A {{ string s = 1 [deprecated = true]; }}\noption java_package = \"{braces}\";\n"
        );
        assert!(parse(&quoted).is_ok());

        // A long chain of message types referring to each other.
        let chain = |leaf: &str| {
            let mut t = String::from("syntax = \"proto3\";\n");
            for i in 0..3000 {
                t.push_str(&format!("message M{i} {{ M{} next = 1; }}\n", i + 1));
            }
            t.push_str(&format!("message M3000 {{ {leaf} x = 1; }}\n"));
            t
        };
        let old = parse(&chain("int32")).unwrap();
        let new = parse(&chain("string")).unwrap();
        let messages = schemata_compat::protobuf::incompatibilities(&new, &old, Roles::BACKWARD);
        assert!(messages
            .iter()
            .any(|m| m.contains("FIELD_SCALAR_KIND_CHANGED")));

        // Descriptors nested as deep as the decoder allows, and deeper.
        for depth in [40, 90, 150] {
            if let Ok(schema) =
                ProtobufSchema::parse(&nested_descriptor(depth), &[], ParseOptions::default())
            {
                let _ =
                    schemata_compat::protobuf::incompatibilities(&schema, &schema, Roles::BACKWARD);
                let _ = schema.render("serialized");
            }
        }

        // A custom option whose bytes do not match its declared type.
        let mut options = MessageOptions::default().encode_to_vec();
        options.extend_from_slice(&[0x80, 0x44, 0x05]); // field 1088, varint; Meta is a message
        let file = FileDescriptorProto {
            name: Some("bad.proto".into()),
            syntax: Some("proto3".into()),
            dependency: vec!["confluent/meta.proto".into()],
            message_type: vec![DescriptorProto {
                name: Some("A".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut bytes = file.encode_to_vec();
        // Append `message_type { name: "B" options { <bad> } }` by hand.
        let mut message = DescriptorProto {
            name: Some("B".into()),
            ..Default::default()
        }
        .encode_to_vec();
        message.push(0x3a); // field 7, length-delimited
        prost::encoding::encode_varint(options.len() as u64, &mut message);
        message.extend_from_slice(&options);
        bytes.push(0x22); // field 4, length-delimited
        prost::encoding::encode_varint(message.len() as u64, &mut bytes);
        bytes.extend_from_slice(&message);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        assert!(ProtobufSchema::parse(&b64, &[], ParseOptions::default()).is_err());
    });

    assert_eq!(panics.count(), 0, "a panic occurred (caught or not)");
}
