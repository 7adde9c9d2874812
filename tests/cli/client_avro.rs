//! The Avro serializer and deserializer against the in-process registry: subject name
//! strategies, auto-registration, latest-version writes and schema evolution on read.

use crate::common::spawn_registry;
use schemata_client::apache_avro::types::Value;
use schemata_client::avro::{AvroDeserializer, AvroSchemas, AvroSerializer};
use schemata_client::{
    DeserializerConfig, Error, SerializationContext, SerializerConfig, SubjectNameStrategy,
};
use serde::{Deserialize, Serialize};

const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[
    {"name":"name","type":"string"},{"name":"age","type":"int"}]}"#;
const USER_V2: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[
    {"name":"name","type":"string"},{"name":"age","type":"long"},
    {"name":"email","type":["null","string"],"default":null},
    {"name":"country","type":"string","default":"NL"}]}"#;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserV1 {
    name: String,
    age: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserV2 {
    name: String,
    age: i64,
    email: Option<String>,
    country: String,
}

#[tokio::test]
async fn serde_round_trip_and_wire_format() {
    let registry = spawn_registry().await;
    let ser = AvroSerializer::from_str(registry.client(), USER_V1, SerializerConfig::default())
        .await
        .unwrap();
    let ctx = SerializationContext::value("users");
    let user = UserV1 {
        name: "ann".into(),
        age: 3,
    };
    let bytes = ser.serialize(&ctx, &user).await.unwrap();
    // magic, id 1, then Avro: "ann" (len 3 zig-zag = 6), 3 (zig-zag = 6)
    assert_eq!(bytes, [0, 0, 0, 0, 1, 6, b'a', b'n', b'n', 6]);
    let de = AvroDeserializer::new(registry.client(), DeserializerConfig::default());
    assert_eq!(de.deserialize::<UserV1>(&bytes).await.unwrap(), user);
    let value = de.deserialize_value(&bytes).await.unwrap();
    assert_eq!(
        value,
        Value::Record(vec![
            ("name".into(), Value::String("ann".into())),
            ("age".into(), Value::Int(3)),
        ])
    );
    // The same bytes from an apache-avro Value.
    assert_eq!(ser.serialize_value(&ctx, &value).await.unwrap(), bytes);
    let subjects = registry.client().get_subjects(false).await.unwrap();
    assert_eq!(subjects, ["users-value"]);
}

#[tokio::test]
async fn warm_serde_makes_no_request() {
    let registry = spawn_registry().await;
    let client = registry.client();
    let ser = AvroSerializer::from_str(client.clone(), USER_V1, SerializerConfig::default())
        .await
        .unwrap();
    let de = AvroDeserializer::new(client.clone(), DeserializerConfig::default());
    let ctx = SerializationContext::value("warm");
    let user = UserV1 {
        name: "bob".into(),
        age: 40,
    };
    let bytes = ser.serialize(&ctx, &user).await.unwrap();
    de.deserialize::<UserV1>(&bytes).await.unwrap();
    let warm = registry.requests();
    assert!(warm >= 2, "warm-up made {warm} requests");
    for _ in 0..200 {
        let b = ser.serialize(&ctx, &user).await.unwrap();
        assert_eq!(de.deserialize::<UserV1>(&b).await.unwrap(), user);
    }
    // A second serializer and deserializer on the same client hit its caches, not the server.
    let ser2 = AvroSerializer::from_str(client.clone(), USER_V1, SerializerConfig::default())
        .await
        .unwrap();
    let de2 = AvroDeserializer::new(client.clone(), DeserializerConfig::default());
    let b = ser2.serialize(&ctx, &user).await.unwrap();
    de2.deserialize_value(&b).await.unwrap();
    assert_eq!(
        registry.requests(),
        warm,
        "steady state must not call the registry"
    );
}

#[tokio::test]
async fn reader_schema_resolves_writer_to_reader() {
    let registry = spawn_registry().await;
    let ser = AvroSerializer::from_str(registry.client(), USER_V1, SerializerConfig::default())
        .await
        .unwrap();
    let bytes = ser
        .serialize(
            &SerializationContext::value("evolve"),
            &UserV1 {
                name: "cy".into(),
                age: 7,
            },
        )
        .await
        .unwrap();
    let de = AvroDeserializer::with_reader_schema(
        registry.client(),
        AvroSchemas::parse(USER_V2, &[]).unwrap(),
        DeserializerConfig::default(),
    );
    let user: UserV2 = de.deserialize(&bytes).await.unwrap();
    assert_eq!(
        user,
        UserV2 {
            name: "cy".into(),
            age: 7,
            email: None,
            country: "NL".into()
        }
    );
    // And to a Value: the int was promoted to long.
    let value = de.deserialize_value(&bytes).await.unwrap();
    let Value::Record(fields) = value else {
        panic!("not a record")
    };
    assert_eq!(fields[1], ("age".into(), Value::Long(7)));
}

