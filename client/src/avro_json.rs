//! JSON to an Avro value, along the schema, for people typing records: an error names the
//! field's path and what the schema expects there (`$.items[2].amount: expected double, got
//! string "abc"`), and both the plain JSON a person writes and Avro's own JSON encoding (a
//! union branch as `{"type": value}`, as `kafka-avro-console-producer` takes it) are read.
//!
//! Plain JSON picks a union's first branch that fits; the wrapped form picks the branch it
//! names (by type name, or a named type's full or short name). `bytes` and `fixed` are
//! strings of code points 0–255, one a byte (Avro's JSON encoding); decimals are JSON
//! numbers or numeric strings; a missing record field takes its default.

use crate::avro::AvroSchemas;
use crate::error::{Error, Result};
use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Name, RecordSchema, ResolvedSchema, UnionSchema, UuidSchema,
};
use apache_avro::types::Value;
use apache_avro::{Decimal, Duration, Schema, Uuid};
use serde_json::Value as Json;
use std::collections::HashMap;

/// Convert `json` to a value of `schemas.root`.
pub(crate) fn json_to_avro(json: &Json, schemas: &AvroSchemas) -> Result<Value> {
    let all: Vec<&Schema> = schemas.references.iter().chain([&schemas.root]).collect();
    let resolved =
        ResolvedSchema::try_from(all).map_err(|e| Error::InvalidSchema(e.to_string()))?;
    let converter = Converter {
        names: resolved.get_names(),
    };
    converter
        .convert(json, &schemas.root, &mut String::from("$"))
        .map_err(Error::Validation)
}

struct Converter<'a> {
    names: &'a HashMap<Name, &'a Schema>,
}

type Converted = std::result::Result<Value, String>;

