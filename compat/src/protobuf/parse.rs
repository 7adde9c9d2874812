//! Input decoding (`.proto` text or base64 `FileDescriptorProto`), reference resolution and
//! linking with protox; errors carry line and column.

use super::well_known;
use crate::{ResolvedReference, SchemaError};
use base64::Engine;
use miette::Diagnostic;
use prost::Message;
use prost_reflect::{DescriptorPool, FileDescriptor};
use prost_types::FileDescriptorProto;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

/// The file name given to a schema submitted as `.proto` text (Confluent calls it `default`).
pub(super) const DEFAULT_FILE_NAME: &str = "default";

/// Files served from memory: the schema itself, its references and the Confluent support files.
struct MemoryResolver {
    files: HashMap<String, File>,
}

impl FileResolver for MemoryResolver {
    fn resolve_path(&self, path: &Path) -> Option<String> {
        let name = path.to_str()?;
        self.files.contains_key(name).then(|| name.to_owned())
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        self.files
            .get(name)
            .cloned()
            .ok_or_else(|| protox::Error::file_not_found(name))
    }
}

/// Which form the schema text arrived in.
enum Input {
    Text(File),
    Descriptor(File),
}

/// Parse and link `text` with its references. Returns the linked file.
/// The embedded support files, parsed once.
fn embedded_files() -> &'static [(String, File)] {
    static FILES: OnceLock<Vec<(String, File)>> = OnceLock::new();
    FILES.get_or_init(|| {
        well_known::FILES
            .iter()
            // Known to parse (a test checks it); a failure would leave the import unresolved.
            .filter_map(|(name, source)| {
                File::from_source(name, source)
                    .ok()
                    .map(|f| ((*name).to_owned(), f))
            })
            .collect()
    })
}

/// A linked schema file, and whether it arrived as a serialized descriptor.
pub(super) struct Linked {
    pub file: FileDescriptor,
    pub from_descriptor: bool,
}

pub(super) fn parse_and_link(
    text: &str,
    references: &[ResolvedReference],
) -> Result<Linked, SchemaError> {
    let mut sources: HashMap<String, String> = HashMap::new();
    let mut files: HashMap<String, File> = HashMap::new();

    for (name, source) in well_known::FILES {
        sources.insert(name.to_owned(), source.to_owned());
    }
    for (name, file) in embedded_files() {
        files.insert(name.clone(), file.clone());
    }

    for reference in references {
        let name = reference.name.as_str();
        let file = match decode_input(name, &reference.schema) {
            Ok(Input::Text(file)) => {
                sources.insert(name.to_owned(), reference.schema.clone());
                file
            }
            Ok(Input::Descriptor(file)) => {
                sources.remove(name);
                file
            }
            Err(err) => {
                return Err(SchemaError::new(format!(
                    "Invalid schema reference '{name}': {}",
                    describe(&err, &reference.schema)
                )))
            }
        };
        files.insert(name.to_owned(), file);
    }

    let (root_name, root, from_descriptor) = match decode_input(DEFAULT_FILE_NAME, text) {
        Ok(Input::Text(file)) => {
            sources.insert(DEFAULT_FILE_NAME.to_owned(), text.to_owned());
            (DEFAULT_FILE_NAME.to_owned(), file, false)
        }
        Ok(Input::Descriptor(file)) => {
            let name = match file.name() {
                "" => DEFAULT_FILE_NAME.to_owned(),
                n => n.to_owned(),
            };
            sources.remove(&name);
            (name, file, true)
        }
        Err(err) => return Err(SchemaError::new(describe(&err, text))),
    };
    files.insert(root_name.clone(), root);

    let mut chain = ChainFileResolver::new();
    chain.add(MemoryResolver { files });
    chain.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(chain);
    compiler.include_imports(true).include_source_info(false);
    if let Err(err) = compiler.open_file(&root_name) {
        let in_file = err.file().map(str::to_owned);
        let source = in_file
            .as_deref()
            .and_then(|f| sources.get(f))
            .map(String::as_str)
            .unwrap_or("");
        let message = describe(&err, source);
        return Err(SchemaError::new(match in_file {
            Some(f) if f != root_name && !f.is_empty() => {
                format!("in imported file '{f}': {message}")
            }
            _ => message,
        }));
    }
    let pool: DescriptorPool = compiler.descriptor_pool();
    let file = pool
        .get_file_by_name(&root_name)
        .ok_or_else(|| SchemaError::new("the schema file was not compiled"))?;
    if file.file_descriptor_proto().syntax() == "editions" {
        // protox 0.10 cannot parse editions source, so the canonical text could not be read
        // back.
        return Err(SchemaError::new(
            "Protobuf editions are not supported; use syntax \"proto2\" or \"proto3\"",
        ));
    }
    check_options(&pool, &file.encode_to_vec())?;
    Ok(Linked {
        file,
        from_descriptor,
    })
}

