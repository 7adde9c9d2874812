//! Confluent's Protobuf compatibility: a diff of two linked files, `original` (the writer)
//! against `update` (the reader), following `docs/compatibility.md` §3.3 with the "master"
//! oneof rules.
//!
//! Linked descriptors are brought back to what Confluent's AST sees: labels "as written"
//! (proto3 singular fields and oneof members have none, proto3 `optional` has one), synthetic
//! oneofs of proto3 `optional` are not oneofs, map-entry types are not messages, and message
//! types are compared by their name without the package.
//!
//! Paths: `#/` then message, enum and oneof names and field / enum-constant numbers. A field
//! that is a oneof member in the update is reported under that oneof (`#/Msg/choice/3`);
//! otherwise under its message, or under its original oneof if it only exists there.

use crate::Roles;
use prost_reflect::{EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor};
use prost_types::field_descriptor_proto::Label;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Confluent's `Difference.Type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DifferenceType {
    PackageChanged,
    MessageAdded,
    MessageRemoved,
    MessageMoved,
    EnumAdded,
    EnumRemoved,
    EnumConstAdded,
    EnumConstChanged,
    EnumConstRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNameChanged,
    FieldKindChanged,
    FieldScalarKindChanged,
    FieldNamedTypeChanged,
    FieldNumericLabelChanged,
    FieldStringOrBytesLabelChanged,
    RequiredFieldAdded,
    RequiredFieldRemoved,
    OneofAdded,
    OneofRemoved,
    OneofFieldAdded,
    OneofFieldRemoved,
    OneofFieldMovedToTopLevel,
    MultipleFieldsMovedToOneof,
    FieldMovedToExistingOneof,
}

impl DifferenceType {
    pub const ALL: [DifferenceType; 26] = [
        DifferenceType::PackageChanged,
        DifferenceType::MessageAdded,
        DifferenceType::MessageRemoved,
        DifferenceType::MessageMoved,
        DifferenceType::EnumAdded,
        DifferenceType::EnumRemoved,
        DifferenceType::EnumConstAdded,
        DifferenceType::EnumConstChanged,
        DifferenceType::EnumConstRemoved,
        DifferenceType::FieldAdded,
        DifferenceType::FieldRemoved,
        DifferenceType::FieldNameChanged,
        DifferenceType::FieldKindChanged,
        DifferenceType::FieldScalarKindChanged,
        DifferenceType::FieldNamedTypeChanged,
        DifferenceType::FieldNumericLabelChanged,
        DifferenceType::FieldStringOrBytesLabelChanged,
        DifferenceType::RequiredFieldAdded,
        DifferenceType::RequiredFieldRemoved,
        DifferenceType::OneofAdded,
        DifferenceType::OneofRemoved,
        DifferenceType::OneofFieldAdded,
        DifferenceType::OneofFieldRemoved,
        DifferenceType::OneofFieldMovedToTopLevel,
        DifferenceType::MultipleFieldsMovedToOneof,
        DifferenceType::FieldMovedToExistingOneof,
    ];