impl Converter<'_> {
    /// `path` is where `json` sits (`$.a.b[3]`); it is restored before returning.
    fn convert(&self, json: &Json, schema: &Schema, path: &mut String) -> Converted {
        let wrong = |expected: &str| Err(mismatch(path, expected, json));
        match schema {
            Schema::Null => match json {
                Json::Null => Ok(Value::Null),
                _ => wrong("null"),
            },
            Schema::Boolean => json
                .as_bool()
                .map(Value::Boolean)
                .map_or(wrong("boolean"), Ok),
            Schema::Int => int(json).map(Value::Int).map_or(wrong("int"), Ok),
            Schema::Long => json.as_i64().map(Value::Long).map_or(wrong("long"), Ok),
            Schema::Float => number(json)
                .map(|n| Value::Float(n as f32))
                .map_or(wrong("float"), Ok),
            Schema::Double => number(json).map(Value::Double).map_or(wrong("double"), Ok),
            Schema::String => match json {
                Json::String(s) => Ok(Value::String(s.clone())),
                _ => wrong("string"),
            },
            Schema::Bytes => latin1(json).map(Value::Bytes).map_or(wrong("bytes"), Ok),
            Schema::Fixed(fixed) => match latin1(json) {
                Some(bytes) if bytes.len() == fixed.size => Ok(Value::Fixed(fixed.size, bytes)),
                _ => wrong(&format!("fixed {} of {} bytes", fixed.name, fixed.size)),
            },
            Schema::Enum(e) => match json {
                Json::String(s) if e.symbols.contains(s) => {
                    let index = e.symbols.iter().position(|x| x == s).unwrap_or(0);
                    Ok(Value::Enum(index as u32, s.clone()))
                }
                _ => wrong(&format!(
                    "one of the symbols {:?} of enum {}",
                    e.symbols, e.name
                )),
            },
            Schema::Array(array) => {
                let Json::Array(items) = json else {
                    return wrong("array");
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let mark = path.len();
                    path.push_str(&format!("[{i}]"));
                    let value = self.convert(item, &array.items, path);
                    path.truncate(mark);
                    out.push(value?);
                }
                Ok(Value::Array(out))
            }
            Schema::Map(map) => {
                let Json::Object(entries) = json else {
                    return wrong("map (a JSON object)");
                };
                let mut out = HashMap::with_capacity(entries.len());
                for (key, item) in entries {
                    let mark = path.len();
                    push_key(path, key);
                    let value = self.convert(item, &map.types, path);
                    path.truncate(mark);
                    out.insert(key.clone(), value?);
                }
                Ok(Value::Map(out))
            }
            Schema::Record(record) => self.record(json, record, path),
            Schema::Union(union) => self.union(json, union, path),
            Schema::Ref { name } => match self.names.get(name) {
                Some(named) => self.convert(json, named, path),
                None => Err(format!(
                    "{path}: the schema names {name}, which it does not define"
                )),
            },
            Schema::Decimal(decimal) => self.decimal(json, decimal, path),
            Schema::Uuid(UuidSchema::String) => match json.as_str().map(Uuid::parse_str) {
                Some(Ok(uuid)) => Ok(Value::Uuid(uuid)),
                _ => wrong("uuid (a string like 123e4567-e89b-12d3-a456-426614174000)"),
            },
            Schema::Uuid(_) => match latin1(json) {
                Some(bytes) if bytes.len() == 16 => Ok(Value::Uuid(
                    Uuid::from_slice(&bytes).map_err(|e| e.to_string())?,
                )),
                _ => wrong("uuid (16 bytes)"),
            },
            Schema::Date => int(json)
                .map(Value::Date)
                .map_or(wrong("date (days since 1970-01-01)"), Ok),
            Schema::TimeMillis => int(json)
                .map(Value::TimeMillis)
                .map_or(wrong("time-millis"), Ok),
            Schema::TimeMicros => json
                .as_i64()
                .map(Value::TimeMicros)
                .map_or(wrong("time-micros"), Ok),
            Schema::TimestampMillis => json
                .as_i64()
                .map(Value::TimestampMillis)
                .map_or(wrong("timestamp-millis"), Ok),
            Schema::TimestampMicros => json
                .as_i64()
                .map(Value::TimestampMicros)
                .map_or(wrong("timestamp-micros"), Ok),
            Schema::TimestampNanos => json
                .as_i64()
                .map(Value::TimestampNanos)
                .map_or(wrong("timestamp-nanos"), Ok),
            Schema::LocalTimestampMillis => json
                .as_i64()
                .map(Value::LocalTimestampMillis)
                .map_or(wrong("local-timestamp-millis"), Ok),
            Schema::LocalTimestampMicros => json
                .as_i64()
                .map(Value::LocalTimestampMicros)
                .map_or(wrong("local-timestamp-micros"), Ok),
            Schema::LocalTimestampNanos => json
                .as_i64()
                .map(Value::LocalTimestampNanos)
                .map_or(wrong("local-timestamp-nanos"), Ok),
            Schema::Duration(_) => match latin1(json).map(<[u8; 12]>::try_from) {
                Some(Ok(bytes)) => Ok(Value::Duration(Duration::from(bytes))),
                _ => wrong("duration (12 bytes)"),
            },
            Schema::BigDecimal => Err(format!(
                "{path}: big-decimal values cannot be given as JSON here"
            )),
        }
    }

    fn record(&self, json: &Json, record: &RecordSchema, path: &mut String) -> Converted {
        let Json::Object(given) = json else {
            return Err(mismatch(
                path,
                &format!("record {} (a JSON object)", record.name),
                json,
            ));
        };
        if let Some(unknown) = given.keys().find(|k| !record.lookup.contains_key(*k)) {
            let fields: Vec<&str> = record.fields.iter().map(|f| f.name.as_str()).collect();
            return Err(format!(
                "{path}: record {} has no field {unknown:?} (its fields: {})",
                record.name,
                fields.join(", ")
            ));
        }
        let mut out = Vec::with_capacity(record.fields.len());
        for field in &record.fields {
            let mark = path.len();
            push_key(path, &field.name);
            let value = match (given.get(&field.name), &field.default) {
                (Some(value), _) => self.convert(value, &field.schema, path),
                // A default is in Avro's JSON encoding of the field's type; for a union, of
                // its first branch.
                (None, Some(default)) => match &field.schema {
                    Schema::Union(union) if !union.variants().is_empty() => self
                        .convert(default, &union.variants()[0], path)
                        .map(|v| Value::Union(0, Box::new(v))),
                    schema => self.convert(default, schema, path),
                },
                (None, None) => Err(format!(
                    "{path}: missing, and the field has no default (expected {})",
                    type_name(&field.schema)
                )),
            };
            path.truncate(mark);
            out.push((field.name.clone(), value?));
        }
        Ok(Value::Record(out))
    }

    fn union(&self, json: &Json, union: &UnionSchema, path: &mut String) -> Converted {
        let branches = union.variants();
        // Avro's JSON encoding: {"<branch type name>": value}.
        if let Json::Object(wrapped) = json {
            if wrapped.len() == 1 {
                let (name, inner) = wrapped.iter().next().expect("one entry");
                if let Some(index) = self.branch_named(branches, name) {
                    let mark = path.len();
                    path.push_str(&format!("<{name}>"));
                    let value = self.convert(inner, &branches[index], path);
                    path.truncate(mark);
                    return value.map(|v| Value::Union(index as u32, Box::new(v)));
                }
            }
        }
        for (index, branch) in branches.iter().enumerate() {
            if let Ok(value) = self.convert(json, branch, path) {
                return Ok(Value::Union(index as u32, Box::new(value)));
            }
        }
        let names: Vec<String> = branches.iter().map(|b| self.branch_name(b)).collect();
        // One branch besides null: its own error says what is wrong inside it.
        let not_null: Vec<&Schema> = branches.iter().filter(|b| **b != Schema::Null).collect();
        if let ([only], false) = (not_null.as_slice(), json.is_null()) {
            self.convert(json, only, path)?;
        }
        Err(mismatch(
            path,
            &format!("one of the union's branches [{}]", names.join(", ")),
            json,
        ))
    }

    /// The branch `name` selects: a type name, or a named type's full or short name.
    fn branch_named(&self, branches: &[Schema], name: &str) -> Option<usize> {
        let full = branches.iter().position(|b| self.branch_name(b) == name);
        full.or_else(|| {
            let short: Vec<usize> = (0..branches.len())
                .filter(|i| {
                    let branch = self.branch_name(&branches[*i]);
                    branch.rsplit('.').next() == Some(name)
                })
                .collect();
            (short.len() == 1).then(|| short[0])
        })
    }

    /// The name Avro's JSON encoding gives a union branch of this type.
    fn branch_name(&self, schema: &Schema) -> String {
        match schema {
            Schema::Ref { name } => name.fullname(None),
            Schema::Record(r) => r.name.fullname(None),
            Schema::Enum(e) => e.name.fullname(None),
            Schema::Fixed(f) | Schema::Duration(f) => f.name.fullname(None),
            Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Fixed(f),
                ..
            }) => f.name.fullname(None),
            other => type_name(other).to_string(),
        }
    }

    fn decimal(&self, json: &Json, decimal: &DecimalSchema, path: &mut String) -> Converted {
        let expected = format!(
            "decimal({}, {}) (a number, or a numeric string)",
            decimal.precision, decimal.scale
        );
        let text = match json {
            Json::Number(n) => n.to_string(),
            // A string that is not a number is Avro's JSON encoding of the bytes.
            Json::String(s) if unscaled(s, decimal.scale).is_none() && !looks_numeric(s) => {
                return match latin1(json) {
                    Some(bytes) => Ok(Value::Decimal(Decimal::from(bytes))),
                    None => Err(mismatch(path, &expected, json)),
                };
            }
            Json::String(s) => s.clone(),
            _ => return Err(mismatch(path, &expected, json)),
        };
        let unscaled = unscaled(&text, decimal.scale).ok_or_else(|| {
            format!(
                "{path}: {text:?} is not a decimal with at most {} digits after the point",
                decimal.scale
            )
        })?;
        let digits = unscaled.unsigned_abs().to_string().len();
        if digits > decimal.precision {
            return Err(format!(
                "{path}: {text} has more than the {} digits of decimal({}, {})",
                decimal.precision, decimal.precision, decimal.scale
            ));
        }
        let bytes = twos_complement(unscaled);
        if let InnerDecimalSchema::Fixed(fixed) = &decimal.inner {
            if bytes.len() > fixed.size {
                return Err(format!(
                    "{path}: {text} does not fit in {} bytes",
                    fixed.size
                ));
            }
        }
        Ok(Value::Decimal(Decimal::from(bytes)))
    }
}

