//! `ParsedSchema::retained_bytes` against what a parse really keeps allocated.
//!
//! Its own test binary, with a counting global allocator and a single `#[test]`, so nothing
//! else allocates while a parse is measured. For each schema of a varied corpus (the vectors
//! of `tests/vectors`, generated schemas of every shape from a few bytes to ~100 KB, schemas
//! with references) it checks that the estimate covers the bytes the parse kept, and that it
//! is not absurdly conservative (docs/performance.md, "Cache budget").

#![allow(clippy::print_stdout)]

use schemata_compat::json::MAX_SCHEMA_PATTERN_BYTES;
use schemata_compat::{ParseOptions, ParsedSchema, ResolvedReference, SchemaType};
use serde_json::{json, Value};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

static STATS: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The counting allocator, which also follows the most bytes held at once.
struct PeakAlloc;

static HELD: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn held(change: isize) {
    let now = HELD.fetch_add(change, Ordering::Relaxed) + change;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator (through `STATS`).
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        held(layout.size() as isize);
        unsafe { STATS.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        held(-(layout.size() as isize));
        unsafe { STATS.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        held(layout.size() as isize);
        unsafe { STATS.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        held(new_size as isize - layout.size() as isize);
        unsafe { STATS.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: PeakAlloc = PeakAlloc;

struct Case {
    name: String,
    schema_type: SchemaType,
    text: String,
    references: Vec<ResolvedReference>,
}

impl Case {
    fn new(name: impl Into<String>, schema_type: SchemaType, text: impl Into<String>) -> Self {
        Case {
            name: name.into(),
            schema_type,
            text: text.into(),
            references: Vec::new(),
        }
    }

    fn with_reference(mut self, name: &str, schema: impl Into<String>) -> Self {
        self.references.push(ResolvedReference {
            name: name.to_string(),
            schema_type: self.schema_type,
            schema: schema.into(),
        });
        self
    }

    fn input_bytes(&self) -> usize {
        self.text.len()
            + self
                .references
                .iter()
                .map(|r| r.schema.len())
                .sum::<usize>()
    }
}

/// What one parse kept allocated (allocated minus freed while it ran, the result alive:
/// [`kept_since`]), and its estimate.
struct Measured {
    retained: u64,
    estimate: u64,
}

fn measure(case: &Case) -> Measured {
    let options = ParseOptions::default();
    let region = Region::new(STATS);
    let parsed = ParsedSchema::parse(case.schema_type, &case.text, &case.references, options);
    let retained = kept_since(&region);
    let parsed = parsed.unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let estimate = parsed.retained_bytes();
    drop(parsed);
    Measured {
        retained: u64::try_from(retained).unwrap_or(0),
        estimate,
    }
}

// --- The corpus -------------------------------------------------------------------------

/// Every schema of a vector file whose format is `format` (`old`, `new`, `history`).
fn vectors(file: &str, format: &str, schema_type: SchemaType) -> Vec<Case> {
    let cases: Vec<Value> = serde_json::from_str(file).expect("a vector file is JSON");
    let mut out = Vec::new();
    for case in cases.iter().filter(|c| c["format"] == format) {
        let name = case["name"].as_str().unwrap_or("?");
        let mut schemas: Vec<&Value> = vec![&case["old"], &case["new"]];
        if let Some(history) = case["history"].as_array() {
            schemas.extend(history);
        }
        for (n, schema) in schemas.into_iter().enumerate() {
            let text = match schema {
                Value::Null => continue,
                Value::String(text) if schema_type == SchemaType::Protobuf => text.clone(),
                other => other.to_string(),
            };
            // Keep only what parses: some vectors are schemas the registry refuses.
            if ParsedSchema::parse(schema_type, &text, &[], ParseOptions::default()).is_ok() {
                out.push(Case::new(format!("{name}/{n}"), schema_type, text));
            }
        }
    }
    out
}

fn avro_record(name: &str, fields: usize, field: impl Fn(usize) -> Value) -> Value {
    let fields: Vec<Value> = (0..fields).map(field).collect();
    json!({"type": "record", "name": name, "namespace": "com.example", "fields": fields})
}

fn avro_cases() -> Vec<Case> {
    let mut out = Vec::new();
    for file in [
        include_str!("vectors/avro/apache-avro-py_test_compatibility.json"),
        include_str!("vectors/avro/karapace_history_cases.json"),
        include_str!("vectors/avro/karapace_test_avro_compatibility.json"),
        include_str!("vectors/avro/probes_java_vs_rust.json"),
    ] {
        out.extend(vectors(file, "AVRO", SchemaType::Avro));
    }
    let avro = |name: String, schema: Value| Case::new(name, SchemaType::Avro, schema.to_string());
    for n in [1, 10, 100, 1000, 2500] {
        out.push(avro(
            format!("avro terse record {n}"),
            avro_record("R", n, |i| json!({"name": format!("f{i}"), "type": "int"})),
        ));
        out.push(avro(
            format!("avro documented optional record {n}"),
            avro_record("R", n, |i| {
                json!({"name": format!("field_number_{i}"), "type": ["null", "string"],
                    "default": null, "doc": "some documentation"})
            }),
        ));
    }
    for n in [1, 10, 100, 1000] {
        // Nested records, enums, fixed, arrays, maps, logical types, aliases.
        out.push(avro(
            format!("avro mixed record {n}"),
            avro_record("Outer", n, |i| match i % 6 {
                0 => json!({"name": format!("r{i}"), "type": {"type": "record",
                    "name": format!("Inner{i}"), "fields": [
                        {"name": "a", "type": "long"}, {"name": "b", "type": "string"}]}}),
                1 => json!({"name": format!("e{i}"), "type": {"type": "enum",
                    "name": format!("Colour{i}"), "symbols": ["RED", "GREEN", "BLUE"]}}),
                2 => json!({"name": format!("x{i}"), "type": {"type": "fixed",
                    "name": format!("Hash{i}"), "size": 16}}),
                3 => json!({"name": format!("a{i}"), "type": {"type": "array",
                    "items": {"type": "map", "values": "double"}}, "default": []}),
                4 => json!({"name": format!("d{i}"), "type": {"type": "bytes",
                    "logicalType": "decimal", "precision": 10, "scale": 2}}),
                _ => json!({"name": format!("u{i}"), "aliases": [format!("old{i}")],
                    "type": ["null", "int", "string"], "default": null}),
            }),
        ));
        // An enum of many short symbols, and array defaults of many small values.
        let symbols: Vec<String> = (0..n * 10).map(|i| format!("S{i}")).collect();
        out.push(avro(
            format!("avro enum {}", n * 10),
            json!({"type": "enum", "name": "E", "symbols": symbols}),
        ));
        let numbers: Vec<usize> = (0..n * 10).map(|i| i % 10).collect();
        out.push(avro(
            format!("avro array default {}", n * 10),
            avro_record("R", 1, |_| {
                json!({"name": "a", "type": {"type": "array", "items": "int"}, "default": numbers})
            }),
        ));
    }
    // References: a chain of records, each using the one before, up to ~100 KB in all.
    for (types, fields) in [(2, 5), (10, 20), (40, 100)] {
        let mut case_refs = Vec::new();
        for t in 0..types {
            let schema = avro_record(&format!("T{t}"), fields, |i| {
                if i == 0 && t > 0 {
                    json!({"name": "previous", "type": format!("com.example.T{}", t - 1)})
                } else {
                    json!({"name": format!("f{i}"), "type": "string", "doc": "a field"})
                }
            });
            case_refs.push((format!("com.example.T{t}"), schema.to_string()));
        }
        let root = avro_record(
            "Root",
            2,
            |i| json!({"name": format!("f{i}"), "type": format!("com.example.T{}", types - 1)}),
        );
        let mut case = avro(format!("avro with {types} references"), root);
        for (name, schema) in case_refs {
            case = case.with_reference(&name, schema);
        }
        out.push(case);
    }
    out
}

/// `^\p{L}{1,20}x{i}$`: ~1 MB compiled, by each engine.
fn expensive(i: usize) -> String {
    format!(r"^\p{{L}}{{1,20}}x{i}$")
}

/// A schema with `n` distinct [`expensive`] patterns as `keyword` (`pattern` or
/// `patternProperties`).
fn worst_accepted(keyword: &str, n: usize) -> Value {
    if keyword == "pattern" {
        json_object(n, |i| json!({"type": "string", "pattern": expensive(i)}))
    } else {
        let patterns: serde_json::Map<String, Value> = (0..n)
            .map(|i| (expensive(i), json!({"type": "string"})))
            .collect();
        json!({"type": "object", "patternProperties": patterns})
    }
}

fn json_object(properties: usize, property: impl Fn(usize) -> Value) -> Value {
    let properties: serde_json::Map<String, Value> = (0..properties)
        .map(|i| (format!("prop_{i}"), property(i)))
        .collect();
    json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
        "properties": properties, "required": ["prop_0"]})
}

fn json_cases() -> Vec<Case> {
    let mut out = vectors(
        include_str!("vectors/json/karapace_test_jsonschema_compatibility.json"),
        "JSON",
        SchemaType::Json,
    );
    let case = |name: String, schema: Value| Case::new(name, SchemaType::Json, schema.to_string());
    for n in [1, 10, 100, 1000] {
        out.push(case(
            format!("json strings {n}"),
            json_object(
                n,
                |_| json!({"type": "string", "maxLength": 20, "description": "a property"}),
            ),
        ));
        out.push(case(
            format!("json mixed {n}"),
            json_object(n, |i| match i % 5 {
                0 => json!({"type": "integer", "minimum": 0, "maximum": 100}),
                1 => json!({"type": "array", "items": {"type": "number"}, "maxItems": 5}),
                2 => json!({"type": "object", "properties": {"a": {"type": "boolean"},
                    "b": {"type": ["string", "null"], "pattern": "^[a-z]+$"}},
                    "additionalProperties": false}),
                3 => json!({"enum": ["red", "green", "blue"]}),
                _ => json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            }),
        ));
        out.push(case(
            format!("json 2020-12 with defs {n}"),
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$defs": {"node": {"type": "object",
                    "properties": {"next": {"$ref": "#/$defs/node"}, "v": {"type": "string"}}}},
                "type": "object",
                "properties": (0..n).map(|i| (format!("p{i}"), json!({"$ref": "#/$defs/node"})))
                    .collect::<serde_json::Map<String, Value>>()}),
        ));
        let numbers: Vec<usize> = (0..n * 10).map(|i| i % 10).collect();
        out.push(case(
            format!("json enum of {} numbers", n * 10),
            json!({"type": "integer", "enum": numbers}),
        ));
    }
    // Patterns: each is compiled to a regular expression (by the validator, and by the model
    // for `patternProperties`), whose size depends on the pattern more than on its length.
    for pattern in [
        "^a*",
        "^[a-z]+$",
        "^[A-Z]{2}-[0-9]{4}$",
        r"^\d{3}-\d{4}$",
        r"^\w+$",
        r"^[\w.+-]+@[\w-]+\.[\w.]+$",
        r"^\p{L}{1,20}$",
        r"^\p{L}{1,20}x$",
        r"^\w{1,12}$",
        r"^(?=.*\d)\w{8,}$",
    ] {
        out.push(case(
            format!("json pattern {pattern}"),
            json!({"type": "string", "pattern": pattern}),
        ));
        out.push(case(
            format!("json patternProperties {pattern}"),
            json!({"type": "object", "patternProperties": {pattern: {"type": "string"}}}),
        ));
    }
    out.push(case(
        "json 100 patterns".into(),
        json_object(
            100,
            |i| json!({"type": "string", "pattern": format!("^[a-z]{{{i}}}$")}),
        ),
    ));
    // The most expensive regular expressions a schema may hold: as many distinct patterns of
    // ~1 MB compiled as fit in the budget, for the validator alone or for both engines.
    for (name, fit) in [("pattern", 8), ("patternProperties", 4)] {
        out.push(case(
            format!("json worst accepted {name}"),
            worst_accepted(name, fit),
        ));
    }
    // References: the root uses a chain of documents, up to ~100 KB in all.
    for (docs, properties) in [(2, 5), (10, 20), (20, 150)] {
        let mut references = Vec::new();
        for d in 0..docs {
            let mut schema = json_object(
                properties,
                |_| json!({"type": "string", "description": "a referenced property"}),
            );
            if d > 0 {
                schema["properties"]["previous"] = json!({"$ref": format!("doc{}.json", d - 1)});
            }
            references.push((format!("doc{d}.json"), schema.to_string()));
        }
        let root = json!({"type": "object",
            "properties": {"p": {"$ref": format!("doc{}.json", docs - 1)}}});
        let mut case = case(format!("json with {docs} references"), root);
        for (name, schema) in references {
            case = case.with_reference(&name, schema);
        }
        out.push(case);
    }
    out
}

