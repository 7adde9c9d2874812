//! JSON Schema: parsing and metaschema validation (drafts 4, 6, 7, 2019-09 and 2020-12),
//! references, canonical and normalised text, instance validation, and Confluent's
//! compatibility diff (`docs/compatibility.md` §4).
//!
//! Module map: `parse` reads text and indexes documents for `$ref`, `model` builds the
//! node graph the diff compares, `diff` is the algorithm of §4.2 with the per-class rules
//! of §4.3 in `rules`, `normalize` is the `normalize=true` form.
//!
//! Choices and limits:
//! * The draft comes from `$schema` (draft-07 when absent, as Confluent); any other
//!   `$schema` is rejected. Every schema and reference is validated against its metaschema.
//! * Limits: subschemas nest at most [`MAX_SUBSCHEMA_DEPTH`] levels and JSON at most
//!   [`MAX_JSON_DEPTH`]; the loader never recurses through a `$ref` (targets are loaded from a
//!   work list) and the diff keeps a set of pairs under comparison, so cyclic references end.
//!   Reference chains deeper than the on-stack limit are compared on a large-stack thread.
//! * A `$ref` cycle that never reaches a schema (`{"$ref":"#"}`, `a → b → a` where each holds
//!   only a `$ref` and annotations) is refused, naming the chain; recursion through a real
//!   schema (a tree, a linked list) is accepted. Only schemas reachable from the root are
//!   checked, and cycles through `$recursiveRef`/`$dynamicRef` are left alone.
//! * Only the STRICT compatibility policy is implemented (LENIENT is a config of newer CSR).
//! * `multipleOf` uses exact decimals (CSR master), not the integer truncation of 8.3.x.
//! * The "exclusiveMaximum decreased" branch compares the two `exclusiveMaximum` values; CSR
//!   compares against the update's `maximum` and fails with a server error when it is absent.
//! * `patternProperties` are matched with Rust's `regex` (unanchored, like Java's `find`); a
//!   pattern it cannot read never matches.
//! * Regular expressions are bounded: one pattern may compile to at most
//!   [`MAX_PATTERN_BYTES`], all of a schema's (with its references) to at most
//!   [`MAX_SCHEMA_PATTERN_BYTES`], measured before either engine keeps one (`patterns`).
//!   CSR compiles Java regexes lazily and would accept such schemas.

mod diff;
mod model;
mod normalize;
mod parse;
mod patterns;
mod rules;

pub use diff::{is_compatible_type, Difference};
pub use parse::{MAX_JSON_DEPTH, MAX_SUBSCHEMA_DEPTH};
pub use patterns::{MAX_PATTERN_BYTES, MAX_SCHEMA_PATTERN_BYTES};

use crate::{ParseOptions, ResolvedReference, Roles, SchemaError};
use model::Model;
use parse::{Docs, Draft};
use serde_json::Value;
use std::sync::Arc;

/// A parsed, validated JSON Schema with its references resolved.
#[derive(Clone)]
pub struct JsonSchema {
    canonical: String,
    draft: Draft,
    model: Arc<Model>,
    validator: Arc<jsonschema::Validator>,
    retained: u64,
}

impl std::fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSchema")
            .field("draft", &self.draft_name())
            .field("canonical", &self.canonical)
            .finish_non_exhaustive()
    }
}