/// The type's name as a person reads it in an error, and as Avro's JSON encoding names an
/// unnamed union branch (logical types by their underlying type).
fn type_name(schema: &Schema) -> &'static str {
    match schema {
        Schema::Null => "null",
        Schema::Boolean => "boolean",
        Schema::Int | Schema::Date | Schema::TimeMillis => "int",
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => "long",
        Schema::Float => "float",
        Schema::Double => "double",
        Schema::Bytes | Schema::BigDecimal | Schema::Uuid(UuidSchema::Bytes) => "bytes",
        Schema::Decimal(DecimalSchema {
            inner: InnerDecimalSchema::Bytes,
            ..
        }) => "bytes",
        Schema::String | Schema::Uuid(UuidSchema::String) => "string",
        Schema::Array(_) => "array",
        Schema::Map(_) => "map",
        Schema::Union(_) => "union",
        Schema::Record(_) | Schema::Ref { .. } => "record",
        Schema::Enum(_) => "enum",
        Schema::Fixed(_) | Schema::Duration(_) | Schema::Decimal(_) | Schema::Uuid(_) => "fixed",
    }
}

fn mismatch(path: &str, expected: &str, got: &Json) -> String {
    let got = match got {
        Json::Null => "null".to_string(),
        Json::Bool(b) => format!("boolean {b}"),
        Json::Number(n) => format!("number {n}"),
        Json::String(s) if s.chars().count() > 40 => {
            format!("string {:?}…", s.chars().take(40).collect::<String>())
        }
        Json::String(s) => format!("string {s:?}"),
        Json::Array(a) => format!("an array of {}", a.len()),
        Json::Object(_) => "an object".to_string(),
    };
    format!("{path}: expected {expected}, got {got}")
}

