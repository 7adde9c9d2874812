//! The diff of `docs/compatibility.md` §4.2: `diff(original = writer, update = reader)`,
//! dereferencing `$ref`s, memoising pairs, with a cycle guard and a fix-point pass so that
//! the optimistic answer given for a pair met again while being compared cannot hide a real
//! incompatibility. Per-class rules are in `rules.rs`.

use super::model::{Criterion, Kind, Model, Node, NodeId};
use crate::Roles;
use std::collections::{HashMap, HashSet};

/// One difference found by the diff: its Confluent type name and the JSON path in the
/// schemas (`#/properties/foo`) where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Difference {
    pub kind: &'static str,
    pub path: String,
}

/// A node of one of the two models: side 0 is the original, side 1 the update. (The `not`
/// rule swaps the roles, so a pair can have the update's node first.)
pub(super) type Nr = (u8, NodeId);
type Pair = (Nr, Nr);

/// A difference with a path relative to the pair being compared ("" = the pair itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Diff {
    pub kind: &'static str,
    pub path: String,
}

impl Diff {
    pub(super) fn new(kind: &'static str, path: impl Into<String>) -> Self {
        Diff {
            kind,
            path: path.into(),
        }
    }
}

/// Maximum nesting of pair comparisons on the caller's stack. A comparison that goes deeper
/// (only long `$ref` chains can) is redone on a dedicated thread with a large stack and
/// `DEEP_DIFF_DEPTH`; beyond that, pairs are treated like pairs already being compared
/// (optimistically, then corrected by the fix-point pass where possible).
const MAX_DIFF_DEPTH: usize = 200;
const DEEP_DIFF_DEPTH: usize = 20_000;
const DEEP_STACK_BYTES: usize = 512 << 20;
/// Fix-point passes before giving up on refining (each pass only adds known
/// incompatibilities, so this is a bound, not an approximation in practice).
const MAX_PASSES: usize = 16;

/// Compare two models: every difference, compatible or not.
pub(super) fn diff(original: &Model, update: &Model) -> Vec<Difference> {
    let (mut result, hit_cap) = run(original, update, MAX_DIFF_DEPTH);
    if hit_cap {
        let deep = crate::deep_stack::on_deep_stack("json-schema-diff", DEEP_STACK_BYTES, || {
            run(original, update, DEEP_DIFF_DEPTH).0
        });
        if let Some(deep) = deep {
            result = deep;
        }
    }
    result
        .into_iter()
        .map(|d| Difference {
            kind: d.kind,
            path: if d.path.is_empty() {
                "#/".to_string()
            } else {
                format!("#{}", d.path)
            },
        })
        .collect()
}

/// The fix-point loop; also says whether the depth cap was reached.
fn run(original: &Model, update: &Model, max_depth: usize) -> (Vec<Diff>, bool) {
    let mut known: HashMap<Pair, Vec<Diff>> = HashMap::new();
    let mut result = Vec::new();
    let mut hit_cap = false;
    for _ in 0..MAX_PASSES {
        let mut differ = Differ {
            models: [original, update],
            memo: HashMap::new(),
            active: HashSet::new(),
            assumed: false,
            known: &known,
            found: HashMap::new(),
            depth: 0,
            max_depth,
            hit_cap: false,
        };
        result = differ.compare((0, original.root), (1, update.root));
        hit_cap |= differ.hit_cap;
        let assumed = differ.assumed;
        let found = differ.found;
        if !assumed || found.keys().all(|k| known.contains_key(k)) {
            break;
        }
        known.extend(found);
    }
    (result, hit_cap)
}

pub(super) struct Differ<'a> {
    models: [&'a Model; 2],
    memo: HashMap<Pair, Vec<Diff>>,
    active: HashSet<Pair>,
    /// An optimistic answer was given for a pair under comparison.
    assumed: bool,
    /// Incompatible results of earlier passes, used instead of the optimistic answer.
    known: &'a HashMap<Pair, Vec<Diff>>,
    found: HashMap<Pair, Vec<Diff>>,
    depth: usize,
    max_depth: usize,
    hit_cap: bool,
}