impl JsonSchema {
    /// Parse and validate `text`.
    ///
    /// `references` is the transitive closure of the schemas it refers to, dependencies
    /// first; each `name` is the `$ref` URL as written in the referring schema (without or
    /// with a `#/...` fragment at the use site) and `schema` the referenced schema's text.
    /// Nothing is ever fetched: a `$ref` that resolves neither locally nor to a reference
    /// is an error naming it.
    pub fn parse(
        text: &str,
        references: &[ResolvedReference],
        options: ParseOptions,
    ) -> Result<Self, SchemaError> {
        let value = parse::parse_value(text, "")?;
        let draft = parse::detect_draft(&value)?;
        parse::validate_against_metaschema(&value, draft, "")?;
        let canonical = if options.normalize {
            normalize::normalized(&value)
        } else {
            value.to_string()
        };
        let docs = Docs::new(value, draft, references)?;
        let patterns = patterns::compile(&docs)?;
        let model = Model::load(&docs, &patterns)?;
        let validator = build_validator(&docs, draft)?;
        let text_bytes = text.len() + references.iter().map(|r| r.schema.len()).sum::<usize>();
        let mut shape = crate::footprint::JsonShape::default();
        docs.docs.iter().for_each(|doc| shape.add(&doc.value));
        let retained = crate::footprint::json(
            text_bytes,
            &shape,
            patterns.model_sizes(),
            patterns.validator_sizes(),
        );
        Ok(JsonSchema {
            canonical,
            draft,
            model: Arc::new(model),
            validator: Arc::new(validator),
            retained,
        })
    }

    /// The stored text: compact JSON with the input's key order, or the normalised form
    /// when parsed with `normalize`.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// An estimate of the bytes this parse keeps allocated (`ParsedSchema::retained_bytes`).
    pub fn retained_bytes(&self) -> u64 {
        self.retained
    }

    /// No alternative output format applies to JSON Schema.
    pub fn render(&self, _format: &str) -> Option<String> {
        None
    }

    /// Validate a message payload against this schema (with its references).
    pub fn validate_instance(&self, instance: &Value) -> Result<(), String> {
        validate_instance(self, instance)
    }

    /// The draft the schema was read as (`$schema`, draft-07 when absent), e.g. `"draft-07"`.
    pub fn draft_name(&self) -> &'static str {
        match self.draft {
            Draft::D4 => "draft-04",
            Draft::D6 => "draft-06",
            Draft::D7 => "draft-07",
            Draft::D2019 => "2019-09",
            Draft::D2020 => "2020-12",
        }
    }
}

fn build_validator(docs: &Docs, draft: Draft) -> Result<jsonschema::Validator, SchemaError> {
    let mut builder = jsonschema::Registry::new().draft(jsonschema::Draft::Draft7);
    for (uri, value) in docs.validator_resources() {
        builder = builder.add(&uri, value).map_err(|e| {
            SchemaError::new(format!("Invalid JSON Schema: reference '{uri}': {e}"))
        })?;
    }
    let registry = builder
        .prepare()
        .map_err(|e| SchemaError::new(format!("Invalid JSON Schema: {e}")))?;
    // The same per-pattern limit as `patterns` measured with: nothing compiles larger here.
    jsonschema::options()
        .with_draft(draft.to_jsonschema())
        .with_pattern_options(
            jsonschema::PatternOptions::fancy_regex().size_limit(MAX_PATTERN_BYTES),
        )
        .with_registry(&registry)
        .offline()
        .build(&docs.docs[0].value)
        .map_err(|e| SchemaError::new(format!("Invalid JSON Schema: {e}")))
}

/// Validate a message payload against `schema`; the error names the first violation.
pub fn validate_instance(schema: &JsonSchema, instance: &Value) -> Result<(), String> {
    schema.validator.validate(instance).map_err(|e| {
        let at = e.instance_path().to_string();
        format!("{e} at '#{at}'")
    })
}

/// Every reason a consumer using `reader` cannot read data written with `writer`: Confluent's
/// `diff(original = writer, update = reader)`, keeping the differences outside the STRICT
/// compatible set, each rendered as `{errorType:"TYPE", description:"...'}` (the closing
/// single quote is Confluent's).
pub fn incompatibilities(reader: &JsonSchema, writer: &JsonSchema, roles: Roles) -> Vec<String> {
    diff::diff(&writer.model, &reader.model)
        .into_iter()
        .filter(|d| !is_compatible_type(d.kind))
        .map(|d| d.message(roles))
        .collect()
}

/// All differences (compatible ones included) between `original` and `update`, for tests
/// and tools: `differences(writer, reader)` is what [`incompatibilities`] filters.
pub fn differences(original: &JsonSchema, update: &JsonSchema) -> Vec<Difference> {
    diff::diff(&original.model, &update.model)
}
