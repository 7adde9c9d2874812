//! Avro serializer and deserializer (apache-avro `Value` and serde types).
//!
//! The writer and reader objects of apache-avro borrow their schema and pre-resolve its
//! names; building them per message would cost more than the encoding itself. So each parsed
//! schema is kept with its ready writer/reader in one heap object ([`AvroWriter`],
//! [`AvroReader`]) cached per subject/id.

use crate::config::{
    DeserializerConfig, HotCache, SerializationContext, SerializerConfig, TopicCache,
};
use crate::error::{Error, Result};
use crate::rest::{expect_type, SchemaRegistryClient};
use crate::serde_common::resolve_id;
use crate::types::{Schema, SchemaType};
use crate::wire;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
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

    /// The root and every schema (dependencies first, root last: apache-avro resolves names
    /// in order), with a lifetime that the caller must guarantee.
    ///
    /// SAFETY (callers): the returned references point into `self`, which must be kept
    /// alive, unmoved and unmodified for as long as they are used.
    unsafe fn all_static(
        &self,
    ) -> (
        &'static apache_avro::Schema,
        Vec<&'static apache_avro::Schema>,
    ) {
        let root: &'static apache_avro::Schema =
            unsafe { &*(&self.root as *const apache_avro::Schema) };
        let mut all: Vec<&'static apache_avro::Schema> = self
            .references
            .iter()
            .map(|s| unsafe { &*(s as *const apache_avro::Schema) })
            .collect();
        all.push(root);
        (root, all)
    }
}

async fn fetch_avro(client: &SchemaRegistryClient, schema: &Schema) -> Result<AvroSchemas> {
    let references = client.resolve_references(schema).await?;
    let texts: Vec<&str> = references.iter().map(|r| r.schema.as_str()).collect();
    AvroSchemas::parse(&schema.schema, &texts)
}

/// A schema with its ready apache-avro writer.
pub struct AvroWriter {
    // Declared before `schemas`: dropped first, while what it borrows is still alive.
    writer: GenericDatumWriter<'static>,
    schemas: Arc<AvroSchemas>,
}

impl AvroWriter {
    pub fn new(schemas: Arc<AvroSchemas>) -> Result<Self> {
        // SAFETY: `schemas` is an `Arc` stored in the same struct as the writer, dropped after
        // it, and never mutated; the heap object it points to does not move.
        let (root, all) = unsafe { schemas.all_static() };
        let writer = if all.len() == 1 {
            GenericDatumWriter::builder(root).build()
        } else {
            GenericDatumWriter::builder(root)
                .schemata(all)
                .and_then(|b| b.build())
        }
        .map_err(|e| Error::InvalidSchema(e.to_string()))?;
        Ok(AvroWriter { writer, schemas })
    }

    pub fn schemas(&self) -> &AvroSchemas {
        &self.schemas
    }

    #[inline]
    fn write_value(&self, out: &mut Vec<u8>, value: &Value) -> Result<()> {
        self.writer
            .write_value_ref(out, value)
            .map(|_| ())
            .map_err(|e| Error::Serialization(e.to_string()))
    }

    #[inline]
    fn write_ser<T: Serialize>(&self, out: &mut Vec<u8>, value: &T) -> Result<()> {
        self.writer
            .write_ser(out, value)
            .map(|_| ())
            .map_err(|e| Error::Serialization(e.to_string()))
    }
}

struct Target {
    header: [u8; wire::HEADER_LEN],
    writer: Arc<AvroWriter>,
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

