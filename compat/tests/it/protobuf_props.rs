//! Property tests over generated schemas: printer round trips, self-compatibility at every
//! level, FULL = BACKWARD and FORWARD, and direction symmetry of the diff.

use crate::protobuf_support::*;
use proptest::prelude::*;
use schemata_compat::protobuf::ProtobufSchema;
use schemata_compat::{CompatibilityLevel, ParseOptions};
use std::collections::BTreeMap;
use std::fmt::Write;

const SCALARS: [&str; 15] = [
    "int32", "int64", "uint32", "uint64", "sint32", "sint64", "bool", "string", "bytes", "fixed32",
    "sfixed32", "fixed64", "sfixed64", "float", "double",
];

#[derive(Debug, Clone)]
struct FieldSpec {
    ty: usize,
    label: u8,
    in_oneof: bool,
    map: bool,
}

#[derive(Debug, Clone)]
struct MessageSpec {
    fields: BTreeMap<u32, FieldSpec>,
    nested: bool,
}

#[derive(Debug, Clone)]
struct FileSpec {
    proto3: bool,
    package: Option<u8>,
    messages: Vec<MessageSpec>,
    enum_values: u8,
}

fn field_spec() -> impl Strategy<Value = FieldSpec> {
    (
        0usize..20,
        0u8..3,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(ty, label, in_oneof, map)| FieldSpec {
            ty,
            label,
            in_oneof,
            map: map && !in_oneof,
        })
}

fn message_spec() -> impl Strategy<Value = MessageSpec> {
    (
        prop::collection::btree_map(1u32..12, field_spec(), 0..6),
        any::<bool>(),
    )
        .prop_map(|(fields, nested)| MessageSpec { fields, nested })
}

fn file_spec() -> impl Strategy<Value = FileSpec> {
    (
        any::<bool>(),
        prop::option::weighted(0.3, 0u8..2),
        prop::collection::vec(message_spec(), 1..4),
        1u8..4,
    )
        .prop_map(|(proto3, package, messages, enum_values)| FileSpec {
            proto3,
            package,
            messages,
            enum_values,
        })
}

fn type_name(spec: &FileSpec, ty: usize) -> String {
    let n = SCALARS.len() + 1 + spec.messages.len();
    let ty = ty % n;
    if ty < SCALARS.len() {
        SCALARS[ty].to_owned()
    } else if ty == SCALARS.len() {
        "E".to_owned()
    } else {
        format!("M{}", ty - SCALARS.len() - 1)
    }
}

fn render(spec: &FileSpec) -> String {
    let mut out = String::new();
    let syntax = if spec.proto3 { "proto3" } else { "proto2" };
    writeln!(out, "syntax = \"{syntax}\";").unwrap();
    if let Some(p) = spec.package {
        writeln!(out, "package p{p};").unwrap();
    }
    out.push_str("enum E {\n");
    for v in 0..spec.enum_values {
        writeln!(out, "  E_{v} = {v};").unwrap();
    }
    out.push_str("}\n");
    for (i, message) in spec.messages.iter().enumerate() {
        writeln!(out, "message M{i} {{").unwrap();
        let mut oneof = Vec::new();
        for (tag, field) in &message.fields {
            let ty = type_name(spec, field.ty);
            if field.in_oneof {
                oneof.push(format!("    {ty} f{tag} = {tag};"));
                continue;
            }
            if field.map {
                writeln!(out, "  map<string, {ty}> f{tag} = {tag};").unwrap();
                continue;
            }
            let label = match (spec.proto3, field.label) {
                (true, 0) => "",
                (true, 1) | (false, 0) => "optional ",
                (false, 1) => "required ",
                _ => "repeated ",
            };
            writeln!(out, "  {label}{ty} f{tag} = {tag};").unwrap();
        }
        if !oneof.is_empty() {
            out.push_str("  oneof choice {\n");
            for line in oneof {
                out.push_str(&line);
                out.push('\n');
            }
            out.push_str("  }\n");
        }
        if message.nested {
            let label = if spec.proto3 { "" } else { "optional " };
            writeln!(out, "  message N {{ {label}int32 x = 1; }}").unwrap();
        }
        out.push_str("}\n");
    }
    out
}