/// Every options message of `encoded` (a `FileDescriptorProto`) must decode against the
/// pool's option types, as the printer decodes them (prost-reflect panics otherwise): a
/// descriptor sent in serialized form can carry extension options of the wrong wire type or
/// nested beyond the decoder's recursion limit.
fn check_options(pool: &DescriptorPool, encoded: &[u8]) -> Result<(), SchemaError> {
    use prost_reflect::DynamicMessage;
    // (field number of `options`, options type, child fields: (number, element kind))
    #[derive(Clone, Copy)]
    enum Kind {
        File,
        Message,
        Field,
        Oneof,
        Enum,
        EnumValue,
        Service,
        Method,
        ExtensionRange,
    }
    fn layout(kind: Kind) -> (u64, &'static str, &'static [(u64, Kind)]) {
        match kind {
            Kind::File => (
                8,
                "google.protobuf.FileOptions",
                &[
                    (4, Kind::Message),
                    (5, Kind::Enum),
                    (6, Kind::Service),
                    (7, Kind::Field),
                ],
            ),
            Kind::Message => (
                7,
                "google.protobuf.MessageOptions",
                &[
                    (2, Kind::Field),
                    (6, Kind::Field),
                    (3, Kind::Message),
                    (4, Kind::Enum),
                    (8, Kind::Oneof),
                    (5, Kind::ExtensionRange),
                ],
            ),
            Kind::Field => (8, "google.protobuf.FieldOptions", &[]),
            Kind::Oneof => (2, "google.protobuf.OneofOptions", &[]),
            Kind::Enum => (3, "google.protobuf.EnumOptions", &[(2, Kind::EnumValue)]),
            Kind::EnumValue => (3, "google.protobuf.EnumValueOptions", &[]),
            Kind::Service => (3, "google.protobuf.ServiceOptions", &[(2, Kind::Method)]),
            Kind::Method => (4, "google.protobuf.MethodOptions", &[]),
            Kind::ExtensionRange => (3, "google.protobuf.ExtensionRangeOptions", &[]),
        }
    }
    fn walk(pool: &DescriptorPool, bytes: &[u8], kind: Kind, depth: usize) -> Result<(), String> {
        if depth > 100 {
            return Err("descriptor nested too deeply".to_owned());
        }
        let (options_field, options_type, children) = layout(kind);
        for (number, value) in length_delimited_fields(bytes)? {
            if number == options_field {
                let desc = pool
                    .get_message_by_name(options_type)
                    .or_else(|| DescriptorPool::global().get_message_by_name(options_type))
                    .ok_or_else(|| format!("unknown options type {options_type}"))?;
                DynamicMessage::decode(desc, value)
                    .map_err(|e| format!("invalid {options_type}: {e}"))?;
            } else if let Some((_, child)) = children.iter().find(|(n, _)| *n == number) {
                walk(pool, value, *child, depth + 1)?;
            }
        }
        Ok(())
    }
    walk(pool, encoded, Kind::File, 0).map_err(SchemaError::new)
}

