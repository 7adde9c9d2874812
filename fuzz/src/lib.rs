//! What the fuzz targets share: one input split into several schema texts, and a parsed
//! schema exercised the way the registry uses one (parse, store, read back, render, check).
//!
//! Beyond "no panic", the targets check what the registry relies on: the canonical text it
//! stores parses again when read back (leniently, as `Registry::parsed` reads stored text)
//! and gives the same canonical text; a schema is compatible with itself at every level.

use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::{
    check_compatibility, CompatibilityLevel, ParseOptions, ParsedSchema, ResolvedReference,
    SchemaType,
};

/// The stack of a tokio worker thread, where the server parses small schemas and checks
/// them, and where a consumer's deserializer runs: every target runs its input on a thread
/// this size, so a recursion too deep for production overflows here too.
pub const WORKER_STACK_BYTES: usize = 2 * 1024 * 1024;

/// `work` on a thread with a [`WORKER_STACK_BYTES`] stack (a panic there still aborts the
/// fuzzer: libFuzzer's panic hook sees every thread).
pub fn on_worker_stack(work: impl FnOnce() + Send) {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(WORKER_STACK_BYTES)
            .spawn_scoped(scope, work)
            .expect("a thread for the input")
            .join()
            .expect("the input's thread finished");
    });
}

/// How CSR's messages start where Java's checker threw.
const JAVA_EXCEPTION: &str = "Unexpected exception during compatibility check";

/// How stored text is read back: leniently, not normalised again.
pub const STORED: ParseOptions = ParseOptions {
    validate: false,
    normalize: false,
};

/// How a new schema is parsed for registration (`validate.new.schemas`, the default).
pub const NEW: ParseOptions = ParseOptions {
    validate: true,
    normalize: false,
};

/// The texts of an input: UTF-8, split at NUL bytes (no schema text contains one).
pub fn texts(data: &[u8]) -> Option<Vec<&str>> {
    std::str::from_utf8(data)
        .ok()
        .map(|t| t.split('\0').collect())
}

/// The name a referring schema uses for its `index`-th reference: an import path for
/// Protobuf, a `$ref` URL for JSON Schema; Avro resolves by the type names inside the text.
pub fn reference_name(schema_type: SchemaType, index: usize) -> String {
    match schema_type {
        SchemaType::Avro => format!("r{index}"),
        SchemaType::Protobuf => format!("r{index}.proto"),
        SchemaType::Json => format!("r{index}.json"),
    }
}

/// `texts` as references, in order (dependencies first).
pub fn references(schema_type: SchemaType, texts: &[&str]) -> Vec<ResolvedReference> {
    texts
        .iter()
        .enumerate()
        .map(|(index, text)| ResolvedReference {
            name: reference_name(schema_type, index),
            schema_type,
            schema: (*text).to_string(),
        })
        .collect()
}

/// The input as a schema of `schema_type` (the last text; the ones before it are its
/// references), parsed with every option, each result exercised by [`exercise_parsed`].
pub fn exercise_parse(schema_type: SchemaType, data: &[u8]) {
    let Some(parts) = texts(data) else {
        return;
    };
    let Some((root, refs)) = parts.split_last() else {
        return;
    };
    let references = references(schema_type, refs);
    for validate in [true, false] {
        for normalize in [false, true] {
            let options = ParseOptions {
                validate,
                normalize,
            };
            if let Ok(parsed) = ParsedSchema::parse(schema_type, root, &references, options) {
                exercise_parsed(&parsed, &references, options);
            }
        }
    }
}

/// What the registry does with a schema it accepted: store its canonical text and read it
/// back, render it in every output format, check it against itself at every level.
pub fn exercise_parsed(
    parsed: &ParsedSchema,
    references: &[ResolvedReference],
    options: ParseOptions,
) {
    let schema_type = parsed.schema_type();
    let stored = parsed.canonical();
    let again = ParsedSchema::parse(schema_type, stored, references, STORED)
        .unwrap_or_else(|e| panic!("stored text does not parse again: {e}\n{stored}"));
    if !options.normalize {
        assert_eq!(
            again.canonical(),
            stored,
            "canonical text changes when read back"
        );
    } else {
        let twice = ParsedSchema::parse(schema_type, stored, references, options)
            .unwrap_or_else(|e| panic!("normalised text does not parse again: {e}\n{stored}"));
        assert_eq!(
            twice.canonical(),
            stored,
            "normalising twice changes the text"
        );
    }
    for format in ["resolved", "serialized", "ignore_extensions"] {
        let _ = parsed.render(format);
    }
    if let ParsedSchema::Protobuf(proto) = parsed {
        exercise_protobuf(proto, references);
    }
    // Java's checker throws when a reader field matches two writer fields (its name and an
    // alias): CSR answers that as incompatible even for a schema against itself, and so does
    // the engine (docs/compatibility.md §2.2).
    let messages: Vec<String> = CompatibilityLevel::Full
        .check_pair(parsed, &again)
        .into_iter()
        .filter(|m| !m.starts_with(JAVA_EXCEPTION))
        .collect();
    assert!(
        messages.is_empty(),
        "a schema is incompatible with its own stored form: {messages:?}\n{stored}"
    );
}

/// The input as two schemas of `schema_type` split at the first NUL, `old` (stored, read
/// leniently) then `new` (validated, as a registration parses it); both checked against
/// each other at every level, in both roles.
pub fn exercise_compat(schema_type: SchemaType, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((old, new)) = text.split_once('\0') else {
        return;
    };
    let Ok(old) = ParsedSchema::parse(schema_type, old, &[], STORED) else {
        return;
    };
    let Ok(new) = ParsedSchema::parse(schema_type, new, &[], NEW) else {
        return;
    };
    for level in CompatibilityLevel::ALL {
        let _ = check_compatibility(level, &new, &[&old, &new]);
        let _ = check_compatibility(level, &old, &[&new, &old]);
    }
    if let (ParsedSchema::Json(old), ParsedSchema::Json(new)) = (&old, &new) {
        let _ = schemata_compat::json::differences(old, new);
        let _ = schemata_compat::json::differences(new, old);
    }
}

/// What the client does with a Protobuf schema: message indexes for each message type and
/// back, and the schema sent as a base64 descriptor (as the serializers register it).
fn exercise_protobuf(proto: &ProtobufSchema, references: &[ResolvedReference]) {
    for name in proto.message_names() {
        let indexes = proto
            .message_indexes(&name)
            .unwrap_or_else(|| panic!("no message indexes for its own message {name}"));
        let found = proto
            .message_for_indexes(&indexes)
            .map(|m| m.full_name().to_string());
        assert_eq!(found.as_deref(), Some(name.as_str()), "indexes {indexes:?}");
    }
    let serialized = proto
        .render("serialized")
        .expect("a .proto renders as a descriptor");
    if let Err(e) = ParsedSchema::parse(SchemaType::Protobuf, &serialized, references, NEW) {
        panic!(
            "its own descriptor does not parse: {e}\n{}",
            proto.canonical()
        );
    }
}