fn proto_message(name: &str, fields: usize, field: impl Fn(usize) -> String) -> String {
    let mut out = format!("message {name} {{\n");
    for i in 0..fields {
        out += &field(i);
    }
    out + "}\n"
}

fn proto_file(package: &str, imports: &[&str], body: &str) -> String {
    let mut out = format!("syntax = \"proto3\";\npackage {package};\n");
    for import in imports {
        out += &format!("import \"{import}\";\n");
    }
    out + body
}

fn protobuf_cases() -> Vec<Case> {
    let mut out = vectors(
        include_str!("vectors/protobuf/karapace_protobuf_compatibility_transcribed.json"),
        "PROTOBUF",
        SchemaType::Protobuf,
    );
    let case = |name: String, text: String| Case::new(name, SchemaType::Protobuf, text);
    // The support files the crate serves (the repository's .proto files) as schemas.
    for (name, source) in schemata_compat::protobuf::well_known::FILES {
        out.push(case(format!("protobuf {name}"), source.to_string()));
    }
    for n in [1, 10, 100, 1000, 2500] {
        out.push(case(
            format!("protobuf flat {n}"),
            proto_file(
                "com.example",
                &[],
                &proto_message("M", n, |i| {
                    format!("  string field_number_{i} = {};\n", i + 1)
                }),
            ),
        ));
    }
    for n in [1, 10, 100, 700] {
        // Nested messages, enums, oneofs, maps, repeated and well-known types.
        let body = proto_message("Outer", n, |i| match i % 6 {
            0 => format!(
                "  message Inner{i} {{ int64 a = 1; repeated string b = 2; }}\n  \
                 Inner{i} inner_{i} = {};\n",
                i + 1
            ),
            1 => format!(
                "  enum Colour{i} {{ COLOUR{i}_UNSPECIFIED = 0; COLOUR{i}_RED = 1; \
                 COLOUR{i}_BLUE = 2; }}\n  Colour{i} colour_{i} = {};\n",
                i + 1
            ),
            2 => format!(
                "  oneof choice_{i} {{ string s_{i} = {}; int32 n_{i} = {}; }}\n",
                i + 1,
                n + i + 1
            ),
            3 => format!("  map<string, int64> counts_{i} = {};\n", i + 1),
            4 => format!("  google.protobuf.Timestamp at_{i} = {};\n", i + 1),
            _ => format!(
                "  repeated double values_{i} = {} [packed = true];\n",
                i + 1
            ),
        });
        out.push(case(
            format!("protobuf mixed {n}"),
            proto_file("com.example", &["google/protobuf/timestamp.proto"], &body),
        ));
        // Many small top-level messages and enums.
        let mut body = String::new();
        for i in 0..n {
            body += &proto_message(&format!("M{i}"), 2, |f| {
                format!("  int32 f{f} = {};\n", f + 1)
            });
            body += &format!("enum E{i} {{ E{i}_ZERO = 0; E{i}_ONE = 1; }}\n");
        }
        out.push(case(
            format!("protobuf many types {n}"),
            proto_file("com.example", &[], &body),
        ));
    }
    // Custom options through confluent/meta.proto (which imports descriptor.proto).
    out.push(case(
        "protobuf with confluent options".into(),
        proto_file(
            "com.example",
            &["confluent/meta.proto", "confluent/type/decimal.proto"],
            "message Payment {\n  option (confluent.message_meta).doc = \"a payment\";\n  \
             confluent.type.Decimal amount = 1 [(confluent.field_meta).params = \
             { key: \"precision\", value: \"8\" }];\n}\n",
        ),
    ));
    // References: a chain of files, each importing the one before, up to ~100 KB in all.
    for (files, fields) in [(2, 5), (10, 50), (25, 100)] {
        let mut case = case(format!("protobuf with {files} references"), String::new());
        for f in 0..files {
            let imports: Vec<String> = (0..f).map(|p| format!("dep{p}.proto")).collect();
            let imports: Vec<&str> = imports.iter().map(String::as_str).collect();
            let body = proto_message(&format!("Dep{f}"), fields, |i| {
                if i == 0 && f > 0 {
                    format!("  Dep{} previous = 1;\n", f - 1)
                } else {
                    format!("  string field_{i} = {};\n", i + 1)
                }
            });
            case = case.with_reference(
                &format!("dep{f}.proto"),
                proto_file("deps", &imports, &body),
            );
        }
        let imports: Vec<String> = (0..files).map(|p| format!("dep{p}.proto")).collect();
        let imports: Vec<&str> = imports.iter().map(String::as_str).collect();
        case.text = proto_file(
            "com.example",
            &imports,
            &format!("message Root {{ deps.Dep{} last = 1; }}\n", files - 1),
        );
        out.push(case);
    }
    out
}

