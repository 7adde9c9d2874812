//! The schema model the diff works on (`docs/compatibility.md` §4.1): each schema object
//! becomes one node, or a synthetic `allOf` of several nodes when it mixes keyword families.
//! Nodes live in an arena; `$ref`s are nodes pointing at their target, so recursive schemas
//! are finite graphs.

use super::parse::{escape_segment, Docs, Draft, Target, MAX_SUBSCHEMA_DEPTH};
use super::patterns::Patterns;
use crate::SchemaError;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

pub(super) type NodeId = usize;

#[derive(Debug, Clone, Default)]
pub(super) struct Node {
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub default: Option<Value>,
    /// `"connect.type": "bytes"` (Kafka Connect's marker), which tolerates type changes.
    pub connect_bytes: bool,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
pub(super) enum Criterion {
    AllOf,
    AnyOf,
    OneOf,
}

impl Criterion {
    pub(super) fn keyword(self) -> &'static str {
        match self {
            Criterion::AllOf => "allOf",
            Criterion::AnyOf => "anyOf",
            Criterion::OneOf => "oneOf",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) enum Kind {
    True,
    False,
    /// A schema with no validation keyword: accepts everything.
    #[default]
    Empty,
    Ref(NodeId),
    Enum(Vec<Value>),
    Const(Value),
    Combined(Criterion, Vec<NodeId>),
    Not(NodeId),
    Null,
    Boolean,
    Number(NumberNode),
    String(StringNode),
    Object(Box<ObjectNode>),
    Array(Box<ArrayNode>),
    /// `if`/`then`/`else`: never compared.
    Conditional,
}

impl Kind {
    /// The model class, for step 4 of the diff (combined schemas are one class).
    pub(super) fn class(&self) -> u8 {
        match self {
            Kind::True => 0,
            Kind::False => 1,
            Kind::Empty => 2,
            Kind::Ref(_) => 3,
            Kind::Enum(_) => 4,
            Kind::Const(_) => 5,
            Kind::Combined(..) => 6,
            Kind::Not(_) => 7,
            Kind::Null => 8,
            Kind::Boolean => 9,
            Kind::Number(_) => 10,
            Kind::String(_) => 11,
            Kind::Object(_) => 12,
            Kind::Array(_) => 13,
            Kind::Conditional => 14,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct NumberNode {
    pub integer: bool,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub multiple_of: Option<serde_json::Number>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct StringNode {
    pub min_length: Option<f64>,
    pub max_length: Option<f64>,
    pub pattern: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct PatternProperty {
    /// `None` when the pattern is not a valid Rust regex: it then never matches. Compiled
    /// once per distinct pattern, within the schema's budget (`super::patterns`).
    pub regex: Option<regex_automata::meta::Regex>,
    pub schema: NodeId,
}

#[derive(Debug, Clone)]
pub(super) struct ObjectNode {
    pub properties: Vec<(String, NodeId)>,
    pub required: Vec<String>,
    pub min_properties: Option<f64>,
    pub max_properties: Option<f64>,
    pub additional_allowed: bool,
    pub additional_schema: Option<NodeId>,
    pub pattern_properties: Vec<PatternProperty>,
    pub property_dependencies: Vec<(String, Vec<String>)>,
    pub schema_dependencies: Vec<(String, NodeId)>,
    pub unevaluated: Option<NodeId>,
}

#[derive(Debug, Clone)]
pub(super) struct ArrayNode {
    pub all_items: Option<NodeId>,
    pub tuple: Option<Vec<NodeId>>,
    pub additional_allowed: bool,
    pub additional_schema: Option<NodeId>,
    pub unevaluated: Option<NodeId>,
    pub min_items: Option<f64>,
    pub max_items: Option<f64>,
    pub unique_items: bool,
    pub min_contains: Option<f64>,
    pub max_contains: Option<f64>,
}

#[derive(Debug, Clone)]
pub(super) struct Model {
    pub nodes: Vec<Node>,
    pub root: NodeId,
}

impl Model {
    /// Follow `$ref` chains; a chain that loops back on itself counts as an empty schema.
    pub(super) fn deref(&self, mut id: NodeId) -> NodeId {
        for _ in 0..=self.nodes.len() {
            match self.nodes[id].kind {
                Kind::Ref(target) => id = target,
                _ => return id,
            }
        }
        usize::MAX
    }

    pub(super) fn load(docs: &Docs, patterns: &Patterns) -> Result<Model, SchemaError> {
        let mut loader = Loader {
            docs,
            patterns,
            nodes: Vec::new(),
            memo: HashMap::new(),
            pending: Vec::new(),
            dynamic: HashSet::new(),
        };
        let root_value = &docs.docs[0].value;
        let root = loader.load_at((0, String::new()), root_value, 0)?;
        while let Some((node, target)) = loader.pending.pop() {
            let id = match loader.memo.get(&target) {
                Some(id) => *id,
                None => {
                    let value = docs.value_at(&target).cloned().unwrap_or(Value::Bool(true));
                    // Each reference target starts a fresh walk: the loader never recurses
                    // through a `$ref`, so its stack depth is bounded by one document's.
                    loader.load_at(target, &value, 0)?
                }
            };
            loader.nodes[node].kind = Kind::Ref(id);
        }
        check_ref_cycles(&loader, root)?;
        let mut nodes = loader.nodes;
        // A cycle through a dynamic reference with no schema in between is the empty schema
        // (static `$ref` cycles were refused above).
        let empty = nodes.len();
        nodes.push(Node::default());
        let mut model = Model { nodes, root };
        for id in 0..empty {
            if matches!(model.nodes[id].kind, Kind::Ref(_)) && model.deref(id) == usize::MAX {
                model.nodes[id].kind = Kind::Ref(empty);
            }
        }
        Ok(model)
    }
}

struct Loader<'a> {
    docs: &'a Docs,
    /// Every `patternProperties` key, compiled.
    patterns: &'a Patterns,
    nodes: Vec<Node>,
    memo: HashMap<Target, NodeId>,
    /// Ref nodes whose target is still to load.
    pending: Vec<(NodeId, Target)>,
    /// Ref nodes of `$recursiveRef` / `$dynamicRef`, whose static target is a guess.
    dynamic: HashSet<NodeId>,
}

/// Refuses a `$ref` cycle that never reaches a schema: following `$ref` from a schema through
/// schemas that hold nothing but a `$ref` (annotations aside; up to draft-07 every sibling of
/// `$ref` is ignored) comes back to one already on the chain, as in `{"$ref":"#"}` or
/// `a → b → a`. Recursion through a real schema (a tree whose `items` refer to `#`) is fine.
/// Only schemas reachable from the root are loaded, so only those are checked. Cycles through
/// `$recursiveRef` / `$dynamicRef` are left alone: their target is resolved at validation
/// time and may leave the cycle.
fn check_ref_cycles(loader: &Loader<'_>, root: NodeId) -> Result<(), SchemaError> {
    let nodes = &loader.nodes;
    // 0 = not visited, 1 = on the current chain, 2 = known to reach a schema (or a dynamic ref).
    let mut state = vec![0u8; nodes.len()];
    let starts = std::iter::once(root).chain(0..nodes.len());
    for start in starts {
        let mut chain: Vec<NodeId> = Vec::new();
        let mut id = start;
        while state[id] == 0 {
            let Kind::Ref(target) = nodes[id].kind else {
                break;
            };
            if loader.dynamic.contains(&id) || target >= nodes.len() {
                break;
            }
            state[id] = 1;
            chain.push(id);
            id = target;
        }
        if state[id] == 1 {
            // Back on the chain: the cycle is the chain from `id` on.
            let at = chain.iter().position(|n| *n == id).unwrap_or(0);
            let locations: HashMap<NodeId, &Target> =
                loader.memo.iter().map(|(t, n)| (*n, t)).collect();
            let mut names: Vec<String> = chain[at..]
                .iter()
                .filter_map(|n| locations.get(n))
                .map(|t| loader.docs.location(t))
                .collect();
            if let Some(first) = names.first().cloned() {
                names.push(first);
            }
            return Err(SchemaError::new(format!(
                "Invalid JSON Schema: $ref cycle without a schema: {}",
                names.join(" -> ")
            )));
        }
        for n in chain {
            state[n] = 2;
        }
    }
    Ok(())
}

const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "prefixItems",
    "unevaluatedItems",
    "minContains",
    "maxContains",
];
const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];

fn number(obj: &Map<String, Value>, key: &str) -> Option<f64> {
    obj.get(key).and_then(Value::as_f64)
}

impl Loader<'_> {
    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn load_at(&mut self, at: Target, value: &Value, depth: usize) -> Result<NodeId, SchemaError> {
        if let Some(id) = self.memo.get(&at) {
            return Ok(*id);
        }
        if depth > MAX_SUBSCHEMA_DEPTH {
            return Err(SchemaError::new(format!(
                "Invalid JSON Schema: subschemas nested more than {MAX_SUBSCHEMA_DEPTH} levels deep (at '#{}')",
                at.1
            )));
        }
        let id = self.build(&at, value, depth)?;
        self.memo.insert(at, id);
        Ok(id)
    }

    fn child(
        &mut self,
        at: &Target,
        segments: &[&str],
        value: &Value,
        depth: usize,
    ) -> Result<NodeId, SchemaError> {
        let mut pointer = at.1.clone();
        for s in segments {
            pointer.push('/');
            pointer.push_str(&escape_segment(s));
        }
        self.load_at((at.0, pointer), value, depth + 1)
    }

    fn build(&mut self, at: &Target, value: &Value, depth: usize) -> Result<NodeId, SchemaError> {
        let obj = match value {
            Value::Bool(true) => {
                return Ok(self.push(Node {
                    kind: Kind::True,
                    ..Node::default()
                }))
            }
            Value::Bool(false) => {
                return Ok(self.push(Node {
                    kind: Kind::False,
                    ..Node::default()
                }))
            }
            Value::Object(obj) => obj,
            _ => return Ok(self.push(Node::default())),
        };
        let draft = self.docs.docs[at.0].draft;
        let mut meta = Node {
            id: obj
                .get(draft.id_keyword())
                .and_then(Value::as_str)
                .map(str::to_string),
            title: obj.get("title").and_then(Value::as_str).map(str::to_string),
            description: obj
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            default: obj.get("default").cloned(),
            connect_bytes: obj.get("connect.type").and_then(Value::as_str) == Some("bytes"),
            kind: Kind::Empty,
        };
        let mut parts: Vec<Kind> = Vec::new();

        let reference = ["$ref", "$recursiveRef", "$dynamicRef"]
            .iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_str).map(|r| (*k, r)));
        if let Some((keyword, reference)) = reference {
            let base = self.docs.base_at(at.0, &at.1);
            let target = match self.docs.resolve(&base, reference) {
                Some(t) => t,
                None if keyword == "$ref" => {
                    return Err(SchemaError::new(format!(
                        "Invalid JSON Schema: cannot resolve $ref '{reference}' (at '#{}')",
                        at.1
                    )))
                }
                // Dynamic references that do not resolve statically: accept anything.
                None => (at.0, String::new()),
            };
            if draft <= Draft::D7 {
                // Siblings of `$ref` are ignored up to draft-07, annotations excepted.
                meta.kind = Kind::Ref(usize::MAX);
                let id = self.push(meta);
                self.pending.push((id, target));
                if keyword != "$ref" {
                    self.dynamic.insert(id);
                }
                return Ok(id);
            }
            let ref_node = self.push(Node {
                kind: Kind::Ref(usize::MAX),
                ..Node::default()
            });
            self.pending.push((ref_node, target));
            if keyword != "$ref" {
                self.dynamic.insert(ref_node);
            }
            parts.push(Kind::Ref(ref_node));
        }

