//! Protobuf serializer and deserializer: generated prost types (with their
//! `MessageDescriptor`) and prost-reflect `DynamicMessage`.
//!
//! The serializer registers the message's file as a base64 `FileDescriptorProto` (what
//! Confluent's Python serializer sends) and each imported file under its own subject named
//! after the file (Confluent's default `reference.subject.name.strategy`); well-known
//! `google/protobuf/*` and `confluent/*` imports are skipped, the registry resolves them.
//! Each message carries the message-index path of its type (`[0]` as the single byte 0).

use crate::config::{
    DeserializerConfig, HotCache, SerializationContext, SerializerConfig, TopicCache,
};
use crate::error::{Error, Result};
use crate::rest::{expect_type, SchemaRegistryClient};
use crate::serde_common::resolve_id;
use crate::types::{Schema, SchemaReference, SchemaType};
use crate::wire;
use base64::Engine;
use prost::Message;
use prost_reflect::{DynamicMessage, FileDescriptor, MessageDescriptor, ReflectMessage};
use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::ParsedSchema;
use std::marker::PhantomData;
use std::sync::Arc;

fn is_well_known(file: &str) -> bool {
    file.starts_with("google/protobuf/") || file.starts_with("confluent/")
}

/// The message-index path of `message` within its file (Confluent's counting: message
/// declarations only, map entries excluded).
pub fn message_indexes(message: &MessageDescriptor) -> Vec<i32> {
    let mut path = Vec::new();
    let mut current = message.clone();
    loop {
        let siblings: Vec<MessageDescriptor> = match current.parent_message() {
            Some(parent) => parent.child_messages().collect(),
            None => current.parent_file().messages().collect(),
        };
        let index = siblings
            .iter()
            .filter(|m| !m.is_map_entry())
            .position(|m| m.full_name() == current.full_name())
            .unwrap_or(0);
        path.push(index as i32);
        match current.parent_message() {
            Some(parent) => current = parent,
            None => break,
        }
    }
    path.reverse();
    path
}

/// base64 of the file's `FileDescriptorProto`, source info removed.
fn serialized_file(file: &FileDescriptor) -> String {
    let mut proto = file.file_descriptor_proto().clone();
    proto.source_code_info = None;
    base64::engine::general_purpose::STANDARD.encode(proto.encode_to_vec())
}

/// Files `file` depends on (transitively, not well-known), dependencies first.
fn dependency_order(file: &FileDescriptor) -> Vec<FileDescriptor> {
    fn visit(f: &FileDescriptor, out: &mut Vec<FileDescriptor>) {
        for dep in f.dependencies() {
            if is_well_known(dep.name()) || out.iter().any(|o| o.name() == dep.name()) {
                continue;
            }
            visit(&dep, out);
            out.push(dep);
        }
    }
    let mut out = Vec::new();
    visit(file, &mut out);
    out
}

struct Target {
    /// Magic byte, id and message indexes: everything before the payload.
    header: Vec<u8>,
}

/// Writes messages of one Protobuf type `M` (a generated prost type, or `DynamicMessage`).
pub struct ProtobufSerializer<M> {
    client: SchemaRegistryClient,
    config: SerializerConfig,
    descriptor: MessageDescriptor,
    topics: TopicCache<Target>,
    _message: PhantomData<fn(&M)>,
}

impl<M: Message> ProtobufSerializer<M> {
    /// `descriptor` describes `M` (for generated types, from the file descriptor set the
    /// build produced; for `DynamicMessage`, the messages' descriptor).
    pub fn new(
        client: SchemaRegistryClient,
        descriptor: MessageDescriptor,
        config: SerializerConfig,
    ) -> Self {
        ProtobufSerializer {
            client,
            config,
            descriptor,
            topics: TopicCache::new(1000),
            _message: PhantomData,
        }
    }

    pub fn descriptor(&self) -> &MessageDescriptor {
        &self.descriptor
    }

    /// The schema registered for the message's file, its imports registered first.
    async fn own_schema(&self) -> Result<Schema> {
        let file = self.descriptor.parent_file();
        let mut registered: Vec<(String, SchemaReference)> = Vec::new();
        let references_of = |f: &FileDescriptor, registered: &[(String, SchemaReference)]| {
            f.dependencies()
                .filter(|d| !is_well_known(d.name()))
                .filter_map(|d| {
                    registered
                        .iter()
                        .find(|(n, _)| n == d.name())
                        .map(|(_, r)| r.clone())
                })
                .collect::<Vec<_>>()
        };
        for dep in dependency_order(&file) {
            let schema = Schema::new(SchemaType::Protobuf, serialized_file(&dep))
                .with_references(references_of(&dep, &registered));
            let subject = dep.name().to_owned();
            let version = if self.config.auto_register_schemas {
                self.client
                    .register(&subject, &schema, self.config.normalize_schemas)
                    .await?;
                self.client
                    .lookup(&subject, &schema, self.config.normalize_schemas)
                    .await?
                    .version
            } else {
                self.client
                    .lookup(&subject, &schema, self.config.normalize_schemas)
                    .await?
                    .version
            };
            registered.push((
                dep.name().to_owned(),
                SchemaReference {
                    name: dep.name().to_owned(),
                    subject,
                    version,
                },
            ));
        }
        Ok(Schema::new(SchemaType::Protobuf, serialized_file(&file))
            .with_references(references_of(&file, &registered)))
    }

