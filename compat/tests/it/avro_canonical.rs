//! Canonical text (Java `Schema.toString()`), normalized form, references and the
//! "resolved" rendering.

use schemata_compat::avro::AvroSchema;
use schemata_compat::{ParseOptions, ResolvedReference, SchemaType};

const PLAIN: ParseOptions = ParseOptions {
    validate: true,
    normalize: false,
};
const NORMALIZE: ParseOptions = ParseOptions {
    validate: true,
    normalize: true,
};

fn canonical(text: &str) -> String {
    AvroSchema::parse(text, &[], PLAIN)
        .unwrap_or_else(|e| panic!("{e}"))
        .canonical()
        .to_string()
}

fn normalized(text: &str) -> String {
    AvroSchema::parse(text, &[], NORMALIZE)
        .unwrap_or_else(|e| panic!("{e}"))
        .canonical()
        .to_string()
}

fn reference(name: &str, schema: &str) -> ResolvedReference {
    ResolvedReference {
        name: name.to_string(),
        schema_type: SchemaType::Avro,
        schema: schema.to_string(),
    }
}

// Canonical form ------------------------------------------------------------------------

#[test]
fn primitive_type_object_becomes_its_name() {
    assert_eq!(canonical(r#"{   "type":   "string"}"#), r#""string""#);
    assert_eq!(canonical(r#" "int" "#), r#""int""#);
}

#[test]
fn input_key_order_and_whitespace_do_not_matter() {
    let a = r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int"}]}"#;
    let b =
        r#"{ "fields" : [ { "type" : "int", "name" : "f" } ], "name" : "R", "type" : "record" }"#;
    assert_eq!(canonical(a), canonical(b));
    assert_eq!(canonical(b), a);
}

#[test]
fn record_attributes_follow_java_order() {
    let text = r#"{"aliases":["Old"],"x-owner":"team","fields":[],"doc":"d","namespace":"ns","name":"R","type":"record"}"#;
    assert_eq!(
        canonical(text),
        r#"{"type":"record","name":"R","namespace":"ns","doc":"d","fields":[],"x-owner":"team","aliases":["Old"]}"#
    );
}

#[test]
fn field_attributes_follow_java_order() {
    let text = r#"{"type":"record","name":"R","fields":[
        {"x-f":1,"aliases":["g"],"order":"descending","default":5,"doc":"fd","type":"int","name":"f"},
        {"name":"h","type":"int","order":"ascending"}]}"#;
    assert_eq!(
        canonical(text),
        r#"{"type":"record","name":"R","fields":[{"name":"f","type":"int","doc":"fd","default":5,"order":"descending","aliases":["g"],"x-f":1},{"name":"h","type":"int"}]}"#
    );
}

#[test]
fn enum_fixed_array_and_map_attributes_follow_java_order() {
    assert_eq!(
        canonical(
            r#"{"default":"A","aliases":["F"],"p":true,"symbols":["A","B"],"doc":"x","name":"E","type":"enum"}"#
        ),
        r#"{"type":"enum","name":"E","doc":"x","symbols":["A","B"],"default":"A","p":true,"aliases":["F"]}"#
    );
    assert_eq!(
        canonical(r#"{"size":16,"p":1,"name":"md5","namespace":"h","type":"fixed"}"#),
        r#"{"type":"fixed","name":"md5","namespace":"h","size":16,"p":1}"#
    );
    assert_eq!(
        canonical(r#"{"p":"q","items":{"type":"long"},"type":"array"}"#),
        r#"{"type":"array","items":"long","p":"q"}"#
    );
    assert_eq!(
        canonical(r#"{"values":"bytes","type":"map"}"#),
        r#"{"type":"map","values":"bytes"}"#
    );
}

#[test]
fn logical_types_are_kept_as_properties_in_input_order() {
    assert_eq!(
        canonical(r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#),
        r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#
    );
    // An invalid decimal (scale > precision) is not an error: Java ignores the logical type.
    assert_eq!(
        canonical(r#"{"type":"bytes","logicalType":"decimal","precision":2,"scale":5}"#),
        r#"{"type":"bytes","logicalType":"decimal","precision":2,"scale":5}"#
    );
    assert_eq!(
        canonical(r#"{"type":"long","logicalType":"timestamp-millis"}"#),
        r#"{"type":"long","logicalType":"timestamp-millis"}"#
    );
}

#[test]
fn named_types_are_written_in_full_once_then_by_name() {
    let text = r#"{"type":"record","name":"R","namespace":"a","fields":[
        {"name":"x","type":{"type":"enum","name":"E","symbols":["S"]}},
        {"name":"y","type":"E"},
        {"name":"z","type":{"type":"fixed","name":"F","namespace":"b","size":2}},
        {"name":"w","type":"b.F"},
        {"name":"self","type":["null","R"],"default":null}]}"#;
    assert_eq!(
        canonical(text),
        r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"enum","name":"E","symbols":["S"]}},{"name":"y","type":"E"},{"name":"z","type":{"type":"fixed","name":"F","namespace":"b","size":2}},{"name":"w","type":"b.F"},{"name":"self","type":["null","R"],"default":null}]}"#
    );
}

#[test]
fn namespace_less_type_inside_namespaced_one_says_so() {
    let text = r#"{"type":"record","name":"R","namespace":"a","fields":[
        {"name":"x","type":{"type":"record","name":"Inner","namespace":"","fields":[]}}]}"#;
    let c = canonical(text);
    assert_eq!(
        c,
        r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"record","name":"Inner","namespace":"","fields":[]}}]}"#
    );
    assert_eq!(canonical(&c), c);
}

