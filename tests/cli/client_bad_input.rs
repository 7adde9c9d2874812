//! The client library against bad input and unreachable registries: typed errors, retries,
//! failover to the next URL, and bad configuration refused.

use crate::common::{dead_url, spawn_registry};
use schemata_client::avro::{AvroDeserializer, AvroSerializer};
use schemata_client::json::JsonDeserializer;
use schemata_client::protobuf::ProtobufDeserializer;
use schemata_client::{
    ClientConfig, DeserializerConfig, Error, SchemaRegistryClient, SerializationContext,
    SerializerConfig,
};
use std::time::{Duration, Instant};

const SCHEMA: &str = r#"{"type":"record","name":"R","fields":[{"name":"s","type":"string"}]}"#;

#[tokio::test]
async fn foreign_bytes_give_typed_errors() {
    let registry = spawn_registry().await;
    let ser = AvroSerializer::from_str(registry.client(), SCHEMA, SerializerConfig::default())
        .await
        .unwrap();
    let good = ser
        .serialize_value(
            &SerializationContext::value("t"),
            &schemata_client::apache_avro::types::Value::Record(vec![(
                "s".into(),
                schemata_client::apache_avro::types::Value::String("hello".into()),
            )]),
        )
        .await
        .unwrap();
    let de = AvroDeserializer::new(registry.client(), DeserializerConfig::default());
    assert_eq!(de.deserialize_value(&[]).await, Err(Error::Truncated(0)));
    assert_eq!(
        de.deserialize_value(&[0, 0, 1]).await,
        Err(Error::Truncated(3))
    );
    assert_eq!(
        de.deserialize_value(&[b'{', 0, 0, 0, 1, 2]).await,
        Err(Error::UnknownMagicByte(b'{'))
    );
    assert_eq!(
        de.deserialize_value(&[0, 0, 0, 0x30, 0x39, 2]).await,
        Err(Error::UnknownSchemaId(12345))
    );
    // Truncated payload: every prefix is an error or a value, never a panic.
    for n in 5..good.len() {
        let got = de.deserialize_value(&good[..n]).await;
        assert!(
            matches!(got, Err(Error::Deserialization(_))),
            "{n}: {got:?}"
        );
    }
    // Garbage payloads never panic.
    for seed in 0u32..200 {
        let mut msg = good[..5].to_vec();
        let mut x = seed.wrapping_mul(2654435761);
        for _ in 0..(seed % 17) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            msg.push(x as u8);
        }
        let _ = de.deserialize_value(&msg).await;
    }
    // An Avro id read as Protobuf or JSON: wrong type, typed.
    let pb = ProtobufDeserializer::new(registry.client(), DeserializerConfig::default());
    assert!(matches!(
        pb.deserialize_dynamic(&good).await,
        Err(Error::WrongSchemaType { id: 1, .. })
    ));
    let js = JsonDeserializer::new(registry.client(), DeserializerConfig::default());
    assert!(matches!(
        js.deserialize_value(&good).await,
        Err(Error::WrongSchemaType { .. })
    ));
}

#[tokio::test]
async fn registry_down_fails_after_retries() {
    let client = SchemaRegistryClient::new(
        ClientConfig::new(&dead_url())
            .max_retries(2)
            .backoff(Duration::from_millis(20), Duration::from_millis(100)),
    )
    .unwrap();
    let started = Instant::now();
    let err = client.get_by_id(1).await.unwrap_err();
    match &err {
        Error::Unavailable { attempts, last } => {
            assert_eq!(*attempts, 3);
            assert!(last.contains("/schemas/ids/1"), "{last}");
        }
        other => panic!("{other:?}"),
    }
    // Two backoffs: 20 ms + 40 ms.
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert!(
        err.to_string().contains("unavailable after 3 attempt(s)"),
        "{err}"
    );
}

#[tokio::test]
async fn failover_to_the_next_url() {
    let registry = spawn_registry().await;
    let urls = format!("{},{}", dead_url(), registry.url);
    let client = SchemaRegistryClient::new(ClientConfig::new(&urls).max_retries(0)).unwrap();
    assert!(client.get_subjects(false).await.unwrap().is_empty());
}

#[test]
fn bad_configuration() {
    assert!(matches!(
        SchemaRegistryClient::from_url(""),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        SchemaRegistryClient::from_url("localhost:8081"),
        Err(Error::Config(_))
    ));
}
