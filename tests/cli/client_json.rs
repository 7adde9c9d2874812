//! The JSON Schema serializer and deserializer against the in-process registry, with
//! validation on both sides.

use crate::common::spawn_registry;
use schemata_client::json::{JsonDeserializer, JsonSerializer};
use schemata_client::{DeserializerConfig, Error, SerializationContext, SerializerConfig};
use serde::{Deserialize, Serialize};
use serde_json::json;

const SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Thing","type":"object",
  "properties":{"name":{"type":"string"},"size":{"type":"integer","minimum":0}},"required":["name"]}"#;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Thing {
    name: String,
    size: u32,
}

#[tokio::test]
async fn round_trip_and_validation() {
    let registry = spawn_registry().await;
    let ser = JsonSerializer::from_str(registry.client(), SCHEMA, SerializerConfig::default())
        .await
        .unwrap();
    let ctx = SerializationContext::value("things");
    let thing = Thing {
        name: "box".into(),
        size: 3,
    };
    let bytes = ser.serialize(&ctx, &thing).await.unwrap();
    assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1]);
    assert_eq!(&bytes[5..], br#"{"name":"box","size":3}"#);
    let de = JsonDeserializer::new(registry.client(), DeserializerConfig::default());
    assert_eq!(de.deserialize::<Thing>(&bytes).await.unwrap(), thing);

    let err = ser
        .serialize_value(&ctx, &json!({"size": -1}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    // Without validation the invalid value is written; the validating reader refuses it.
    let lax = JsonSerializer::from_str(
        registry.client(),
        SCHEMA,
        SerializerConfig {
            validate: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let bad = lax
        .serialize_value(&ctx, &json!({"size": -1}))
        .await
        .unwrap();
    assert!(matches!(
        de.deserialize_value(&bad).await,
        Err(Error::Validation(_))
    ));
    let lax_de = JsonDeserializer::new(
        registry.client(),
        DeserializerConfig {
            validate: false,
            ..Default::default()
        },
    );
    assert_eq!(
        lax_de.deserialize_value(&bad).await.unwrap(),
        json!({"size": -1})
    );
}

#[tokio::test]
async fn record_name_strategy_uses_title() {
    let registry = spawn_registry().await;
    let ser = JsonSerializer::from_str(
        registry.client(),
        SCHEMA,
        SerializerConfig {
            subject_name_strategy: schemata_client::SubjectNameStrategy::TopicRecordName,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    ser.serialize_value(&SerializationContext::value("t"), &json!({"name": "x"}))
        .await
        .unwrap();
    assert_eq!(
        registry.client().get_subjects(false).await.unwrap(),
        ["t-Thing"]
    );
}