#[test]
fn dotted_names_are_split_into_name_and_namespace() {
    assert_eq!(
        canonical(r#"{"type":"record","name":"a.b.R","namespace":"ignored","fields":[]}"#),
        r#"{"type":"record","name":"R","namespace":"a.b","fields":[]}"#
    );
}

#[test]
fn aliases_are_written_relative_to_the_type_namespace() {
    assert_eq!(
        canonical(
            r#"{"type":"record","name":"R","namespace":"a","aliases":["Old","x.Older"],"fields":[]}"#
        ),
        r#"{"type":"record","name":"R","namespace":"a","fields":[],"aliases":["Old","x.Older"]}"#
    );
}

#[test]
fn canonical_text_reparses_to_itself() {
    let text = r#"{"type":"error","name":"Err","namespace":"n","doc":"é \"q\"","fields":[
        {"name":"m","type":{"type":"map","values":{"type":"array","items":["null","Err"]}},"default":{}},
        {"name":"d","type":"double","default":1.5}]}"#;
    let c = canonical(text);
    assert_eq!(canonical(&c), c);
    assert!(c.starts_with(r#"{"type":"error","name":"Err""#));
}

// Normalized form -----------------------------------------------------------------------

#[test]
fn normalize_uses_full_names_and_drops_namespace_attributes() {
    let text = r#"{"type":"record","name":"R","namespace":"a","fields":[
        {"name":"x","type":{"type":"enum","name":"E","symbols":["S"]}},
        {"name":"y","type":"E"}]}"#;
    assert_eq!(
        normalized(text),
        r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"enum","name":"a.E","symbols":["S"]}},{"name":"y","type":"a.E"}]}"#
    );
}

#[test]
fn namespace_spelling_is_irrelevant_in_both_forms() {
    let a = r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"f","type":"int"}]}"#;
    let b = r#"{"type":"record","name":"a.R","fields":[{"name":"f","type":"int"}]}"#;
    assert_eq!(canonical(a), canonical(b));
    assert_eq!(normalized(a), normalized(b));
    assert_eq!(
        normalized(a),
        r#"{"type":"record","name":"a.R","fields":[{"name":"f","type":"int"}]}"#
    );
}

