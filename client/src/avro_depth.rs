//! How deeply an Avro message nests, checked before apache-avro decodes it.
//!
//! apache-avro decodes by recursion, one call per level (record field, array item, map
//! value, union branch, named-type reference), with no limit of its own: a message of a
//! recursive type (a list, a tree) nests as deep as its bytes say, and a few kilobytes
//! overflow a 2 MiB stack and abort the whole process. So a reader whose writer schema can
//! nest deeper than [`MAX_DEPTH`] first walks the payload the way the decoder would, building
//! nothing, and refuses a message that goes deeper (less deep when it is resolved to a
//! reader schema: [`MAX_RESOLVED_DEPTH`]). The walk is never stricter than the
//! decoder: where it cannot follow the bytes it stops and leaves the verdict to the decoder,
//! which fails at the same place.

use apache_avro::schema::{InnerDecimalSchema, Name, NamesRef, NamespaceRef, Schema, UuidSchema};
use std::collections::HashMap;

/// The deepest nesting (decoder calls inside each other) a message may have.
pub(crate) const MAX_DEPTH: usize = 64;

/// The same, when the message is resolved to a reader schema: apache-avro picks the reader's
/// union branch for a record, array or map by resolving the whole value against it first,
/// then resolves it again, so the work doubles with each such union nested inside another
/// (a list of 20 cells took 50 s).
pub(crate) const MAX_RESOLVED_DEPTH: usize = 32;

/// Whether a message of `schema` can nest deeper than `limit`: it has a recursive type, or
/// named types nested that deep.
pub(crate) fn may_nest_too_deep(schema: &Schema, names: &NamesRef<'_>, limit: usize) -> bool {
    let mut static_depth = StaticDepth {
        names,
        limit,
        known: HashMap::new(),
        open: Vec::new(),
    };
    static_depth.of(schema, None) > limit
}

/// The deepest nesting any message of a schema can have, capped at `limit + 1`.
struct StaticDepth<'a, 's> {
    names: &'a NamesRef<'s>,
    limit: usize,
    /// Named types already measured.
    known: HashMap<Name, usize>,
    /// Named types being measured (a reference to one of them is a recursion).
    open: Vec<Name>,
}

impl StaticDepth<'_, '_> {
    fn of(&mut self, schema: &Schema, namespace: NamespaceRef<'_>) -> usize {
        let unbounded = self.limit + 1;
        let below = match schema {
            Schema::Array(array) => self.of(&array.items, namespace),
            Schema::Map(map) => self.of(&map.types, namespace),
            Schema::Union(union) => union
                .variants()
                .iter()
                .map(|v| self.of(v, namespace))
                .max()
                .unwrap_or(0),
            Schema::Record(record) => {
                let name = record.name.fully_qualified_name(namespace).into_owned();
                self.open.push(name.clone());
                let deepest = record
                    .fields
                    .iter()
                    .map(|f| self.of(&f.schema, name.namespace()))
                    .max()
                    .unwrap_or(0);
                self.open.pop();
                deepest
            }
            Schema::Ref { name } => {
                let name = name.fully_qualified_name(namespace).into_owned();
                if self.open.contains(&name) {
                    unbounded
                } else if let Some(&depth) = self.known.get(&name) {
                    depth
                } else if let Some(&named) = self.names.get(&name) {
                    let depth = self.of(named, name.namespace());
                    self.known.insert(name, depth);
                    depth
                } else {
                    0
                }
            }
            _ => 0,
        };
        (below + 1).min(unbounded)
    }
}

/// Why a walk stopped before the end.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The message nests deeper than the limit.
    TooDeep,
    /// The bytes do not follow the schema; the decoder reports it.
    Unreadable,
}

/// Walk `payload` as apache-avro decodes a value of `schema`, building nothing; `TooDeep`
/// when it nests deeper than `limit`.
pub(crate) fn check(
    schema: &Schema,
    names: &NamesRef<'_>,
    payload: &[u8],
    limit: usize,
) -> Result<(), Stop> {
    let mut walk = Walk {
        names,
        input: payload,
        limit,
    };
    match walk.value(schema, None, 1) {
        Err(Stop::Unreadable) => Ok(()),
        other => other,
    }
}

struct Walk<'a, 's, 'p> {
    names: &'a NamesRef<'s>,
    input: &'p [u8],
    limit: usize,
}

