//! Reader/writer compatibility, as Apache Avro Java's `SchemaCompatibility` decides it and
//! Confluent Schema Registry reports it (`docs/compatibility.md` §2.2).
//!
//! The walk is recursive over (reader, writer) pairs. A pair already under evaluation higher
//! up is assumed compatible (that is how recursive types terminate), and finished pairs are
//! memoised, so a pair met twice reports its incompatibilities twice, with the location of
//! the first visit, as Java does. Every incompatibility is collected.
//!
//! Pairs are keyed by node identity, as Java keys them by object identity: a named type is
//! one node wherever it is used, every other node is its own place in the tree.
//!
//! Locations: Java checks union branches through its public two-argument entry point, which
//! starts a new location stack. So when the writer is a union (and the reader is not), each
//! branch's incompatibilities are located relative to that branch, not to the union (a
//! primitive branch reports `/`); the verdict-only checks behind `MISSING_UNION_BRANCH`
//! start afresh too, and whatever they memoise keeps those relative locations when a later
//! visit of the same pair reuses it.

use super::canonical;
use super::model::{NamedBody, Parsed, Primitive, Schema, Tag};
use crate::Roles;
use std::collections::HashMap;

/// Deepest recursion of the checker before it gives up (Java would overflow its stack).
const MAX_CHECK_DEPTH: usize = 400;
/// Deepest recursion on the caller's stack (a 2 MiB thread, unoptimised frames of ~5 KiB a
/// level in debug builds); a check that goes deeper is redone on a thread of its own with
/// [`DEEP_STACK_BYTES`], up to [`MAX_CHECK_DEPTH`]. Real schemas stay far below either.
const CALLER_STACK_DEPTH: usize = 100;
const DEEP_STACK_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    NameMismatch,
    FixedSizeMismatch,
    MissingEnumSymbols,
    ReaderFieldMissingDefaultValue,
    TypeMismatch,
    MissingUnionBranch,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::NameMismatch => "NAME_MISMATCH",
            Kind::FixedSizeMismatch => "FIXED_SIZE_MISMATCH",
            Kind::MissingEnumSymbols => "MISSING_ENUM_SYMBOLS",
            Kind::ReaderFieldMissingDefaultValue => "READER_FIELD_MISSING_DEFAULT_VALUE",
            Kind::TypeMismatch => "TYPE_MISMATCH",
            Kind::MissingUnionBranch => "MISSING_UNION_BRANCH",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Incompatibility {
    pub kind: Kind,
    /// JSON-pointer-like location, e.g. `/fields/0/type`.
    pub location: String,
    /// Avro's own message, CSR's `additionalInfo`.
    pub message: String,
}

impl Incompatibility {
    /// CSR's rendering, with `roles` naming the reader and the writer ("new"/"old").
    pub(super) fn render(&self, roles: Roles) -> String {
        let (r, w, loc, msg) = (roles.reader, roles.writer, &self.location, &self.message);
        let description = match self.kind {
            Kind::NameMismatch => format!("The name of the schema has changed (path '{loc}')"),
            Kind::FixedSizeMismatch => format!(
                "The size of FIXED type field at path '{loc}' in the {r} schema does not \
                 match with the {w} schema"
            ),
            Kind::MissingEnumSymbols => format!(
                "The {r} schema is missing enum symbols '{msg}' at path '{loc}' in the {w} \
                 schema"
            ),
            Kind::ReaderFieldMissingDefaultValue => format!(
                "The field '{msg}' at path '{loc}' in the {r} schema has no default value and \
                 is missing in the {w} schema"
            ),
            Kind::TypeMismatch => format!(
                "The type (path '{loc}') of a field in the {r} schema does not match with the \
                 {w} schema"
            ),
            Kind::MissingUnionBranch => format!(
                "The {r} schema is missing a type inside a union field at path '{loc}' in the \
                 {w} schema"
            ),
        };
        format!(
            "{{errorType:'{}', description:'{description}', additionalInfo:'{msg}'}}",
            self.kind.as_str()
        )
    }
}

