//! Per-class rules of `docs/compatibility.md` §4.3 (original = writer, update = reader).

use super::diff::{nest, Diff, Differ, Nr};
use super::model::{ArrayNode, Kind, NodeId, NumberNode, ObjectNode, StringNode};
use super::parse::escape_segment;
use serde_json::Value;

/// Type names for one size-like keyword: added, removed, increased, decreased.
struct Limit {
    added: &'static str,
    removed: &'static str,
    increased: &'static str,
    decreased: &'static str,
}

macro_rules! limit {
    ($name:literal) => {
        Limit {
            added: concat!($name, "_ADDED"),
            removed: concat!($name, "_REMOVED"),
            increased: concat!($name, "_INCREASED"),
            decreased: concat!($name, "_DECREASED"),
        }
    };
}

fn limit(
    out: &mut Vec<Diff>,
    original: Option<f64>,
    update: Option<f64>,
    names: Limit,
    path: &str,
) {
    let kind = match (original, update) {
        (None, Some(_)) => names.added,
        (Some(_), None) => names.removed,
        (Some(a), Some(b)) if b > a => names.increased,
        (Some(a), Some(b)) if b < a => names.decreased,
        _ => return,
    };
    out.push(Diff::new(kind, path));
}

pub(super) fn string(out: &mut Vec<Diff>, o: &StringNode, u: &StringNode) {
    limit(out, o.max_length, u.max_length, limit!("MAX_LENGTH"), "");
    limit(out, o.min_length, u.min_length, limit!("MIN_LENGTH"), "");
    match (&o.pattern, &u.pattern) {
        (None, Some(_)) => out.push(Diff::new("PATTERN_ADDED", "")),
        (Some(_), None) => out.push(Diff::new("PATTERN_REMOVED", "")),
        (Some(a), Some(b)) if a != b => out.push(Diff::new("PATTERN_CHANGED", "")),
        _ => {}
    }
}

pub(super) fn number(out: &mut Vec<Diff>, o: &NumberNode, u: &NumberNode) {
    limit(out, o.maximum, u.maximum, limit!("MAXIMUM"), "");
    limit(out, o.minimum, u.minimum, limit!("MINIMUM"), "");
    limit(
        out,
        o.exclusive_maximum,
        u.exclusive_maximum,
        limit!("EXCLUSIVE_MAXIMUM"),
        "",
    );
    limit(
        out,
        o.exclusive_minimum,
        u.exclusive_minimum,
        limit!("EXCLUSIVE_MINIMUM"),
        "",
    );
    match (&o.multiple_of, &u.multiple_of) {
        (None, Some(_)) => out.push(Diff::new("MULTIPLE_OF_ADDED", "")),
        (Some(_), None) => out.push(Diff::new("MULTIPLE_OF_REMOVED", "")),
        (Some(a), Some(b)) => {
            let (a, b) = (decimal(a), decimal(b));
            if a != b {
                let kind = match (a, b) {
                    (Some(a), Some(b)) if is_multiple(b, a) => "MULTIPLE_OF_EXPANDED",
                    (Some(a), Some(b)) if is_multiple(a, b) => "MULTIPLE_OF_REDUCED",
                    _ => "MULTIPLE_OF_CHANGED",
                };
                out.push(Diff::new(kind, ""));
            }
        }
        (None, None) => {}
    }
    if o.integer && !u.integer {
        out.push(Diff::new("TYPE_EXTENDED", ""));
    } else if !o.integer && u.integer {
        out.push(Diff::new("TYPE_NARROWED", ""));
    }
}

