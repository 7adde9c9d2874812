//! Protobuf schemas: `.proto` text or base64 `FileDescriptorProto` in, canonical `.proto` text
//! out, Confluent's Protobuf compatibility rules, and the message-index helpers of the wire
//! format.
//!
//! * `parse`: input decoding, reference resolution and linking (protox); imports of
//!   `google/protobuf/*.proto`, `confluent/meta.proto` and `confluent/type/decimal.proto`
//!   resolve without references ([`well_known`]).
//! * `printer`: the canonical text and its normalised variant.
//! * `compat`: the diff `diff(original = writer, update = reader)` of `docs/compatibility.md`
//!   §3 (the "master" oneof rules).
//! * `wire`: message-index arrays.
//!
//! Choices worth knowing:
//! * A schema sent as text is compiled as the file `default`; a serialized descriptor keeps
//!   its own file name. Either way the canonical text is the same for the same descriptor.
//! * Canonical text prints type names fully qualified (`.pkg.Msg`), so abbreviations in the
//!   input do not change identity. Confluent re-prints names as written; ours stay valid
//!   `.proto` that protoc, Wire and protobufjs read.
//! * Every schema is linked (types resolved) before it is accepted, in lenient mode too;
//!   protox refuses a few things Confluent's AST-based parse lets through (field number 0).
//! * Message indexes count message declarations only (no map-entry types), as Confluent's
//!   Java serializers do.

mod compat;
mod parse;
pub mod printer;
pub mod well_known;
pub mod wire;

pub use compat::{diff, Difference, DifferenceType};

use crate::{ParseOptions, ResolvedReference, Roles, SchemaError};
use base64::Engine;
use prost_reflect::{DescriptorPool, FileDescriptor, MessageDescriptor};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A parsed and linked Protobuf schema.
#[derive(Debug, Clone)]
pub struct ProtobufSchema {
    file: FileDescriptor,
    canonical: String,
    retained: u64,
}

impl ProtobufSchema {
    /// `text` is `.proto` source or base64 of a serialized `FileDescriptorProto` (what
    /// confluent-kafka's Python serializer sends).
    /// `references`: transitive closure, dependencies first; `name` = import path, `schema` =
    /// that file's stored (canonical `.proto`) text (a base64 descriptor is accepted too).
    pub fn parse(
        text: &str,
        references: &[ResolvedReference],
        options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        // The parsers are not expected to panic, but a panic must never escape to the server.
        let result = catch_unwind(AssertUnwindSafe(|| {
            let linked = parse::parse_and_link(text, references)?;
            let file = linked.file;
            let canonical = printer::print_file(
                &file,
                printer::PrintOptions {
                    normalize: options.normalize,
                    ignore_extensions: false,
                },
            );
            if linked.from_descriptor {
                // The registry stores the text: a descriptor that cannot be written as
                // `.proto` source (odd names, unrepresentable options) is refused now rather
                // than stored unreadable.
                if let Err(e) = parse::parse_and_link(&canonical, references) {
                    return Err(SchemaError::new(format!(
                        "the descriptor cannot be represented as .proto text: {e}"
                    )));
                }
            }
            let retained = crate::footprint::protobuf(file.parent_pool(), canonical.len());
            Ok(ProtobufSchema {
                file,
                canonical,
                retained,
            })
        }));
        result.unwrap_or_else(|_| Err(SchemaError::new("invalid Protobuf schema")))
    }

    /// Canonical `.proto` text (normalised ordering when `options.normalize`).
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// An estimate of the bytes this parse keeps allocated, the pool's imported files
    /// included (`ParsedSchema::retained_bytes`).
    pub fn retained_bytes(&self) -> u64 {
        self.retained
    }

    /// `serialized`: base64 `FileDescriptorProto` without source info; `ignore_extensions`:
    /// the canonical text without custom options; anything else: `None`.
    pub fn render(&self, format: &str) -> Option<String> {
        match format {
            "serialized" => {
                Some(base64::engine::general_purpose::STANDARD.encode(self.serialized()))
            }
            "ignore_extensions" => catch_unwind(AssertUnwindSafe(|| {
                printer::print_file(
                    &self.file,
                    printer::PrintOptions {
                        normalize: false,
                        ignore_extensions: true,
                    },
                )
            }))
            .ok(),
            _ => None,
        }
    }

    /// The encoded `FileDescriptorProto` (extension options included, source info removed).
    pub fn serialized(&self) -> Vec<u8> {
        strip_field(&self.file.encode_to_vec(), 9)
    }