enum Memo {
    InProgress,
    Done(Vec<Incompatibility>),
}

/// A node's identity: named types by arena index, anything else by address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Named(usize),
    At(usize),
}

impl Node {
    fn of(schema: &Schema) -> Node {
        match schema {
            Schema::Named(i) => Node::Named(*i),
            other => Node::At(other as *const Schema as usize),
        }
    }
}

/// Every incompatibility of `reader` reading `writer`, or the text of the exception Java
/// would throw (CSR turns that into a single "Unexpected exception" message).
pub(crate) fn check(reader: &Parsed, writer: &Parsed) -> Result<Vec<Incompatibility>, String> {
    let (found, hit_cap) = check_within(reader, writer, CALLER_STACK_DEPTH);
    if !hit_cap {
        return found;
    }
    crate::deep_stack::on_deep_stack("avro-compat-deep", DEEP_STACK_BYTES, || {
        check_within(reader, writer, MAX_CHECK_DEPTH).0
    })
    .unwrap_or(found)
}

/// The check with recursion capped at `max_depth`; also says whether the cap was reached.
fn check_within(reader: &Parsed, writer: &Parsed, max_depth: usize) -> (Found, bool) {
    let mut checker = Checker {
        r: reader,
        w: writer,
        memo: HashMap::new(),
        location: vec![String::new()],
        depth: 0,
        max_depth,
        hit_cap: false,
    };
    let found = checker.get(&reader.root, &writer.root);
    (found, checker.hit_cap)
}

/// CSR's message list for one reader/writer pair.
pub(crate) fn messages(reader: &Parsed, writer: &Parsed, roles: Roles) -> Vec<String> {
    match check(reader, writer) {
        Ok(list) => list.iter().map(|i| i.render(roles)).collect(),
        Err(e) => vec![format!(
            "Unexpected exception during compatibility check: {e}"
        )],
    }
}

struct Checker<'a> {
    r: &'a Parsed,
    w: &'a Parsed,
    memo: HashMap<(Node, Node), Memo>,
    location: Vec<String>,
    depth: usize,
    max_depth: usize,
    hit_cap: bool,
}

type Found = Result<Vec<Incompatibility>, String>;