/// Schemas that touch every lazily built static of a format: each JSON Schema draft, the
/// imports served without references.
fn warm_up(schema_type: SchemaType) -> Vec<Case> {
    let texts: Vec<String> = match schema_type {
        SchemaType::Avro => vec![
            r#"{"type":"record","name":"W","fields":[{"name":"a","type":"int","default":1}]}"#
                .into(),
        ],
        SchemaType::Json => [
            "http://json-schema.org/draft-04/schema#",
            "http://json-schema.org/draft-06/schema#",
            "http://json-schema.org/draft-07/schema#",
            "https://json-schema.org/draft/2019-09/schema",
            "https://json-schema.org/draft/2020-12/schema",
        ]
        .iter()
        .map(|draft| {
            json!({"$schema": draft, "type": "object", "properties": {"a": {"type": "string",
                "pattern": "^w$"}, "b": {"$ref": "#/properties/a"}}})
            .to_string()
        })
        .collect(),
        SchemaType::Protobuf => vec![proto_file(
            "warm",
            &[
                "google/protobuf/timestamp.proto",
                "confluent/meta.proto",
                "confluent/type/decimal.proto",
            ],
            "message W { google.protobuf.Timestamp t = 1; confluent.type.Decimal d = 2; }\n",
        )],
    };
    texts
        .into_iter()
        .map(|t| Case::new("warm-up", schema_type, t))
        .collect()
}

