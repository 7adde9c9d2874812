//! Helpers shared by the Protobuf integration tests.
#![allow(dead_code)]

use schemata_compat::protobuf::{self, ProtobufSchema};
use schemata_compat::{
    CompatibilityLevel, ParseOptions, ParsedSchema, ResolvedReference, Roles, SchemaType,
};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};

pub(crate) fn parse(text: &str) -> ProtobufSchema {
    parse_with(text, &[])
}

pub(crate) fn parse_with(text: &str, refs: &[(&str, &str)]) -> ProtobufSchema {
    ProtobufSchema::parse(text, &references(refs), ParseOptions::default())
        .unwrap_or_else(|e| panic!("parse failed: {e}\n{text}"))
}

pub(crate) fn references(refs: &[(&str, &str)]) -> Vec<ResolvedReference> {
    refs.iter()
        .map(|(name, schema)| ResolvedReference {
            name: (*name).to_owned(),
            schema_type: SchemaType::Protobuf,
            schema: (*schema).to_owned(),
        })
        .collect()
}

pub(crate) fn parsed(text: &str) -> ParsedSchema {
    ParsedSchema::Protobuf(parse(text))
}

/// `(type, path)` of every difference of diff(original = old, update = new).
pub(crate) fn differences(old: &ProtobufSchema, new: &ProtobufSchema) -> Vec<(String, String)> {
    protobuf::diff(old.file(), new.file())
        .into_iter()
        .map(|d| (d.ty.as_str().to_owned(), d.path))
        .collect()
}

pub(crate) fn has(diffs: &[(String, String)], ty: &str, path: &str) -> bool {
    diffs.iter().any(|(t, p)| t == ty && p == path)
}

/// Messages for `new` checked against `old` at `level`.
pub(crate) fn check(
    level: CompatibilityLevel,
    old: &ProtobufSchema,
    new: &ProtobufSchema,
) -> Vec<String> {
    level.check_pair(
        &ParsedSchema::Protobuf(new.clone()),
        &ParsedSchema::Protobuf(old.clone()),
    )
}

pub(crate) fn backward(old: &str, new: &str) -> Vec<String> {
    check(CompatibilityLevel::Backward, &parse(old), &parse(new))
}

pub(crate) fn forward(old: &str, new: &str) -> Vec<String> {
    check(CompatibilityLevel::Forward, &parse(old), &parse(new))
}

pub(crate) fn error_types(messages: &[String]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| {
            let rest = m.strip_prefix("{errorType:\"")?;
            Some(rest[..rest.find('"')?].to_owned())
        })
        .collect()
}

pub(crate) fn roles_backward() -> Roles {
    Roles::BACKWARD
}

thread_local! {
    static WATCHED_BY: RefCell<Option<PanicCounter>> = const { RefCell::new(None) };
}

/// Counts the panics, caught or not (the library catches some), of the threads that
/// [`watch`](Self::watch) it. All tests of this binary share one process and a panic hook is
/// process-wide, so one hook is installed for good and each panic is counted only by the
/// counter its own thread watches: panics of other tests running in parallel are not counted.
#[derive(Clone, Default)]
pub(crate) struct PanicCounter(Arc<AtomicUsize>);

impl PanicCounter {
    /// Counts the panics of the current thread from now on.
    pub(crate) fn watch(&self) {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = WATCHED_BY.try_with(|watched| {
                    if let Ok(watched) = watched.try_borrow() {
                        if let Some(counter) = watched.as_ref() {
                            counter.0.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
                previous(info);
            }));
        });
        WATCHED_BY.with(|watched| *watched.borrow_mut() = Some(self.clone()));
    }

    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}