    /// The linked file descriptor.
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }

    /// The pool holding the file and everything it imports.
    pub fn pool(&self) -> &DescriptorPool {
        self.file.parent_pool()
    }

    /// Fully-qualified names of the messages declared in this file, top-level first then
    /// nested (depth-first), map entries excluded.
    pub fn message_names(&self) -> Vec<String> {
        fn walk(messages: Vec<MessageDescriptor>, out: &mut Vec<String>) {
            for m in messages {
                if m.is_map_entry() {
                    continue;
                }
                out.push(m.full_name().to_owned());
                walk(m.child_messages().collect(), out);
            }
        }
        let mut out = Vec::new();
        walk(self.file.messages().collect(), &mut out);
        out
    }

    /// The message-index path of the message `full_name` (leading dot optional) declared in
    /// this file, as Confluent counts it: positions among the message declarations of each
    /// scope, map-entry types not counted. `None` when the file declares no such message.
    pub fn message_indexes(&self, full_name: &str) -> Option<Vec<i32>> {
        let full_name = full_name.strip_prefix('.').unwrap_or(full_name);
        let mut path = Vec::new();
        let mut scope: Vec<MessageDescriptor> = self.file.messages().collect();
        loop {
            let next = scope
                .iter()
                .filter(|m| !m.is_map_entry())
                .enumerate()
                .find(|(_, m)| {
                    let name = m.full_name();
                    name == full_name
                        || (full_name.starts_with(name) && full_name[name.len()..].starts_with('.'))
                })
                .map(|(i, m)| (i as i32, m.clone()));
            let (index, message) = next?;
            path.push(index);
            if message.full_name() == full_name {
                return Some(path);
            }
            scope = message.child_messages().collect();
        }
    }

    /// The message a message-index path designates (`[]` is read as `[0]`).
    pub fn message_for_indexes(&self, indexes: &[i32]) -> Option<MessageDescriptor> {
        let indexes = if indexes.is_empty() {
            &[0][..]
        } else {
            indexes
        };
        let mut scope: Vec<MessageDescriptor> = self.file.messages().collect();
        let mut current = None;
        for &i in indexes {
            let i = usize::try_from(i).ok()?;
            let message = scope.into_iter().filter(|m| !m.is_map_entry()).nth(i)?;
            scope = message.child_messages().collect();
            current = Some(message);
        }
        current
    }

    /// The fully-qualified name of the message a message-index path designates.
    pub fn message_name(&self, indexes: &[i32]) -> Option<String> {
        self.message_for_indexes(indexes)
            .map(|m| m.full_name().to_owned())
    }
}

/// Every incompatible difference of `diff(original = writer, update = reader)`, rendered as
/// CSR renders Protobuf messages: `{errorType:"TYPE", description:"..."}`.
pub fn incompatibilities(
    reader: &ProtobufSchema,
    writer: &ProtobufSchema,
    roles: Roles,
) -> Vec<String> {
    let Ok(differences) = catch_unwind(AssertUnwindSafe(|| diff(&writer.file, &reader.file)))
    else {
        return vec!["The Protobuf schemas could not be compared".to_owned()];
    };
    let mut out: Vec<String> = Vec::new();
    for d in differences.iter().filter(|d| !d.ty.is_compatible()) {
        let message = d.message(roles);
        if !out.contains(&message) {
            out.push(message);
        }
    }
    out
}

/// `bytes` (an encoded message) without any occurrence of top-level field `number`. Returns
/// the input unchanged if it cannot be walked.
pub(crate) fn strip_field(bytes: &[u8], number: u64) -> Vec<u8> {
    fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
        let mut value = 0u64;
        for shift in 0..10 {
            let b = *buf.get(*pos)?;
            *pos += 1;
            value |= u64::from(b & 0x7f) << (7 * shift);
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    let walk = || -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut pos = 0;
        while pos < bytes.len() {
            let start = pos;
            let key = varint(bytes, &mut pos)?;
            match key & 7 {
                0 => {
                    varint(bytes, &mut pos)?;
                }
                1 => pos = pos.checked_add(8)?,
                2 => {
                    let len = usize::try_from(varint(bytes, &mut pos)?).ok()?;
                    pos = pos.checked_add(len)?;
                }
                5 => pos = pos.checked_add(4)?,
                _ => return None,
            }
            if pos > bytes.len() {
                return None;
            }
            if key >> 3 != number {
                out.extend_from_slice(&bytes[start..pos]);
            }
        }
        Some(out)
    };
    walk().unwrap_or_else(|| bytes.to_vec())
}