    /// The constant name as Confluent spells it (`FIELD_KIND_CHANGED`).
    pub fn as_str(self) -> &'static str {
        use DifferenceType::*;
        match self {
            PackageChanged => "PACKAGE_CHANGED",
            MessageAdded => "MESSAGE_ADDED",
            MessageRemoved => "MESSAGE_REMOVED",
            MessageMoved => "MESSAGE_MOVED",
            EnumAdded => "ENUM_ADDED",
            EnumRemoved => "ENUM_REMOVED",
            EnumConstAdded => "ENUM_CONST_ADDED",
            EnumConstChanged => "ENUM_CONST_CHANGED",
            EnumConstRemoved => "ENUM_CONST_REMOVED",
            FieldAdded => "FIELD_ADDED",
            FieldRemoved => "FIELD_REMOVED",
            FieldNameChanged => "FIELD_NAME_CHANGED",
            FieldKindChanged => "FIELD_KIND_CHANGED",
            FieldScalarKindChanged => "FIELD_SCALAR_KIND_CHANGED",
            FieldNamedTypeChanged => "FIELD_NAMED_TYPE_CHANGED",
            FieldNumericLabelChanged => "FIELD_NUMERIC_LABEL_CHANGED",
            FieldStringOrBytesLabelChanged => "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
            RequiredFieldAdded => "REQUIRED_FIELD_ADDED",
            RequiredFieldRemoved => "REQUIRED_FIELD_REMOVED",
            OneofAdded => "ONEOF_ADDED",
            OneofRemoved => "ONEOF_REMOVED",
            OneofFieldAdded => "ONEOF_FIELD_ADDED",
            OneofFieldRemoved => "ONEOF_FIELD_REMOVED",
            OneofFieldMovedToTopLevel => "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
            MultipleFieldsMovedToOneof => "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
            FieldMovedToExistingOneof => "FIELD_MOVED_TO_EXISTING_ONEOF",
        }
    }

    /// Whether Confluent counts this difference as compatible.
    pub fn is_compatible(self) -> bool {
        use DifferenceType::*;
        !matches!(
            self,
            PackageChanged
                | MessageRemoved
                | FieldKindChanged
                | FieldScalarKindChanged
                | FieldNamedTypeChanged
                | FieldNumericLabelChanged
                | RequiredFieldAdded
                | RequiredFieldRemoved
                | OneofFieldRemoved
                | MultipleFieldsMovedToOneof
                | FieldMovedToExistingOneof
        )
    }
}

/// One difference found by [`diff`]: its type and where (`#/Msg/2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Difference {
    pub ty: DifferenceType,
    pub path: String,
}

impl Difference {
    /// Human-readable description; `roles.reader` names the update, `roles.writer` the
    /// original.
    pub fn description(&self, roles: Roles) -> String {
        use DifferenceType::*;
        let (new, old, p) = (roles.reader, roles.writer, &self.path);
        match self.ty {
            PackageChanged => {
                format!("The package of the {new} schema does not match the package of the {old} schema")
            }
            MessageAdded => format!("The {new} schema declares a message at path '{p}' that the {old} schema does not"),
            MessageRemoved => format!("The {old} schema declares a message at path '{p}' that is missing from the {new} schema"),
            MessageMoved => format!("The message at path '{p}' has a different position in the {new} schema than in the {old} schema"),
            EnumAdded => format!("The {new} schema declares an enum at path '{p}' that the {old} schema does not"),
            EnumRemoved => format!("The {old} schema declares an enum at path '{p}' that is missing from the {new} schema"),
            EnumConstAdded => format!("The {new} schema has an enum constant at path '{p}' that the {old} schema does not"),
            EnumConstChanged => format!("The name of the enum constant at path '{p}' in the {new} schema differs from its name in the {old} schema"),
            EnumConstRemoved => format!("The {old} schema has an enum constant at path '{p}' that is missing from the {new} schema"),
            FieldAdded => format!("The {new} schema has a field at path '{p}' that the {old} schema does not"),
            FieldRemoved => format!("The {old} schema has a field at path '{p}' that is missing from the {new} schema"),
            FieldNameChanged => format!("The name of the field at path '{p}' in the {new} schema differs from its name in the {old} schema"),
            FieldKindChanged => format!("The kind of a field at path '{p}' in the {new} schema does not match its kind in the {old} schema"),
            FieldScalarKindChanged => format!("The scalar type of a field at path '{p}' in the {new} schema is not wire-compatible with its type in the {old} schema"),
            FieldNamedTypeChanged => format!("The message type of a field at path '{p}' in the {new} schema does not match its type in the {old} schema"),
            FieldNumericLabelChanged => format!("The label of a numeric field at path '{p}' in the {new} schema does not match its label in the {old} schema"),
            FieldStringOrBytesLabelChanged => format!("The label of a string or bytes field at path '{p}' in the {new} schema differs from its label in the {old} schema"),
            RequiredFieldAdded => format!("The {new} schema has a required field at path '{p}' that the {old} schema does not"),
            RequiredFieldRemoved => format!("The {old} schema has a required field at path '{p}' that is missing from the {new} schema"),
            OneofAdded => format!("The {new} schema has a oneof at path '{p}' that the {old} schema does not"),
            OneofRemoved => format!("The {old} schema has a oneof at path '{p}' that is missing from the {new} schema"),
            OneofFieldAdded => format!("The {new} schema has a oneof member at path '{p}' that the {old} schema does not"),
            OneofFieldRemoved => format!("The {old} schema has a oneof member at path '{p}' that is missing from the {new} schema"),
            OneofFieldMovedToTopLevel => format!("The oneof member of the {old} schema at path '{p}' is a plain field in the {new} schema"),
            MultipleFieldsMovedToOneof => format!("Several fields of the {old} schema were moved into the oneof at path '{p}' in the {new} schema"),
            FieldMovedToExistingOneof => format!("A field of the {old} schema was moved into the existing oneof at path '{p}' in the {new} schema"),
        }
    }