/// `.name`, or `["name"]` when the name is not a plain identifier.
fn push_key(path: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{key:?}]"));
    }
}

fn int(json: &Json) -> Option<i32> {
    json.as_i64().and_then(|n| i32::try_from(n).ok())
}

fn number(json: &Json) -> Option<f64> {
    json.as_f64()
}

/// Avro's JSON encoding of bytes: each code point 0–255 is one byte.
fn latin1(json: &Json) -> Option<Vec<u8>> {
    json.as_str()?
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// Whether a string is meant as a number (digits, a sign, a point, an exponent).
fn looks_numeric(s: &str) -> bool {
    !s.is_empty()
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
}

/// The unscaled integer of a decimal text at `scale` digits after the point: `"12.5"` at
/// scale 2 is 1250. `None` if it is not a plain decimal or has more digits after the point.
fn unscaled(text: &str, scale: usize) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > scale {
        return None;
    }
    let padded = format!("{whole}{fraction}{}", "0".repeat(scale - fraction.len()));
    let magnitude: i128 = padded.parse().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// The shortest big-endian two's complement bytes of `n`.
fn twos_complement(n: i128) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let fill = if n < 0 { 0xff } else { 0x00 };
    let mut start = 0;
    // Drop a leading byte while the next one keeps the sign.
    while start < bytes.len() - 1
        && bytes[start] == fill
        && (bytes[start + 1] & 0x80 == fill & 0x80)
    {
        start += 1;
    }
    bytes[start..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas(text: &str) -> AvroSchemas {
        AvroSchemas::parse(text, &[]).unwrap()
    }

    const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
        {"name":"id","type":"long"},
        {"name":"amount","type":"double"},
        {"name":"note","type":["null","string"],"default":null},
        {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]},"default":"NEW"},
        {"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[
            {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}},"default":[]},
        {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2},"default":"\u0000"}
    ]}"#;

    fn error(json: Json, text: &str) -> String {
        match json_to_avro(&json, &schemas(text)) {
            Err(Error::Validation(message)) => message,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_path_and_the_expected_type() {
        assert_eq!(
            error(json!({"id": 1, "amount": "abc"}), ORDER),
            r#"$.amount: expected double, got string "abc""#
        );
        assert_eq!(
            error(
                json!({"id": 1, "amount": 1, "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": "x"}]}),
                ORDER
            ),
            r#"$.items[1].qty: expected int, got string "x""#
        );
        assert_eq!(
            error(json!({"id": 1, "amount": 1, "status": "GONE"}), ORDER),
            r#"$.status: expected one of the symbols ["NEW", "PAID"] of enum shop.Status, got string "GONE""#
        );
        assert_eq!(
            error(json!({"amount": 1}), ORDER),
            "$.id: missing, and the field has no default (expected long)"
        );
        assert!(
            error(json!({"id": 1, "amount": 1, "amout": 2}), ORDER).starts_with(
                r#"$: record shop.Order has no field "amout" (its fields: id, amount, note"#
            )
        );
        assert_eq!(
            error(json!({"id": 1, "amount": 1, "note": 5}), ORDER),
            "$.note: expected string, got number 5"
        );
    }

    #[test]
    fn plain_json_and_avro_json_unions_give_the_same_value() {
        let s = schemas(ORDER);
        let plain = json_to_avro(&json!({"id": 1, "amount": 2.5, "note": "hi"}), &s).unwrap();
        let wrapped = json_to_avro(
            &json!({"id": 1, "amount": 2.5, "note": {"string": "hi"}}),
            &s,
        )
        .unwrap();
        assert_eq!(plain, wrapped);
        let Value::Record(fields) = &plain else {
            panic!()
        };
        assert_eq!(
            fields[2].1,
            Value::Union(1, Box::new(Value::String("hi".into())))
        );
        // Defaults fill what is missing.
        assert_eq!(fields[3].1, Value::Enum(0, "NEW".into()));
        assert_eq!(fields[4].1, Value::Array(vec![]));
    }

    #[test]
    fn a_wrapped_branch_is_taken_as_named_even_where_another_would_fit_first() {
        let s = schemas(
            r#"["int", "long", {"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":"int"}]}]"#,
        );
        assert_eq!(
            json_to_avro(&json!(5), &s).unwrap(),
            Value::Union(0, Box::new(Value::Int(5)))
        );
        assert_eq!(
            json_to_avro(&json!({"long": 5}), &s).unwrap(),
            Value::Union(1, Box::new(Value::Long(5)))
        );
        let record = Value::Union(
            2,
            Box::new(Value::Record(vec![("a".into(), Value::Int(1))])),
        );
        assert_eq!(json_to_avro(&json!({"n.R": {"a": 1}}), &s).unwrap(), record);
        assert_eq!(json_to_avro(&json!({"R": {"a": 1}}), &s).unwrap(), record);
        assert_eq!(
            error(json!({"long": "x"}), r#"["int", "long"]"#),
            r#"$<long>: expected long, got string "x""#
        );
    }

    #[test]
    fn decimals_are_numbers_scaled_to_the_schema() {
        assert_eq!(unscaled("12.5", 2), Some(1250));
        assert_eq!(unscaled("-0.01", 2), Some(-1));
        assert_eq!(unscaled("1.234", 2), None);
        assert_eq!(unscaled("1e5", 2), None);
        assert_eq!(twos_complement(1250), vec![0x04, 0xe2]);
        assert_eq!(twos_complement(-1), vec![0xff]);
        assert_eq!(twos_complement(128), vec![0x00, 0x80]);
        assert_eq!(twos_complement(-129), vec![0xff, 0x7f]);
        let s = schemas(ORDER);
        let value = json_to_avro(&json!({"id": 1, "amount": 1, "price": 12.5}), &s).unwrap();
        let Value::Record(fields) = value else {
            panic!()
        };
        assert_eq!(fields[5].1, Value::Decimal(Decimal::from(vec![0x04, 0xe2])));
        assert!(
            error(json!({"id": 1, "amount": 1, "price": 12345.67}), ORDER)
                .starts_with("$.price: 12345.67 has more than the 6 digits")
        );
    }

    #[test]
    fn bytes_are_code_points_below_256() {
        let s = schemas(r#""bytes""#);
        assert_eq!(
            json_to_avro(&json!("\u{0}\u{ff}A"), &s).unwrap(),
            Value::Bytes(vec![0, 255, 65])
        );
        assert!(error(json!("\u{100}"), r#""bytes""#).starts_with("$: expected bytes"));
    }
}