    /// Encode an apache-avro `Value` (validated against the schema).
    pub async fn serialize_value(
        &self,
        ctx: &SerializationContext<'_>,
        value: &Value,
    ) -> Result<Vec<u8>> {
        let encode = |target: &Arc<Target>| {
            let mut out = Vec::with_capacity(64);
            out.extend_from_slice(&target.header);
            target.writer.write_value(&mut out, value).map(|()| out)
        };
        if let Some(out) = self.topics.with(ctx, encode) {
            return out;
        }
        encode(&Box::pin(self.target(ctx)).await?)
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
            let mut out = Vec::with_capacity(64);
            out.extend_from_slice(&target.header);
            target.writer.write_value(&mut out, value).map(|()| out)
        })
    }

    /// Encode any serde `Serialize` type shaped like the schema.
    pub async fn serialize<T: Serialize>(
        &self,
        ctx: &SerializationContext<'_>,
        value: &T,
    ) -> Result<Vec<u8>> {
        let encode = |target: &Arc<Target>| {
            let mut out = Vec::with_capacity(64);
            out.extend_from_slice(&target.header);
            target.writer.write_ser(&mut out, value).map(|()| out)
        };
        if let Some(out) = self.topics.with(ctx, encode) {
            return out;
        }
        encode(&Box::pin(self.target(ctx)).await?)
    }

    /// Encode a JSON value, converted to Avro along the schema (records from objects,
    /// unions by the first branch that fits).
    pub async fn serialize_json(
        &self,
        ctx: &SerializationContext<'_>,
        value: &serde_json::Value,
    ) -> Result<Vec<u8>> {
        let target = Box::pin(self.target(ctx)).await?;
        let value = json_to_avro(value, target.writer.schemas())?;
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&target.header);
        target.writer.write_value(&mut out, &value)?;
        Ok(out)
    }
}

/// Convert JSON to an Avro value of `schemas.root`.
pub fn json_to_avro(value: &serde_json::Value, schemas: &AvroSchemas) -> Result<Value> {
    let raw = Value::try_from(value.clone()).map_err(|e| Error::Serialization(e.to_string()))?;
    let resolved = if schemas.references.is_empty() {
        raw.resolve(&schemas.root)
    } else {
        raw.resolve_schemata(&schemas.root, schemas.references.iter().collect())
    };
    resolved.map_err(|e| Error::Validation(e.to_string()))
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

/// A writer schema (and optional reader schema) with its ready apache-avro reader.
struct AvroReader {
    // Declared first: dropped before the schemas it borrows.
    reader: GenericDatumReader<'static>,
    _writer: Arc<AvroSchemas>,
    _reader: Option<Arc<AvroSchemas>>,
}

impl AvroReader {
    #[inline]
    fn read(&self, payload: &[u8]) -> Result<Value> {
        let mut input = Payload {
            rest: payload,
            ran_out: false,
        };
        let value = self
            .reader
            .read_value(&mut input)
            .map_err(|e| Error::Deserialization(e.to_string()))?;
        if input.ran_out {
            return Err(Error::Deserialization("payload truncated".into()));
        }
        Ok(value)
    }

    fn new(writer: Arc<AvroSchemas>, reader: Option<Arc<AvroSchemas>>) -> Result<Self> {
        let invalid = |e: apache_avro::Error| Error::InvalidSchema(e.to_string());
        // SAFETY: both `Arc`s live in this struct, are dropped after `reader`, never change.
        let (w_root, w_all) = unsafe { writer.all_static() };
        let reader_all = reader.as_ref().map(|r| unsafe { r.all_static() });
        let built = match reader_all {
            None if w_all.len() == 1 => GenericDatumReader::builder(w_root).build(),
            None => GenericDatumReader::builder(w_root)
                .writer_schemata(w_all)
                .and_then(|b| b.build()),
            Some((r_root, r_all)) if w_all.len() == 1 => GenericDatumReader::builder(w_root)
                .reader_schema(r_root)
                .reader_schemata(r_all)
                .and_then(|b| b.build()),
            Some((r_root, r_all)) => GenericDatumReader::builder(w_root)
                .writer_schemata(w_all)
                .map_err(invalid)?
                .reader_schema(r_root)
                .reader_schemata(r_all)
                .and_then(|b| b.build()),
        }
        .map_err(invalid)?;
        Ok(AvroReader {
            reader: built,
            _writer: writer,
            _reader: reader,
        })
    }
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
        let reader = AvroReader::new(schemas.clone(), Some(schemas)).unwrap();
        assert_eq!(reader.read(&out).unwrap(), value);
        assert!(reader.read(&out[..out.len() - 1]).is_err());
    }
}
