//! Fuzz target: arbitrary bytes as the body of a register, lookup or compatibility request,
//! through what the server does with it: `schemata::api::parse_schema_request` (the
//! handlers' JSON parse and request building; a refusal must be a 4xx), then the registry's
//! checks before the store (rule set, schema size limit, schema type) and the parse of the
//! schema it carries, as a registration parses it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use schemata::api::extract::MAX_BODY_BYTES;
use schemata::registry::RegistryOptions;
use schemata_compat::{ParseOptions, ParsedSchema, SchemaType};

fuzz_target!(|data: &[u8]| schemata_fuzz::on_worker_stack(|| exercise(data)));

fn exercise(data: &[u8]) {
    if data.len() > MAX_BODY_BYTES {
        return;
    }
    let request = match schemata::api::parse_schema_request(data) {
        Ok(request) => request,
        Err(e) => {
            assert!(
                e.status.is_client_error(),
                "a bad body answered {}: {}",
                e.status,
                e.message
            );
            return;
        }
    };
    let _ = schemata::domain::validate_rule_set(request.rule_set.as_ref());
    if request.schema.len() > RegistryOptions::DEFAULT_MAX_SCHEMA_BYTES
        || request.schema.trim().is_empty()
    {
        return;
    }
    let schema_type = match request.schema_type.as_deref() {
        None | Some("") => SchemaType::Avro,
        Some(name) => match SchemaType::from_wire(name) {
            Some(schema_type) => schema_type,
            None => return,
        },
    };
    for normalize in [false, true] {
        let options = ParseOptions {
            validate: true,
            normalize,
        };
        if let Ok(parsed) = ParsedSchema::parse(schema_type, &request.schema, &[], options) {
            schemata_fuzz::exercise_parsed(&parsed, &[], options);
        }
    }
}
