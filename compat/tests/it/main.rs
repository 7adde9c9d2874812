//! Integration tests of schemata-compat, one module per area, built as a single test binary.

// The vector runners print what they found (known differences, pass counts).
#![allow(clippy::print_stdout)]

mod avro_canonical;
mod avro_levels;
mod avro_paths;
mod avro_props;
mod avro_rules;
mod avro_validation;
mod avro_vectors;
mod json_levels;
mod json_parse;
mod json_patterns;
mod json_props;
mod json_rules;
mod json_vectors;
mod protobuf_compat_rules;
mod protobuf_fuzz;
mod protobuf_limits;
mod protobuf_printer;
mod protobuf_props;
mod protobuf_support;
mod protobuf_vectors;
mod protobuf_wire;

use proptest::test_runner::{FailurePersistence, FileFailurePersistence};

/// Where the `proptest!` blocks keep their regression seeds: `<module>.proptest-regressions`
/// beside the module's source file. proptest's default (`SourceParallel`) would look in
/// `tests/proptest-regressions/<module>.txt` instead, since this directory has a `main.rs`.
fn regressions_beside_source() -> Option<Box<dyn FailurePersistence>> {
    Some(Box::new(FileFailurePersistence::WithSource(
        "proptest-regressions",
    )))
}