    async fn target(&self, ctx: &SerializationContext<'_>) -> Result<Arc<Target>> {
        if let Some(t) = self.topics.get(ctx) {
            return Ok(t);
        }
        let full_name = self.descriptor.full_name();
        let own = if self.config.use_latest_version {
            Schema::new(SchemaType::Protobuf, String::new())
        } else {
            self.own_schema().await?
        };
        let (id, latest) =
            resolve_id(&self.client, &self.config, ctx, Some(full_name), &own).await?;
        let indexes = match latest {
            Some(latest) => {
                expect_type(id, &latest.schema, SchemaType::Protobuf)?;
                match self.client.parse_schema(&latest.schema).await? {
                    ParsedSchema::Protobuf(p) => p.message_indexes(full_name).ok_or_else(|| {
                        Error::BadMessageIndex(format!(
                            "latest schema {id} of the subject has no message {full_name}"
                        ))
                    })?,
                    _ => unreachable!("type checked above"),
                }
            }
            None => message_indexes(&self.descriptor),
        };
        let mut header = Vec::with_capacity(8);
        wire::write_header(id, &mut header);
        wire::write_message_indexes(&indexes, &mut header);
        let target = Arc::new(Target { header });
        self.topics.insert(ctx, target.clone());
        Ok(target)
    }

    /// Encode one message.
    pub async fn serialize(&self, ctx: &SerializationContext<'_>, message: &M) -> Result<Vec<u8>> {
        if let Some(out) = self.serialize_warm(ctx, message) {
            return Ok(out);
        }
        let target = Box::pin(self.target(ctx)).await?;
        Ok(Self::encode(&target, message))
    }

    /// Encode without awaiting, when this serializer has already resolved the schema id for
    /// `ctx` (any earlier `serialize` for the same topic and field); `None` otherwise. For
    /// synchronous callers (a producer callback) and the last nanoseconds of the hot path.
    #[inline]
    pub fn serialize_warm(&self, ctx: &SerializationContext<'_>, message: &M) -> Option<Vec<u8>> {
        self.topics
            .with(ctx, |target| Self::encode(target, message))
    }

    #[inline]
    fn encode(target: &Target, message: &M) -> Vec<u8> {
        let mut out = Vec::with_capacity(target.header.len() + message.encoded_len());
        out.extend_from_slice(&target.header);
        message.encode_raw(&mut out);
        out
    }
}

impl ProtobufSerializer<DynamicMessage> {
    /// Encode a `DynamicMessage`, refusing one of another type than the serializer's.
    pub async fn serialize_dynamic(
        &self,
        ctx: &SerializationContext<'_>,
        message: &DynamicMessage,
    ) -> Result<Vec<u8>> {
        if message.descriptor().full_name() != self.descriptor.full_name() {
            return Err(Error::Serialization(format!(
                "message {} given to a serializer of {}",
                message.descriptor().full_name(),
                self.descriptor.full_name()
            )));
        }
        self.serialize(ctx, message).await
    }
}

/// A writer schema from the registry, parsed.
struct WriterSchema {
    schema: ProtobufSchema,
    /// The message `[0]` designates, if the file declares any message.
    first: Option<MessageDescriptor>,
}

/// The message type designated by the message indexes at the start of `rest` (what follows
/// the header of a message with schema `id`), and the payload after them. `first` is the
/// message `[0]` designates, looked up once per schema.
fn locate<'m>(
    schema: &ProtobufSchema,
    first: Option<&MessageDescriptor>,
    id: u32,
    rest: &'m [u8],
) -> Result<(MessageDescriptor, &'m [u8])> {
    let bad = |indexes: &[i32]| {
        Error::BadMessageIndex(format!("{indexes:?} designates no message of schema {id}"))
    };
    // `[0]`, the common case, is the single byte 0: no allocation.
    if rest.first() == Some(&0) {
        return Ok((first.cloned().ok_or_else(|| bad(&[0]))?, &rest[1..]));
    }
    let (indexes, payload) = wire::read_message_indexes(rest)?;
    let descriptor = schema
        .message_for_indexes(&indexes)
        .ok_or_else(|| bad(&indexes))?;
    Ok((descriptor, payload))
}