fn generated() -> impl Strategy<Value = (String, ProtobufSchema)> {
    file_spec().prop_map(|spec| {
        let text = render(&spec);
        let schema = ProtobufSchema::parse(&text, &[], ParseOptions::default())
            .unwrap_or_else(|e| panic!("generated schema does not parse: {e}\n{text}"));
        (text, schema)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: crate::regressions_beside_source(),
        ..ProptestConfig::default()
    })]

    #[test]
    fn printer_round_trips((_text, schema) in generated()) {
        let again = parse(schema.canonical());
        prop_assert_eq!(schema.canonical(), again.canonical());
        let mut a = schema.file().file_descriptor_proto().clone();
        let mut b = again.file().file_descriptor_proto().clone();
        a.source_code_info = None;
        b.source_code_info = None;
        prop_assert_eq!(a, b);
        let from_descriptor = parse(&schema.render("serialized").unwrap());
        prop_assert_eq!(schema.canonical(), from_descriptor.canonical());
        let normalized = ProtobufSchema::parse(schema.canonical(), &[], ParseOptions { normalize: true, validate: true }).unwrap();
        let normalized_again = ProtobufSchema::parse(normalized.canonical(), &[], ParseOptions { normalize: true, validate: true }).unwrap();
        prop_assert_eq!(normalized.canonical(), normalized_again.canonical());
        // Normalisation does not change what the schema means.
        prop_assert!(differences(&schema, &normalized).iter().all(|(t, _)| t == "MESSAGE_MOVED"));
    }

    #[test]
    fn self_compatible_at_every_level((_text, schema) in generated()) {
        for level in CompatibilityLevel::ALL {
            let messages = check(level, &schema, &schema);
            prop_assert!(messages.is_empty(), "{}: {:?}", level, messages);
        }
        prop_assert!(differences(&schema, &schema).is_empty());
    }

    #[test]
    fn full_is_backward_and_forward((_a, old) in generated(), (_b, new) in generated()) {
        let b = check(CompatibilityLevel::Backward, &old, &new);
        let f = check(CompatibilityLevel::Forward, &old, &new);
        let full = check(CompatibilityLevel::Full, &old, &new);
        prop_assert_eq!(full.is_empty(), b.is_empty() && f.is_empty());
        prop_assert_eq!(check(CompatibilityLevel::FullTransitive, &old, &new).is_empty(), full.is_empty());
        prop_assert_eq!(check(CompatibilityLevel::BackwardTransitive, &old, &new), b.clone());
        prop_assert_eq!(check(CompatibilityLevel::ForwardTransitive, &old, &new), f.clone());
        // FORWARD of (old, new) is BACKWARD of (new, old), up to the role words.
        let swapped = check(CompatibilityLevel::Backward, &new, &old);
        prop_assert_eq!(error_types(&f), error_types(&swapped));
    }

    #[test]
    fn additions_and_removals_mirror((_a, old) in generated(), (_b, new) in generated()) {
        let there = differences(&old, &new);
        let back = differences(&new, &old);
        for (pair_there, pair_back) in [
            ("MESSAGE_ADDED", "MESSAGE_REMOVED"),
            ("ENUM_ADDED", "ENUM_REMOVED"),
            ("ENUM_CONST_ADDED", "ENUM_CONST_REMOVED"),
            ("REQUIRED_FIELD_ADDED", "REQUIRED_FIELD_REMOVED"),
            ("ONEOF_ADDED", "ONEOF_REMOVED"),
        ] {
            for (_, path) in there.iter().filter(|(t, _)| t == pair_there) {
                prop_assert!(has(&back, pair_back, path), "{} at {} without {}", pair_there, path, pair_back);
            }
        }
        for (t, path) in there.iter().filter(|(t, _)| t == "PACKAGE_CHANGED" || t == "FIELD_SCALAR_KIND_CHANGED" || t == "FIELD_KIND_CHANGED") {
            // Oneof membership may differ between the sides, so the oneof segment may too.
            let tail = path.rsplit('/').next().unwrap();
            prop_assert!(
                back.iter().any(|(bt, bp)| bt == t && bp.rsplit('/').next() == Some(tail)),
                "{} at {} not symmetric", t, path
            );
        }
    }

    #[test]
    fn adding_an_optional_field_is_backward_and_forward_compatible((text, old) in generated()) {
        // A new field with an unused tag in the first message.
        let new_text = text.replacen("message M0 {\n", "message M0 {\n  optional string added_field = 99;\n", 1);
        let new = parse(&new_text);
        prop_assert!(check(CompatibilityLevel::Full, &old, &new).is_empty());
    }
}
