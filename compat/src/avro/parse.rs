//! JSON → [`Parsed`], with the validation Java's `Schema.Parser` performs (names, duplicate
//! definitions, unions, enum defaults, fixed sizes) and, on request, Java's default-value
//! validation.

use super::model::{Field, NamedBody, NamedType, Parsed, Primitive, Props, Schema, Tag};
use super::names::{validate_identifier, Name};
use crate::footprint::JsonShape;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Deepest nesting of schema constructs accepted (serde_json itself stops at 128).
pub(crate) const MAX_DEPTH: usize = 100;

/// Attributes that are not custom properties on a named or complex type.
const SCHEMA_RESERVED: &[&str] = &[
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
const FIELD_RESERVED: &[&str] = &["default", "doc", "name", "order", "type", "aliases"];

pub(crate) struct Parser {
    types: Vec<NamedType>,
    by_name: HashMap<String, usize>,
    /// The texts parsed so far: their bytes and shape (what the parse keeps is estimated
    /// from them, `crate::footprint::avro`).
    pub(super) input_bytes: usize,
    pub(super) input_shape: JsonShape,
}

fn json(v: &Value) -> String {
    v.to_string()
}

fn text<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

impl Parser {
    pub(super) fn new() -> Self {
        Parser {
            types: Vec::new(),
            by_name: HashMap::new(),
            input_bytes: 0,
            input_shape: JsonShape::default(),
        }
    }

    /// Parse one schema text into the shared name table. With `validate_defaults`, the
    /// defaults of every field defined by this text are checked afterwards.
    pub(super) fn parse_text(
        &mut self,
        text: &str,
        validate_defaults: bool,
    ) -> Result<Schema, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        self.input_bytes += text.len();
        self.input_shape.add(&value);
        let first_new = self.types.len();
        let root = self.parse(&value, None, 0)?;
        if validate_defaults {
            self.validate_defaults(first_new)?;
        }
        Ok(root)
    }

    pub(super) fn finish(self, root: Schema, reference_types: usize) -> Parsed {
        Parsed {
            types: self.types,
            reference_types,
            root,
        }
    }

    pub(super) fn type_count(&self) -> usize {
        self.types.len()
    }

    /// Look a type name up the way Java's `Names.get` does: primitive, then the name in the
    /// enclosing namespace, then the name without namespace.
    fn resolve(&self, raw: &str, space: Option<&str>) -> Option<Schema> {
        if let Some(p) = Primitive::from_name(raw) {
            return Some(Schema::Primitive(p, Vec::new()));
        }
        let full = Name::split(raw, space).full();
        self.by_name
            .get(&full)
            .or_else(|| self.by_name.get(raw))
            .map(|&i| Schema::Named(i))
    }

    fn parse(&mut self, v: &Value, space: Option<&str>, depth: usize) -> Result<Schema, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "Schema is nested more than {MAX_DEPTH} levels deep"
            ));
        }
        match v {
            Value::String(s) => self
                .resolve(s, space)
                .ok_or_else(|| format!("Undefined name: {}", json(v))),
            Value::Object(m) => self.parse_object(m, v, space, depth),
            Value::Array(branches) => self.parse_union(branches, v, space, depth),
            _ => Err(format!("Schema not yet supported: {}", json(v))),
        }
    }

    fn parse_union(
        &mut self,
        branches: &[Value],
        v: &Value,
        space: Option<&str>,
        depth: usize,
    ) -> Result<Schema, String> {
        let mut types = Vec::with_capacity(branches.len());
        let mut seen: Vec<String> = Vec::new();
        for branch in branches {
            let schema = self.parse(branch, space, depth + 1)?;
            let key = match &schema {
                Schema::Union(_) => return Err(format!("Nested union: {}", json(v))),
                Schema::Named(i) => self.types[*i].name.full(),
                other => self.tag_of(other).lower_name().to_string(),
            };
            if seen.contains(&key) {
                return Err(format!("Duplicate in union:{key}"));
            }
            seen.push(key);
            types.push(schema);
        }
        Ok(Schema::Union(types))
    }

    fn tag_of(&self, schema: &Schema) -> Tag {
        match schema {
            Schema::Primitive(p, _) => Tag::Prim(*p),
            Schema::Array(..) => Tag::Array,
            Schema::Map(..) => Tag::Map,
            Schema::Union(_) => Tag::Union,
            Schema::Named(_) => Tag::Record,
        }
    }

    fn parse_object(
        &mut self,
        m: &Map<String, Value>,
        v: &Value,
        space: Option<&str>,
        depth: usize,
    ) -> Result<Schema, String> {
        let type_name = match m.get("type") {
            Some(Value::String(t)) => t.as_str(),
            // `{"type": {...}}` / `{"type": [...]}`: the inner schema is the schema.
            Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                return self.parse(inner, space, depth + 1)
            }
            _ => return Err(format!("No type: {}", json(v))),
        };
        if let Some(p) = Primitive::from_name(type_name) {
            return Ok(Schema::Primitive(p, props(m, SCHEMA_RESERVED)));
        }
        match type_name {
            "record" | "error" | "enum" | "fixed" => {}
            "array" => {
                let items = m
                    .get("items")
                    .ok_or_else(|| format!("Array has no items type: {}", json(v)))?;
                let items = self.parse(items, space, depth + 1)?;
                return Ok(Schema::Array(Box::new(items), props(m, SCHEMA_RESERVED)));
            }
            "map" => {
                let values = m
                    .get("values")
                    .ok_or_else(|| format!("Map has no values type: {}", json(v)))?;
                let values = self.parse(values, space, depth + 1)?;
                return Ok(Schema::Map(Box::new(values), props(m, SCHEMA_RESERVED)));
            }
            other => {
                // Newer Java accepts `{"type": "SomeNamedType"}` as a reference.
                return match self.resolve(other, space) {
                    Some(schema @ Schema::Named(_)) => Ok(schema),
                    _ => Err(format!("Type not supported: {other}")),
                };
            }
        }

        // A named type.
        let declared_space = text(m, "namespace").or(space);
        let raw_name = text(m, "name").ok_or_else(|| format!("No name in schema: {}", json(v)))?;
        let name = Name::parse(raw_name, declared_space)?;
        let full = name.full();
        if Primitive::from_name(&full).is_some() {
            return Err(format!("Schemas may not be named after primitives: {full}"));
        }
        if self.by_name.contains_key(&full) {
            return Err(format!("Can't redefine: {full}"));
        }
        // Java only changes the default namespace when the type has one.
        let child_space: Option<String> = name.space.clone().or_else(|| space.map(str::to_string));
        let doc = text(m, "doc").map(str::to_string);
        let reserved_enum: Vec<&str> = SCHEMA_RESERVED
            .iter()
            .copied()
            .chain(std::iter::once("default"))
            .collect();

        let body = match type_name {
            "enum" => {
                let symbols = match m.get("symbols") {
                    Some(Value::Array(s)) => s,
                    _ => return Err(format!("Enum has no symbols: {}", json(v))),
                };
                let mut list: Vec<String> = Vec::with_capacity(symbols.len());
                for s in symbols {
                    let s = s
                        .as_str()
                        .ok_or_else(|| format!("Enum symbol is not a string: {}", json(s)))?;
                    validate_identifier(s)?;
                    if list.iter().any(|x| x == s) {
                        return Err(format!("Duplicate enum symbol: {s}"));
                    }
                    list.push(s.to_string());
                }
                let default = match m.get("default") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(d)) => {
                        if !list.contains(d) {
                            return Err(format!(
                                "The Enum Default: {d} is not in the enum symbol set: [{}]",
                                list.join(", ")
                            ));
                        }
                        Some(d.clone())
                    }
                    Some(other) => {
                        return Err(format!("Enum default is not a string: {}", json(other)))
                    }
                };
                NamedBody::Enum {
                    symbols: list,
                    default,
                }
            }
            "fixed" => {
                let size = match m.get("size") {
                    Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(0),
                    _ => return Err(format!("Invalid or no size: {}", json(v))),
                };
                if size < 0 || size > i64::from(i32::MAX) {
                    return Err(format!("Invalid fixed size: {size}"));
                }
                NamedBody::Fixed { size: size as u64 }
            }
            _ => NamedBody::Record {
                error: type_name == "error",
                fields: Vec::new(),
            },
        };
        let is_record = matches!(body, NamedBody::Record { .. });
        let index = self.types.len();
        let type_props = if type_name == "enum" {
            props(m, &reserved_enum)
        } else {
            props(m, SCHEMA_RESERVED)
        };
        self.types.push(NamedType {
            name: name.clone(),
            aliases: Vec::new(),
            doc,
            props: type_props,
            body,
        });
        self.by_name.insert(full.clone(), index);

        if is_record {
            let fields_json = match m.get("fields") {
                Some(Value::Array(f)) => f,
                _ => return Err(format!("Record has no fields: {}", json(v))),
            };
            let mut fields: Vec<Field> = Vec::with_capacity(fields_json.len());
            for fv in fields_json {
                let field = self.parse_field(fv, child_space.as_deref(), depth)?;
                if fields.iter().any(|f| f.name == field.name) {
                    return Err(format!("Duplicate field {} in record {full}", field.name));
                }
                fields.push(field);
            }
            if let NamedBody::Record { fields: slot, .. } = &mut self.types[index].body {
                *slot = fields;
            }
        }

        let aliases = parse_aliases(m, v)?;
        let mut alias_names: Vec<Name> = Vec::new();
        for alias in aliases {
            let alias = Name::parse(&alias, name.space.as_deref())?;
            if !alias_names.contains(&alias) {
                alias_names.push(alias);
            }
        }
        self.types[index].aliases = alias_names;
        Ok(Schema::Named(index))
    }

    fn parse_field(
        &mut self,
        fv: &Value,
        space: Option<&str>,
        depth: usize,
    ) -> Result<Field, String> {
        let Value::Object(f) = fv else {
            return Err(format!("No field name: {}", json(fv)));
        };
        let name = text(f, "name").ok_or_else(|| format!("No field name: {}", json(fv)))?;
        validate_identifier(name)?;
        let type_json = f
            .get("type")
            .ok_or_else(|| format!("No field type: {}", json(fv)))?;
        if let Value::String(t) = type_json {
            if self.resolve(t, space).is_none() {
                return Err(format!(
                    "{} is not a defined name. The type of the \"{name}\" field must be a \
                     defined name or a {{\"type\": ...}} expression.",
                    json(type_json)
                ));
            }
        }
        let ty = self.parse(type_json, space, depth + 1)?;
        let order = match f.get("order") {
            None => None,
            Some(Value::String(o)) => match o.to_ascii_lowercase().as_str() {
                "ascending" => None,
                "descending" => Some("descending"),
                "ignore" => Some("ignore"),
                _ => return Err(format!("Invalid field order: {o}")),
            },
            Some(other) => return Err(format!("Invalid field order: {}", json(other))),
        };
        let aliases = parse_aliases(f, fv)?;
        let mut field_aliases: Vec<String> = Vec::new();
        for a in aliases {
            if !field_aliases.contains(&a) {
                field_aliases.push(a);
            }
        }
        let default = match (f.get("default"), &ty) {
            (
                Some(Value::String(s)),
                Schema::Primitive(Primitive::Float | Primitive::Double, _),
            ) => Some(float_default(s)?),
            (d, _) => d.cloned(),
        };
        Ok(Field {
            name: name.to_string(),
            ty,
            doc: text(f, "doc").map(str::to_string),
            default,
            order,
            aliases: field_aliases,
            props: props(f, FIELD_RESERVED),
        })
    }

    fn validate_defaults(&self, first_new: usize) -> Result<(), String> {
        for t in &self.types[first_new..] {
            if let NamedBody::Record { fields, .. } = &t.body {
                for f in fields {
                    if let Some(d) = &f.default {
                        if !self.is_valid_default(&f.ty, d, 0) {
                            let parsed = Parsed {
                                types: self.types.clone(),
                                reference_types: 0,
                                root: f.ty.clone(),
                            };
                            let ty =
                                super::canonical::write(&parsed, super::canonical::Mode::Resolved);
                            return Err(format!(
                                "Invalid default for field {}: {} not a {ty}",
                                f.name,
                                json(d)
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Java's `isValidDefault`: unions are checked against their first branch, records as
    /// objects whose missing fields fall back to the field defaults.
    fn is_valid_default(&self, schema: &Schema, value: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match schema {
            Schema::Primitive(p, _) => match p {
                Primitive::Null => value.is_null(),
                Primitive::Boolean => value.is_boolean(),
                Primitive::Int => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                Primitive::Long => value.is_i64(),
                Primitive::Float | Primitive::Double => {
                    value.is_number()
                        || matches!(value.as_str(), Some("NaN" | "Infinity" | "-Infinity"))
                }
                Primitive::Bytes | Primitive::String => value.is_string(),
            },
            Schema::Array(items, _) => value
                .as_array()
                .is_some_and(|a| a.iter().all(|e| self.is_valid_default(items, e, depth + 1))),
            Schema::Map(values, _) => value.as_object().is_some_and(|o| {
                o.values()
                    .all(|e| self.is_valid_default(values, e, depth + 1))
            }),
            Schema::Union(branches) => branches
                .first()
                .is_some_and(|b| self.is_valid_default(b, value, depth + 1)),
            Schema::Named(i) => match &self.types[*i].body {
                NamedBody::Enum { .. } | NamedBody::Fixed { .. } => value.is_string(),
                NamedBody::Record { fields, .. } => {
                    let Some(obj) = value.as_object() else {
                        return false;
                    };
                    fields
                        .iter()
                        .all(|f| match obj.get(&f.name).or(f.default.as_ref()) {
                            Some(v) => self.is_valid_default(&f.ty, v, depth + 1),
                            None => false,
                        })
                }
            },
        }
    }
}

/// Java turns a textual default of a float/double field into a double (`Double.valueOf`),
/// whether or not defaults are validated; NaN and the infinities stay strings in JSON.
fn float_default(s: &str) -> Result<Value, String> {
    let t = s.trim();
    match t {
        "NaN" => return Ok(Value::String("NaN".to_string())),
        "Infinity" | "+Infinity" => return Ok(Value::String("Infinity".to_string())),
        "-Infinity" => return Ok(Value::String("-Infinity".to_string())),
        _ => {}
    }
    let is_decimal = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    t.parse::<f64>()
        .ok()
        .filter(|_| is_decimal)
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| format!("For input string: \"{s}\""))
}

fn props(m: &Map<String, Value>, reserved: &[&str]) -> Props {
    m.iter()
        .filter(|(k, _)| !reserved.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn parse_aliases(m: &Map<String, Value>, v: &Value) -> Result<Vec<String>, String> {
    match m.get("aliases") {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("alias not a string: {}", json(x)))
            })
            .collect(),
        Some(_) => Err(format!("aliases not an array: {}", json(v))),
    }
}
