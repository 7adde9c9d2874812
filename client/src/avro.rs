//! Avro serializer and deserializer (apache-avro `Value` and serde types).
//!
//! The writer and reader objects of apache-avro borrow their schema and pre-resolve its
//! names (a map of every named type, with a copy of each name); building them per message
//! would add about a third to a small record's encoding or decoding time. So each parsed
//! schema is kept with its ready writer/reader in one self-referential cell ([`AvroWriter`],
//! `AvroReader`, made safe by `self_cell`) cached per subject/id.

use crate::avro_depth::{self, Stop, MAX_DEPTH, MAX_RESOLVED_DEPTH};
use crate::config::{
    DeserializerConfig, HotCache, SerializationContext, SerializerConfig, TopicCache,
};
use crate::error::{Error, Result};
use crate::rest::{expect_type, SchemaRegistryClient};
use crate::serde_common::resolve_id;
use crate::types::{Schema, SchemaType};
use crate::wire;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use self_cell::self_cell;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

/// A parsed Avro schema and the named schemas it refers to.
#[derive(Debug)]
pub struct AvroSchemas {
    pub root: apache_avro::Schema,
    pub references: Vec<apache_avro::Schema>,
}

impl AvroSchemas {
    /// Parse `text`; `references` are the texts of the named types it uses (dependencies
    /// first).
    pub fn parse(text: &str, references: &[&str]) -> Result<Self> {
        let invalid = |e: apache_avro::Error| Error::InvalidSchema(e.to_string());
        if references.is_empty() {
            return Ok(AvroSchemas {
                root: apache_avro::Schema::parse_str(text).map_err(invalid)?,
                references: Vec::new(),
            });
        }
        let (root, references) =
            apache_avro::Schema::parse_str_with_list(text, references).map_err(invalid)?;
        Ok(AvroSchemas { root, references })
    }

    /// The full name of the root schema, when it is a named type.
    pub fn record_name(&self) -> Option<String> {
        self.root.name().map(|n| n.fullname(None))
    }

    /// Every schema, dependencies first and root last: apache-avro resolves names in order.
    fn all(&self) -> Vec<&apache_avro::Schema> {
        self.references.iter().chain([&self.root]).collect()
    }
}

async fn fetch_avro(client: &SchemaRegistryClient, schema: &Schema) -> Result<AvroSchemas> {
    let references = client.resolve_references(schema).await?;
    let texts: Vec<&str> = references.iter().map(|r| r.schema.as_str()).collect();
    AvroSchemas::parse(&schema.schema, &texts)
}

self_cell!(
    /// The schemas and the writer that borrows them (dropped first, by `self_cell`).
    struct WriterCell {
        owner: Arc<AvroSchemas>,
        #[covariant]
        dependent: GenericDatumWriter,
    }
);

/// A schema with its ready apache-avro writer.
pub struct AvroWriter(WriterCell);

impl AvroWriter {
    pub fn new(schemas: Arc<AvroSchemas>) -> Result<Self> {
        WriterCell::try_new(schemas, |schemas| {
            let builder = GenericDatumWriter::builder(&schemas.root);
            if schemas.references.is_empty() {
                builder.build()
            } else {
                builder.schemata(schemas.all()).and_then(|b| b.build())
            }
        })
        .map(AvroWriter)
        .map_err(|e| Error::InvalidSchema(e.to_string()))
    }

    pub fn schemas(&self) -> &AvroSchemas {
        self.0.borrow_owner()
    }

    #[inline]
    fn write_value(&self, out: &mut Vec<u8>, value: &Value) -> Result<()> {
        self.0
            .borrow_dependent()
            .write_value_ref(out, value)
            .map(|_| ())
            .map_err(|e| Error::Serialization(e.to_string()))
    }

    #[inline]
    fn write_ser<T: Serialize>(&self, out: &mut Vec<u8>, value: &T) -> Result<()> {
        self.0
            .borrow_dependent()
            .write_ser(out, value)
            .map(|_| ())
            .map_err(|e| Error::Serialization(e.to_string()))
    }
}

struct Target {
    header: [u8; wire::HEADER_LEN],
    writer: Arc<AvroWriter>,
}

impl Target {
    /// A message: the wire header, then what `write` appends with this target's writer. The
    /// one encoding step of every `AvroSerializer` method.
    #[inline]
    fn encode(
        &self,
        write: impl FnOnce(&AvroWriter, &mut Vec<u8>) -> Result<()>,
    ) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&self.header);
        write(&self.writer, &mut out)?;
        Ok(out)
    }
}