    /// The message as CSR renders Protobuf differences.
    pub fn message(&self, roles: Roles) -> String {
        format!(
            "{{errorType:\"{}\", description:\"{}\"}}",
            self.ty.as_str(),
            self.description(roles)
        )
    }
}

/// Every difference between `original` (the writer's schema) and `update` (the reader's).
pub fn diff(original: &FileDescriptor, update: &FileDescriptor) -> Vec<Difference> {
    let mut ctx = Ctx::default();
    if original.package_name() != update.package_name() {
        ctx.add(DifferenceType::PackageChanged, &Path::root());
    }
    compare_types(
        &mut ctx,
        &Path::root(),
        original.messages().collect(),
        update.messages().collect(),
        original.enums().collect(),
        update.enums().collect(),
    );
    let mut seen = HashSet::new();
    ctx.diffs.retain(|d| seen.insert(d.clone()));
    ctx.diffs
}

/// How many message comparisons may be nested (field types and nested scopes), so that the
/// diff's recursion stays well within a 2 MiB thread stack.
const MAX_DEPTH: usize = 128;

#[derive(Default)]
struct Ctx {
    diffs: Vec<Difference>,
    /// Message pairs being compared on the current path (cycle guard).
    stack: Vec<(String, String)>,
    /// Message pairs already compared, and whether they were compatible.
    done: HashMap<(String, String), bool>,
}

impl Ctx {
    fn add(&mut self, ty: DifferenceType, path: &Path) {
        self.diffs.push(Difference {
            ty,
            path: path.render(),
        });
    }
}

#[derive(Clone)]
struct Path(Vec<String>);

impl Path {
    fn root() -> Self {
        Path(Vec::new())
    }
    fn child(&self, segment: impl ToString) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment.to_string());
        Path(segments)
    }
    fn render(&self) -> String {
        format!("#/{}", self.0.join("/"))
    }
}

fn compare_types(
    ctx: &mut Ctx,
    path: &Path,
    original_messages: Vec<MessageDescriptor>,
    update_messages: Vec<MessageDescriptor>,
    original_enums: Vec<EnumDescriptor>,
    update_enums: Vec<EnumDescriptor>,
) {
    let index = |messages: Vec<MessageDescriptor>| -> BTreeMap<String, (usize, MessageDescriptor)> {
        let mut map = BTreeMap::new();
        for (i, m) in messages
            .into_iter()
            .filter(|m| !m.is_map_entry())
            .enumerate()
        {
            map.entry(m.name().to_owned()).or_insert((i, m));
        }
        map
    };
    let original = index(original_messages);
    let update = index(update_messages);
    let mut names: Vec<&String> = original.keys().collect();
    names.extend(update.keys().filter(|n| !original.contains_key(*n)));
    // Declaration order of the original first, then additions, for readable output.
    names.sort_by_key(|n| {
        (
            original.get(*n).map_or(usize::MAX, |(i, _)| *i),
            update.get(*n).map_or(usize::MAX, |(i, _)| *i),
        )
    });
    for name in names {
        let message_path = path.child(name);
        match (original.get(name), update.get(name)) {
            (Some(_), None) => ctx.add(DifferenceType::MessageRemoved, &message_path),
            (None, Some(_)) => ctx.add(DifferenceType::MessageAdded, &message_path),
            (Some((oi, o)), Some((ui, u))) => {
                compare_message_once(ctx, o, u, &message_path);
                if oi != ui {
                    ctx.add(DifferenceType::MessageMoved, &message_path);
                }
            }
            (None, None) => {}
        }
    }

    let index = |enums: Vec<EnumDescriptor>| -> BTreeMap<String, (usize, EnumDescriptor)> {
        let mut map = BTreeMap::new();
        for (i, e) in enums.into_iter().enumerate() {
            map.entry(e.name().to_owned()).or_insert((i, e));
        }
        map
    };
    let original = index(original_enums);
    let update = index(update_enums);
    let mut names: Vec<&String> = original.keys().collect();
    names.extend(update.keys().filter(|n| !original.contains_key(*n)));
    names.sort_by_key(|n| {
        (
            original.get(*n).map_or(usize::MAX, |(i, _)| *i),
            update.get(*n).map_or(usize::MAX, |(i, _)| *i),
        )
    });
    for name in names {
        let enum_path = path.child(name);
        match (original.get(name), update.get(name)) {
            (Some(_), None) => ctx.add(DifferenceType::EnumRemoved, &enum_path),
            (None, Some(_)) => ctx.add(DifferenceType::EnumAdded, &enum_path),
            (Some((_, o)), Some((_, u))) => compare_enum(ctx, o, u, &enum_path),
            (None, None) => {}
        }
    }
}