#[test]
fn normalize_sorts_custom_properties_and_keeps_the_rest() {
    let a = r#"{"type":"bytes","scale":2,"precision":4,"logicalType":"decimal"}"#;
    let b = r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#;
    assert_ne!(canonical(a), canonical(b));
    assert_eq!(normalized(a), normalized(b));
    assert_eq!(
        normalized(a),
        r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#
    );
    let rec = r#"{"type":"record","name":"R","z":1,"a":2,"doc":"d","aliases":["Q"],"fields":[
        {"name":"f","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"B"},"default":"A","doc":"fd","aliases":["g"],"zz":0,"aa":1}]}"#;
    assert_eq!(
        normalized(rec),
        r#"{"type":"record","name":"R","doc":"d","fields":[{"name":"f","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"B"},"doc":"fd","default":"A","aliases":["g"],"aa":1,"zz":0}],"a":2,"z":1,"aliases":["Q"]}"#
    );
}

#[test]
fn normalized_text_reparses_to_itself() {
    let text = r#"{"type":"record","name":"R","namespace":"a","aliases":["b.Old"],"fields":[
        {"name":"i","type":{"type":"record","name":"I","namespace":"","fields":[
            {"name":"j","type":{"type":"fixed","name":"J","size":1}}]}},
        {"name":"k","type":"J"}]}"#;
    let n = normalized(text);
    assert_eq!(normalized(&n), n);
    // The namespace-less record keeps its (lack of) namespace through the round trip.
    assert!(n.contains(r#""name":"I","namespace":"""#), "{n}");
}

// References ----------------------------------------------------------------------------

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"street","type":"string"}]}"#;

#[test]
fn referenced_types_stay_names_in_the_canonical_text() {
    // As in Java, a reference is written relative to the enclosing namespace.
    let main = r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"work","type":"com.acme.Address"}]}"#;
    let refs = [reference("com.acme.Address", ADDRESS)];
    let s = AvroSchema::parse(main, &refs, PLAIN).unwrap();
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"work","type":"Address"}]}"#
    );
    let elsewhere = r#"{"type":"record","name":"Customer","fields":[{"name":"home","type":"com.acme.Address"}]}"#;
    assert_eq!(
        AvroSchema::parse(elsewhere, &refs, PLAIN)
            .unwrap()
            .canonical(),
        elsewhere
    );
    assert_eq!(
        s.render("resolved").unwrap(),
        r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":{"type":"record","name":"Address","fields":[{"name":"street","type":"string"}]}},{"name":"work","type":"Address"}]}"#
    );
    assert_eq!(s.render("serialized"), None);
    assert_eq!(s.render(""), None);
}

#[test]
fn references_are_transitive_and_parsed_in_order() {
    let country = r#"{"type":"enum","name":"Country","namespace":"geo","symbols":["FR","NL"]}"#;
    let place = r#"{"type":"record","name":"Place","namespace":"geo","fields":[{"name":"country","type":"Country"}]}"#;
    let main = r#"["null","geo.Place"]"#;
    let refs = [
        reference("geo.Country", country),
        reference("geo.Place", place),
    ];
    let s = AvroSchema::parse(main, &refs, PLAIN).unwrap();
    assert_eq!(s.canonical(), r#"["null","geo.Place"]"#);
    assert_eq!(
        s.render("resolved").unwrap(),
        r#"["null",{"type":"record","name":"Place","namespace":"geo","fields":[{"name":"country","type":{"type":"enum","name":"Country","symbols":["FR","NL"]}}]}]"#
    );
}

#[test]
fn missing_reference_is_an_undefined_name() {
    let main = r#"{"type":"record","name":"C","fields":[{"name":"a","type":{"type":"array","items":"com.acme.Address"}}]}"#;
    let err = AvroSchema::parse(main, &[], PLAIN).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Invalid schema: Undefined name: "com.acme.Address""#
    );
}

#[test]
fn main_schema_may_not_redefine_a_referenced_type() {
    let refs = [reference("com.acme.Address", ADDRESS)];
    let err = AvroSchema::parse(ADDRESS, &refs, PLAIN).unwrap_err();
    assert!(
        err.to_string().contains("Can't redefine: com.acme.Address"),
        "{err}"
    );
}

