//! What a parsed schema keeps allocated, estimated: the figure the registry's caches charge
//! for it (docs/performance.md, "Cache budget"). Each format computes it once, at parse
//! time, from the size and shape of what it parsed (its references included); the factors
//! were calibrated with a counting allocator, and `tests/retained_bytes.rs` checks on a
//! varied corpus that each estimate covers what the parse really keeps.

use prost::Message;
use prost_reflect::DescriptorPool;
use serde_json::Value;

/// Avro keeps its named types (those of its references too) and the canonical text: 5 to
/// 20 times the JSON text (most for small schemas), more for arrays of small values (a
/// default of `[0,1,..]` keeps a `serde_json::Value` for every two bytes of text: 38 times).
pub(crate) fn avro(text_bytes: usize, shape: &JsonShape) -> u64 {
    (text_bytes as u64)
        .saturating_mul(4)
        .saturating_add(shape.values.saturating_mul(48))
        .saturating_add(shape.array_items.saturating_mul(20))
        .saturating_add(512)
}

/// JSON Schema keeps its model, the validator built from it (its own copy of every
/// document) and the canonical text: 21 to 140 times the text of a schema of 1 KB or
/// more, most for arrays of small values (`enum`), a few hundred bytes for each `$ref`, up to 2.5 KB for each `pattern`
/// (the validator's node), 4 KB once for any, and a fixed ~1.2 KB even for `true`. Each
/// distinct compiled pattern (measured by `json::patterns`) keeps about what its engine
/// reports, the model's for `patternProperties` and the validator's for `pattern` and
/// `patternProperties`: charged that plus a sixteenth ([`compiled_regex`]); one the
/// validator keeps no engine for (a counted class, matched by counting)
/// [`PLAIN_PATTERN_BYTES`].
pub(crate) fn json(
    text_bytes: usize,
    shape: &JsonShape,
    model_regex_sizes: impl Iterator<Item = usize>,
    validator_regex_sizes: impl Iterator<Item = Option<usize>>,
) -> u64 {
    let regexes: u64 = model_regex_sizes
        .map(compiled_regex)
        .chain(validator_regex_sizes.map(|size| size.map_or(PLAIN_PATTERN_BYTES, compiled_regex)))
        .fold(0, u64::saturating_add);
    (text_bytes as u64)
        .saturating_mul(24)
        .saturating_add(shape.values.saturating_mul(55))
        .saturating_add(shape.array_items.saturating_mul(200))
        .saturating_add(shape.refs.saturating_mul(512))
        .saturating_add(shape.patterns.saturating_mul(2560))
        .saturating_add(if shape.patterns > 0 { 4096 } else { 0 })
        .saturating_add(3072)
        .saturating_add(regexes)
}

/// A compiled regular expression's heap, measured: what its engine reports plus up to 4.4%
/// (`memory_usage` leaves out its search caches; the validator's `fancy-regex` wraps the
/// same engine) and a few KB. The fixed part has room for the engines' own features: built
/// with the whole workspace (`cargo test --workspace`, the server) a compiled pattern holds
/// about 1.3 KB more than built for this crate alone, so 4 KiB did not cover it.
fn compiled_regex(reported: usize) -> u64 {
    let reported = reported as u64;
    reported
        .saturating_add(reported / 16)
        .saturating_add(REGEX_BYTES)
}
const REGEX_BYTES: u64 = 6144;
/// A pattern the validator matches without an engine.
const PLAIN_PATTERN_BYTES: u64 = 1024;

/// Protobuf keeps a descriptor pool holding the schema's file and every file it imports
/// (references, well-known types): the decoded `FileDescriptorProto`s and prost-reflect's
/// index of them, 12 to 47 times the files' encoded size (most for small files), and the
/// canonical text.
pub(crate) fn protobuf(pool: &DescriptorPool, canonical_bytes: usize) -> u64 {
    let encoded: usize = pool
        .files()
        .map(|file| file.file_descriptor_proto().encoded_len())
        .sum();
    (encoded as u64)
        .saturating_mul(32)
        .saturating_add((pool.files().len() as u64).saturating_mul(1024))
        .saturating_add(3072)
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
