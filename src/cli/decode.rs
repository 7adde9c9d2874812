//! `schemata decode`: one Confluent wire-format message on stdin → JSON on stdout, with the
//! writer schema fetched from the registry by the id in the message.

use super::options::DecodeArgs;
use super::registry_client;
use anyhow::Context;
use schemata_client::avro::{avro_to_json, AvroDeserializer};
use schemata_client::json::JsonDeserializer;
use schemata_client::prost_reflect::SerializeOptions;
use schemata_client::protobuf::ProtobufDeserializer;
use schemata_client::{wire, DeserializerConfig, SchemaType};
use std::io::Read;
use std::process::ExitCode;

pub(super) async fn run(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let client = registry_client(&args.registry)?;
    let mut message = Vec::new();
    std::io::stdin()
        .read_to_end(&mut message)
        .context("cannot read stdin")?;
    let (id, _) = wire::read_header(&message)?;
    let schema = client.get_by_id(id).await?;
    let config = DeserializerConfig::default();
    let value = match schema.schema_type {
        SchemaType::Avro => avro_to_json(
            AvroDeserializer::new(client, config)
                .deserialize_value(&message)
                .await?,
        )?,
        SchemaType::Json => {
            JsonDeserializer::new(client, config)
                .deserialize_value(&message)
                .await?
        }
        SchemaType::Protobuf => {
            let m = ProtobufDeserializer::new(client, config)
                .deserialize_dynamic(&message)
                .await?;
            // Field names as declared (not lowerCamelCase), like the input of `encode`.
            let options = SerializeOptions::new().use_proto_field_name(true);
            m.serialize_with_options(serde_json::value::Serializer, &options)
                .context("cannot render the message as JSON")?
        }
    };
    let out = if args.with_id {
        serde_json::json!({ "id": id, "value": value })
    } else {
        value
    };
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
