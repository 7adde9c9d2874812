//! `schemata encode`: one JSON value on stdin → one Confluent wire-format message on stdout,
//! registering (or looking up) the schema as a serializer would.

use super::options::EncodeArgs;
use super::{read_file, registry_client, registry_references};
use anyhow::{anyhow, Context};
use schemata_client::avro::AvroSerializer;
use schemata_client::json::JsonSerializer;
use schemata_client::prost_reflect::{DynamicMessage, ReflectMessage};
use schemata_client::protobuf::{parse_proto, ProtobufSerializer};
use schemata_client::{
    MessageField, Schema, SchemaType, SerializationContext, SerializerConfig, SubjectNameStrategy,
};
use std::io::{Read, Write};
use std::process::ExitCode;
use std::str::FromStr;

pub(super) async fn run(args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let client = registry_client(&args.registry)?;
    let schema_type = SchemaType::from_str(&args.schema_type).map_err(|e| anyhow!(e))?;
    let text = read_file(&args.schema)?;
    let config = SerializerConfig {
        auto_register_schemas: !args.no_auto_register,
        use_latest_version: args.use_latest_version,
        normalize_schemas: args.normalize,
        subject_name_strategy: SubjectNameStrategy::from_str(&args.subject_name_strategy)
            .map_err(|e| anyhow!(e))?,
        validate: true,
    };
    let ctx = SerializationContext {
        topic: &args.topic,
        field: if args.key {
            MessageField::Key
        } else {
            MessageField::Value
        },
    };
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .context("cannot read stdin")?;
    let bytes = match schema_type {
        SchemaType::Avro | SchemaType::Json => {
            let value: serde_json::Value =
                serde_json::from_slice(&input).context("stdin is not one JSON value")?;
            let schema =
                Schema::new(schema_type, text).with_references(registry_references(&args.refs)?);
            if schema_type == SchemaType::Avro {
                AvroSerializer::new(client, schema, config)
                    .await?
                    .serialize_json(&ctx, &value)
                    .await?
            } else {
                JsonSerializer::new(client, schema, config)
                    .await?
                    .serialize_value(&ctx, &value)
                    .await?
            }
        }
        SchemaType::Protobuf => {
            let parsed = parse_proto(&text, &[])?;
            let descriptor = match &args.message {
                Some(name) => parsed
                    .pool()
                    .get_message_by_name(name.strip_prefix('.').unwrap_or(name))
                    .with_context(|| format!("no message {name} in the schema"))?,
                None => parsed
                    .message_for_indexes(&[0])
                    .context("the schema declares no message")?,
            };
            let mut de = serde_json::Deserializer::from_slice(&input);
            let message = DynamicMessage::deserialize(descriptor.clone(), &mut de)
                .context("stdin does not match the message type")?;
            de.end().context("trailing data after the JSON value")?;
            debug_assert_eq!(message.descriptor().full_name(), descriptor.full_name());
            ProtobufSerializer::<DynamicMessage>::new(client, descriptor, config)
                .serialize_dynamic(&ctx, &message)
                .await?
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