/// The length-delimited top-level fields of an encoded message, as (number, bytes).
fn length_delimited_fields(bytes: &[u8]) -> Result<Vec<(u64, &[u8])>, String> {
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
    let malformed = || "malformed descriptor".to_owned();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let key = varint(bytes, &mut pos).ok_or_else(malformed)?;
        match key & 7 {
            0 => {
                varint(bytes, &mut pos).ok_or_else(malformed)?;
            }
            1 => pos = pos.checked_add(8).ok_or_else(malformed)?,
            2 => {
                let len = varint(bytes, &mut pos).ok_or_else(malformed)?;
                let len = usize::try_from(len).map_err(|_| malformed())?;
                let end = pos.checked_add(len).ok_or_else(malformed)?;
                let value = bytes.get(pos..end).ok_or_else(malformed)?;
                out.push((key >> 3, value));
                pos = end;
            }
            5 => pos = pos.checked_add(4).ok_or_else(malformed)?,
            _ => return Err(malformed()),
        }
        if pos > bytes.len() {
            return Err(malformed());
        }
    }
    Ok(out)
}

/// Deepest nesting of `{`, `[`, `<` and `(` accepted in `.proto` text. protox recurses on
/// nested aggregates and would exhaust a thread stack long before running out of input; its
/// own limit for nested messages is far lower than this.
const MAX_TEXT_NESTING: usize = 64;

/// Whether `text` nests brackets deeper than [`MAX_TEXT_NESTING`], ignoring string literals
/// and comments.
fn nests_too_deeply(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'{' | b'[' | b'<' | b'(' => {
                depth += 1;
                if depth > MAX_TEXT_NESTING {
                    return true;
                }
            }
            b'}' | b']' | b'>' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// `.proto` text first; when that fails and the input looks like base64, a serialized
/// `FileDescriptorProto`.
fn decode_input(name: &str, text: &str) -> Result<Input, protox::Error> {
    if nests_too_deeply(text) {
        return Err(protox::Error::new(std::io::Error::other(format!(
            "the schema nests more than {MAX_TEXT_NESTING} levels deep"
        ))));
    }
    match File::from_source(name, text) {
        Ok(file) => Ok(Input::Text(file)),
        Err(err) => match decode_base64_descriptor(text) {
            Some((descriptor, bytes)) => {
                // Work on the encoded form so that extension options survive; a field
                // appended to an encoded message overrides earlier occurrences.
                let mut bytes = super::strip_field(&bytes, 9);
                if descriptor.name().is_empty() || name != DEFAULT_FILE_NAME {
                    bytes = super::strip_field(&bytes, 1);
                    bytes.push(0x0a);
                    prost::encoding::encode_varint(name.len() as u64, &mut bytes);
                    bytes.extend_from_slice(name.as_bytes());
                }
                match File::decode_file_descriptor_proto(bytes.as_slice()) {
                    Ok(file) => Ok(Input::Descriptor(file)),
                    Err(_) => Err(err),
                }
            }
            None => Err(err),
        },
    }
}

fn decode_base64_descriptor(text: &str) -> Option<(FileDescriptorProto, Vec<u8>)> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty()
        || !compact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
    {
        return None;
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(compact.as_bytes()).ok())?;
    let descriptor = FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    // Random base64 can decode to an empty message; a real descriptor says something.
    if descriptor == FileDescriptorProto::default() {
        return None;
    }
    Some((descriptor, bytes))
}

/// The error message with `line L, column C` of its first labelled span in `source`.
fn describe(err: &protox::Error, source: &str) -> String {
    let mut message = err.to_string();
    let offset = err
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|label| label.offset());
    if let Some(offset) = offset {
        if let Some((line, column)) = line_column(source, offset) {
            message = format!("line {line}, column {column}: {message}");
        }
    }
    message
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_column(source: &str, offset: usize) -> Option<(usize, usize)> {
    if offset > source.len() || !source.is_char_boundary(offset) {
        return None;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Some((line, column))
}
