//! The Protobuf serializer and deserializer against the in-process registry: message indexes,
//! references, and round trips.

use crate::common::spawn_registry;
use prost::Message as _;
use schemata_client::prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage, Value};
use schemata_client::protobuf::{
    message_indexes, parse_proto, ProtobufDeserializer, ProtobufSerializer,
};
use schemata_client::{DeserializerConfig, Error, SerializationContext, SerializerConfig};

const PROTO: &str = r#"syntax = "proto3";
package shop;
message Order {
  string id = 1;
  int32 quantity = 2;
  map<string, string> tags = 3;
  message Line { string sku = 1; int64 cents = 2; }
  repeated Line lines = 4;
}
message Customer { string name = 1; }
"#;

#[derive(Clone, PartialEq, prost::Message)]
struct Customer {
    #[prost(string, tag = "1")]
    name: String,
}

fn descriptor(name: &str) -> MessageDescriptor {
    parse_proto(PROTO, &[])
        .unwrap()
        .pool()
        .get_message_by_name(name)
        .unwrap()
}

#[test]
fn message_indexes_follow_confluent() {
    assert_eq!(message_indexes(&descriptor("shop.Order")), [0]);
    assert_eq!(message_indexes(&descriptor("shop.Customer")), [1]);
    // The map entry type is not counted.
    assert_eq!(message_indexes(&descriptor("shop.Order.Line")), [0, 0]);
}

#[tokio::test]
async fn dynamic_round_trip_first_message() {
    let registry = spawn_registry().await;
    let desc = descriptor("shop.Order");
    let mut order = DynamicMessage::new(desc.clone());
    order.set_field_by_name("id", Value::String("o-1".into()));
    order.set_field_by_name("quantity", Value::I32(5));
    let ser = ProtobufSerializer::<DynamicMessage>::new(
        registry.client(),
        desc,
        SerializerConfig::default(),
    );
    let ctx = SerializationContext::value("orders");
    let bytes = ser.serialize_dynamic(&ctx, &order).await.unwrap();
    assert_eq!(
        &bytes[..6],
        &[0, 0, 0, 0, 1, 0],
        "header then the [0] shortcut"
    );
    let de = ProtobufDeserializer::new(registry.client(), DeserializerConfig::default());
    let back = de.deserialize_dynamic(&bytes).await.unwrap();
    assert_eq!(back.encode_to_vec(), order.encode_to_vec());
    assert_eq!(back.descriptor().full_name(), "shop.Order");
    // The registry stored the schema as .proto text.
    let stored = registry.client().get_by_id(1).await.unwrap();
    assert!(stored.schema.contains("message Order"), "{}", stored.schema);
}

#[tokio::test]
async fn generated_type_second_message() {
    let registry = spawn_registry().await;
    let ser = ProtobufSerializer::<Customer>::new(
        registry.client(),
        descriptor("shop.Customer"),
        SerializerConfig::default(),
    );
    let ctx = SerializationContext::value("customers");
    let customer = Customer { name: "ann".into() };
    let bytes = ser.serialize(&ctx, &customer).await.unwrap();
    // Indexes [1]: count 1 (zig-zag 2), index 1 (zig-zag 2).
    assert_eq!(&bytes[5..7], &[2, 2]);
    let de = ProtobufDeserializer::new(registry.client(), DeserializerConfig::default());
    assert_eq!(de.deserialize::<Customer>(&bytes).await.unwrap(), customer);
    let dynamic = de.deserialize_dynamic(&bytes).await.unwrap();
    assert_eq!(dynamic.descriptor().full_name(), "shop.Customer");
    // Warm: no more requests.
    let warm = registry.requests();
    for _ in 0..50 {
        let b = ser.serialize(&ctx, &customer).await.unwrap();
        de.deserialize::<Customer>(&b).await.unwrap();
    }
    assert_eq!(registry.requests(), warm);
}