impl Checker<'_> {
    fn at(&mut self, token: impl Into<String>, r: &Schema, w: &Schema) -> Found {
        self.location.push(token.into());
        let result = self.get(r, w);
        self.location.pop();
        result
    }

    fn incompatible(&self, kind: Kind, message: String) -> Incompatibility {
        let mut location = String::from("/");
        let parts: Vec<String> = self.location[1..]
            .iter()
            .map(|p| p.replace('~', "~0").replace('/', "~1"))
            .collect();
        location.push_str(&parts.join("/"));
        Incompatibility {
            kind,
            location,
            message,
        }
    }

    /// Java's public `getCompatibility(reader, writer)`: a new location stack whose only
    /// token is the root, shared memo.
    fn fresh(&mut self, r: &Schema, w: &Schema) -> Found {
        let saved = std::mem::replace(&mut self.location, vec![String::new()]);
        let result = self.get(r, w);
        self.location = saved;
        result
    }

    fn get(&mut self, r: &Schema, w: &Schema) -> Found {
        self.depth += 1;
        if self.depth > self.max_depth {
            self.depth -= 1;
            self.hit_cap = true;
            return Err("schemas nested too deeply to compare".to_string());
        }
        // Only pairs with a named side are remembered: everything else is a tree, reached
        // once, and remembering it would cost a map insert per node. Recursion runs through
        // named types, so every cycle still meets a remembered pair.
        let key = (matches!(r, Schema::Named(_)) || matches!(w, Schema::Named(_)))
            .then(|| (Node::of(r), Node::of(w)));
        if let Some(key) = key {
            let remembered = match self.memo.get(&key) {
                Some(Memo::InProgress) => Some(Vec::new()),
                Some(Memo::Done(found)) => Some(found.clone()),
                None => None,
            };
            if let Some(found) = remembered {
                self.depth -= 1;
                return Ok(found);
            }
            self.memo.insert(key, Memo::InProgress);
        }
        let found = self.calculate(r, w);
        if let Some(key) = key {
            match &found {
                Ok(list) => {
                    self.memo.insert(key, Memo::Done(list.clone()));
                }
                Err(_) => {
                    self.memo.remove(&key);
                }
            }
        }
        self.depth -= 1;
        found
    }

    fn type_mismatch(&self, rt: Tag, wt: Tag) -> Vec<Incompatibility> {
        vec![self.incompatible(
            Kind::TypeMismatch,
            format!(
                "reader type: {} not compatible with writer type: {}",
                rt.java_name(),
                wt.java_name()
            ),
        )]
    }

    fn calculate(&mut self, r: &Schema, w: &Schema) -> Found {
        let rt = self.r.tag(r);
        let wt = self.w.tag(w);
        if rt == wt {
            return match (r, w) {
                (Schema::Primitive(..), _) => Ok(Vec::new()),
                (Schema::Array(ri, _), Schema::Array(wi, _)) => self.at("items", ri, wi),
                (Schema::Map(rv, _), Schema::Map(wv, _)) => self.at("values", rv, wv),
                (Schema::Union(_), Schema::Union(wbs)) => {
                    let mut out = Vec::new();
                    for (i, wb) in wbs.iter().enumerate() {
                        self.location.push(i.to_string());
                        let found = self.fresh(r, wb);
                        if let Ok(list) = &found {
                            if !list.is_empty() {
                                out.push(self.incompatible(
                                    Kind::MissingUnionBranch,
                                    format!(
                                        "reader union lacking writer type: {}",
                                        self.w.tag(wb).java_name()
                                    ),
                                ));
                            }
                        }
                        self.location.pop();
                        found?;
                    }
                    Ok(out)
                }
                (Schema::Named(ri), Schema::Named(wi)) => self.named(*ri, *wi, w),
                _ => unreachable!("equal tags imply equal shapes"),
            };
        }
        if let Schema::Union(wbs) = w {
            let mut out = Vec::new();
            for wb in wbs {
                out.extend(self.fresh(r, wb)?);
            }
            return Ok(out);
        }
        use Primitive as P;
        let promotable = matches!(
            (rt, wt),
            (Tag::Prim(P::Long), Tag::Prim(P::Int))
                | (Tag::Prim(P::Float), Tag::Prim(P::Int | P::Long))
                | (Tag::Prim(P::Double), Tag::Prim(P::Int | P::Long | P::Float))
                | (Tag::Prim(P::Bytes), Tag::Prim(P::String))
                | (Tag::Prim(P::String), Tag::Prim(P::Bytes))
        );
        if promotable {
            return Ok(Vec::new());
        }
        if let Schema::Union(rbs) = r {
            for rb in rbs {
                if self.fresh(rb, w)?.is_empty() {
                    return Ok(Vec::new());
                }
            }
            return Ok(vec![self.incompatible(
                Kind::MissingUnionBranch,
                format!("reader union lacking writer type: {}", wt.java_name()),
            )]);
        }
        Ok(self.type_mismatch(rt, wt))
    }

    fn named(&mut self, ri: usize, wi: usize, w: &Schema) -> Found {
        let (rn, wn) = (&self.r.types[ri], &self.w.types[wi]);
        let mut out = Vec::new();
        // Names: unqualified names equal, or a reader alias is the writer's full name.
        let writer_full = wn.name.full();
        if rn.name.name != wn.name.name && !rn.aliases.iter().any(|a| a.full() == writer_full) {
            self.location.push("name".to_string());
            out.push(self.incompatible(Kind::NameMismatch, format!("expected: {writer_full}")));
            self.location.pop();
        }
        match (&rn.body, &wn.body) {
            (NamedBody::Fixed { size: rs }, NamedBody::Fixed { size: ws }) => {
                if rs != ws {
                    self.location.push("size".to_string());
                    out.push(self.incompatible(
                        Kind::FixedSizeMismatch,
                        format!("expected: {ws}, found: {rs}"),
                    ));
                    self.location.pop();
                }
            }
            (
                NamedBody::Enum {
                    symbols: rsym,
                    default: rdef,
                },
                NamedBody::Enum { symbols: wsym, .. },
            ) => {
                let mut missing: Vec<&String> = wsym.iter().filter(|s| !rsym.contains(s)).collect();
                missing.sort();
                missing.dedup();
                let tolerated = rdef.as_ref().is_some_and(|d| rsym.contains(d));
                if !missing.is_empty() && !tolerated {
                    self.location.push("symbols".to_string());
                    let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                    out.push(
                        self.incompatible(
                            Kind::MissingEnumSymbols,
                            format!("[{}]", list.join(", ")),
                        ),
                    );
                    self.location.pop();
                }
            }
            (NamedBody::Record { fields: rfs, .. }, NamedBody::Record { fields: wfs, .. }) => {
                self.location.push("fields".to_string());
                for (pos, rf) in rfs.iter().enumerate() {
                    self.location.push(pos.to_string());
                    let mut hits = wfs
                        .iter()
                        .filter(|wf| wf.name == rf.name)
                        .collect::<Vec<_>>();
                    for alias in &rf.aliases {
                        hits.extend(wfs.iter().filter(|wf| &wf.name == alias));
                    }
                    let found = match hits.as_slice() {
                        [] if rf.default.is_some() => Ok(Vec::new()),
                        [] => {
                            let enum_with_default = match &rf.ty {
                                Schema::Named(i) => matches!(
                                    self.r.types[*i].body,
                                    NamedBody::Enum {
                                        default: Some(_),
                                        ..
                                    }
                                ),
                                _ => false,
                            };
                            if enum_with_default {
                                // Java compares the enum with the writer *record*.
                                self.at("type", &rf.ty, w)
                            } else {
                                Ok(vec![self.incompatible(
                                    Kind::ReaderFieldMissingDefaultValue,
                                    rf.name.clone(),
                                )])
                            }
                        }
                        [wf] => self.at("type", &rf.ty, &wf.ty),
                        // Java's message prints the field (`name type:TYPE pos:N`) and
                        // the whole writer record (`Schema.toString()`).
                        _ => Err(format!(
                            "Reader record field {} type:{} pos:{} matches multiple fields in \
                             writer record schema {}",
                            rf.name,
                            self.r.tag(&rf.ty).java_name(),
                            pos,
                            canonical::write_named(self.w, wi)
                        )),
                    };
                    self.location.pop();
                    match found {
                        Ok(list) => out.extend(list),
                        Err(e) => {
                            self.location.pop();
                            return Err(e);
                        }
                    }
                }
                self.location.pop();
            }
            _ => unreachable!("equal tags imply equal bodies"),
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::model::{Field, NamedType};
    use crate::avro::names::Name;

    /// A chain of `n` records built directly (the parser would refuse it as too deep).
    fn chain(n: usize) -> Parsed {
        let types = (0..n)
            .map(|i| NamedType {
                name: Name::split(&format!("L{i}"), None),
                aliases: Vec::new(),
                doc: None,
                props: Vec::new(),
                body: NamedBody::Record {
                    error: false,
                    fields: vec![Field {
                        name: "next".to_string(),
                        ty: if i == 0 {
                            Schema::Primitive(Primitive::Int, Vec::new())
                        } else {
                            Schema::Named(i - 1)
                        },
                        doc: None,
                        default: None,
                        order: None,
                        aliases: Vec::new(),
                        props: Vec::new(),
                    }],
                },
            })
            .collect();
        Parsed {
            types,
            reference_types: 0,
            root: Schema::Named(n - 1),
        }
    }

    #[test]
    fn walks_deeper_than_the_limit_stop_with_an_error() {
        let deep = chain(MAX_CHECK_DEPTH + 50);
        let messages = messages(&deep, &deep, Roles::BACKWARD);
        assert_eq!(messages.len(), 1);
        assert!(messages[0].starts_with("Unexpected exception during compatibility check"));
        let shallow = chain(MAX_CHECK_DEPTH / 2);
        assert!(check(&shallow, &shallow).unwrap().is_empty());
    }
}
