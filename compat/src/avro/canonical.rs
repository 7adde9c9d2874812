//! Writing a parsed schema back as text: Java's `Schema.toString()` form (the canonical
//! text), the normalized form, and the "resolved" form with referenced types inlined.
//!
//! Attribute order follows Java's `toJson` methods:
//! * record: `type`, `name`, `namespace` (only when it differs from the enclosing one; `""`
//!   for a namespace-less type inside a namespaced one), `doc`, `fields`, custom props,
//!   `aliases`;
//! * field: `name`, `type`, `doc`, `default`, `order` (unless ascending), `aliases`, props;
//! * enum: `type`, `name`, `namespace`, `doc`, `symbols`, `default`, props, `aliases`;
//! * fixed: `type`, `name`, `namespace`, `doc`, `size`, props, `aliases`;
//! * array / map: `type`, `items` / `values`, props; a primitive with props is an object
//!   `{"type": ..., props}`, without props the bare name.
//!
//! A named type is written in full where it is first met and by name afterwards (the
//! simple name when its namespace is the enclosing one, else the full name). Types that
//! come from references count as already written, except in the resolved forms.
//!
//! **Normalized form** (`normalize=true`): the same layout, but every name (type names,
//! references to types, type aliases) is written fully qualified with no `namespace`
//! attribute, and custom properties (logical types included) are sorted by key, so that
//! namespace spelling and property order do not change a schema's identity. Docs, aliases,
//! defaults, field order and enum defaults are kept.

use super::model::{Field, NamedBody, NamedType, Parsed, Props, Schema};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Java `toString` with referenced types left as names.
    Canonical,
    /// Normalized, referenced types left as names.
    Normalized,
    /// Java `toString` with referenced types inlined.
    Resolved,
    /// Normalized with referenced types inlined.
    ResolvedNormalized,
}

impl Mode {
    fn normalized(self) -> bool {
        matches!(self, Mode::Normalized | Mode::ResolvedNormalized)
    }
    fn inline_references(self) -> bool {
        matches!(self, Mode::Resolved | Mode::ResolvedNormalized)
    }
}

/// Deepest nesting the writer descends to. Only the resolved forms can nest deeper than the
/// parser allows (a chain of references inlined into each other); the parser tries the
/// resolved form once and rejects schemas that exceed this.
pub(crate) const MAX_WRITE_DEPTH: usize = 200;

/// The text in `mode`. Never fails for a schema [`super::AvroSchema::parse`] accepted.
pub(crate) fn write(parsed: &Parsed, mode: Mode) -> String {
    try_write(parsed, mode).unwrap_or_default()
}

/// The text in `mode`, or `None` when it nests deeper than [`MAX_WRITE_DEPTH`].
pub(crate) fn try_write(parsed: &Parsed, mode: Mode) -> Option<String> {
    let mut known = vec![false; parsed.types.len()];
    if !mode.inline_references() {
        known[..parsed.reference_types].fill(true);
    }
    let mut w = Writer {
        types: &parsed.types,
        known,
        normalized: mode.normalized(),
        out: String::new(),
        depth: 0,
        too_deep: false,
    };
    w.schema(&parsed.root, None);
    (!w.too_deep).then_some(w.out)
}

/// Java's `Schema.toString()` of one named type taken on its own: written as a root, every
/// named type it uses (references included) in full where first met.
pub(crate) fn write_named(parsed: &Parsed, index: usize) -> String {
    let mut w = Writer {
        types: &parsed.types,
        known: vec![false; parsed.types.len()],
        normalized: false,
        out: String::new(),
        depth: 0,
        too_deep: false,
    };
    w.schema(&Schema::Named(index), None);
    w.out
}

struct Writer<'a> {
    types: &'a [NamedType],
    known: Vec<bool>,
    normalized: bool,
    out: String,
    depth: usize,
    too_deep: bool,
}