        if let Some(Value::Array(values)) = obj.get("enum") {
            parts.push(Kind::Enum(values.clone()));
        }
        for criterion in [Criterion::AllOf, Criterion::AnyOf, Criterion::OneOf] {
            if let Some(Value::Array(subs)) = obj.get(criterion.keyword()) {
                let mut ids = Vec::new();
                let mut seen: Vec<&Value> = Vec::new();
                for (i, sub) in subs.iter().enumerate() {
                    if seen.contains(&sub) {
                        continue;
                    }
                    seen.push(sub);
                    ids.push(self.child(at, &[criterion.keyword(), &i.to_string()], sub, depth)?);
                }
                parts.push(Kind::Combined(criterion, ids));
            }
        }
        if let Some(not) = obj.get("not") {
            parts.push(Kind::Not(self.child(at, &["not"], not, depth)?));
        }
        if draft >= Draft::D6 {
            if let Some(c) = obj.get("const") {
                parts.push(Kind::Const(c.clone()));
            }
        }
        match obj.get("type") {
            Some(Value::String(t)) => {
                if let Some(kind) = self.typed(at, obj, t, depth)? {
                    parts.push(kind);
                }
            }
            Some(Value::Array(types)) => {
                let mut ids = Vec::new();
                let mut seen = Vec::new();
                for t in types.iter().filter_map(Value::as_str) {
                    if seen.contains(&t) {
                        continue;
                    }
                    seen.push(t);
                    if let Some(kind) = self.typed(at, obj, t, depth)? {
                        ids.push(self.push(Node {
                            kind,
                            ..Node::default()
                        }));
                    }
                }
                parts.push(Kind::Combined(Criterion::AnyOf, ids));
            }
            _ => {
                let has = |keys: &[&str]| keys.iter().any(|k| obj.contains_key(*k));
                if has(ARRAY_KEYWORDS) {
                    parts.push(self.array(at, obj, depth)?);
                }
                if has(OBJECT_KEYWORDS) {
                    parts.push(self.object(at, obj, depth)?);
                }
                if has(NUMBER_KEYWORDS) {
                    parts.push(self.number(obj, draft, false));
                }
                if has(STRING_KEYWORDS) {
                    parts.push(string(obj));
                }
            }
        }
        if obj.contains_key("if") {
            parts.push(Kind::Conditional);
        }

