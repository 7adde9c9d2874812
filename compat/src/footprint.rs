//! What a parsed schema keeps allocated, estimated: the figure the registry's caches charge
//! for it (docs/performance.md, "Cache budget"). Each format computes it once, at parse
//! time, from the size and shape of what it parsed (its references included); the factors
//! were calibrated with a counting allocator, and `tests/retained_bytes.rs` checks on a
//! varied corpus that each estimate covers what the parse really keeps.

use prost::Message;
use prost_reflect::DescriptorPool;
use serde_json::Value;

/// Avro keeps its named types (those of its references too) and the canonical text: 8 to
/// 22 times the JSON text, more for arrays of small values (a default of `[0,1,..]` keeps a
/// `serde_json::Value` for every two bytes of text).
pub(crate) fn avro(text_bytes: usize, shape: &JsonShape) -> u64 {
    (text_bytes as u64)
        .saturating_mul(6)
        .saturating_add(shape.values.saturating_mul(40))
        .saturating_add(shape.array_items.saturating_mul(160))
        .saturating_add(1024)
}

/// JSON Schema keeps its model, the validator built from it (its own copy of every
/// document) and the canonical text: 30 to 75 times the text, more for arrays of small
/// values (`enum`), about 1 KB for each `$ref`, up to 4 KB for each `pattern` (the
/// validator's node), 6 KB once for any, and a fixed ~1.2 KB even for `true`. Each distinct
/// compiled pattern (measured by `json::patterns`) keeps what its engine reports times
/// [`REGEX_FACTOR`] for the model's `patternProperties`, [`VALIDATOR_REGEX_FACTOR`] for the
/// validator's `pattern` and `patternProperties`, plus [`REGEX_BYTES`]; one the validator
/// keeps no engine for (a counted class, matched by counting) [`PLAIN_PATTERN_BYTES`].
pub(crate) fn json(
    text_bytes: usize,
    shape: &JsonShape,
    model_regex_sizes: impl Iterator<Item = usize>,
    validator_regex_sizes: impl Iterator<Item = Option<usize>>,
) -> u64 {
    let compiled = |size: usize, factor: u64| (size as u64).saturating_mul(factor) + REGEX_BYTES;
    let regexes: u64 = model_regex_sizes
        .map(|size| compiled(size, REGEX_FACTOR))
        .chain(validator_regex_sizes.map(|size| {
            size.map_or(PLAIN_PATTERN_BYTES, |size| {
                compiled(size, VALIDATOR_REGEX_FACTOR)
            })
        }))
        .fold(0, u64::saturating_add);
    (text_bytes as u64)
        .saturating_mul(36)
        .saturating_add(shape.values.saturating_mul(50))
        .saturating_add(shape.array_items.saturating_mul(450))
        .saturating_add(shape.refs.saturating_mul(1280))
        .saturating_add(shape.patterns.saturating_mul(4096))
        .saturating_add(if shape.patterns > 0 { 6144 } else { 0 })
        .saturating_add(2560)
        .saturating_add(regexes)
}

/// A compiled regular expression's heap, measured: 3.3 to 4.1 times what it reports
/// (`memory_usage` leaves out its search caches), plus about 1 KB; the validator's
/// (`fancy-regex` around the same engine) up to 5.6 times.
const REGEX_FACTOR: u64 = 5;
const VALIDATOR_REGEX_FACTOR: u64 = 6;
const REGEX_BYTES: u64 = 2048;
/// A pattern the validator matches without an engine.
const PLAIN_PATTERN_BYTES: u64 = 1024;

/// Protobuf keeps a descriptor pool holding the schema's file and every file it imports
/// (references, well-known types): the decoded `FileDescriptorProto`s and prost-reflect's
/// index of them, 18 to 53 times the files' encoded size (most for small files), and the
/// canonical text.
pub(crate) fn protobuf(pool: &DescriptorPool, canonical_bytes: usize) -> u64 {
    let encoded: usize = pool
        .files()
        .map(|file| file.file_descriptor_proto().encoded_len())
        .sum();
    (encoded as u64)
        .saturating_mul(50)
        .saturating_add((pool.files().len() as u64).saturating_mul(2048))
        .saturating_add(2048)
        .saturating_add(canonical_bytes as u64)
}

/// What of a JSON document's shape the estimates weigh.
#[derive(Debug, Default)]
pub(crate) struct JsonShape {
    /// Values, the document itself included.
    pub values: u64,
    /// Values inside arrays.
    pub array_items: u64,
    /// Members `"$ref": "<string>"` and `"pattern": "<string>"`.
    pub refs: u64,
    pub patterns: u64,
}

impl JsonShape {
    /// Add `value`'s shape. Recursive: serde_json refuses documents nested more than 128
    /// levels deep, so the depth is bounded.
    pub(crate) fn add(&mut self, value: &Value) {
        self.values += 1;
        match value {
            Value::Array(items) => {
                self.array_items += items.len() as u64;
                items.iter().for_each(|item| self.add(item));
            }
            Value::Object(members) => {
                for (key, member) in members {
                    if member.is_string() {
                        self.refs += u64::from(key == "$ref");
                        self.patterns += u64::from(key == "pattern");
                    }
                    self.add(member);
                }
            }
            _ => {}
        }
    }
}