fn compare_enum(ctx: &mut Ctx, original: &EnumDescriptor, update: &EnumDescriptor, path: &Path) {
    let constants = |e: &EnumDescriptor| {
        let mut map: BTreeMap<i32, String> = BTreeMap::new();
        for v in e.values() {
            map.entry(v.number()).or_insert_with(|| v.name().to_owned());
        }
        map
    };
    let o = constants(original);
    let u = constants(update);
    let numbers: BTreeSet<i32> = o.keys().chain(u.keys()).copied().collect();
    for number in numbers {
        let p = path.child(number);
        match (o.get(&number), u.get(&number)) {
            (Some(_), None) => ctx.add(DifferenceType::EnumConstRemoved, &p),
            (None, Some(_)) => ctx.add(DifferenceType::EnumConstAdded, &p),
            (Some(a), Some(b)) if a != b => ctx.add(DifferenceType::EnumConstChanged, &p),
            _ => {}
        }
    }
}

/// Compare two message definitions unless that pair is already being (or has been) compared.
/// Returns whether the pair is compatible (a pair on the current path counts as compatible).
fn compare_message_once(
    ctx: &mut Ctx,
    original: &MessageDescriptor,
    update: &MessageDescriptor,
    path: &Path,
) -> bool {
    let key = (
        original.full_name().to_owned(),
        update.full_name().to_owned(),
    );
    if ctx.stack.contains(&key) {
        return true;
    }
    if ctx.stack.len() >= MAX_DEPTH {
        // Chains of message types this long only come from generated or hostile input;
        // each message of the file is still compared through its own scope.
        return true;
    }
    if let Some(&compatible) = ctx.done.get(&key) {
        return compatible;
    }
    ctx.stack.push(key.clone());
    let start = ctx.diffs.len();
    compare_message(ctx, original, update, path);
    ctx.stack.pop();
    let compatible = ctx.diffs[start..].iter().all(|d| d.ty.is_compatible());
    ctx.done.insert(key, compatible);
    compatible
}

/// The name of the real (non-synthetic) oneof `field` belongs to.
fn oneof_name(field: &FieldDescriptor) -> Option<String> {
    field
        .containing_oneof()
        .filter(|o| !o.is_synthetic())
        .map(|o| o.name().to_owned())
}