/// Writes values with one Avro schema (or the subject's latest, with `use_latest_version`).
pub struct AvroSerializer {
    client: SchemaRegistryClient,
    config: SerializerConfig,
    schema: Schema,
    own: Arc<AvroWriter>,
    record_name: Option<String>,
    topics: TopicCache<Target>,
}

impl AvroSerializer {
    /// `schema` must be an Avro schema; its references (if any) are fetched now.
    pub async fn new(
        client: SchemaRegistryClient,
        schema: Schema,
        config: SerializerConfig,
    ) -> Result<Self> {
        if schema.schema_type != SchemaType::Avro {
            return Err(Error::Config(format!(
                "AvroSerializer needs an AVRO schema, got {}",
                schema.schema_type
            )));
        }
        let parsed = Arc::new(fetch_avro(&client, &schema).await?);
        let record_name = parsed.record_name();
        Ok(AvroSerializer {
            own: Arc::new(AvroWriter::new(parsed)?),
            client,
            config,
            schema,
            record_name,
            topics: TopicCache::new(1000),
        })
    }

    /// A serializer for an Avro schema text without references.
    pub async fn from_str(
        client: SchemaRegistryClient,
        schema: &str,
        config: SerializerConfig,
    ) -> Result<Self> {
        Self::new(client, Schema::new(SchemaType::Avro, schema), config).await
    }

    #[inline]
    async fn target(&self, ctx: &SerializationContext<'_>) -> Result<Arc<Target>> {
        if let Some(t) = self.topics.get(ctx) {
            return Ok(t);
        }
        let (id, latest) = resolve_id(
            &self.client,
            &self.config,
            ctx,
            self.record_name.as_deref(),
            &self.schema,
        )
        .await?;
        let writer = match latest {
            Some(latest) => {
                expect_type(id, &latest.schema, SchemaType::Avro)?;
                Arc::new(AvroWriter::new(Arc::new(
                    fetch_avro(&self.client, &latest.schema).await?,
                ))?)
            }
            None => self.own.clone(),
        };
        let mut header = [0u8; wire::HEADER_LEN];
        header[1..].copy_from_slice(&id.to_be_bytes());
        let target = Arc::new(Target { header, writer });
        self.topics.insert(ctx, target.clone());
        Ok(target)
    }

    /// [`Target::encode`] with the target of `ctx`: from the cache without awaiting when it
    /// is there, else resolved first (boxed, so that the hot path's future stays small).
    #[inline]
    async fn encode(
        &self,
        ctx: &SerializationContext<'_>,
        write: impl Fn(&AvroWriter, &mut Vec<u8>) -> Result<()>,
    ) -> Result<Vec<u8>> {
        if let Some(out) = self.topics.with(ctx, |target| target.encode(&write)) {
            return out;
        }
        Box::pin(self.target(ctx)).await?.encode(write)
    }

    /// Encode an apache-avro `Value` (validated against the schema).
    pub async fn serialize_value(
        &self,
        ctx: &SerializationContext<'_>,
        value: &Value,
    ) -> Result<Vec<u8>> {
        self.encode(ctx, |writer, out| writer.write_value(out, value))
            .await
    }

    /// [`Self::serialize_value`] without awaiting, once the schema id for `ctx` is resolved
    /// (any earlier call for the same topic and field); `None` otherwise.
    #[inline]
    pub fn serialize_value_warm(
        &self,
        ctx: &SerializationContext<'_>,
        value: &Value,
    ) -> Option<Result<Vec<u8>>> {
        self.topics.with(ctx, |target| {
            target.encode(|writer, out| writer.write_value(out, value))
        })
    }

    /// Encode any serde `Serialize` type shaped like the schema.
    pub async fn serialize<T: Serialize>(
        &self,
        ctx: &SerializationContext<'_>,
        value: &T,
    ) -> Result<Vec<u8>> {
        self.encode(ctx, |writer, out| writer.write_ser(out, value))
            .await
    }

    /// Encode a JSON value, converted to Avro along the schema (records from objects,
    /// unions by the first branch that fits or the branch `{"type": value}` names).
    pub async fn serialize_json(
        &self,
        ctx: &SerializationContext<'_>,
        value: &serde_json::Value,
    ) -> Result<Vec<u8>> {
        let target = Box::pin(self.target(ctx)).await?;
        let value = json_to_avro(value, target.writer.schemas())?;
        target.encode(|writer, out| writer.write_value(out, &value))
    }
}

/// Convert JSON to an Avro value of `schemas.root`: plain JSON or Avro's JSON encoding,
/// with errors that name the field's path (`avro_json`).
pub fn json_to_avro(value: &serde_json::Value, schemas: &AvroSchemas) -> Result<Value> {
    crate::avro_json::json_to_avro(value, schemas)
}

