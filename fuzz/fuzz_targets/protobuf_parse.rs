//! Fuzz target: arbitrary bytes as .proto text into `ParsedSchema::parse` (text split at NUL
//! bytes: references first, the schema last), with and without validation and
//! normalisation; every accepted schema is stored and read back, rendered and checked
//! against itself (`schemata_fuzz::exercise_parsed`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use schemata_compat::SchemaType;

fuzz_target!(|data: &[u8]| schemata_fuzz::on_worker_stack(|| {
    schemata_fuzz::exercise_parse(SchemaType::Protobuf, data)
}));