fn is_required(field: &FieldDescriptor) -> bool {
    field.field_descriptor_proto().label() == Label::Required
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Origin {
    Oneof(usize),
    TopLevel(u32),
}

fn compare_message(
    ctx: &mut Ctx,
    original: &MessageDescriptor,
    update: &MessageDescriptor,
    path: &Path,
) {
    let o_fields: BTreeMap<u32, FieldDescriptor> =
        original.fields().map(|f| (f.number(), f)).collect();
    let u_fields: BTreeMap<u32, FieldDescriptor> =
        update.fields().map(|f| (f.number(), f)).collect();
    let o_oneofs: Vec<String> = original
        .oneofs()
        .filter(|o| !o.is_synthetic())
        .map(|o| o.name().to_owned())
        .collect();
    let u_oneofs: Vec<String> = update
        .oneofs()
        .filter(|o| !o.is_synthetic())
        .map(|o| o.name().to_owned())
        .collect();

    // Oneofs gone by name none of whose members survive anywhere: whole-oneof deletions.
    let wholly_deleted: HashSet<&String> = o_oneofs
        .iter()
        .filter(|name| !u_oneofs.contains(name))
        .filter(|name| {
            !o_fields.values().any(|f| {
                oneof_name(f).as_ref() == Some(*name) && u_fields.contains_key(&f.number())
            })
        })
        .collect();

    let tags: BTreeSet<u32> = o_fields.keys().chain(u_fields.keys()).copied().collect();
    for tag in tags {
        match (o_fields.get(&tag), u_fields.get(&tag)) {
            (Some(o), Some(u)) => {
                let o_oneof = oneof_name(o);
                let u_oneof = oneof_name(u);
                let field_path = match &u_oneof {
                    Some(name) => path.child(name).child(tag),
                    None => path.child(tag),
                };
                if o_oneof.is_some() && u_oneof.is_none() {
                    ctx.add(DifferenceType::OneofFieldMovedToTopLevel, &field_path);
                }
                compare_field(ctx, o, u, &field_path);
            }
            (Some(o), None) => match oneof_name(o) {
                Some(name) => {
                    if !wholly_deleted.contains(&name) {
                        ctx.add(
                            DifferenceType::OneofFieldRemoved,
                            &path.child(&name).child(tag),
                        );
                    }
                }
                None if is_required(o) => {
                    ctx.add(DifferenceType::RequiredFieldRemoved, &path.child(tag))
                }
                None => ctx.add(DifferenceType::FieldRemoved, &path.child(tag)),
            },
            (None, Some(u)) => match oneof_name(u) {
                Some(name) => ctx.add(
                    DifferenceType::OneofFieldAdded,
                    &path.child(name).child(tag),
                ),
                None if is_required(u) => {
                    ctx.add(DifferenceType::RequiredFieldAdded, &path.child(tag))
                }
                None => ctx.add(DifferenceType::FieldAdded, &path.child(tag)),
            },
            (None, None) => {}
        }
    }

    for name in o_oneofs.iter().filter(|n| !u_oneofs.contains(n)) {
        ctx.add(DifferenceType::OneofRemoved, &path.child(name));
    }
    for name in u_oneofs.iter().filter(|n| !o_oneofs.contains(n)) {
        ctx.add(DifferenceType::OneofAdded, &path.child(name));
    }
    for oneof in update.oneofs().filter(|o| !o.is_synthetic()) {
        let mut origins: BTreeSet<Origin> = BTreeSet::new();
        let mut moved_from_top = 0;
        for member in oneof.fields() {
            if let Some(o) = o_fields.get(&member.number()) {
                match oneof_name(o).and_then(|n| o_oneofs.iter().position(|x| *x == n)) {
                    Some(i) => {
                        origins.insert(Origin::Oneof(i));
                    }
                    None => {
                        origins.insert(Origin::TopLevel(o.number()));
                        moved_from_top += 1;
                    }
                }
            }
        }
        if origins.len() > 1 {
            let ty = if moved_from_top > 1 {
                DifferenceType::MultipleFieldsMovedToOneof
            } else {
                DifferenceType::FieldMovedToExistingOneof
            };
            ctx.add(ty, &path.child(oneof.name()));
        }
    }

    compare_types(
        ctx,
        path,
        original.child_messages().collect(),
        update.child_messages().collect(),
        original.child_enums().collect(),
        update.child_enums().collect(),
    );
}

/// Confluent's field kinds, scalars split into wire-compatible groups.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ScalarGroup {
    Varint,
    ZigZag,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
}

enum FieldKind {
    Scalar(ScalarGroup),
    Message(MessageDescriptor),
    Map(MessageDescriptor),
}

fn kind_of(kind: Kind) -> FieldKind {
    FieldKind::Scalar(match kind {
        Kind::Message(m) => return FieldKind::Message(m),
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool | Kind::Enum(_) => {
            ScalarGroup::Varint
        }
        Kind::Sint32 | Kind::Sint64 => ScalarGroup::ZigZag,
        Kind::String | Kind::Bytes => ScalarGroup::StringOrBytes,
        Kind::Fixed32 | Kind::Sfixed32 => ScalarGroup::Fixed32,
        Kind::Fixed64 | Kind::Sfixed64 => ScalarGroup::Fixed64,
        Kind::Float => ScalarGroup::Float,
        Kind::Double => ScalarGroup::Double,
    })
}