#[tokio::test]
async fn nested_message_and_bad_index() {
    let registry = spawn_registry().await;
    let desc = descriptor("shop.Order.Line");
    let mut line = DynamicMessage::new(desc.clone());
    line.set_field_by_name("sku", Value::String("x".into()));
    let ser = ProtobufSerializer::<DynamicMessage>::new(
        registry.client(),
        desc,
        SerializerConfig {
            subject_name_strategy: schemata_client::SubjectNameStrategy::RecordName,
            ..Default::default()
        },
    );
    let bytes = ser
        .serialize(&SerializationContext::value("lines"), &line)
        .await
        .unwrap();
    assert_eq!(&bytes[5..8], &[4, 0, 0], "indexes [0, 0]");
    let de = ProtobufDeserializer::new(registry.client(), DeserializerConfig::default());
    let back = de.deserialize_dynamic(&bytes).await.unwrap();
    assert_eq!(back.descriptor().full_name(), "shop.Order.Line");
    assert_eq!(
        registry.client().get_subjects(false).await.unwrap(),
        ["shop.Order.Line"]
    );
    // Index [7] designates nothing; a truncated index array is an error too.
    let mut bad = bytes[..5].to_vec();
    bad.extend_from_slice(&[2, 14]);
    assert!(matches!(
        de.deserialize_dynamic(&bad).await,
        Err(Error::BadMessageIndex(_))
    ));
    let truncated = [&bytes[..5], &[6u8, 2][..]].concat();
    assert!(matches!(
        de.deserialize_dynamic(&truncated).await,
        Err(Error::BadMessageIndex(_))
    ));
}

#[tokio::test]
async fn imports_are_registered_as_references() {
    let registry = spawn_registry().await;
    let common = "syntax = \"proto3\";\npackage common;\nmessage Money { int64 cents = 1; }\n";
    let main = "syntax = \"proto3\";\npackage shop;\nimport \"common/money.proto\";\nimport \"google/protobuf/timestamp.proto\";\nmessage Price { common.Money amount = 1; google.protobuf.Timestamp at = 2; }\n";
    let schema = parse_proto(main, &[("common/money.proto".into(), common.into())]).unwrap();
    let desc = schema.pool().get_message_by_name("shop.Price").unwrap();
    let mut money = DynamicMessage::new(schema.pool().get_message_by_name("common.Money").unwrap());
    money.set_field_by_name("cents", Value::I64(250));
    let mut price = DynamicMessage::new(desc.clone());
    price.set_field_by_name("amount", Value::Message(money));
    let ser = ProtobufSerializer::<DynamicMessage>::new(
        registry.client(),
        desc,
        SerializerConfig::default(),
    );
    let bytes = ser
        .serialize(&SerializationContext::value("prices"), &price)
        .await
        .unwrap();
    let mut subjects = registry.client().get_subjects(false).await.unwrap();
    subjects.sort();
    assert_eq!(subjects, ["common/money.proto", "prices-value"]);
    let de = ProtobufDeserializer::new(registry.client(), DeserializerConfig::default());
    assert_eq!(
        de.deserialize_dynamic(&bytes)
            .await
            .unwrap()
            .encode_to_vec(),
        price.encode_to_vec()
    );
}

#[tokio::test]
async fn warm_sync_path() {
    let registry = spawn_registry().await;
    let ser = ProtobufSerializer::<Customer>::new(
        registry.client(),
        descriptor("shop.Customer"),
        SerializerConfig::default(),
    );
    let ctx = SerializationContext::value("sync");
    let customer = Customer { name: "bo".into() };
    assert!(
        ser.serialize_warm(&ctx, &customer).is_none(),
        "cold: no id yet"
    );
    let bytes = ser.serialize(&ctx, &customer).await.unwrap();
    assert_eq!(ser.serialize_warm(&ctx, &customer), Some(bytes));
    assert!(ser
        .serialize_warm(&SerializationContext::key("sync"), &customer)
        .is_none());
}
