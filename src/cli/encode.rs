//! `schemata encode`: JSON values on stdin (one, or one a line) → Confluent wire-format
//! messages on stdout, registering (or looking up) the schema as a serializer would. Avro
//! takes plain JSON and Avro's JSON encoding (unions as `{"type": value}`), and an error
//! names the field's path and what the schema expects there.

use super::framing;
use super::options::{EncodeArgs, Framing};
use super::{read_file, registry_client, registry_references};
use anyhow::{anyhow, bail, Context};
use schemata_client::avro::AvroSerializer;
use schemata_client::json::JsonSerializer;
use schemata_client::prost_reflect::{DynamicMessage, MessageDescriptor};
use schemata_client::protobuf::{parse_proto, ProtobufSerializer};
use schemata_client::{
    wire, MessageField, Schema, SchemaRegistryClient, SchemaType, SerializationContext,
    SerializerConfig, SubjectNameStrategy,
};
use std::io::{Read, Write};
use std::process::ExitCode;
use std::str::FromStr;

pub(super) async fn run(args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let client = registry_client(&args.registry)?;
    let schema_type = SchemaType::from_str(&args.schema_type).map_err(|e| anyhow!(e))?;
    let schema = Schema::new(schema_type, read_file(&args.schema)?)
        .with_references(registry_references(&client, &args.refs).await?);
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .context("cannot read stdin")?;
    let records = json_records(&input)?;
    if records.len() > 1 && args.output == Framing::Raw && !args.json {
        bail!(
            "stdin holds {} records: raw output takes one; use --output hex or base64 (one message a line)",
            records.len()
        );
    }
    let encoder = Encoder::new(client, schema, &args).await?;
    let ctx = SerializationContext {
        topic: &args.topic,
        field: if args.key {
            MessageField::Key
        } else {
            MessageField::Value
        },
    };
    let mut messages = Vec::with_capacity(records.len());
    for (line, record) in &records {
        let message = encoder
            .encode(&ctx, record)
            .await
            .with_context(|| format!("record {line}"))?;
        messages.push(message);
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let id = messages
            .first()
            .map(|m| wire::read_header(m).map(|(id, _)| id))
            .transpose()?;
        let encoded: Vec<String> = messages
            .iter()
            .map(|m| framing::encode(Framing::Base64, m))
            .collect();
        writeln!(
            stdout,
            "{}",
            serde_json::json!({ "id": id, "messages": encoded })
        )?;
    } else if args.output == Framing::Raw {
        stdout.write_all(&messages[0])?;
    } else {
        for message in &messages {
            writeln!(stdout, "{}", framing::encode(args.output, message))?;
        }
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The JSON values of stdin, one after another (one value, or JSON lines), each with the
/// line it starts on.
fn json_records(input: &[u8]) -> anyhow::Result<Vec<(usize, serde_json::Value)>> {
    let mut records = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(input).into_iter::<serde_json::Value>();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let skipped = input[start..]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                records.push((line_of(input, start + skipped), value));
            }
            Some(Err(e)) => bail!("stdin is not JSON values (one, or one a line): {e}"),
        }
    }
    if records.is_empty() {
        bail!("stdin holds no JSON value");
    }
    Ok(records)
}

fn line_of(input: &[u8], offset: usize) -> usize {
    input[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

/// A serializer for the schema's type, made once for every record.
enum Encoder {
    Avro(AvroSerializer),
    Json(JsonSerializer),
    Protobuf(Box<ProtobufSerializer<DynamicMessage>>, MessageDescriptor),
}

impl Encoder {
    async fn new(
        client: SchemaRegistryClient,
        schema: Schema,
        args: &EncodeArgs,
    ) -> anyhow::Result<Encoder> {
        let config = SerializerConfig {
            auto_register_schemas: !args.no_auto_register,
            use_latest_version: args.use_latest_version,
            normalize_schemas: args.normalize,
            subject_name_strategy: SubjectNameStrategy::from_str(&args.subject_name_strategy)
                .map_err(|e| anyhow!(e))?,
            validate: true,
        };
        Ok(match schema.schema_type {
            SchemaType::Avro => Encoder::Avro(AvroSerializer::new(client, schema, config).await?),
            SchemaType::Json => Encoder::Json(JsonSerializer::new(client, schema, config).await?),
            SchemaType::Protobuf => {
                // Imports are the referenced schemas, fetched from the registry.
                let imports: Vec<(String, String)> = client
                    .resolve_references(&schema)
                    .await?
                    .into_iter()
                    .map(|r| (r.name, r.schema))
                    .collect();
                let parsed = parse_proto(&schema.schema, &imports)?;
                let descriptor = match &args.message {
                    Some(name) => parsed
                        .pool()
                        .get_message_by_name(name.strip_prefix('.').unwrap_or(name))
                        .with_context(|| format!("no message {name} in the schema"))?,
                    None => parsed
                        .message_for_indexes(&[0])
                        .context("the schema declares no message")?,
                };
                let serializer = ProtobufSerializer::new(client, descriptor.clone(), config);
                Encoder::Protobuf(Box::new(serializer), descriptor)
            }
        })
    }

    async fn encode(
        &self,
        ctx: &SerializationContext<'_>,
        record: &serde_json::Value,
    ) -> anyhow::Result<Vec<u8>> {
        Ok(match self {
            Encoder::Avro(serializer) => serializer.serialize_json(ctx, record).await?,
            Encoder::Json(serializer) => serializer.serialize_value(ctx, record).await?,
            Encoder::Protobuf(serializer, descriptor) => {
                let message = DynamicMessage::deserialize(descriptor.clone(), record)
                    .with_context(|| {
                        format!("does not match message {}", descriptor.full_name())
                    })?;
                serializer.serialize_dynamic(ctx, &message).await?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_one_value_or_one_a_line_each_with_its_line() {
        let one = json_records(b"{\n  \"a\": 1\n}\n").unwrap();
        assert_eq!(one.len(), 1);
        let lines = json_records(b"{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}").unwrap();
        let at: Vec<usize> = lines.iter().map(|(line, _)| *line).collect();
        assert_eq!(at, [1, 2, 4]);
        assert!(json_records(b"  \n").is_err());
        assert!(json_records(b"{\"a\":1}\n{oops").is_err());
    }
}