        match parts.len() {
            0 => {}
            1 => meta.kind = parts.pop().expect("one part"),
            _ => {
                let ids = parts
                    .into_iter()
                    .map(|kind| {
                        self.push(Node {
                            kind,
                            ..Node::default()
                        })
                    })
                    .collect();
                meta.kind = Kind::Combined(Criterion::AllOf, ids);
            }
        }
        Ok(self.push(meta))
    }

    fn typed(
        &mut self,
        at: &Target,
        obj: &Map<String, Value>,
        t: &str,
        depth: usize,
    ) -> Result<Option<Kind>, SchemaError> {
        let draft = self.docs.docs[at.0].draft;
        Ok(Some(match t {
            "string" => string(obj),
            "integer" => self.number(obj, draft, true),
            "number" => self.number(obj, draft, false),
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "object" => self.object(at, obj, depth)?,
            "array" => self.array(at, obj, depth)?,
            _ => return Ok(None),
        }))
    }

    fn number(&self, obj: &Map<String, Value>, draft: Draft, integer: bool) -> Kind {
        let (exclusive_minimum, exclusive_maximum) = if draft == Draft::D4 {
            // Draft-4 flags modify minimum/maximum and are never compared.
            (None, None)
        } else {
            (
                number(obj, "exclusiveMinimum"),
                number(obj, "exclusiveMaximum"),
            )
        };
        Kind::Number(NumberNode {
            integer,
            minimum: number(obj, "minimum"),
            maximum: number(obj, "maximum"),
            exclusive_minimum,
            exclusive_maximum,
            multiple_of: match obj.get("multipleOf") {
                Some(Value::Number(n)) => Some(n.clone()),
                _ => None,
            },
        })
    }

