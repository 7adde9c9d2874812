//! `schemata decode`: Confluent wire-format messages on stdin (raw bytes, or one hex or
//! base64 message a line) → one JSON value a line on stdout, with each writer schema fetched
//! from the registry by the id in the message.

use super::framing;
use super::options::DecodeArgs;
use super::registry_client;
use anyhow::Context;
use schemata_client::avro::{avro_to_json, AvroDeserializer};
use schemata_client::json::JsonDeserializer;
use schemata_client::prost_reflect::SerializeOptions;
use schemata_client::protobuf::ProtobufDeserializer;
use schemata_client::{wire, DeserializerConfig, SchemaRegistryClient, SchemaType};
use std::io::{Read, Write};
use std::process::ExitCode;

pub(super) async fn run(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let client = registry_client(&args.registry)?;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .context("cannot read stdin")?;
    let messages = framing::decode(args.input, input)?;
    let mut stdout = std::io::stdout().lock();
    for (i, message) in messages.iter().enumerate() {
        let (id, value) = decode(&client, message)
            .await
            .with_context(|| format!("message {}", i + 1))?;
        let out = if args.with_id || args.json {
            serde_json::json!({ "id": id, "value": value })
        } else {
            value
        };
        writeln!(stdout, "{out}")?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn decode(
    client: &SchemaRegistryClient,
    message: &[u8],
) -> anyhow::Result<(u32, serde_json::Value)> {
    let (id, _) = wire::read_header(message)?;
    let schema = client.get_by_id(id).await?;
    let config = DeserializerConfig::default();
    let value = match schema.schema_type {
        SchemaType::Avro => avro_to_json(
            AvroDeserializer::new(client.clone(), config)
                .deserialize_value(message)
                .await?,
        )?,
        SchemaType::Json => {
            JsonDeserializer::new(client.clone(), config)
                .deserialize_value(message)
                .await?
        }
        SchemaType::Protobuf => {
            let m = ProtobufDeserializer::new(client.clone(), config)
                .deserialize_dynamic(message)
                .await?;
            // Field names as declared (not lowerCamelCase), like the input of `encode`.
            let options = SerializeOptions::new().use_proto_field_name(true);
            m.serialize_with_options(serde_json::value::Serializer, &options)
                .context("cannot render the message as JSON")?
        }
    };
    Ok((id, value))
}