/// Convert an Avro value to JSON (unions unwrapped, enums as their symbol).
pub fn avro_to_json(value: Value) -> Result<serde_json::Value> {
    serde_json::Value::try_from(value).map_err(|e| Error::Deserialization(e.to_string()))
}

/// A payload reader that remembers running out of bytes: apache-avro decodes a truncated
/// string as `null` instead of failing, so the end of input must be checked here.
struct Payload<'a> {
    rest: &'a [u8],
    ran_out: bool,
}

impl std::io::Read for Payload<'_> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.rest.is_empty() && !buf.is_empty() {
            self.ran_out = true;
        }
        self.rest.read(buf)
    }

    #[inline]
    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        if buf.len() > self.rest.len() {
            self.ran_out = true;
        }
        self.rest.read_exact(buf)
    }
}

/// The writer schema of a message and the optional reader schema it is resolved to.
struct ReaderSchemas {
    writer: Arc<AvroSchemas>,
    reader: Option<Arc<AvroSchemas>>,
}

/// apache-avro's reader, and the writer schema's named types when its messages can nest too
/// deep to decode without checking first (`avro_depth`).
struct ReaderParts<'s> {
    reader: GenericDatumReader<'s>,
    /// The writer's named types and the depth limit, when they are needed.
    deep: Option<(ResolvedSchema<'s>, usize)>,
}

self_cell!(
    /// The schemas and the reader that borrows them (dropped first, by `self_cell`).
    struct ReaderCell {
        owner: ReaderSchemas,
        #[covariant]
        dependent: ReaderParts,
    }
);

/// A writer schema (and optional reader schema) with its ready apache-avro reader.
struct AvroReader(ReaderCell);

impl AvroReader {
    #[inline]
    fn read(&self, payload: &[u8]) -> Result<Value> {
        let parts = self.0.borrow_dependent();
        if let Some((names, limit)) = &parts.deep {
            let writer = &self.0.borrow_owner().writer.root;
            if avro_depth::check(writer, names.get_names(), payload, *limit) == Err(Stop::TooDeep) {
                return Err(Error::Deserialization(format!(
                    "message nests deeper than {limit} levels"
                )));
            }
        }
        let mut input = Payload {
            rest: payload,
            ran_out: false,
        };
        let value = parts
            .reader
            .read_value(&mut input)
            .map_err(|e| Error::Deserialization(e.to_string()))?;
        if input.ran_out {
            return Err(Error::Deserialization("payload truncated".into()));
        }
        Ok(value)
    }

    fn new(writer: Arc<AvroSchemas>, reader: Option<Arc<AvroSchemas>>) -> Result<Self> {
        ReaderCell::try_new(ReaderSchemas { writer, reader }, |s| {
            let (w, r) = (&s.writer, s.reader.as_deref());
            let names = ResolvedSchema::new_with_schemata(w.all())?;
            let limit = if r.is_some() {
                MAX_RESOLVED_DEPTH
            } else {
                MAX_DEPTH
            };
            let deep = avro_depth::may_nest_too_deep(&w.root, names.get_names(), limit)
                .then_some((names, limit));
            let builder = GenericDatumReader::builder(&w.root);
            let reader = match (w.references.is_empty(), r) {
                (true, None) => builder.build(),
                (false, None) => builder.writer_schemata(w.all()).and_then(|b| b.build()),
                (true, Some(r)) => builder
                    .reader_schema(&r.root)
                    .reader_schemata(r.all())
                    .and_then(|b| b.build()),
                (false, Some(r)) => builder.writer_schemata(w.all()).and_then(|b| {
                    b.reader_schema(&r.root)
                        .reader_schemata(r.all())
                        .and_then(|b| b.build())
                }),
            }?;
            Ok::<_, apache_avro::Error>(ReaderParts { reader, deep })
        })
        .map(AvroReader)
        .map_err(|e| Error::InvalidSchema(e.to_string()))
    }
}

/// A message's payload (after the header) read with `writer`, resolved to `reader` when
/// given: what [`AvroDeserializer`] does once it has the writer schema. Public for the fuzz
/// targets (`fuzz/`), which feed it untrusted bytes.
#[doc(hidden)]
pub fn decode_payload(
    writer: Arc<AvroSchemas>,
    reader: Option<Arc<AvroSchemas>>,
    payload: &[u8],
) -> Result<Value> {
    AvroReader::new(writer, reader)?.read(payload)
}

