//! Avro schemas: our own parser (Java `Schema.Parser` semantics), the canonical text
//! (Java `Schema.toString()`), a normalized form, reference handling and Confluent's
//! reader/writer compatibility check (Apache Avro Java `SchemaCompatibility`).
//!
//! * `names`: identifier validation and namespace qualification;
//! * `model`: the parsed representation (named types in an arena, referenced by index);
//! * `parse`: JSON → model, validation, default-value checks;
//! * `canonical`: model → canonical / normalized / resolved text (the module docs give
//!   the attribute order and what normalisation does);
//! * `compat`: the compatibility walk and CSR's message format.
//!
//! Logical types are kept as the custom properties they are in JSON (`logicalType`,
//! `precision`, `scale`, ...): they are written back verbatim and never affect
//! compatibility. Java ignores an invalid logical type (e.g. a decimal whose scale exceeds
//! its precision) rather than rejecting the schema, so no logical type is ever an error here.

mod canonical;
mod compat;
mod model;
mod names;
mod parse;

use crate::{ParseOptions, ResolvedReference, Roles, SchemaError, SchemaType};
use canonical::Mode;
use model::Parsed;
use std::sync::Arc;

/// A parsed Avro schema with its references resolved.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    parsed: Arc<Parsed>,
    normalized: bool,
    canonical: String,
    retained: u64,
}

fn invalid(message: impl std::fmt::Display) -> SchemaError {
    SchemaError::new(format!("Invalid schema: {message}"))
}

impl AvroSchema {
    /// Parse `text` after the named types defined by `references` (the transitive closure,
    /// dependencies first). Names and structure are always validated; with
    /// `options.validate`, field default values must also match their types.
    pub fn parse(
        text: &str,
        references: &[ResolvedReference],
        options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        let mut parser = parse::Parser::new();
        let mut seen: Vec<&str> = Vec::new();
        for reference in references {
            // A diamond of dependencies may list the same schema twice: parse it once.
            if seen.contains(&reference.schema.as_str()) {
                continue;
            }
            seen.push(&reference.schema);
            if reference.schema_type != SchemaType::Avro {
                return Err(invalid(format!(
                    "reference {} is a {} schema, not an Avro one",
                    reference.name, reference.schema_type
                )));
            }
            parser
                .parse_text(&reference.schema, options.validate)
                .map_err(|e| invalid(format!("in reference {}: {e}", reference.name)))?;
        }
        let reference_types = parser.type_count();
        let root = parser.parse_text(text, options.validate).map_err(invalid)?;
        let retained = crate::footprint::avro(parser.input_bytes, &parser.input_shape);
        let parsed = parser.finish(root, reference_types);
        let mode = if options.normalize {
            Mode::Normalized
        } else {
            Mode::Canonical
        };
        let too_deep = || {
            invalid(format!(
                "Schema is nested more than {} levels deep",
                canonical::MAX_WRITE_DEPTH
            ))
        };
        let canonical = canonical::try_write(&parsed, mode).ok_or_else(too_deep)?;
        // Inlining references can nest deeper than any one text: make sure `render` can.
        if reference_types > 0 {
            canonical::try_write(&parsed, Mode::Resolved).ok_or_else(too_deep)?;
        }
        Ok(AvroSchema {
            parsed: Arc::new(parsed),
            normalized: options.normalize,
            canonical,
            retained,
        })
    }

    /// The stored text: Java's `Schema.toString()` with referenced types left as names, or
    /// the normalized form when parsed with `normalize`.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// An estimate of the bytes this parse keeps allocated (`ParsedSchema::retained_bytes`).
    pub fn retained_bytes(&self) -> u64 {
        self.retained
    }

    /// `"resolved"`: the schema with every referenced named type inlined where first used.
    /// Any other format: `None`.
    pub fn render(&self, format: &str) -> Option<String> {
        match format {
            "resolved" => {
                let mode = if self.normalized {
                    Mode::ResolvedNormalized
                } else {
                    Mode::Resolved
                };
                Some(canonical::write(&self.parsed, mode))
            }
            _ => None,
        }
    }
}

/// Every reason `reader` cannot read data written with `writer`, in CSR's message format,
/// `roles` naming the two schemas ("new"/"old"). Empty when compatible.
pub fn incompatibilities(reader: &AvroSchema, writer: &AvroSchema, roles: Roles) -> Vec<String> {
    compat::messages(&reader.parsed, &writer.parsed, roles)
}