/// What [`ProtobufDeserializer::deserialize_dynamic_with_id`] does with a message once it
/// has the writer schema, without a registry: header, message indexes, payload. For the
/// fuzz targets (`fuzz/`), which feed it untrusted bytes.
#[doc(hidden)]
pub fn decode_dynamic(schema: &ProtobufSchema, message: &[u8]) -> Result<(u32, DynamicMessage)> {
    let (id, rest) = wire::read_header(message)?;
    let first = schema.message_for_indexes(&[0]);
    let (descriptor, payload) = locate(schema, first.as_ref(), id, rest)?;
    let m = DynamicMessage::decode(descriptor, payload)
        .map_err(|e| Error::Deserialization(e.to_string()))?;
    Ok((id, m))
}

/// Reads Protobuf messages: into a generated type, or into a `DynamicMessage` of the writer
/// schema's message type.
pub struct ProtobufDeserializer {
    client: SchemaRegistryClient,
    writers: HotCache<u32, WriterSchema>,
}

impl ProtobufDeserializer {
    pub fn new(client: SchemaRegistryClient, config: DeserializerConfig) -> Self {
        ProtobufDeserializer {
            client,
            writers: HotCache::new(config.cache_capacity),
        }
    }

    async fn writer(&self, id: u32) -> Result<Arc<WriterSchema>> {
        if let Some(w) = self.writers.get(&id) {
            return Ok(w);
        }
        let schema = self.client.get_by_id(id).await?;
        expect_type(id, &schema, SchemaType::Protobuf)?;
        let schema = match self.client.parse_schema(&schema).await? {
            ParsedSchema::Protobuf(p) => p,
            _ => unreachable!("type checked above"),
        };
        let writer = Arc::new(WriterSchema {
            first: schema.message_for_indexes(&[0]),
            schema,
        });
        self.writers.insert(id, writer.clone());
        Ok(writer)
    }

    /// Header, writer schema, message type and payload of a message.
    async fn split<'m>(
        &self,
        message: &'m [u8],
    ) -> Result<(u32, Arc<WriterSchema>, MessageDescriptor, &'m [u8])> {
        let (id, rest) = wire::read_header(message)?;
        let writer = Box::pin(self.writer(id)).await?;
        let (descriptor, payload) = locate(&writer.schema, writer.first.as_ref(), id, rest)?;
        Ok((id, writer, descriptor, payload))
    }

    /// Decode into a generated prost type (the writer schema's message is not checked
    /// against `M` beyond the index being valid; Protobuf decoding is by field number).
    pub async fn deserialize<M: Message + Default>(&self, message: &[u8]) -> Result<M> {
        let (id, rest) = wire::read_header(message)?;
        // Only the index must be valid: no descriptor is needed to decode a generated type.
        let fast = self.writers.with(&id, |w| match rest.first() {
            Some(0) if w.first.is_some() => Some(1),
            _ => None,
        });
        let payload = match fast {
            Some(Some(skip)) => &rest[skip..],
            _ => Box::pin(self.split(message)).await?.3,
        };
        M::decode(payload).map_err(|e| Error::Deserialization(e.to_string()))
    }

    /// Decode into a `DynamicMessage` of the writer schema's message type.
    pub async fn deserialize_dynamic(&self, message: &[u8]) -> Result<DynamicMessage> {
        let (_, _, descriptor, payload) = Box::pin(self.split(message)).await?;
        DynamicMessage::decode(descriptor, payload)
            .map_err(|e| Error::Deserialization(e.to_string()))
    }

    /// Decode into a `DynamicMessage`, with the schema id.
    pub async fn deserialize_dynamic_with_id(
        &self,
        message: &[u8],
    ) -> Result<(u32, DynamicMessage)> {
        let (id, _, descriptor, payload) = Box::pin(self.split(message)).await?;
        let m = DynamicMessage::decode(descriptor, payload)
            .map_err(|e| Error::Deserialization(e.to_string()))?;
        Ok((id, m))
    }
}

/// Parse `.proto` text (or a base64 descriptor) without a registry, e.g. for the CLI:
/// references are `(import path, text)` pairs, dependencies first.
pub fn parse_proto(text: &str, references: &[(String, String)]) -> Result<ProtobufSchema> {
    let references: Vec<schemata_compat::ResolvedReference> = references
        .iter()
        .map(|(name, schema)| schemata_compat::ResolvedReference {
            name: name.clone(),
            schema_type: schemata_compat::SchemaType::Protobuf,
            schema: schema.clone(),
        })
        .collect();
    ProtobufSchema::parse(text, &references, Default::default())
        .map_err(|e| Error::InvalidSchema(e.to_string()))
}