#[test]
fn invalid_reference_is_reported_with_its_name() {
    let refs = [reference("broken", r#"{"type":"record","name":"B"}"#)];
    let err = AvroSchema::parse(r#""string""#, &refs, PLAIN).unwrap_err();
    assert!(err.to_string().contains("broken"), "{err}");
    assert!(err.to_string().contains("Record has no fields"), "{err}");
}

#[test]
fn references_compare_like_inlined_types() {
    use schemata_compat::avro::incompatibilities;
    use schemata_compat::Roles;
    let refs = [reference("com.acme.Address", ADDRESS)];
    let with_ref = AvroSchema::parse(
        r#"{"type":"record","name":"C","fields":[{"name":"a","type":"com.acme.Address"}]}"#,
        &refs,
        PLAIN,
    )
    .unwrap();
    let inlined = AvroSchema::parse(
        &format!(r#"{{"type":"record","name":"C","fields":[{{"name":"a","type":{ADDRESS}}}]}}"#),
        &[],
        PLAIN,
    )
    .unwrap();
    assert!(incompatibilities(&with_ref, &inlined, Roles::BACKWARD).is_empty());
    assert!(incompatibilities(&inlined, &with_ref, Roles::BACKWARD).is_empty());
    assert_eq!(with_ref.render("resolved").unwrap(), inlined.canonical());
}

#[test]
fn normalized_schema_with_references_keeps_full_reference_names() {
    let refs = [reference("com.acme.Address", ADDRESS)];
    let s = AvroSchema::parse(
        r#"{"type":"record","name":"C","namespace":"com.acme","fields":[{"name":"a","type":"Address"}]}"#,
        &refs,
        NORMALIZE,
    )
    .unwrap();
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"com.acme.C","fields":[{"name":"a","type":"com.acme.Address"}]}"#
    );
}

/// `n` references, each a record whose field is the previous one.
fn chain(n: usize) -> Vec<ResolvedReference> {
    let mut refs = vec![reference(
        "c.L0",
        r#"{"type":"record","name":"L0","namespace":"c","fields":[{"name":"v","type":"int"}]}"#,
    )];
    for i in 1..n {
        refs.push(reference(
            &format!("c.L{i}"),
            &format!(
                r#"{{"type":"record","name":"L{i}","namespace":"c","fields":[{{"name":"next","type":"L{}"}}]}}"#,
                i - 1
            ),
        ));
    }
    refs
}

#[test]
fn long_reference_chains_resolve_compare_and_render() {
    use schemata_compat::avro::incompatibilities;
    use schemata_compat::Roles;
    let refs = chain(150);
    let main = r#"{"type":"record","name":"Top","fields":[{"name":"x","type":"c.L149"}]}"#;
    let a = AvroSchema::parse(main, &refs, PLAIN).unwrap();
    let b = AvroSchema::parse(main, &refs, PLAIN).unwrap();
    assert!(incompatibilities(&a, &b, Roles::BACKWARD).is_empty());
    assert_eq!(
        a.render("resolved").unwrap().matches("\"record\"").count(),
        151
    );
}

#[test]
fn reference_chains_too_deep_to_inline_are_rejected_not_overflowing() {
    let refs = chain(400);
    let main = r#"{"type":"record","name":"Top","fields":[{"name":"x","type":"c.L399"}]}"#;
    let err = AvroSchema::parse(main, &refs, PLAIN).unwrap_err();
    assert!(err.to_string().contains("nested more than"), "{err}");
}

#[test]
fn a_reference_listed_twice_is_parsed_once() {
    let refs = [
        reference("com.acme.Address", ADDRESS),
        reference("com.acme.Address", ADDRESS),
    ];
    let s = AvroSchema::parse(r#"["null","com.acme.Address"]"#, &refs, PLAIN).unwrap();
    assert_eq!(s.canonical(), r#"["null","com.acme.Address"]"#);
}

/// Found by the `avro_parse` fuzz target (fuzz/README.md): an alias in no namespace
/// (`".Old"`) of a namespaced type was normalised to `"Old"`, which a parser reads as
/// `ns.Old`, so normalising the normalised text changed it.
#[test]
fn normalising_keeps_an_alias_in_no_namespace() {
    let text = r#"{"type":"record","name":"R","namespace":"ns","aliases":[".Old","ns.Other"],"fields":[]}"#;
    let once = normalized(text);
    assert_eq!(
        once,
        r#"{"type":"record","name":"ns.R","fields":[],"aliases":[".Old","ns.Other"]}"#
    );
    assert_eq!(normalized(&once), once);
}
