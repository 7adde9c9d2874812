//! Fuzz target: arbitrary bytes as a Confluent wire-format message (magic byte, schema id,
//! Protobuf message indexes, payload) into the client's decoders, as its deserializers and
//! `schemata decode` run them once they have the writer schema: the first input byte picks
//! one of the writer (and reader) schemas below, the rest is the message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use schemata_client::avro::{self, AvroSchemas};
use schemata_client::prost_reflect::SerializeOptions;
use schemata_client::{json, protobuf, wire};
use schemata_compat::json::JsonSchema;
use schemata_compat::protobuf::wire::{decode_message_indexes, encode_message_indexes};
use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::ParseOptions;
use std::sync::{Arc, LazyLock};

/// A record of every Avro type and logical type that has a payload of its own.
const AVRO_RECORD: &str = r#"{"type":"record","name":"R","namespace":"f","fields":[
 {"name":"s","type":"string"},
 {"name":"i","type":"int"},
 {"name":"n","type":["null","long"]},
 {"name":"a","type":{"type":"array","items":"int"}},
 {"name":"m","type":{"type":"map","values":"double"}},
 {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
 {"name":"x","type":{"type":"fixed","name":"X","size":2}},
 {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}},
 {"name":"u","type":{"type":"string","logicalType":"uuid"}},
 {"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"b","type":["null","boolean","float","bytes"]}]}"#;

/// The same record as a later reader sees it: a promotion, an added field with a default,
/// an enum with a default symbol, a removed field.
const AVRO_RECORD_READER: &str = r#"{"type":"record","name":"R","namespace":"f","fields":[
 {"name":"s","type":"string"},
 {"name":"i","type":"double"},
 {"name":"n","type":["null","long"]},
 {"name":"a","type":{"type":"array","items":"long"}},
 {"name":"m","type":{"type":"map","values":"double"}},
 {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}},
 {"name":"x","type":{"type":"fixed","name":"X","size":2}},
 {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}},
 {"name":"u","type":{"type":"string","logicalType":"uuid"}},
 {"name":"z","type":"string","default":"zed"},
 {"name":"b","type":["null","boolean","float","bytes"]}]}"#;

/// A recursive type: a list as deep as the payload says.
const AVRO_LIST: &str = r#"{"type":"record","name":"L","fields":[
 {"name":"v","type":"int"},{"name":"next","type":["null","L"]}]}"#;

/// Nested containers of a union.
const AVRO_NESTED: &str = r#"{"type":"array","items":{"type":"map","values":["null","string",{"type":"array","items":"float"}]}}"#;

const PROTO3: &str = r#"syntax = "proto3";
package f;
import "google/protobuf/timestamp.proto";
message A {
  string s = 1;
  int64 n = 2;
  repeated int32 r = 3;
  map<string, A> m = 4;
  B b = 5;
  E e = 6;
  google.protobuf.Timestamp t = 7;
  repeated A children = 8;
  message B {
    oneof o { double d = 1; bytes y = 2; A a = 3; }
  }
}
enum E { Z = 0; O = 1; }
message C { sint32 x = 1; fixed64 f = 2; float g = 3; bool ok = 4; sfixed32 q = 5; }
"#;

const PROTO2: &str = r#"syntax = "proto2";
package g;
message P {
  optional group G = 1 { optional int32 q = 1; repeated P p = 2; }
  required string name = 2 [default = "n"];
  repeated uint64 packed = 3 [packed = true];
  extensions 100 to 200;
}
extend P { optional int32 e = 100; }
"#;

const JSON: &str = r##"{"type":"object","properties":{
 "a":{"type":"integer","minimum":0},
 "b":{"type":"array","items":{"$ref":"#"}},
 "c":{"oneOf":[{"type":"string","format":"date"},{"type":"null"}]}},
 "additionalProperties":{"type":"string","pattern":"^[a-z]+$"}}"##;

fn avro(text: &str) -> Arc<AvroSchemas> {
    Arc::new(AvroSchemas::parse(text, &[]).expect("the target's Avro schema parses"))
}

fn proto(text: &str) -> ProtobufSchema {
    ProtobufSchema::parse(text, &[], ParseOptions::default()).expect("the target's .proto parses")
}

/// The decoders and their schemas, parsed once.
enum Decoder {
    Avro(Arc<AvroSchemas>, Option<Arc<AvroSchemas>>),
    Protobuf(ProtobufSchema),
    Json(JsonSchema),
}

static DECODERS: LazyLock<Vec<Decoder>> = LazyLock::new(|| {
    let record = avro(AVRO_RECORD);
    let list = avro(AVRO_LIST);
    vec![
        Decoder::Avro(record.clone(), None),
        Decoder::Avro(record, Some(avro(AVRO_RECORD_READER))),
        Decoder::Avro(list.clone(), None),
        Decoder::Avro(list.clone(), Some(list)),
        Decoder::Avro(avro(AVRO_NESTED), None),
        Decoder::Protobuf(proto(PROTO3)),
        Decoder::Protobuf(proto(PROTO2)),
        Decoder::Json(
            JsonSchema::parse(JSON, &[], ParseOptions::default())
                .expect("the target's JSON Schema parses"),
        ),
    ]
});

fn decode(decoder: &Decoder, message: &[u8]) {
    match decoder {
        Decoder::Avro(writer, reader) => {
            let Ok((_, payload)) = wire::read_header(message) else {
                return;
            };
            if let Ok(value) = avro::decode_payload(writer.clone(), reader.clone(), payload) {
                let _ = avro::avro_to_json(value);
            }
        }
        Decoder::Protobuf(schema) => {
            if let Ok((_, m)) = protobuf::decode_dynamic(schema, message) {
                // What `schemata decode` prints.
                let options = SerializeOptions::new().use_proto_field_name(true);
                let _ = m.serialize_with_options(serde_json::value::Serializer, &options);
            }
        }
        Decoder::Json(schema) => {
            let Ok((_, payload)) = wire::read_header(message) else {
                return;
            };
            let _ = json::decode_payload(schema, payload, true);
        }
    }
}

fuzz_target!(|data: &[u8]| schemata_fuzz::on_worker_stack(|| exercise(data)));

fn exercise(data: &[u8]) {
    let Some((&choice, message)) = data.split_first() else {
        return;
    };
    let decoder = &DECODERS[usize::from(choice) % DECODERS.len()];
    decode(decoder, message);
    // The message-index array alone: what decodes re-encodes to the same indexes.
    if let Ok((_, rest)) = wire::read_header(message) {
        if let Ok((indexes, _)) = decode_message_indexes(rest) {
            let mut again = Vec::new();
            encode_message_indexes(&indexes, &mut again);
            assert_eq!(decode_message_indexes(&again).map(|d| d.0), Ok(indexes));
        }
    }
}