/// The estimate may exceed what is kept by this much for one schema.
fn sane_bound(retained: u64) -> u64 {
    4 * retained + 16 * 1024
}

/// Schemas charged more than [`sane_bound`], knowingly: `json::patterns` charges a `pattern`
/// what the validator's engine reports for it, but the validator matches a conjunction of
/// lookaheads without keeping that engine (it keeps one for the same `patternProperties`).
const OVER_CHARGED: &[&str] = &[r"json pattern ^(?=.*\d)\w{8,}$"];

#[test]
fn estimates_cover_what_a_parse_keeps() {
    let mut failures = Vec::new();
    for (schema_type, cases) in [
        (SchemaType::Avro, avro_cases()),
        (SchemaType::Json, json_cases()),
        (SchemaType::Protobuf, protobuf_cases()),
    ] {
        // The first parse of a format fills lazily built statics (metaschemas, the support
        // files' parse): not part of any one schema.
        for case in warm_up(schema_type) {
            measure(&case);
        }
        let (mut retained_sum, mut estimate_sum, mut input_sum) = (0u64, 0u64, 0u64);
        let (mut min_ratio, mut max_ratio) = (f64::MAX, 0f64);
        for case in &cases {
            let m = measure(case);
            let input = case.input_bytes() as u64;
            retained_sum += m.retained;
            estimate_sum += m.estimate;
            input_sum += input;
            let ratio = m.retained as f64 / input as f64;
            (min_ratio, max_ratio) = (min_ratio.min(ratio), max_ratio.max(ratio));
            let too_high =
                m.estimate > sane_bound(m.retained) && !OVER_CHARGED.contains(&case.name.as_str());
            if m.retained > m.estimate || too_high {
                failures.push(format!(
                    "{}: retained {} estimate {}",
                    case.name, m.retained, m.estimate
                ));
            }
        }
        println!(
            "{schema_type}: {} schemas, {input_sum} bytes of text kept {retained_sum} bytes \
             ({:.1}x the text, {min_ratio:.1}x to {max_ratio:.1}x), estimated {estimate_sum} \
             ({:.2}x what was kept)",
            cases.len(),
            retained_sum as f64 / input_sum as f64,
            estimate_sum as f64 / retained_sum as f64
        );
        assert!(
            estimate_sum <= 2 * retained_sum,
            "{schema_type}: estimated {estimate_sum}, kept {retained_sum}"
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
    regular_expressions_stay_within_their_budget();
}

/// The most the regular expressions of one schema may make a parse hold: what their engines
/// report, at most `MAX_SCHEMA_PATTERN_BYTES`, is about what they hold on the heap (measured
/// here: 9.5 MB at the peak for a budget of 8 MiB).
const REGEX_HEAP_BOUND: u64 = 2 * MAX_SCHEMA_PATTERN_BYTES as u64;

/// What the allocator holds now more than at `region`'s start (reallocations are counted in
/// `bytes_allocated` and `bytes_deallocated` already).
fn kept_since(region: &Region<'_, System>) -> i64 {
    let change = region.change();
    change.bytes_allocated as i64 - change.bytes_deallocated as i64
}

/// The most bytes held at once while `parse` runs, above what was held before it.
fn peak_of<T>(parse: impl FnOnce() -> T) -> (T, u64) {
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = parse();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    (result, u64::try_from(peak).unwrap_or(0))
}

/// The worst schemas the pattern budget accepts keep, and at their peak hold, less than
/// [`REGEX_HEAP_BOUND`] (plus the rest of the parse); the schema of 100 expensive patterns
/// (4 KB) is refused within the same bound and keeps nothing.
fn regular_expressions_stay_within_their_budget() {
    let options = ParseOptions::default();
    for keyword in ["pattern", "patternProperties"] {
        let text = worst_accepted(keyword, if keyword == "pattern" { 8 } else { 4 }).to_string();
        let region = Region::new(STATS);
        let (parsed, peak) = peak_of(|| ParsedSchema::parse(SchemaType::Json, &text, &[], options));
        let kept = kept_since(&region);
        println!("worst accepted {keyword}: kept {kept} bytes, peak {peak} bytes");
        assert!(parsed.is_ok(), "{keyword}");
        assert!(kept < REGEX_HEAP_BOUND as i64, "{keyword}: kept {kept}");
        assert!(peak < REGEX_HEAP_BOUND, "{keyword}: peak {peak}");
    }
    let patterns: serde_json::Map<String, Value> = (0..100)
        .map(|i| (expensive(i), json!({"type": "string"})))
        .collect();
    let text = json!({"type": "object", "patternProperties": patterns}).to_string();
    let region = Region::new(STATS);
    let (parsed, peak) = peak_of(|| ParsedSchema::parse(SchemaType::Json, &text, &[], options));
    let error = parsed.expect_err("100 expensive patterns are refused");
    drop(error);
    let kept = kept_since(&region);
    println!(
        "100 expensive patterns ({} bytes): refused, peak {peak} bytes, kept {kept}",
        text.len()
    );
    assert!(peak < REGEX_HEAP_BOUND, "peak {peak}");
    assert!(kept < 64 * 1024, "kept {kept}");
}
