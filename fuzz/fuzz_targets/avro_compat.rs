//! Fuzz target: two Avro schemas (old and new, split at the first NUL byte) parsed as the
//! registry parses a stored and a new schema, then checked against each other at every
//! compatibility level in both roles (`schemata_fuzz::exercise_compat`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use schemata_compat::SchemaType;

fuzz_target!(|data: &[u8]| schemata_fuzz::on_worker_stack(|| {
    schemata_fuzz::exercise_compat(SchemaType::Avro, data)
}));