#[tokio::test]
async fn subject_name_strategies_and_keys() {
    let registry = spawn_registry().await;
    let user = UserV1 {
        name: "d".into(),
        age: 1,
    };
    for strategy in [
        SubjectNameStrategy::TopicName,
        SubjectNameStrategy::RecordName,
        SubjectNameStrategy::TopicRecordName,
    ] {
        let config = SerializerConfig {
            subject_name_strategy: strategy,
            ..Default::default()
        };
        let ser = AvroSerializer::from_str(registry.client(), USER_V1, config)
            .await
            .unwrap();
        ser.serialize(&SerializationContext::key("orders"), &user)
            .await
            .unwrap();
    }
    let mut subjects = registry.client().get_subjects(false).await.unwrap();
    subjects.sort();
    assert_eq!(
        subjects,
        ["com.example.User", "orders-com.example.User", "orders-key"]
    );
}

#[tokio::test]
async fn auto_register_off_and_use_latest_version() {
    let registry = spawn_registry().await;
    let ctx = SerializationContext::value("strict");
    let no_register = SerializerConfig {
        auto_register_schemas: false,
        ..Default::default()
    };
    let ser = AvroSerializer::from_str(registry.client(), USER_V1, no_register.clone())
        .await
        .unwrap();
    let user = UserV1 {
        name: "e".into(),
        age: 2,
    };
    let err = ser.serialize(&ctx, &user).await.unwrap_err();
    assert!(
        matches!(err, Error::NotRegistered { ref subject, .. } if subject == "strict-value"),
        "{err:?}"
    );

    // Register v1 then v2 (backward compatible); a use-latest serializer writes with v2's id.
    let client = registry.client();
    let v1 = client
        .register(
            "strict-value",
            &schemata_client::Schema::new(schemata_client::SchemaType::Avro, USER_V1),
            false,
        )
        .await
        .unwrap();
    let found = AvroSerializer::from_str(registry.client(), USER_V1, no_register)
        .await
        .unwrap()
        .serialize(&ctx, &user)
        .await
        .unwrap();
    assert_eq!(&found[1..5], &v1.to_be_bytes());
    let v2 = client
        .register(
            "strict-value",
            &schemata_client::Schema::new(schemata_client::SchemaType::Avro, USER_V2),
            false,
        )
        .await
        .unwrap();
    assert_ne!(v1, v2);
    let latest = AvroSerializer::from_str(
        registry.client(),
        USER_V1,
        SerializerConfig {
            use_latest_version: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let v2_user = UserV2 {
        name: "f".into(),
        age: 9,
        email: Some("f@x".into()),
        country: "BE".into(),
    };
    let bytes = latest.serialize(&ctx, &v2_user).await.unwrap();
    assert_eq!(&bytes[1..5], &v2.to_be_bytes());
    let de = AvroDeserializer::new(registry.client(), DeserializerConfig::default());
    assert_eq!(de.deserialize::<UserV2>(&bytes).await.unwrap(), v2_user);
}

#[tokio::test]
async fn value_not_matching_schema_is_an_error() {
    let registry = spawn_registry().await;
    let ser = AvroSerializer::from_str(registry.client(), USER_V1, SerializerConfig::default())
        .await
        .unwrap();
    let err = ser
        .serialize_value(
            &SerializationContext::value("bad"),
            &Value::Record(vec![("name".into(), Value::Int(1))]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Serialization(_)), "{err:?}");
}

#[tokio::test]
async fn references_are_resolved() {
    let registry = spawn_registry().await;
    let client = registry.client();
    let address = r#"{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"city","type":"string"}]}"#;
    client
        .register(
            "address",
            &schemata_client::Schema::new(schemata_client::SchemaType::Avro, address),
            false,
        )
        .await
        .unwrap();
    let person = r#"{"type":"record","name":"Person","namespace":"com.example","fields":[{"name":"home","type":"com.example.Address"}]}"#;
    let schema = schemata_client::Schema::new(schemata_client::SchemaType::Avro, person)
        .with_references(vec![schemata_client::SchemaReference {
            name: "com.example.Address".into(),
            subject: "address".into(),
            version: 1,
        }]);
    let ser = AvroSerializer::new(client.clone(), schema, SerializerConfig::default())
        .await
        .unwrap();
    let json = serde_json::json!({"home": {"city": "Gent"}});
    let bytes = ser
        .serialize_json(&SerializationContext::value("people"), &json)
        .await
        .unwrap();
    let de = AvroDeserializer::new(registry.client(), DeserializerConfig::default());
    let value = de.deserialize_value(&bytes).await.unwrap();
    assert_eq!(schemata_client::avro::avro_to_json(value).unwrap(), json);
}
