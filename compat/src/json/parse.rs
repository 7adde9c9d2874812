//! Reading schema text: JSON syntax, nesting limit, draft detection, metaschema validation,
//! and the in-memory document set that `$ref`s resolve against (no network, no files).

use crate::{ResolvedReference, SchemaError, SchemaType};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Deepest nesting of subschemas accepted (a schema inside `properties` of a schema is one
/// level deeper). Keeps every recursive walk in this module bounded.
pub const MAX_SUBSCHEMA_DEPTH: usize = 64;

/// Deepest nesting of JSON containers accepted (objects and arrays, schema keywords included).
/// serde_json refuses more than 128 on its own; this is checked explicitly so the limit does
/// not depend on that default.
pub const MAX_JSON_DEPTH: usize = 128;

/// The base URI of a schema without `$id`, the same one the validator uses.
pub(super) const DEFAULT_BASE: &str = "json-schema:///";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Draft {
    D4,
    D6,
    D7,
    D2019,
    D2020,
}

impl Draft {
    pub(super) fn to_jsonschema(self) -> jsonschema::Draft {
        match self {
            Draft::D4 => jsonschema::Draft::Draft4,
            Draft::D6 => jsonschema::Draft::Draft6,
            Draft::D7 => jsonschema::Draft::Draft7,
            Draft::D2019 => jsonschema::Draft::Draft201909,
            Draft::D2020 => jsonschema::Draft::Draft202012,
        }
    }

    pub(super) fn id_keyword(self) -> &'static str {
        if self == Draft::D4 {
            "id"
        } else {
            "$id"
        }
    }
}

/// The draft a schema declares with `$schema`; draft-07 when it declares none (Confluent's
/// default, whereas the `jsonschema` crate would assume 2020-12).
pub(super) fn detect_draft(value: &Value) -> Result<Draft, SchemaError> {
    let Some(declared) = value.as_object().and_then(|o| o.get("$schema")) else {
        return Ok(Draft::D7);
    };
    let Some(uri) = declared.as_str() else {
        return Err(SchemaError::new("$schema must be a string"));
    };
    let trimmed = uri.trim_end_matches('#');
    let trimmed = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .unwrap_or(trimmed);
    match trimmed {
        "json-schema.org/draft-04/schema" => Ok(Draft::D4),
        "json-schema.org/draft-06/schema" => Ok(Draft::D6),
        "json-schema.org/draft-07/schema" => Ok(Draft::D7),
        "json-schema.org/draft/2019-09/schema" => Ok(Draft::D2019),
        "json-schema.org/draft/2020-12/schema" => Ok(Draft::D2020),
        _ => Err(SchemaError::new(format!(
            "unsupported $schema '{uri}': expected draft-04, draft-06, draft-07, 2019-09 or 2020-12"
        ))),
    }
}