fn field_kind(field: &FieldDescriptor) -> FieldKind {
    match field.kind() {
        Kind::Message(m) if field.is_map() => FieldKind::Map(m),
        kind => kind_of(kind),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WrittenLabel {
    Optional,
    Required,
    Repeated,
}

/// The label as the author wrote it: none for oneof members, proto3 singular fields without
/// `optional`, and editions singular fields.
fn written_label(field: &FieldDescriptor) -> Option<WrittenLabel> {
    if oneof_name(field).is_some() {
        return None;
    }
    let proto = field.field_descriptor_proto();
    match proto.label() {
        Label::Repeated => Some(WrittenLabel::Repeated),
        Label::Required => Some(WrittenLabel::Required),
        Label::Optional => match field.parent_file().file_descriptor_proto().syntax() {
            "proto3" => proto.proto3_optional().then_some(WrittenLabel::Optional),
            "editions" => None,
            _ => Some(WrittenLabel::Optional),
        },
    }
}

/// The message name without its file's package (`Outer.Inner`).
fn local_name(message: &MessageDescriptor) -> String {
    let full = message.full_name();
    let package = message.package_name();
    if package.is_empty() {
        return full.to_owned();
    }
    full.strip_prefix(package)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(full)
        .to_owned()
}

fn compare_field(ctx: &mut Ctx, original: &FieldDescriptor, update: &FieldDescriptor, path: &Path) {
    if original.name() != update.name() {
        ctx.add(DifferenceType::FieldNameChanged, path);
    }
    match (field_kind(original), field_kind(update)) {
        (FieldKind::Scalar(o), FieldKind::Scalar(u)) => {
            if o != u {
                ctx.add(DifferenceType::FieldScalarKindChanged, path);
            }
            if let (Some(lo), Some(lu)) = (written_label(original), written_label(update)) {
                if lo != lu {
                    let ty = if o == ScalarGroup::StringOrBytes {
                        DifferenceType::FieldStringOrBytesLabelChanged
                    } else {
                        DifferenceType::FieldNumericLabelChanged
                    };
                    ctx.add(ty, path);
                }
            }
        }
        (FieldKind::Message(o), FieldKind::Message(u)) => compare_named(ctx, &o, &u, path),
        (FieldKind::Map(o), FieldKind::Map(u)) => {
            compare_map_part(
                ctx,
                &o.map_entry_key_field(),
                &u.map_entry_key_field(),
                path,
            );
            compare_map_part(
                ctx,
                &o.map_entry_value_field(),
                &u.map_entry_value_field(),
                path,
            );
        }
        _ => ctx.add(DifferenceType::FieldKindChanged, path),
    }
}

fn compare_map_part(
    ctx: &mut Ctx,
    original: &FieldDescriptor,
    update: &FieldDescriptor,
    path: &Path,
) {
    match (kind_of(original.kind()), kind_of(update.kind())) {
        (FieldKind::Scalar(o), FieldKind::Scalar(u)) => {
            if o != u {
                ctx.add(DifferenceType::FieldScalarKindChanged, path);
            }
        }
        (FieldKind::Message(o), FieldKind::Message(u)) => compare_named(ctx, &o, &u, path),
        _ => ctx.add(DifferenceType::FieldKindChanged, path),
    }
}

/// Message-typed fields: names without package must match; then the two definitions are
/// compared (differences at the type's own path) and an incompatible result is also
/// reported at the field.
fn compare_named(
    ctx: &mut Ctx,
    original: &MessageDescriptor,
    update: &MessageDescriptor,
    path: &Path,
) {
    let o_name = local_name(original);
    let u_name = local_name(update);
    if o_name != u_name {
        ctx.add(DifferenceType::FieldNamedTypeChanged, path);
        return;
    }
    let type_path = Path(o_name.split('.').map(str::to_owned).collect());
    if !compare_message_once(ctx, original, update, &type_path) {
        ctx.add(DifferenceType::FieldNamedTypeChanged, path);
    }
}