    fn object(
        &mut self,
        at: &Target,
        obj: &Map<String, Value>,
        depth: usize,
    ) -> Result<Kind, SchemaError> {
        let draft = self.docs.docs[at.0].draft;
        let mut properties = Vec::new();
        if let Some(Value::Object(props)) = obj.get("properties") {
            for (name, sub) in props {
                properties.push((
                    name.clone(),
                    self.child(at, &["properties", name], sub, depth)?,
                ));
            }
        }
        let required = match obj.get("required") {
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let (additional_allowed, additional_schema) = match obj.get("additionalProperties") {
            None | Some(Value::Bool(true)) => (true, None),
            Some(Value::Bool(false)) => (false, None),
            Some(sub) => (
                true,
                Some(self.child(at, &["additionalProperties"], sub, depth)?),
            ),
        };
        let mut pattern_properties = Vec::new();
        if let Some(Value::Object(patterns)) = obj.get("patternProperties") {
            for (pattern, sub) in patterns {
                pattern_properties.push(PatternProperty {
                    regex: self.patterns.model_regex(pattern),
                    schema: self.child(at, &["patternProperties", pattern], sub, depth)?,
                });
            }
        }
        let mut property_dependencies = Vec::new();
        let mut schema_dependencies = Vec::new();
        for keyword in ["dependencies", "dependentRequired", "dependentSchemas"] {
            if let Some(Value::Object(deps)) = obj.get(keyword) {
                for (name, dep) in deps {
                    match dep {
                        Value::Array(names) if keyword != "dependentSchemas" => {
                            property_dependencies.push((
                                name.clone(),
                                names
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect(),
                            ))
                        }
                        Value::Object(_) | Value::Bool(_) if keyword != "dependentRequired" => {
                            schema_dependencies
                                .push((name.clone(), self.child(at, &[keyword, name], dep, depth)?))
                        }
                        _ => {}
                    }
                }
            }
        }
        let unevaluated = match obj.get("unevaluatedProperties") {
            Some(sub) if draft >= Draft::D2019 => {
                Some(self.child(at, &["unevaluatedProperties"], sub, depth)?)
            }
            _ => None,
        };
        Ok(Kind::Object(Box::new(ObjectNode {
            properties,
            required,
            min_properties: number(obj, "minProperties"),
            max_properties: number(obj, "maxProperties"),
            additional_allowed,
            additional_schema,
            pattern_properties,
            property_dependencies,
            schema_dependencies,
            unevaluated,
        })))
    }

    fn array(
        &mut self,
        at: &Target,
        obj: &Map<String, Value>,
        depth: usize,
    ) -> Result<Kind, SchemaError> {
        let draft = self.docs.docs[at.0].draft;
        let mut all_items = None;
        let mut tuple = None;
        let mut additional_allowed = true;
        let mut additional_schema = None;
        let load_list =
            |this: &mut Self, keyword: &str, items: &[Value]| -> Result<Vec<NodeId>, SchemaError> {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| this.child(at, &[keyword, &i.to_string()], item, depth))
                    .collect()
            };
        if draft >= Draft::D2020 {
            if let Some(Value::Array(prefix)) = obj.get("prefixItems") {
                tuple = Some(load_list(self, "prefixItems", prefix)?);
                match obj.get("items") {
                    None | Some(Value::Bool(true)) => {}
                    Some(Value::Bool(false)) => additional_allowed = false,
                    Some(sub) => {
                        additional_schema = Some(self.child(at, &["items"], sub, depth)?)
                    }
                }
            } else if let Some(items) = obj.get("items") {
                all_items = Some(self.child(at, &["items"], items, depth)?);
            }
        } else {
            match obj.get("items") {
                Some(Value::Array(items)) => tuple = Some(load_list(self, "items", items)?),
                Some(items) => all_items = Some(self.child(at, &["items"], items, depth)?),
                None => {}
            }
            match obj.get("additionalItems") {
                None | Some(Value::Bool(true)) => {}
                Some(Value::Bool(false)) => additional_allowed = false,
                Some(sub) => {
                    additional_schema = Some(self.child(at, &["additionalItems"], sub, depth)?)
                }
            }
        }
        let unevaluated = match obj.get("unevaluatedItems") {
            Some(sub) if draft >= Draft::D2019 => {
                Some(self.child(at, &["unevaluatedItems"], sub, depth)?)
            }
            _ => None,
        };
        Ok(Kind::Array(Box::new(ArrayNode {
            all_items,
            tuple,
            additional_allowed,
            additional_schema,
            unevaluated,
            min_items: number(obj, "minItems"),
            max_items: number(obj, "maxItems"),
            unique_items: obj
                .get("uniqueItems")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            min_contains: if draft >= Draft::D2019 {
                number(obj, "minContains")
            } else {
                None
            },
            max_contains: if draft >= Draft::D2019 {
                number(obj, "maxContains")
            } else {
                None
            },
        })))
    }
}

fn string(obj: &Map<String, Value>) -> Kind {
    Kind::String(StringNode {
        min_length: number(obj, "minLength"),
        max_length: number(obj, "maxLength"),
        pattern: obj
            .get("pattern")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}