/// Parse JSON text into a schema value: syntax, shape (object or boolean) and nesting depth.
pub(super) fn parse_value(text: &str, what: &str) -> Result<Value, SchemaError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.to_string().contains("recursion limit exceeded") {
            SchemaError::new(format!(
                "Invalid JSON Schema{what}: nested more than {MAX_JSON_DEPTH} levels deep (line {}, column {})",
                e.line(),
                e.column()
            ))
        } else {
            SchemaError::new(format!("Invalid JSON Schema{what}: not valid JSON: {e}"))
        }
    })?;
    match value {
        Value::Object(_) | Value::Bool(_) => {}
        _ => {
            return Err(SchemaError::new(format!(
                "Invalid JSON Schema{what}: a schema must be a JSON object or a boolean, found {}",
                kind_name(&value)
            )))
        }
    }
    let depth = json_depth(&value);
    if depth > MAX_JSON_DEPTH {
        return Err(SchemaError::new(format!(
            "Invalid JSON Schema{what}: nested {depth} levels deep, the limit is {MAX_JSON_DEPTH}"
        )));
    }
    Ok(value)
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Nesting depth of containers, computed without recursion.
pub(super) fn json_depth(value: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Object(map) => {
                max = max.max(d + 1);
                stack.extend(map.values().map(|c| (c, d + 1)));
            }
            Value::Array(items) => {
                max = max.max(d + 1);
                stack.extend(items.iter().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    max
}

/// Validate a schema against the metaschema of its draft.
pub(super) fn validate_against_metaschema(
    value: &Value,
    draft: Draft,
    what: &str,
) -> Result<(), SchemaError> {
    let result = match draft {
        Draft::D4 => jsonschema::draft4::meta::validate(value),
        Draft::D6 => jsonschema::draft6::meta::validate(value),
        Draft::D7 => jsonschema::draft7::meta::validate(value),
        Draft::D2019 => jsonschema::draft201909::meta::validate(value),
        Draft::D2020 => jsonschema::draft202012::meta::validate(value),
    };
    result.map_err(|e| {
        let at = e.instance_path().to_string();
        let at = if at.is_empty() { "/".to_string() } else { at };
        SchemaError::new(format!("Invalid JSON Schema{what}: {e} at '#{at}'"))
    })
}

/// Calls `f(segments, child)` for every direct subschema of `value`, where `segments` are the
/// JSON-pointer segments from `value` to the child. Only keyword positions that hold schemas
/// are visited, so `$id`-like strings inside `enum`, `const` or property names are not.
pub(super) fn for_each_subschema<'v>(
    value: &'v Value,
    draft: Draft,
    mut f: impl FnMut(&[&str], &'v Value),
) {
    let Some(obj) = value.as_object() else {
        return;
    };
    const SINGLE: &[&str] = &[
        "additionalItems",
        "additionalProperties",
        "contains",
        "not",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    ];
    const LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
    const MAPS: &[&str] = &[
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "dependentSchemas",
    ];
    for (key, child) in obj {
        let key = key.as_str();
        if SINGLE.contains(&key) {
            f(&[key], child);
        } else if LISTS.contains(&key) || key == "items" {
            match child {
                Value::Array(items) if draft < Draft::D2020 || key != "items" => {
                    for (i, item) in items.iter().enumerate() {
                        let i = i.to_string();
                        f(&[key, &i], item);
                    }
                }
                Value::Object(_) | Value::Bool(_) if key == "items" => f(&[key], child),
                _ => {}
            }
        } else if MAPS.contains(&key) || key == "dependencies" {
            if let Value::Object(map) = child {
                for (name, sub) in map {
                    if key == "dependencies" && sub.is_array() {
                        continue;
                    }
                    f(&[key, name], sub);
                }
            }
        }
    }
}

pub(super) fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn pointer_join(base: &str, segments: &[&str]) -> String {
    let mut out = base.to_string();
    for s in segments {
        out.push('/');
        out.push_str(&escape_segment(s));
    }
    out
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn resolve_uri(base: &str, reference: &str) -> Option<String> {
    let base = jsonschema::Uri::parse(base).ok()?;
    let resolved = jsonschema::uri::resolve_against(&base, reference).ok()?;
    Some(strip_fragment(resolved.as_str()).to_string())
}

fn strip_fragment(uri: &str) -> &str {
    uri.split('#').next().unwrap_or(uri)
}

/// One schema document: the root schema or one referenced schema.
#[derive(Debug)]
pub(super) struct Doc {
    pub value: Value,
    pub draft: Draft,
    /// The URI the document is known under (its `$id`, else the default base or the
    /// reference name resolved against it).
    pub uri: String,
}

/// The root schema and its references, indexed for `$ref` resolution.
#[derive(Debug, Default)]
pub(super) struct Docs {
    pub docs: Vec<Doc>,
    /// Absolute URI (without fragment) → (document, JSON pointer).
    by_uri: HashMap<String, (usize, String)>,
    /// `uri#anchor` → (document, JSON pointer).
    anchors: HashMap<String, (usize, String)>,
    /// Base URI in effect at each subschema location that sets one.
    bases: HashMap<(usize, String), Arc<str>>,
    /// Reference names exactly as written → document.
    names: HashMap<String, usize>,
}

/// Where a `$ref` points: document index and JSON pointer into it.
pub(super) type Target = (usize, String);

impl Docs {
    /// Build the document set. Document 0 is the root; then the references in order.
    pub(super) fn new(
        root: Value,
        root_draft: Draft,
        references: &[ResolvedReference],
    ) -> Result<Self, SchemaError> {
        let mut docs = Docs::default();
        let root_uri = own_id(&root, root_draft)
            .and_then(|id| resolve_uri(DEFAULT_BASE, &id))
            .unwrap_or_else(|| DEFAULT_BASE.to_string());
        docs.add_doc(root, root_draft, root_uri.clone());
        let mut bases = vec![DEFAULT_BASE.to_string()];
        if root_uri != DEFAULT_BASE {
            bases.push(root_uri.clone());
        }
        let mut parsed = Vec::with_capacity(references.len());
        for reference in references {
            let what = format!(" (reference '{}')", reference.name);
            if reference.schema_type != SchemaType::Json {
                return Err(SchemaError::new(format!(
                    "Invalid JSON Schema{what}: a JSON schema can only reference JSON schemas, not {}",
                    reference.schema_type
                )));
            }
            let value = parse_value(&reference.schema, &what)?;
            let draft =
                detect_draft(&value).map_err(|e| SchemaError::new(format!("{}{what}", e.0)))?;
            validate_against_metaschema(&value, draft, &what)?;
            let name = strip_fragment(&reference.name).to_string();
            let uri = resolve_uri(DEFAULT_BASE, &name).unwrap_or_else(|| name.clone());
            if let Some(id) = own_id(&value, draft).and_then(|id| resolve_uri(&uri, &id)) {
                bases.push(id);
            }
            parsed.push((name, value, draft, uri));
        }
        for (name, value, draft, uri) in parsed {
            let uri = own_id(&value, draft)
                .and_then(|id| resolve_uri(&uri, &id))
                .unwrap_or(uri);
            let index = docs.docs.len();
            docs.names.entry(name.clone()).or_insert(index);
            for base in &bases {
                if let Some(alias) = resolve_uri(base, &name) {
                    docs.by_uri.entry(alias).or_insert((index, String::new()));
                }
            }
            docs.add_doc(value, draft, uri);
        }
        Ok(docs)
    }

    fn add_doc(&mut self, value: Value, draft: Draft, uri: String) {
        let index = self.docs.len();
        self.by_uri.insert(uri.clone(), (index, String::new()));
        self.bases
            .insert((index, String::new()), Arc::from(uri.as_str()));
        // Index embedded `$id`s and anchors, iteratively.
        let mut stack: Vec<(&Value, String, Arc<str>, usize)> =
            vec![(&value, String::new(), Arc::from(uri.as_str()), 0)];
        let mut found_ids = Vec::new();
        let mut found_anchors = Vec::new();
        let mut found_bases = Vec::new();
        while let Some((v, pointer, base, depth)) = stack.pop() {
            if depth > MAX_SUBSCHEMA_DEPTH + 1 {
                continue;
            }
            let Some(obj) = v.as_object() else { continue };
            let ignores_siblings = draft <= Draft::D7 && obj.contains_key("$ref");
            let mut base = base;
            if !ignores_siblings {
                if let Some(id) = obj.get(draft.id_keyword()).and_then(Value::as_str) {
                    if let Some(anchor) = id.strip_prefix('#') {
                        if draft <= Draft::D7 && !anchor.is_empty() {
                            found_anchors.push((format!("{base}#{anchor}"), pointer.clone()));
                        }
                    } else if let Some(resolved) = resolve_uri(&base, id) {
                        if !pointer.is_empty() {
                            found_ids.push((resolved.clone(), pointer.clone()));
                            found_bases
                                .push((pointer.clone(), Arc::<str>::from(resolved.as_str())));
                        }
                        base = Arc::from(resolved.as_str());
                    }
                }
                for key in ["$anchor", "$dynamicAnchor"] {
                    if let Some(anchor) = obj.get(key).and_then(Value::as_str) {
                        found_anchors.push((format!("{base}#{anchor}"), pointer.clone()));
                    }
                }
            }
            for_each_subschema(v, draft, |segments, child| {
                stack.push((
                    child,
                    pointer_join(&pointer, segments),
                    base.clone(),
                    depth + 1,
                ));
            });
        }
        for (uri, pointer) in found_ids {
            self.by_uri.entry(uri).or_insert((index, pointer));
        }
        for (key, pointer) in found_anchors {
            self.anchors.entry(key).or_insert((index, pointer));
        }
        for (pointer, base) in found_bases {
            self.bases.insert((index, pointer), base);
        }
        self.docs.push(Doc { value, draft, uri });
    }

    /// The base URI in effect at a location (the nearest enclosing `$id`).
    pub(super) fn base_at(&self, doc: usize, pointer: &str) -> Arc<str> {
        let mut p = pointer;
        loop {
            if let Some(base) = self.bases.get(&(doc, p.to_string())) {
                return base.clone();
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return Arc::from(self.docs[doc].uri.as_str()),
            }
        }
    }

    /// A location for messages: `#/pointer` in the root schema, `name#/pointer` in the
    /// reference `name`.
    pub(super) fn location(&self, target: &Target) -> String {
        let (doc, pointer) = target;
        if *doc == 0 {
            return format!("#{pointer}");
        }
        let name = self
            .names
            .iter()
            .filter(|(_, d)| **d == *doc)
            .map(|(n, _)| n.as_str())
            .min()
            .or_else(|| self.docs.get(*doc).map(|d| d.uri.as_str()))
            .unwrap_or_default();
        format!("{name}#{pointer}")
    }

    pub(super) fn value_at(&self, target: &Target) -> Option<&Value> {
        self.docs.get(target.0)?.value.pointer(&target.1)
    }

    /// Resolve a `$ref` written at a location whose base URI is `base`.
    pub(super) fn resolve(&self, base: &str, reference: &str) -> Option<Target> {
        let (uri_part, fragment) = match reference.find('#') {
            Some(i) => (&reference[..i], &reference[i + 1..]),
            None => (reference, ""),
        };
        let (doc, pointer, doc_uri) = if uri_part.is_empty() {
            let base = strip_fragment(base);
            let (d, p) = self.by_uri.get(base)?.clone();
            (d, p, base.to_string())
        } else {
            let resolved = resolve_uri(base, uri_part);
            match resolved.as_ref().and_then(|u| self.by_uri.get(u)) {
                Some((d, p)) => (*d, p.clone(), resolved.unwrap_or_default()),
                None => {
                    let d = *self.names.get(uri_part)?;
                    (d, String::new(), self.docs[d].uri.clone())
                }
            }
        };
        let target = if fragment.is_empty() {
            (doc, pointer)
        } else if fragment.starts_with('/') {
            (doc, format!("{pointer}{}", percent_decode(fragment)))
        } else {
            let fragment = percent_decode(fragment);
            self.anchors
                .get(&format!("{doc_uri}#{fragment}"))
                .or_else(|| {
                    let doc_base = &self.docs[doc].uri;
                    self.anchors.get(&format!("{doc_base}#{fragment}"))
                })?
                .clone()
        };
        self.value_at(&target)?;
        Some(target)
    }

    /// Every (URI, document) pair to register with the validator.
    pub(super) fn validator_resources(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (uri, (doc, pointer)) in &self.by_uri {
            if *doc == 0 || !pointer.is_empty() {
                continue;
            }
            if seen.insert(uri.clone()) {
                out.push((uri.clone(), self.docs[*doc].value.clone()));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn own_id(value: &Value, draft: Draft) -> Option<String> {
    let obj = value.as_object()?;
    let id = obj.get(draft.id_keyword())?.as_str()?;
    if id.starts_with('#') {
        return None;
    }
    Some(id.to_string())
}
