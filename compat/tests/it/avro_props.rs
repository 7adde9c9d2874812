//! Property tests over generated Avro schemas.

use proptest::prelude::*;
use schemata_compat::{
    check_compatibility, incompatibilities, CompatibilityLevel, ParseOptions, ParsedSchema, Roles,
    SchemaType,
};
use serde_json::{json, Value};

/// A schema shape; names are assigned when it is turned into JSON so they are unique.
#[derive(Debug, Clone)]
enum Shape {
    Prim(&'static str, Option<&'static str>),
    Array(Box<Shape>),
    Map(Box<Shape>),
    Nullable(Box<Shape>),
    Record(Vec<(Shape, bool)>),
    Enum(usize, bool),
    Fixed(u8),
}

const PRIMS: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        (0..PRIMS.len()).prop_map(|i| Shape::Prim(PRIMS[i], None)),
        Just(Shape::Prim("long", Some("timestamp-millis"))),
        Just(Shape::Prim("string", Some("uuid"))),
        (1usize..4, any::<bool>()).prop_map(|(n, d)| Shape::Enum(n, d)),
        (0u8..20).prop_map(Shape::Fixed),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| Shape::Array(Box::new(s))),
            inner.clone().prop_map(|s| Shape::Map(Box::new(s))),
            inner.clone().prop_map(|s| Shape::Nullable(Box::new(s))),
            prop::collection::vec((inner, any::<bool>()), 0..4).prop_map(Shape::Record),
        ]
    })
}

struct Namer {
    next: usize,
    namespace: bool,
}

impl Namer {
    fn name(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    /// `["null", T]`, with nested nullables flattened and `null` itself made a string.
    fn nullable(&mut self, s: &Shape) -> Value {
        let mut inner = s;
        while let Shape::Nullable(i) = inner {
            inner = i;
        }
        match inner {
            Shape::Prim("null", _) => json!(["null", "string"]),
            other => json!(["null", self.json(other)]),
        }
    }

    fn json(&mut self, s: &Shape) -> Value {
        match s {
            Shape::Prim(p, None) => json!(p),
            Shape::Prim(p, Some(l)) => json!({"type": p, "logicalType": l}),
            Shape::Array(i) => json!({"type": "array", "items": self.json(i)}),
            Shape::Map(v) => json!({"type": "map", "values": self.json(v)}),
            Shape::Nullable(i) => self.nullable(i),
            Shape::Enum(n, with_default) => {
                let symbols: Vec<String> = (0..*n).map(|i| format!("S{i}")).collect();
                let mut e = json!({"type": "enum", "name": self.name("E"), "symbols": symbols});
                if *with_default {
                    e["default"] = json!("S0");
                }
                e
            }
            Shape::Fixed(size) => json!({"type": "fixed", "name": self.name("F"), "size": size}),
            Shape::Record(fields) => {
                let name = self.name("R");
                let fields: Vec<Value> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, (f, nullable_default))| {
                        if *nullable_default {
                            let ty = self.nullable(f);
                            json!({"name": format!("f{i}"), "type": ty, "default": null, "doc": "d"})
                        } else {
                            json!({"name": format!("f{i}"), "type": self.json(f)})
                        }
                    })
                    .collect();
                let mut r = json!({"type": "record", "name": name, "fields": fields});
                if self.namespace {
                    r["namespace"] = json!("gen.ns");
                }
                r
            }
        }
    }
}

fn to_json(s: &Shape, namespace: bool) -> Value {
    Namer { next: 0, namespace }.json(s)
}

fn parse(v: &Value, normalize: bool) -> ParsedSchema {
    ParsedSchema::parse(
        SchemaType::Avro,
        &v.to_string(),
        &[],
        ParseOptions {
            validate: true,
            normalize,
        },
    )
    .unwrap_or_else(|e| panic!("{e}: {v}"))
}

fn record_of(s: &Shape) -> Shape {
    match s {
        Shape::Record(_) => s.clone(),
        other => Shape::Record(vec![(other.clone(), false)]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: crate::regressions_beside_source(),
        ..ProptestConfig::default()
    })]

    #[test]
    fn schema_is_compatible_with_itself_at_every_level(s in shape(), ns in any::<bool>()) {
        let a = parse(&to_json(&s, ns), false);
        let b = parse(&to_json(&s, ns), false);
        for level in CompatibilityLevel::ALL {
            prop_assert!(check_compatibility(level, &a, &[&b]).is_ok(), "{level}: {}", a.canonical());
        }
    }

    #[test]
    fn canonical_text_is_a_fixed_point(s in shape(), ns in any::<bool>()) {
        let v = to_json(&s, ns);
        for normalize in [false, true] {
            let first = parse(&v, normalize);
            let again: Value = serde_json::from_str(first.canonical()).unwrap();
            let second = parse(&again, normalize);
            prop_assert_eq!(first.canonical(), second.canonical());
        }
    }

    #[test]
    fn canonical_and_normalized_forms_compare_as_the_original(s in shape(), ns in any::<bool>()) {
        let v = to_json(&s, ns);
        let orig = parse(&v, false);
        let norm = parse(&v, true);
        prop_assert!(incompatibilities(&orig, &norm, Roles::BACKWARD).is_empty());
        prop_assert!(incompatibilities(&norm, &orig, Roles::BACKWARD).is_empty());
    }

    #[test]
    fn full_is_backward_and_forward(a in shape(), b in shape()) {
        let (a, b) = (parse(&to_json(&a, false), false), parse(&to_json(&b, false), false));
        let backward = incompatibilities(&a, &b, Roles::BACKWARD).is_empty();
        let forward = incompatibilities(&b, &a, Roles::FORWARD).is_empty();
        let full = CompatibilityLevel::Full.check_pair(&a, &b).is_empty();
        prop_assert_eq!(full, backward && forward);
        let backward_level = check_compatibility(CompatibilityLevel::Backward, &a, &[&b]).is_ok();
        let forward_level = check_compatibility(CompatibilityLevel::Forward, &a, &[&b]).is_ok();
        prop_assert_eq!(backward_level, backward);
        prop_assert_eq!(forward_level, forward);
    }

    #[test]
    fn adding_an_optional_field_with_default_is_backward_and_forward_compatible(
        s in shape(),
        extra in shape(),
        ns in any::<bool>(),
    ) {
        let old_json = to_json(&record_of(&s), ns);
        let mut new_json = old_json.clone();
        // The extra field's named types must not clash with the record's own names.
        let mut namer = Namer { next: 1000, namespace: ns };
        let extra_type = match namer.json(&extra) {
            Value::Array(mut branches) => {
                branches.retain(|b| b != "null");
                branches.insert(0, json!("null"));
                Value::Array(branches)
            }
            Value::String(p) if p == "null" => json!("null"),
            other => json!(["null", other]),
        };
        new_json["fields"].as_array_mut().unwrap().push(
            json!({"name": "added_later", "type": extra_type, "default": null}),
        );
        let old = parse(&old_json, false);
        let new = parse(&new_json, false);
        prop_assert!(incompatibilities(&new, &old, Roles::BACKWARD).is_empty(), "{}", new.canonical());
        prop_assert!(incompatibilities(&old, &new, Roles::FORWARD).is_empty(), "{}", new.canonical());
        prop_assert!(CompatibilityLevel::Full.check_pair(&new, &old).is_empty());
    }
}