/// Prefix the relative paths of `diffs` with `prefix`.
pub(super) fn nest(diffs: Vec<Diff>, prefix: &str) -> Vec<Diff> {
    diffs
        .into_iter()
        .map(|mut d| {
            d.path.insert_str(0, prefix);
            d
        })
        .collect()
}

pub(super) fn all_compatible(diffs: &[Diff]) -> bool {
    diffs.iter().all(|d| is_compatible_type(d.kind))
}

impl<'a> Differ<'a> {
    pub(super) fn node(&self, r: Nr) -> &'a Node {
        let model: &'a Model = self.models[r.0 as usize];
        &model.nodes[r.1]
    }

    pub(super) fn deref(&self, r: Nr) -> Nr {
        let model = self.models[r.0 as usize];
        let id = model.deref(r.1);
        if id == usize::MAX {
            r
        } else {
            (r.0, id)
        }
    }

    /// Compare optional schemas at `path`: one side missing is SCHEMA_ADDED/REMOVED.
    pub(super) fn compare_opt(
        &mut self,
        original: Option<Nr>,
        update: Option<Nr>,
        path: &str,
    ) -> Vec<Diff> {
        match (original, update) {
            (None, None) => Vec::new(),
            (None, Some(_)) => vec![Diff::new("SCHEMA_ADDED", path)],
            (Some(_), None) => vec![Diff::new("SCHEMA_REMOVED", path)],
            (Some(o), Some(u)) => nest(self.compare(o, u), path),
        }
    }

    /// Is `update` compatible with `original` (every difference in the compatible set)?
    pub(super) fn compatible(&mut self, original: Nr, update: Nr) -> (bool, Vec<Diff>) {
        let diffs = self.compare(original, update);
        (all_compatible(&diffs), diffs)
    }

    pub(super) fn compare(&mut self, original: Nr, update: Nr) -> Vec<Diff> {
        let key = (self.deref(original), self.deref(update));
        if let Some(done) = self.memo.get(&key) {
            return done.clone();
        }
        if self.depth >= self.max_depth {
            self.hit_cap = true;
        }
        if self.active.contains(&key) || self.depth >= self.max_depth {
            self.assumed = true;
            return self.known.get(&key).cloned().unwrap_or_default();
        }
        self.active.insert(key);
        self.depth += 1;
        let result = self.compute(key.0, key.1);
        self.depth -= 1;
        self.active.remove(&key);
        if !all_compatible(&result) {
            self.found.insert(key, result.clone());
        }
        self.memo.insert(key, result.clone());
        result
    }

    fn compute(&mut self, o: Nr, u: Nr) -> Vec<Diff> {
        let on = self.node(o);
        let un = self.node(u);
        let side = |r: Nr, id: NodeId| (r.0, id);

        // Step 3: one side combined, the other not.
        match (&on.kind, &un.kind) {
            (other, Kind::Combined(criterion, subs)) if !matches!(other, Kind::Combined(..)) => {
                if subs.len() == 1 {
                    let (ok, diffs) = self.compatible(o, side(u, subs[0]));
                    if ok {
                        return diffs;
                    }
                } else if *criterion != Criterion::AllOf {
                    for &sub in subs {
                        let (ok, mut diffs) = self.compatible(o, side(u, sub));
                        if ok {
                            diffs.push(Diff::new("SUM_TYPE_EXTENDED", ""));
                            return diffs;
                        }
                    }
                }
            }
            (Kind::Combined(criterion, subs), other) if !matches!(other, Kind::Combined(..)) => {
                if subs.len() == 1 {
                    let (ok, diffs) = self.compatible(side(o, subs[0]), u);
                    if ok {
                        return diffs;
                    }
                } else if *criterion == Criterion::AllOf {
                    for &sub in subs {
                        let (ok, mut diffs) = self.compatible(side(o, sub), u);
                        if ok {
                            diffs.push(Diff::new("PRODUCT_TYPE_NARROWED", ""));
                            return diffs;
                        }
                    }
                }
            }
            _ => {}
        }

        // Step 4: different model classes.
        if on.kind.class() != un.kind.class() {
            if matches!(on.kind, Kind::False)
                || matches!(un.kind, Kind::Empty | Kind::True)
                || (on.connect_bytes && un.connect_bytes)
            {
                return Vec::new();
            }
            return vec![Diff::new("TYPE_CHANGED", "")];
        }

        // Step 5: annotations, then the per-class rules.
        let mut out = Vec::new();
        if on.id != un.id {
            out.push(Diff::new("ID_CHANGED", ""));
        }
        if on.title != un.title {
            out.push(Diff::new("TITLE_CHANGED", ""));
        }
        if on.description != un.description {
            out.push(Diff::new("DESCRIPTION_CHANGED", ""));
        }
        if on.default != un.default {
            out.push(Diff::new("DEFAULT_CHANGED", ""));
        }
        match (&on.kind, &un.kind) {
            (Kind::Combined(oc, os), Kind::Combined(uc, us)) => {
                self.combined(&mut out, o, *oc, os, u, *uc, us)
            }
            (Kind::Not(a), Kind::Not(b)) => {
                // Reverse order: the update's negated schema plays the original.
                let (ok, _) = self.compatible(side(u, *b), side(o, *a));
                out.push(Diff::new(
                    if ok {
                        "NOT_TYPE_NARROWED"
                    } else {
                        "NOT_TYPE_EXTENDED"
                    },
                    "",
                ));
            }
            (Kind::Enum(a), Kind::Enum(b)) => super::rules::enums(&mut out, a, b),
            (Kind::Const(a), Kind::Const(b)) if a != b => {
                out.push(Diff::new("ENUM_ARRAY_CHANGED", ""));
            }
            (Kind::Number(a), Kind::Number(b)) => super::rules::number(&mut out, a, b),
            (Kind::String(a), Kind::String(b)) => super::rules::string(&mut out, a, b),
            (Kind::Object(a), Kind::Object(b)) => {
                super::rules::object(self, &mut out, o.0, a, u.0, b)
            }
            (Kind::Array(a), Kind::Array(b)) => super::rules::array(self, &mut out, o.0, a, u.0, b),
            _ => {}
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn combined(
        &mut self,
        out: &mut Vec<Diff>,
        o: Nr,
        oc: Criterion,
        os: &[NodeId],
        u: Nr,
        uc: Criterion,
        us: &[NodeId],
    ) {
        if oc != uc {
            let allowed = uc == Criterion::AnyOf
                || (os.len() == 1 && us.len() == 1)
                || (os.len() == 1 && uc == Criterion::OneOf)
                || (oc == Criterion::AllOf && us.len() == 1);
            if !allowed {
                out.push(Diff::new("COMBINED_TYPE_CHANGED", ""));
                return;
            }
            out.push(Diff::new("COMBINED_TYPE_EXTENDED", ""));
        }
        if us.len() > os.len() {
            out.push(Diff::new(
                if uc == Criterion::AllOf {
                    "PRODUCT_TYPE_EXTENDED"
                } else {
                    "SUM_TYPE_EXTENDED"
                },
                "",
            ));
        } else if us.len() < os.len() {
            out.push(Diff::new(
                if oc == Criterion::AllOf {
                    "PRODUCT_TYPE_NARROWED"
                } else {
                    "SUM_TYPE_NARROWED"
                },
                "",
            ));
        }
        // Compatible pairs, then a maximum bipartite matching (augmenting paths).
        let mut edges: Vec<Vec<(usize, Vec<Diff>)>> = Vec::with_capacity(os.len());
        for &a in os {
            let mut row = Vec::new();
            for (j, &b) in us.iter().enumerate() {
                let (ok, diffs) = self.compatible((o.0, a), (u.0, b));
                if ok {
                    row.push((j, diffs));
                }
            }
            edges.push(row);
        }
        let adjacency: Vec<Vec<usize>> = edges
            .iter()
            .map(|row| row.iter().map(|(j, _)| *j).collect())
            .collect();
        let matched = max_matching(&adjacency, us.len());
        let size = matched.iter().filter(|m| m.is_some()).count();
        if size < os.len().min(us.len()) {
            out.push(Diff::new("COMBINED_TYPE_SUBSCHEMAS_CHANGED", ""));
        }
        for (j, i) in matched.iter().enumerate() {
            if let Some(i) = *i {
                if let Some((_, diffs)) = edges[i].iter().find(|(jj, _)| *jj == j) {
                    out.extend(nest(diffs.clone(), &format!("/{}/{i}", oc.keyword())));
                }
            }
        }
    }
}

/// Maximum bipartite matching by augmenting paths (Kuhn). Returns, for each right vertex,
/// the left vertex matched to it.
pub(super) fn max_matching(adjacency: &[Vec<usize>], right: usize) -> Vec<Option<usize>> {
    fn augment(
        i: usize,
        adjacency: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &j in &adjacency[i] {
            if seen[j] {
                continue;
            }
            seen[j] = true;
            if owner[j].is_none_or(|k| augment(k, adjacency, seen, owner)) {
                owner[j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; right];
    for i in 0..adjacency.len() {
        let mut seen = vec![false; right];
        augment(i, adjacency, &mut seen, &mut owner);
    }
    owner
}

/// The STRICT compatible set of §4.4: differences of these types do not break readers.
pub fn is_compatible_type(kind: &str) -> bool {
    COMPATIBLE.contains(&kind)
}

const COMPATIBLE: &[&str] = &[
    "ID_CHANGED",
    "DESCRIPTION_CHANGED",
    "TITLE_CHANGED",
    "DEFAULT_CHANGED",
    "SCHEMA_REMOVED",
    "TYPE_EXTENDED",
    "MAX_LENGTH_INCREASED",
    "MAX_LENGTH_REMOVED",
    "MIN_LENGTH_DECREASED",
    "MIN_LENGTH_REMOVED",
    "PATTERN_REMOVED",
    "MAXIMUM_INCREASED",
    "MAXIMUM_REMOVED",
    "MINIMUM_DECREASED",
    "MINIMUM_REMOVED",
    "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_DECREASED",
    "EXCLUSIVE_MINIMUM_REMOVED",
    "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_REMOVED",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    "REQUIRED_ATTRIBUTE_REMOVED",
    "DEPENDENCY_ARRAY_NARROWED",
    "DEPENDENCY_ARRAY_REMOVED",
    "DEPENDENCY_SCHEMA_REMOVED",
    "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_REMOVED",
    "MIN_PROPERTIES_DECREASED",
    "MIN_PROPERTIES_REMOVED",
    "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_EXTENDED",
    "UNEVALUATED_PROPERTIES_ADDED",
    "UNEVALUATED_PROPERTIES_EXTENDED",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "MAX_ITEMS_INCREASED",
    "MAX_ITEMS_REMOVED",
    "MIN_ITEMS_DECREASED",
    "MIN_ITEMS_REMOVED",
    "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_REMOVED",
    "MIN_CONTAINS_DECREASED",
    "MIN_CONTAINS_REMOVED",
    "UNIQUE_ITEMS_REMOVED",
    "ADDITIONAL_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_EXTENDED",
    "UNEVALUATED_ITEMS_ADDED",
    "UNEVALUATED_ITEMS_EXTENDED",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED",
    "COMBINED_TYPE_EXTENDED",
    "PRODUCT_TYPE_NARROWED",
    "SUM_TYPE_EXTENDED",
    "NOT_TYPE_NARROWED",
];

impl Difference {
    /// Confluent's verbose message shape, closing single quote included (§1.3).
    pub fn message(&self, roles: Roles) -> String {
        format!(
            "{{errorType:\"{}\", description:\"{}'}}",
            self.kind,
            self.description(roles)
        )
    }

    /// A sentence naming the path and the two schemas by role ("new"/"old").
    pub fn description(&self, roles: Roles) -> String {
        let (r, w, p) = (roles.reader, roles.writer, &self.path);
        let what = match self.kind {
            "TYPE_CHANGED" => format!("the {r} schema has a different type than the {w} schema"),
            "TYPE_NARROWED" => format!("the {r} schema accepts only integers where the {w} schema accepts any number"),
            "SCHEMA_ADDED" => format!("the {r} schema adds a subschema the {w} schema does not have"),
            "ENUM_ARRAY_NARROWED" => format!("the {r} schema allows fewer enum values than the {w} schema"),
            "ENUM_ARRAY_CHANGED" => format!("the {r} schema's enum/const values differ from the {w} schema's"),
            "NOT_TYPE_EXTENDED" => format!("the {r} schema's 'not' excludes values the {w} schema's does not"),
            "COMBINED_TYPE_CHANGED" => format!("the {r} schema combines subschemas with a different keyword than the {w} schema"),
            "PRODUCT_TYPE_EXTENDED" => format!("the {r} schema's allOf has more subschemas than the {w} schema's"),
            "SUM_TYPE_NARROWED" => format!("the {r} schema's anyOf/oneOf has fewer subschemas than the {w} schema's"),
            "COMBINED_TYPE_SUBSCHEMAS_CHANGED" => format!("the subschemas of the {r} schema cannot be matched to compatible subschemas of the {w} schema"),
            "REQUIRED_ATTRIBUTE_ADDED" => format!("the {r} schema makes a property required (without default) that the {w} schema does not require"),
            "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" => format!("the {r} schema adds a required property to an open content model of the {w} schema"),
            "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL" => format!("the {r} schema adds a required property with a default to an open content model of the {w} schema"),
            "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" => format!("the {r} schema adds an optional property to an open content model of the {w} schema"),
            "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" => format!("the {r} schema adds a required property without default to a closed content model of the {w} schema"),
            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" => format!("the {r} schema removes a property from a closed content model; the {w} schema defines it"),
            "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => format!("the {r} schema adds a property not covered by the partially open content model of the {w} schema"),
            "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => format!("the {r} schema removes a property its partially open content model does not cover; the {w} schema defines it"),
            "ITEM_ADDED_TO_OPEN_CONTENT_MODEL" => format!("the {r} schema adds a tuple item to an open content model of the {w} schema"),
            "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL" => format!("the {r} schema removes a tuple item from a closed content model; the {w} schema defines it"),
            "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => format!("the {r} schema adds a tuple item not covered by the partially open content model of the {w} schema"),
            "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => format!("the {r} schema removes a tuple item its partially open content model does not cover; the {w} schema defines it"),
            "ADDITIONAL_PROPERTIES_REMOVED" | "ADDITIONAL_ITEMS_REMOVED" | "UNEVALUATED_PROPERTIES_REMOVED" | "UNEVALUATED_ITEMS_REMOVED" => {
                format!("the {r} schema forbids additional content the {w} schema allows")
            }
            "ADDITIONAL_PROPERTIES_NARROWED" | "ADDITIONAL_ITEMS_NARROWED" | "UNEVALUATED_PROPERTIES_NARROWED" | "UNEVALUATED_ITEMS_NARROWED" => {
                format!("the {r} schema constrains additional content the {w} schema leaves unconstrained")
            }
            "DEPENDENCY_ARRAY_ADDED" | "DEPENDENCY_SCHEMA_ADDED" => format!("the {r} schema adds a dependency the {w} schema does not have"),
            "DEPENDENCY_ARRAY_EXTENDED" => format!("the {r} schema's dependency requires more properties than the {w} schema's"),
            "DEPENDENCY_ARRAY_CHANGED" => format!("the {r} schema's dependency differs from the {w} schema's"),
            "MULTIPLE_OF_ADDED" | "MULTIPLE_OF_EXPANDED" | "MULTIPLE_OF_CHANGED" => format!("the {r} schema's multipleOf rejects values the {w} schema's accepts"),
            "PATTERN_ADDED" | "PATTERN_CHANGED" => format!("the {r} schema has a pattern the {w} schema does not have"),
            "UNIQUE_ITEMS_ADDED" => format!("the {r} schema requires unique items; the {w} schema does not"),
            other => {
                let words = other.to_ascii_lowercase().replace('_', " ");
                format!("{words} in the {r} schema compared to the {w} schema")
            }
        };
        format!("At path '{p}': {what}")
    }
}

#[cfg(test)]
mod tests {
    use super::max_matching;

    #[test]
    fn matching_takes_augmenting_paths() {
        // Greedy would pair 0-0 and leave 1 unmatched; the maximum matching is 0-1, 1-0.
        let m = max_matching(&[vec![0, 1], vec![0]], 2);
        assert_eq!(m.iter().filter(|x| x.is_some()).count(), 2);
        assert_eq!(m, vec![Some(1), Some(0)]);
        let m = max_matching(&[vec![0], vec![0], vec![]], 1);
        assert_eq!(m.iter().filter(|x| x.is_some()).count(), 1);
        assert!(max_matching(&[], 0).is_empty());
    }
}