/// Reads Avro messages with the writer schema from the registry, resolved to an optional
/// reader schema (schema evolution).
pub struct AvroDeserializer {
    client: SchemaRegistryClient,
    reader_schema: Option<Arc<AvroSchemas>>,
    readers: HotCache<u32, AvroReader>,
}

impl AvroDeserializer {
    /// Values come out as written (the writer schema).
    pub fn new(client: SchemaRegistryClient, config: DeserializerConfig) -> Self {
        AvroDeserializer {
            client,
            reader_schema: None,
            readers: HotCache::new(config.cache_capacity),
        }
    }

    /// Values are resolved from the writer schema to `reader` (fields added with defaults,
    /// removed fields dropped, promotions applied).
    pub fn with_reader_schema(
        client: SchemaRegistryClient,
        reader: AvroSchemas,
        config: DeserializerConfig,
    ) -> Self {
        AvroDeserializer {
            client,
            reader_schema: Some(Arc::new(reader)),
            readers: HotCache::new(config.cache_capacity),
        }
    }

    async fn reader(&self, id: u32) -> Result<Arc<AvroReader>> {
        if let Some(r) = self.readers.get(&id) {
            return Ok(r);
        }
        let schema = self.client.get_by_id(id).await?;
        expect_type(id, &schema, SchemaType::Avro)?;
        let writer = Arc::new(fetch_avro(&self.client, &schema).await?);
        let reader = Arc::new(AvroReader::new(writer, self.reader_schema.clone())?);
        self.readers.insert(id, reader.clone());
        Ok(reader)
    }

    /// Decode to an apache-avro `Value`.
    pub async fn deserialize_value(&self, message: &[u8]) -> Result<Value> {
        Ok(self.deserialize_value_with_id(message).await?.1)
    }

    /// Decode to an apache-avro `Value`, with the schema id of the message.
    pub async fn deserialize_value_with_id(&self, message: &[u8]) -> Result<(u32, Value)> {
        let (id, payload) = wire::read_header(message)?;
        if let Some(value) = self.readers.with(&id, |r| r.read(payload)) {
            return Ok((id, value?));
        }
        let reader = Box::pin(self.reader(id)).await?;
        Ok((id, reader.read(payload)?))
    }