impl Writer<'_> {
    fn string(&mut self, s: &str) {
        self.out
            .push_str(&serde_json::to_string(s).expect("strings serialise"));
    }

    fn key(&mut self, k: &str) {
        self.out.push(',');
        self.string(k);
        self.out.push(':');
    }

    fn value(&mut self, v: &Value) {
        self.out.push_str(&v.to_string());
    }

    fn props(&mut self, props: &Props) {
        if self.normalized {
            let mut sorted: Vec<&(String, Value)> = props.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in sorted {
                self.key(k);
                self.value(v);
            }
        } else {
            for (k, v) in props {
                self.key(k);
                self.value(v);
            }
        }
    }

    fn schema(&mut self, schema: &Schema, space: Option<&str>) {
        if self.depth >= MAX_WRITE_DEPTH {
            self.too_deep = true;
            return;
        }
        self.depth += 1;
        self.schema_inner(schema, space);
        self.depth -= 1;
    }

    fn schema_inner(&mut self, schema: &Schema, space: Option<&str>) {
        match schema {
            Schema::Primitive(p, props) => {
                if props.is_empty() {
                    self.string(p.name());
                } else {
                    self.out.push_str("{\"type\":");
                    self.string(p.name());
                    self.props(props);
                    self.out.push('}');
                }
            }
            Schema::Array(items, props) => {
                self.out.push_str("{\"type\":\"array\",\"items\":");
                self.schema(items, space);
                self.props(props);
                self.out.push('}');
            }
            Schema::Map(values, props) => {
                self.out.push_str("{\"type\":\"map\",\"values\":");
                self.schema(values, space);
                self.props(props);
                self.out.push('}');
            }
            Schema::Union(branches) => {
                self.out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.schema(b, space);
                }
                self.out.push(']');
            }
            Schema::Named(i) => self.named(*i, space),
        }
    }

    fn named(&mut self, index: usize, space: Option<&str>) {
        let t = &self.types[index];
        if self.known[index] {
            let name = if self.normalized {
                t.name.full()
            } else {
                t.name.qualified(space)
            };
            self.string(&name);
            return;
        }
        self.known[index] = true;
        let kind = match &t.body {
            NamedBody::Record { error: true, .. } => "error",
            NamedBody::Record { .. } => "record",
            NamedBody::Enum { .. } => "enum",
            NamedBody::Fixed { .. } => "fixed",
        };
        self.out.push_str("{\"type\":");
        self.string(kind);
        // name and namespace
        if self.normalized {
            self.key("name");
            self.string(&t.name.full());
            // A namespace-less type inside a namespaced one must say so, or a parser
            // would put it in the enclosing namespace.
            if t.name.space.is_none() && space.is_some() {
                self.key("namespace");
                self.string("");
            }
        } else {
            self.key("name");
            self.string(&t.name.name);
            match (&t.name.space, space) {
                (Some(own), enclosing) if Some(own.as_str()) != enclosing => {
                    self.key("namespace");
                    self.string(own);
                }
                (None, Some(_)) => {
                    self.key("namespace");
                    self.string("");
                }
                _ => {}
            }
        }
        if let Some(doc) = &t.doc {
            self.key("doc");
            self.string(doc);
        }
        match &t.body {
            NamedBody::Record { fields, .. } => {
                self.key("fields");
                self.out.push('[');
                // Java's writer switches to the record's own namespace; the normalized form
                // tracks the parser's notion instead (own namespace, else the enclosing one).
                let inner = if self.normalized {
                    t.name.space.clone().or(space.map(str::to_string))
                } else {
                    t.name.space.clone()
                };
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.field(f, inner.as_deref());
                }
                self.out.push(']');
            }
            NamedBody::Enum { symbols, default } => {
                self.key("symbols");
                self.out.push('[');
                for (i, s) in symbols.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(s);
                }
                self.out.push(']');
                if let Some(d) = default {
                    self.key("default");
                    self.string(d);
                }
            }
            NamedBody::Fixed { size } => {
                self.key("size");
                self.out.push_str(&size.to_string());
            }
        }
        self.props(&t.props);
        if !t.aliases.is_empty() {
            self.key("aliases");
            self.out.push('[');
            for (i, a) in t.aliases.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let alias = if self.normalized {
                    // A namespace-less alias of a namespaced type keeps its leading dot, or
                    // a parser would put it in the type's namespace.
                    match (&a.space, &t.name.space) {
                        (None, Some(_)) => format!(".{}", a.name),
                        _ => a.full(),
                    }
                } else {
                    a.qualified(t.name.space.as_deref())
                };
                self.string(&alias);
            }
            self.out.push(']');
        }
        self.out.push('}');
    }

    fn field(&mut self, f: &Field, space: Option<&str>) {
        self.out.push_str("{\"name\":");
        self.string(&f.name);
        self.key("type");
        self.schema(&f.ty, space);
        if let Some(doc) = &f.doc {
            self.key("doc");
            self.string(doc);
        }
        if let Some(d) = &f.default {
            self.key("default");
            self.value(d);
        }
        if let Some(order) = f.order {
            self.key("order");
            self.string(order);
        }
        if !f.aliases.is_empty() {
            self.key("aliases");
            self.out.push('[');
            for (i, a) in f.aliases.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.string(a);
            }
            self.out.push(']');
        }
        self.props(&f.props);
        self.out.push('}');
    }
}
