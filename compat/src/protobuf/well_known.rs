//! Imports that resolve without a schema reference, besides `google/protobuf/*.proto` (served by
//! protox's `GoogleFileResolver`): the two Confluent support files that Confluent-style schemas
//! import. Both are Apache-2.0 (confluentinc/schema-registry `protobuf-types`).

/// `confluent/meta.proto`: the `confluent.Meta` field/message/file options.
pub const CONFLUENT_META: &str = include_str!("confluent_meta.proto");
/// `confluent/type/decimal.proto`: the `confluent.type.Decimal` message.
pub const CONFLUENT_DECIMAL: &str = include_str!("confluent_decimal.proto");

/// Import paths served by this crate without a reference, with their source.
pub const FILES: [(&str, &str); 2] = [
    ("confluent/meta.proto", CONFLUENT_META),
    ("confluent/type/decimal.proto", CONFLUENT_DECIMAL),
];

/// True for an import path that needs no reference entry (`google/protobuf/*.proto` and the
/// Confluent support files).
pub fn is_well_known(name: &str) -> bool {
    name.starts_with("google/protobuf/") || FILES.iter().any(|(n, _)| *n == name)
}