    /// Decode to a serde type.
    pub async fn deserialize<T: DeserializeOwned>(&self, message: &[u8]) -> Result<T> {
        let (id, payload) = wire::read_header(message)?;
        let value = match self.readers.with(&id, |r| r.read(payload)) {
            Some(value) => value?,
            None => Box::pin(self.reader(id)).await?.read(payload)?,
        };
        // Through `Value`: apache-avro's schema-aware deserializer neither resolves schemas
        // nor accepts a struct whose Rust name differs from the record name.
        apache_avro::from_value(&value).map_err(|e| Error::Deserialization(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_write() {
        let address = r#"{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"city","type":"string"}]}"#;
        let person = r#"{"type":"record","name":"Person","namespace":"com.example","fields":[{"name":"home","type":"com.example.Address"}]}"#;
        let schemas = Arc::new(AvroSchemas::parse(person, &[address]).unwrap());
        let writer = AvroWriter::new(schemas.clone()).unwrap();
        let value = Value::Record(vec![(
            "home".into(),
            Value::Record(vec![("city".into(), Value::String("Gent".into()))]),
        )]);
        let mut out = Vec::new();
        writer.write_value(&mut out, &value).unwrap();
        let reader = AvroReader::new(schemas.clone(), Some(schemas.clone())).unwrap();
        assert_eq!(reader.read(&out).unwrap(), value);
        assert!(reader.read(&out[..out.len() - 1]).is_err());
        // Writer schemata only (no reader schema): the same value back.
        let reader = AvroReader::new(schemas, None).unwrap();
        assert_eq!(reader.read(&out).unwrap(), value);
    }

    const USER_V1: &str =
        r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
    const USER_V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":7}]}"#;

    fn v1() -> Arc<AvroSchemas> {
        Arc::new(AvroSchemas::parse(USER_V1, &[]).unwrap())
    }

    #[test]
    fn writer_keeps_its_schemas_and_writes_values_and_serde_alike() {
        #[derive(Serialize)]
        struct User {
            name: String,
        }
        let writer = AvroWriter::new(v1()).unwrap();
        assert_eq!(writer.schemas().record_name().as_deref(), Some("User"));
        let value = Value::Record(vec![("name".into(), Value::String("ann".into()))]);
        let (mut from_value, mut from_serde) = (Vec::new(), Vec::new());
        writer.write_value(&mut from_value, &value).unwrap();
        let user = User { name: "ann".into() };
        writer.write_ser(&mut from_serde, &user).unwrap();
        assert_eq!(from_value, from_serde);
        let reader = AvroReader::new(v1(), None).unwrap();
        assert_eq!(reader.read(&from_value).unwrap(), value);
    }

    #[test]
    fn reader_schema_resolves_an_older_writer() {
        let writer = AvroWriter::new(v1()).unwrap();
        let mut out = Vec::new();
        let value = Value::Record(vec![("name".into(), Value::String("ann".into()))]);
        writer.write_value(&mut out, &value).unwrap();
        let v2 = Arc::new(AvroSchemas::parse(USER_V2, &[]).unwrap());
        let reader = AvroReader::new(v1(), Some(v2)).unwrap();
        assert_eq!(
            reader.read(&out).unwrap(),
            Value::Record(vec![
                ("name".into(), Value::String("ann".into())),
                ("age".into(), Value::Int(7)),
            ])
        );
    }

    #[test]
    fn target_encode_prefixes_the_header_and_passes_errors_on() {
        let target = Target {
            header: [0, 0, 0, 0, 42],
            writer: Arc::new(AvroWriter::new(v1()).unwrap()),
        };
        let value = Value::Record(vec![("name".into(), Value::String("ann".into()))]);
        let out = target
            .encode(|writer, out| writer.write_value(out, &value))
            .unwrap();
        assert_eq!(&out[..wire::HEADER_LEN], &[0, 0, 0, 0, 42]);
        assert_eq!(wire::read_header(&out).unwrap().0, 42);
        let wrong = Value::Record(vec![("name".into(), Value::Int(1))]);
        assert!(matches!(
            target.encode(|writer, out| writer.write_value(out, &wrong)),
            Err(Error::Serialization(_))
        ));
    }

    const LIST: &str = r#"{"type":"record","name":"L","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","L"]}]}"#;

    /// A list of `n` cells (each `v` = 0, then the branch `L`), ended by `null`.
    fn list_payload(n: usize) -> Vec<u8> {
        let mut payload = [0u8, 2].repeat(n);
        payload.extend_from_slice(&[0, 0]);
        payload
    }

    /// Found with the `wire_decode` fuzz target (fuzz/README.md): a message of a recursive
    /// type nested a few thousand levels deep overflowed the stack and aborted the process.
    #[test]
    fn a_message_nested_too_deep_is_an_error_not_a_stack_overflow() {
        let schemas = Arc::new(AvroSchemas::parse(LIST, &[]).unwrap());
        let payload = list_payload(20_000);
        // On a thread with a tokio worker's stack, where a consumer decodes.
        let decoded = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || decode_payload(schemas, None, &payload))
            .unwrap()
            .join()
            .unwrap();
        match decoded {
            Err(Error::Deserialization(message)) => {
                assert_eq!(
                    message,
                    format!("message nests deeper than {MAX_DEPTH} levels")
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_recursive_message_within_the_limit_decodes() {
        let schemas = Arc::new(AvroSchemas::parse(LIST, &[]).unwrap());
        // Three decoder levels per cell (record, union, reference).
        let cells = MAX_DEPTH / 3 - 1;
        // A debug build's decoder frames are tens of KiB: more stack than a test thread has.
        let value = std::thread::Builder::new()
            .stack_size(16 * 1024 * 1024)
            .spawn(move || decode_payload(schemas, None, &list_payload(cells)))
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        let mut depth = 0;
        let mut cell = &value;
        while let Value::Record(fields) = cell {
            depth += 1;
            match &fields[1].1 {
                Value::Union(1, next) => cell = next,
                _ => break,
            }
        }
        assert_eq!(depth, cells + 1);
    }

    /// Resolving to a reader schema doubles its work with each nested union of a record: a
    /// message of 20 list cells (42 bytes) took 50 s; with the lower limit it is refused.
    #[test]
    fn a_message_resolved_to_a_reader_schema_has_a_lower_limit() {
        let schemas = Arc::new(AvroSchemas::parse(LIST, &[]).unwrap());
        let cells = MAX_DEPTH / 3 - 1;
        let decoded = decode_payload(schemas.clone(), Some(schemas), &list_payload(cells));
        match decoded {
            Err(Error::Deserialization(message)) => assert_eq!(
                message,
                format!("message nests deeper than {MAX_RESOLVED_DEPTH} levels")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cached_forms_stay_shareable_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<AvroWriter>();
        send_sync::<AvroReader>();
        send_sync::<AvroSerializer>();
        send_sync::<AvroDeserializer>();
    }
}