impl Walk<'_, '_, '_> {
    fn value(
        &mut self,
        schema: &Schema,
        namespace: NamespaceRef<'_>,
        depth: usize,
    ) -> Result<(), Stop> {
        if depth > self.limit {
            return Err(Stop::TooDeep);
        }
        match schema {
            Schema::Null => Ok(()),
            Schema::Boolean => self.skip(1),
            Schema::Float => self.skip(4),
            Schema::Double => self.skip(8),
            Schema::Fixed(fixed) | Schema::Duration(fixed) => self.skip(fixed.size),
            Schema::Uuid(UuidSchema::Fixed(fixed)) => self.skip(fixed.size),
            Schema::Decimal(decimal) => match &decimal.inner {
                InnerDecimalSchema::Fixed(fixed) => self.skip(fixed.size),
                InnerDecimalSchema::Bytes => self.bytes(),
            },
            Schema::Bytes | Schema::BigDecimal | Schema::Uuid(UuidSchema::Bytes) => self.bytes(),
            Schema::String | Schema::Uuid(UuidSchema::String) => {
                // A string cut short decodes as null and the decoder goes on.
                if self.bytes().is_err() {
                    self.input = &[];
                }
                Ok(())
            }
            Schema::Array(array) => {
                self.blocks(|walk| walk.value(&array.items, namespace, depth + 1))
            }
            Schema::Map(map) => self.blocks(|walk| {
                walk.bytes()?;
                walk.value(&map.types, namespace, depth + 1)
            }),
            Schema::Union(union) => {
                // No branch index at all decodes as null.
                if self.input.is_empty() {
                    return Ok(());
                }
                let index = usize::try_from(self.long()?).map_err(|_| Stop::Unreadable)?;
                let branch = union.variants().get(index).ok_or(Stop::Unreadable)?;
                self.value(branch, namespace, depth + 1)
            }
            Schema::Record(record) => {
                let name = record.name.fully_qualified_name(namespace);
                for field in &record.fields {
                    self.value(&field.schema, name.namespace(), depth + 1)?;
                }
                Ok(())
            }
            Schema::Ref { name } => {
                let name = name.fully_qualified_name(namespace);
                let named = self.names.get(&name).ok_or(Stop::Unreadable)?;
                self.value(named, name.namespace(), depth + 1)
            }
            // Enums, ints, longs and the logical types over them: one varint.
            _ => self.long().map(|_| ()),
        }
    }

    fn skip(&mut self, n: usize) -> Result<(), Stop> {
        self.input = self.input.get(n..).ok_or(Stop::Unreadable)?;
        Ok(())
    }

    /// A length, then that many bytes.
    fn bytes(&mut self) -> Result<(), Stop> {
        let len = usize::try_from(self.long()?).map_err(|_| Stop::Unreadable)?;
        self.skip(len)
    }

    /// A zig-zag varint.
    fn long(&mut self) -> Result<i64, Stop> {
        let mut value: u64 = 0;
        for shift in 0..10 {
            let (&byte, rest) = self.input.split_first().ok_or(Stop::Unreadable)?;
            self.input = rest;
            value |= u64::from(byte & 0x7f) << (7 * shift);
            if byte & 0x80 == 0 {
                return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        Err(Stop::Unreadable)
    }

    /// Array or map blocks: a count (negative: followed by the block's size in bytes), that
    /// many items, until a zero count.
    fn blocks(&mut self, mut item: impl FnMut(&mut Self) -> Result<(), Stop>) -> Result<(), Stop> {
        loop {
            let count = self.long()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                self.long()?;
            }
            for _ in 0..count.unsigned_abs() {
                let before = self.input.len();
                item(self)?;
                if self.input.len() == before {
                    // An item of no bytes: every other item of the block is the same.
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::schema::ResolvedSchema;

    fn deep(text: &str) -> bool {
        let schema = Schema::parse_str(text).unwrap();
        let names = ResolvedSchema::new(&schema).unwrap();
        may_nest_too_deep(&schema, names.get_names(), MAX_DEPTH)
    }

    #[test]
    fn only_recursive_or_very_deep_schemas_are_walked() {
        assert!(!deep(r#""string""#));
        assert!(!deep(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"b","type":"E"}]}"#
        ));
        assert!(deep(
            r#"{"type":"record","name":"T","fields":[{"name":"c","type":{"type":"array","items":"T"}}]}"#
        ));
        let mut nested = r#""int""#.to_string();
        for _ in 0..MAX_DEPTH {
            nested = format!(r#"{{"type":"array","items":{nested}}}"#);
        }
        assert!(deep(&nested));
    }

    #[test]
    fn the_walk_stops_at_the_limit_and_leaves_bad_bytes_to_the_decoder() {
        let schema = Schema::parse_str(
            r#"{"type":"record","name":"T","fields":[{"name":"c","type":{"type":"array","items":"T"}}]}"#,
        )
        .unwrap();
        let names = ResolvedSchema::new(&schema).unwrap();
        // Each level: an array block of one item, which is a T; then the innermost empty array.
        let mut payload = vec![2u8; MAX_DEPTH];
        payload.extend(vec![0u8; MAX_DEPTH + 1]);
        let check = |payload: &[u8]| check(&schema, names.get_names(), payload, MAX_DEPTH);
        assert_eq!(check(&payload), Err(Stop::TooDeep));
        assert_eq!(check(&[2, 2, 0, 0, 0]), Ok(()));
        assert_eq!(check(&[2, 2]), Ok(()));
    }
}