/// An exact decimal `mantissa × 10^exponent`, trailing zeros stripped (so 0.5 = 0.50).
fn decimal(n: &serde_json::Number) -> Option<(i128, i32)> {
    let text = n.to_string();
    let (digits, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (int_part, frac_part) = match digits.find('.') {
        Some(i) => (&digits[..i], &digits[i + 1..]),
        None => (digits, ""),
    };
    let mut mantissa: i128 = format!("{int_part}{frac_part}").parse().ok()?;
    let mut exponent = exponent.checked_sub(i32::try_from(frac_part.len()).ok()?)?;
    if mantissa == 0 {
        return Some((0, 0));
    }
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    Some((mantissa, exponent))
}

/// Is `a` an integer multiple of `b`?
fn is_multiple(a: (i128, i32), b: (i128, i32)) -> bool {
    if b.0 == 0 {
        return false;
    }
    let e = a.1.min(b.1);
    let scale = |m: i128, from: i32| -> Option<i128> {
        let shift = u32::try_from(from - e).ok()?;
        m.checked_mul(10i128.checked_pow(shift)?)
    };
    match (scale(a.0, a.1), scale(b.0, b.1)) {
        (Some(x), Some(y)) => x % y == 0,
        _ => false,
    }
}

pub(super) fn enums(out: &mut Vec<Diff>, o: &[Value], u: &[Value]) {
    let o_in_u = o.iter().all(|v| u.contains(v));
    let u_in_o = u.iter().all(|v| o.contains(v));
    let kind = match (o_in_u, u_in_o) {
        (true, true) => return,
        (true, false) => "ENUM_ARRAY_EXTENDED",
        (false, true) => "ENUM_ARRAY_NARROWED",
        (false, false) => "ENUM_ARRAY_CHANGED",
    };
    out.push(Diff::new(kind, ""));
}

/// How "additional" content is constrained: allowed freely, forbidden, or by a schema.
#[derive(Clone, Copy)]
enum Extra {
    Allowed,
    Forbidden,
    Schema(Nr),
}

fn extra(d: &Differ<'_>, side: u8, allowed: bool, schema: Option<NodeId>) -> Extra {
    match (allowed, schema) {
        (false, _) => Extra::Forbidden,
        (true, None) => Extra::Allowed,
        (true, Some(id)) => Extra::Schema(d.deref((side, id))),
    }
}

/// `unevaluatedProperties`/`unevaluatedItems`: absent or `true` allow, `false` forbids.
fn unevaluated(d: &Differ<'_>, side: u8, schema: Option<NodeId>) -> Extra {
    match schema {
        None => Extra::Allowed,
        Some(id) => {
            let r = d.deref((side, id));
            match d.node(r).kind {
                Kind::True => Extra::Allowed,
                Kind::False => Extra::Forbidden,
                _ => Extra::Schema(r),
            }
        }
    }
}

/// additionalProperties / additionalItems / unevaluated*: `prefix` is e.g. "ADDITIONAL_PROPERTIES".
fn compare_extra(
    d: &mut Differ<'_>,
    out: &mut Vec<Diff>,
    o: Extra,
    u: Extra,
    names: [&'static str; 4],
    path: &str,
) {
    let [added, removed, extended, narrowed] = names;
    match (o, u) {
        (Extra::Allowed | Extra::Schema(_), Extra::Forbidden) => out.push(Diff::new(removed, path)),
        (Extra::Forbidden, Extra::Allowed | Extra::Schema(_)) => out.push(Diff::new(added, path)),
        (Extra::Allowed, Extra::Schema(_)) => out.push(Diff::new(narrowed, path)),
        (Extra::Schema(_), Extra::Allowed) => out.push(Diff::new(extended, path)),
        (Extra::Schema(a), Extra::Schema(b)) => out.extend(nest(d.compare(a, b), path)),
        (Extra::Allowed, Extra::Allowed) | (Extra::Forbidden, Extra::Forbidden) => {}
    }
}

macro_rules! extra_names {
    ($name:literal) => {
        [
            concat!($name, "_ADDED"),
            concat!($name, "_REMOVED"),
            concat!($name, "_EXTENDED"),
            concat!($name, "_NARROWED"),
        ]
    };
}

fn is_open_object(d: &Differ<'_>, side: u8, o: &ObjectNode) -> bool {
    o.additional_allowed
        && o.additional_schema.is_none()
        && o.pattern_properties.is_empty()
        && matches!(unevaluated(d, side, o.unevaluated), Extra::Allowed)
}

/// The schema that covers an undeclared property `name` in a partially open model.
fn covering_property(d: &Differ<'_>, side: u8, o: &ObjectNode, name: &str) -> Option<Nr> {
    if let Some(p) = o
        .pattern_properties
        .iter()
        .find(|p| p.regex.as_ref().is_some_and(|r| r.is_match(name)))
    {
        return Some((side, p.schema));
    }
    if let Some(schema) = o.additional_schema {
        return Some((side, schema));
    }
    if o.additional_allowed {
        if let Extra::Schema(r) = unevaluated(d, side, o.unevaluated) {
            return Some(r);
        }
    }
    None
}

fn has_default(d: &Differ<'_>, r: Nr) -> bool {
    d.node(r).default.is_some() || d.node(d.deref(r)).default.is_some()
}

fn is_kind(d: &Differ<'_>, r: Nr, f: impl Fn(&Kind) -> bool) -> bool {
    f(&d.node(d.deref(r)).kind)
}

pub(super) fn object(
    d: &mut Differ<'_>,
    out: &mut Vec<Diff>,
    os: u8,
    o: &ObjectNode,
    us: u8,
    u: &ObjectNode,
) {
    let prop_path = |name: &str| format!("/properties/{}", escape_segment(name));
    let find = |obj: &ObjectNode, name: &str| {
        obj.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    };
    let o_required = |name: &str| o.required.iter().any(|n| n == name);
    let u_required = |name: &str| u.required.iter().any(|n| n == name);

    // required, for properties present in both
    for (name, _) in &o.properties {
        if let Some(up) = find(u, name) {
            match (o_required(name), u_required(name)) {
                (false, true) => out.push(Diff::new(
                    if has_default(d, (us, up)) {
                        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"
                    } else {
                        "REQUIRED_ATTRIBUTE_ADDED"
                    },
                    prop_path(name),
                )),
                (true, false) => out.push(Diff::new("REQUIRED_ATTRIBUTE_REMOVED", prop_path(name))),
                _ => {}
            }
        }
    }

    // properties: changed and removed (judged by the update's model)
    let update_open = is_open_object(d, us, u);
    for (name, op) in &o.properties {
        let path = prop_path(name);
        if let Some(up) = find(u, name) {
            out.extend(nest(d.compare((os, *op), (us, up)), &path));
            continue;
        }
        let kind = if update_open {
            "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"
        } else if let Some(cover) = covering_property(d, us, u, name) {
            if d.compatible((os, *op), cover).0 {
                "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            } else {
                "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
        } else if is_kind(d, (os, *op), |k| matches!(k, Kind::False)) {
            "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        } else {
            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        };
        out.push(Diff::new(kind, path));
    }

    // properties: added (judged by the original's model)
    let original_open = is_open_object(d, os, o);
    for (name, up) in &u.properties {
        if find(o, name).is_some() {
            continue;
        }
        let path = prop_path(name);
        let required = u_required(name);
        let with_default = has_default(d, (us, *up));
        if original_open {
            let kind = if is_kind(d, (us, *up), |k| matches!(k, Kind::Empty | Kind::True)) {
                "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            } else if required && with_default {
                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
            } else if required {
                "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            } else {
                "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            };
            out.push(Diff::new(kind, path));
            continue;
        }
        if let Some(cover) = covering_property(d, os, o, name) {
            let kind = if d.compatible(cover, (us, *up)).0 {
                "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            } else {
                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            };
            out.push(Diff::new(kind, path.clone()));
        }
        let kind = if required && with_default {
            "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
        } else if required {
            "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
        } else {
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
        };
        out.push(Diff::new(kind, path));
    }

    // dependencies
    let dep_path = |name: &str| format!("/dependencies/{}", escape_segment(name));
    for (name, od) in &o.property_dependencies {
        match u.property_dependencies.iter().find(|(n, _)| n == name) {
            None => out.push(Diff::new("DEPENDENCY_ARRAY_REMOVED", dep_path(name))),
            Some((_, ud)) => {
                let o_in_u = od.iter().all(|p| ud.contains(p));
                let u_in_o = ud.iter().all(|p| od.contains(p));
                let kind = match (o_in_u, u_in_o) {
                    (true, true) => continue,
                    (true, false) => "DEPENDENCY_ARRAY_EXTENDED",
                    (false, true) => "DEPENDENCY_ARRAY_NARROWED",
                    (false, false) => "DEPENDENCY_ARRAY_CHANGED",
                };
                out.push(Diff::new(kind, dep_path(name)));
            }
        }
    }
    for (name, _) in &u.property_dependencies {
        if !o.property_dependencies.iter().any(|(n, _)| n == name) {
            out.push(Diff::new("DEPENDENCY_ARRAY_ADDED", dep_path(name)));
        }
    }
    for (name, od) in &o.schema_dependencies {
        match u.schema_dependencies.iter().find(|(n, _)| n == name) {
            None => out.push(Diff::new("DEPENDENCY_SCHEMA_REMOVED", dep_path(name))),
            Some((_, ud)) => out.extend(nest(d.compare((os, *od), (us, *ud)), &dep_path(name))),
        }
    }
    for (name, _) in &u.schema_dependencies {
        if !o.schema_dependencies.iter().any(|(n, _)| n == name) {
            out.push(Diff::new("DEPENDENCY_SCHEMA_ADDED", dep_path(name)));
        }
    }

    // additionalProperties, unevaluatedProperties
    let (oe, ue) = (
        extra(d, os, o.additional_allowed, o.additional_schema),
        extra(d, us, u.additional_allowed, u.additional_schema),
    );
    compare_extra(
        d,
        out,
        oe,
        ue,
        extra_names!("ADDITIONAL_PROPERTIES"),
        "/additionalProperties",
    );
    let (oe, ue) = (
        unevaluated(d, os, o.unevaluated),
        unevaluated(d, us, u.unevaluated),
    );
    compare_extra(
        d,
        out,
        oe,
        ue,
        extra_names!("UNEVALUATED_PROPERTIES"),
        "/unevaluatedProperties",
    );

    limit(
        out,
        o.max_properties,
        u.max_properties,
        limit!("MAX_PROPERTIES"),
        "",
    );
    limit(
        out,
        o.min_properties,
        u.min_properties,
        limit!("MIN_PROPERTIES"),
        "",
    );
}

/// An array's content model for tuple items beyond those declared.
fn array_model(d: &Differ<'_>, side: u8, a: &ArrayNode) -> Extra {
    match extra(d, side, a.additional_allowed, a.additional_schema) {
        Extra::Allowed => unevaluated(d, side, a.unevaluated),
        other => other,
    }
}

pub(super) fn array(
    d: &mut Differ<'_>,
    out: &mut Vec<Diff>,
    os: u8,
    o: &ArrayNode,
    us: u8,
    u: &ArrayNode,
) {
    out.extend(d.compare_opt(
        o.all_items.map(|i| (os, i)),
        u.all_items.map(|i| (us, i)),
        "/items",
    ));

    if o.tuple.is_some() || u.tuple.is_some() {
        let ot: &[NodeId] = o.tuple.as_deref().unwrap_or(&[]);
        let ut: &[NodeId] = u.tuple.as_deref().unwrap_or(&[]);
        for (i, (a, b)) in ot.iter().zip(ut).enumerate() {
            out.extend(nest(d.compare((os, *a), (us, *b)), &format!("/items/{i}")));
        }
        // Items the update no longer declares: judged by the update's model.
        let update_model = array_model(d, us, u);
        for (i, a) in ot.iter().enumerate().skip(ut.len()) {
            let kind = match update_model {
                Extra::Allowed => "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
                Extra::Schema(cover) => {
                    if d.compatible((os, *a), cover).0 {
                        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                    } else {
                        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                    }
                }
                Extra::Forbidden if is_kind(d, (os, *a), |k| matches!(k, Kind::False)) => {
                    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                }
                Extra::Forbidden => "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
            };
            out.push(Diff::new(kind, format!("/items/{i}")));
        }
        // Items only the update declares: judged by the original's model.
        let original_model = array_model(d, os, o);
        for (i, b) in ut.iter().enumerate().skip(ot.len()) {
            let kind = match original_model {
                Extra::Allowed
                    if is_kind(d, (us, *b), |k| matches!(k, Kind::Empty | Kind::True)) =>
                {
                    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                }
                Extra::Allowed => "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
                Extra::Schema(cover) => {
                    if d.compatible(cover, (us, *b)).0 {
                        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                    } else {
                        "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                    }
                }
                Extra::Forbidden => "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
            };
            out.push(Diff::new(kind, format!("/items/{i}")));
        }
    }

    let (oe, ue) = (
        extra(d, os, o.additional_allowed, o.additional_schema),
        extra(d, us, u.additional_allowed, u.additional_schema),
    );
    compare_extra(
        d,
        out,
        oe,
        ue,
        extra_names!("ADDITIONAL_ITEMS"),
        "/additionalItems",
    );
    let (oe, ue) = (
        unevaluated(d, os, o.unevaluated),
        unevaluated(d, us, u.unevaluated),
    );
    compare_extra(
        d,
        out,
        oe,
        ue,
        extra_names!("UNEVALUATED_ITEMS"),
        "/unevaluatedItems",
    );

    limit(out, o.max_items, u.max_items, limit!("MAX_ITEMS"), "");
    limit(out, o.min_items, u.min_items, limit!("MIN_ITEMS"), "");
    limit(
        out,
        o.max_contains,
        u.max_contains,
        limit!("MAX_CONTAINS"),
        "",
    );
    limit(
        out,
        o.min_contains,
        u.min_contains,
        limit!("MIN_CONTAINS"),
        "",
    );
    match (o.unique_items, u.unique_items) {
        (false, true) => out.push(Diff::new("UNIQUE_ITEMS_ADDED", "")),
        (true, false) => out.push(Diff::new("UNIQUE_ITEMS_REMOVED", "")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{decimal, is_multiple};
    use serde_json::Number;

    fn d(text: &str) -> (i128, i32) {
        let n: Number = serde_json::from_str(text).unwrap();
        decimal(&n).unwrap()
    }

    #[test]
    fn decimals_are_exact_and_normalised() {
        assert_eq!(d("0.5"), d("0.50"));
        assert_eq!(d("10"), (1, 1));
        assert_eq!(d("0.001"), (1, -3));
        assert_eq!(d("1e-7"), (1, -7));
        assert_eq!(d("2.5e3"), (25, 2));
        assert_eq!(d("0"), (0, 0));
    }

    #[test]
    fn multiples() {
        assert!(is_multiple(d("4"), d("2")));
        assert!(!is_multiple(d("2"), d("4")));
        assert!(is_multiple(d("0.3"), d("0.1")));
        assert!(is_multiple(d("1.5"), d("0.5")));
        assert!(!is_multiple(d("11"), d("10")));
        assert!(!is_multiple(d("1"), d("0")));
    }
}
