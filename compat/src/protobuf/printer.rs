//! Canonical `.proto` text from a linked file descriptor.
//!
//! The output is deterministic: two inputs that link to the same descriptor print the same
//! text. Type names are printed fully qualified (`.pkg.Msg`), as the linked descriptor holds
//! them, so the text does not depend on how the author abbreviated them. Comments, blank
//! lines and the relative order of different kinds of declarations are not preserved.
//!
//! Nested messages are printed between the fields where needed so that re-parsing the text
//! gives the same `nested_type` order: map-entry and group types are synthesized where their
//! field is declared, so a nested message that precedes a map entry in the descriptor is
//! printed before that map field (protoc's order for `message Line {..} map<..> labels = 1;`).
//!
//! Normalisation (`normalize=true`) additionally sorts, at every level: imports by path,
//! options by name, fields by tag number (a oneof is placed at its lowest member, its members
//! sorted too) and extension fields by number, and prints nested messages after all the
//! fields, so re-parsing normalised text puts the synthesized map-entry and group types
//! first (in field-number order), then the other nested messages. Messages, enums, enum
//! values, services and methods keep their declaration order among themselves: message order
//! carries the message indexes of the wire format (which do not count map entries), and
//! Confluent's diff reports moved messages.

use prost_reflect::{
    DynamicMessage, EnumDescriptor, ExtensionDescriptor, FieldDescriptor, FileDescriptor, Kind,
    MapKey, MessageDescriptor, ServiceDescriptor, Value,
};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::FieldDescriptorProto;
use std::collections::HashSet;
use std::fmt::Write;

/// Largest field number (`max` in ranges).
const MAX_FIELD_NUMBER: i32 = 536_870_911;

#[derive(Debug, Clone, Copy, Default)]
pub struct PrintOptions {
    pub normalize: bool,
    /// Leave out custom (extension) options.
    pub ignore_extensions: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Proto2,
    Proto3,
    Editions,
}

struct Printer {
    out: String,
    opts: PrintOptions,
    syntax: Syntax,
    /// Message types printed inline as proto2 groups.
    group_types: HashSet<String>,
}

/// Print `file` as `.proto` source.
pub fn print_file(file: &FileDescriptor, opts: PrintOptions) -> String {
    let proto = file.file_descriptor_proto();
    let syntax = match proto.syntax() {
        "proto3" => Syntax::Proto3,
        "editions" => Syntax::Editions,
        _ => Syntax::Proto2,
    };
    let mut p = Printer {
        out: String::new(),
        opts,
        syntax,
        group_types: HashSet::new(),
    };
    if syntax == Syntax::Proto2 {
        p.collect_groups(file);
    }
    p.file(file);
    p.out
}

impl Printer {
    fn collect_groups(&mut self, file: &FileDescriptor) {
        let mut stack: Vec<MessageDescriptor> = file.messages().collect();
        for ext in file.extensions() {
            if is_group(ext.field_descriptor_proto()) {
                if let Kind::Message(m) = ext.kind() {
                    self.group_types.insert(m.full_name().to_owned());
                }
            }
        }
        while let Some(m) = stack.pop() {
            for f in m.fields() {
                if is_group(f.field_descriptor_proto()) {
                    if let Kind::Message(g) = f.kind() {
                        self.group_types.insert(g.full_name().to_owned());
                    }
                }
            }
            for ext in m.extensions() {
                if is_group(ext.field_descriptor_proto()) {
                    if let Kind::Message(g) = ext.kind() {
                        self.group_types.insert(g.full_name().to_owned());
                    }
                }
            }
            stack.extend(m.child_messages());
        }
    }

    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn file(&mut self, file: &FileDescriptor) {
        let proto = file.file_descriptor_proto();
        match self.syntax {
            Syntax::Proto2 => self.line(0, "syntax = \"proto2\";"),
            Syntax::Proto3 => self.line(0, "syntax = \"proto3\";"),
            // prost-types 0.14 does not carry the edition number; 2023 is the only edition
            // protoc emitted descriptors for when this was written.
            Syntax::Editions => self.line(0, "edition = \"2023\";"),
        }
        if !proto.package().is_empty() {
            self.line(0, &format!("package {};", proto.package()));
        }

        let mut imports: Vec<String> = proto
            .dependency
            .iter()
            .enumerate()
            .map(|(i, dep)| {
                let i = i as i32;
                let modifier = if proto.public_dependency.contains(&i) {
                    "public "
                } else if proto.weak_dependency.contains(&i) {
                    "weak "
                } else {
                    ""
                };
                format!("import {modifier}{};", quote_str(dep))
            })
            .collect();
        if self.opts.normalize {
            imports.sort_by(|a, b| import_path(a).cmp(import_path(b)));
        }
        if !imports.is_empty() {
            self.out.push('\n');
            for import in &imports {
                self.line(0, import);
            }
        }

        let options = self.option_items(&file.options(), &[]);
        if !options.is_empty() {
            self.out.push('\n');
            for (name, value) in options {
                self.line(0, &format!("option {name} = {value};"));
            }
        }

        for message in file.messages() {
            if self.group_types.contains(message.full_name()) {
                continue;
            }
            self.out.push('\n');
            self.message(0, &message);
        }
        for en in file.enums() {
            self.out.push('\n');
            self.enumeration(0, &en);
        }
        let extensions: Vec<ExtensionDescriptor> = file.extensions().collect();
        if !extensions.is_empty() {
            self.out.push('\n');
            self.extend_blocks(0, &extensions);
        }
        for service in file.services() {
            self.out.push('\n');
            self.service(&service);
        }
    }

    fn message(&mut self, indent: usize, message: &MessageDescriptor) {
        self.line(indent, &format!("message {} {{", message.name()));
        self.message_body(indent + 1, message);
        self.line(indent, "}");
    }

    fn message_body(&mut self, indent: usize, message: &MessageDescriptor) {
        for (name, value) in self.option_items(&message.options(), &["map_entry"]) {
            self.line(indent, &format!("option {name} = {value};"));
        }

        // Fields, with oneof members grouped at the position of their first member.
        enum Item {
            Field(FieldDescriptor),
            Oneof(prost_reflect::OneofDescriptor, Vec<FieldDescriptor>),
        }
        let mut items: Vec<(i32, Item)> = Vec::new();
        let mut seen_oneofs: HashSet<String> = HashSet::new();
        // Declaration order (`MessageDescriptor::fields` iterates by number).
        let declared = message
            .descriptor_proto()
            .field
            .iter()
            .filter_map(|f| message.get_field_by_name(f.name()));
        for field in declared {
            match field.containing_oneof().filter(|o| !o.is_synthetic()) {
                Some(oneof) => {
                    if seen_oneofs.insert(oneof.name().to_owned()) {
                        let mut members: Vec<FieldDescriptor> = oneof.fields().collect();
                        if self.opts.normalize {
                            members.sort_by_key(|f| f.number());
                        }
                        let key = members.iter().map(|f| f.number() as i32).min().unwrap_or(0);
                        items.push((key, Item::Oneof(oneof, members)));
                    }
                }
                None => items.push((field.number() as i32, Item::Field(field))),
            }
        }
        if self.opts.normalize {
            items.sort_by_key(|(key, _)| *key);
        }

        // Nested messages. Map-entry and group types are synthesized where their field is
        // declared, so the others are printed between the fields to keep `nested_type` in
        // order: before a field whose synthesized type sits at nested index k, every nested
        // message with a lower index not printed yet. Normalised text keeps them all after
        // the fields (map entries first on re-parse); its field order is not the declared one
        // anyway.
        let nested: Vec<MessageDescriptor> = message.child_messages().collect();
        let mut pending: Vec<bool> = nested
            .iter()
            .map(|m| !m.is_map_entry() && !self.group_types.contains(m.full_name()))
            .collect();
        let synthesized_index = |field: &FieldDescriptor| -> Option<usize> {
            if !field.is_map() && !is_group(field.field_descriptor_proto()) {
                return None;
            }
            let Kind::Message(ty) = field.kind() else {
                return None;
            };
            nested.iter().position(|m| m.full_name() == ty.full_name())
        };
        for (_, item) in items {
            if !self.opts.normalize {
                let k = match &item {
                    Item::Field(field) => synthesized_index(field),
                    Item::Oneof(_, members) => members.iter().filter_map(synthesized_index).max(),
                };
                for i in 0..k.unwrap_or(0) {
                    if pending[i] {
                        pending[i] = false;
                        self.message(indent, &nested[i]);
                    }
                }
            }
            match item {
                Item::Field(field) => self.field(indent, &field, false),
                Item::Oneof(oneof, members) => {
                    self.line(indent, &format!("oneof {} {{", oneof.name()));
                    for (name, value) in self.option_items(&oneof.options(), &[]) {
                        self.line(indent + 1, &format!("option {name} = {value};"));
                    }
                    for member in members {
                        self.field(indent + 1, &member, true);
                    }
                    self.line(indent, "}");
                }
            }
        }

        let proto = message.descriptor_proto();
        if !proto.reserved_range.is_empty() {
            let ranges: Vec<String> = proto
                .reserved_range
                .iter()
                .map(|r| exclusive_range(r.start(), r.end()))
                .collect();
            self.line(indent, &format!("reserved {};", ranges.join(", ")));
        }
        if !proto.reserved_name.is_empty() {
            let names: Vec<String> = proto.reserved_name.iter().map(|n| quote_str(n)).collect();
            self.line(indent, &format!("reserved {};", names.join(", ")));
        }
        for range in &proto.extension_range {
            self.line(
                indent,
                &format!(
                    "extensions {};",
                    exclusive_range(range.start(), range.end())
                ),
            );
        }

        for (nested, pending) in nested.iter().zip(pending) {
            if pending {
                self.message(indent, nested);
            }
        }
        for en in message.child_enums() {
            self.enumeration(indent, &en);
        }
        let extensions: Vec<ExtensionDescriptor> = message.child_extensions().collect();
        if !extensions.is_empty() {
            self.extend_blocks(indent, &extensions);
        }
    }

    fn label(&self, proto: &FieldDescriptorProto, in_oneof: bool, is_map: bool) -> &'static str {
        if in_oneof || is_map {
            return "";
        }
        match proto.label() {
            Label::Repeated => "repeated ",
            Label::Required => "required ",
            Label::Optional => match self.syntax {
                Syntax::Proto2 => "optional ",
                Syntax::Proto3 if proto.proto3_optional() => "optional ",
                _ => "",
            },
        }
    }

    fn field(&mut self, indent: usize, field: &FieldDescriptor, in_oneof: bool) {
        let proto = field.field_descriptor_proto();
        let mut options = Vec::new();
        if let Some(default) = default_value(proto) {
            options.push(("default".to_owned(), default));
        }
        if let Some(json_name) = &proto.json_name {
            if *json_name != default_json_name(proto.name()) {
                options.push(("json_name".to_owned(), quote_str(json_name)));
            }
        }
        options.extend(self.option_items(&field.options(), &[]));
        if self.opts.normalize {
            options.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let options = bracket(&options);

        if field.is_map() {
            if let Kind::Message(entry) = field.kind() {
                let key = entry.map_entry_key_field();
                let value = entry.map_entry_value_field();
                self.line(
                    indent,
                    &format!(
                        "map<{}, {}> {} = {}{};",
                        type_name(key.field_descriptor_proto()),
                        type_name(value.field_descriptor_proto()),
                        proto.name(),
                        proto.number(),
                        options
                    ),
                );
                return;
            }
        }
        let label = self.label(proto, in_oneof, false);
        if self.syntax == Syntax::Proto2 && is_group(proto) {
            if let Kind::Message(group) = field.kind() {
                self.line(
                    indent,
                    &format!(
                        "{label}group {} = {}{} {{",
                        group.name(),
                        proto.number(),
                        options
                    ),
                );
                self.message_body(indent + 1, &group);
                self.line(indent, "}");
                return;
            }
        }
        self.line(
            indent,
            &format!(
                "{label}{} {} = {}{};",
                type_name(proto),
                proto.name(),
                proto.number(),
                options
            ),
        );
    }

    fn extend_blocks(&mut self, indent: usize, extensions: &[ExtensionDescriptor]) {
        let mut extendees: Vec<String> = Vec::new();
        for ext in extensions {
            let name = ext.containing_message().full_name().to_owned();
            if !extendees.contains(&name) {
                extendees.push(name);
            }
        }
        for extendee in extendees {
            self.line(indent, &format!("extend .{extendee} {{"));
            let mut fields: Vec<&ExtensionDescriptor> = extensions
                .iter()
                .filter(|e| e.containing_message().full_name() == extendee)
                .collect();
            if self.opts.normalize {
                fields.sort_by_key(|e| e.number());
            }
            for ext in fields {
                let proto = ext.field_descriptor_proto();
                let mut options = Vec::new();
                if let Some(default) = default_value(proto) {
                    options.push(("default".to_owned(), default));
                }
                options.extend(self.option_items(&ext.options(), &[]));
                if self.opts.normalize {
                    options.sort_by(|a, b| a.0.cmp(&b.0));
                }
                let options = bracket(&options);
                let label = self.label(proto, false, false);
                if self.syntax == Syntax::Proto2 && is_group(proto) {
                    if let Kind::Message(group) = ext.kind() {
                        self.line(
                            indent + 1,
                            &format!(
                                "{label}group {} = {}{} {{",
                                group.name(),
                                proto.number(),
                                options
                            ),
                        );
                        self.message_body(indent + 2, &group);
                        self.line(indent + 1, "}");
                        continue;
                    }
                }
                self.line(
                    indent + 1,
                    &format!(
                        "{label}{} {} = {}{};",
                        type_name(proto),
                        proto.name(),
                        proto.number(),
                        options
                    ),
                );
            }
            self.line(indent, "}");
        }
    }

    fn enumeration(&mut self, indent: usize, en: &EnumDescriptor) {
        self.line(indent, &format!("enum {} {{", en.name()));
        for (name, value) in self.option_items(&en.options(), &[]) {
            self.line(indent + 1, &format!("option {name} = {value};"));
        }
        let declared = en
            .enum_descriptor_proto()
            .value
            .iter()
            .filter_map(|v| en.get_value_by_name(v.name()));
        for value in declared {
            let options = self.option_items(&value.options(), &[]);
            self.line(
                indent + 1,
                &format!(
                    "{} = {}{};",
                    value.name(),
                    value.number(),
                    bracket(&options)
                ),
            );
        }
        let proto = en.enum_descriptor_proto();
        if !proto.reserved_range.is_empty() {
            let ranges: Vec<String> = proto
                .reserved_range
                .iter()
                .map(|r| match (r.start(), r.end()) {
                    (s, e) if s == e => s.to_string(),
                    (s, i32::MAX) => format!("{s} to max"),
                    (s, e) => format!("{s} to {e}"),
                })
                .collect();
            self.line(indent + 1, &format!("reserved {};", ranges.join(", ")));
        }
        if !proto.reserved_name.is_empty() {
            let names: Vec<String> = proto.reserved_name.iter().map(|n| quote_str(n)).collect();
            self.line(indent + 1, &format!("reserved {};", names.join(", ")));
        }
        self.line(indent, "}");
    }

    fn service(&mut self, service: &ServiceDescriptor) {
        self.line(0, &format!("service {} {{", service.name()));
        for (name, value) in self.option_items(&service.options(), &[]) {
            self.line(1, &format!("option {name} = {value};"));
        }
        for method in service.methods() {
            let proto = method.method_descriptor_proto();
            let stream = |yes: bool| if yes { "stream " } else { "" };
            let signature = format!(
                "rpc {}({}{}) returns ({}{})",
                method.name(),
                stream(proto.client_streaming()),
                qualified(proto.input_type()),
                stream(proto.server_streaming()),
                qualified(proto.output_type()),
            );
            let options = self.option_items(&method.options(), &[]);
            if options.is_empty() {
                self.line(1, &format!("{signature};"));
            } else {
                self.line(1, &format!("{signature} {{"));
                for (name, value) in options {
                    self.line(2, &format!("option {name} = {value};"));
                }
                self.line(1, "}");
            }
        }
        self.line(0, "}");
    }

    /// `(name, value)` pairs for an options message: built-in options by name (message-valued
    /// ones such as `features` flattened to `features.x`), custom options as `(full.name)`
    /// with aggregate values.
    fn option_items(&self, options: &DynamicMessage, skip: &[&str]) -> Vec<(String, String)> {
        let mut items = Vec::new();
        flatten_options(options, "", skip, self.opts.ignore_extensions, &mut items);
        if self.opts.normalize {
            items.sort_by(|a, b| a.0.cmp(&b.0));
        }
        items
    }
}

fn flatten_options(
    options: &DynamicMessage,
    prefix: &str,
    skip: &[&str],
    ignore_extensions: bool,
    items: &mut Vec<(String, String)>,
) {
    for (field, value) in options.fields() {
        if field.name() == "uninterpreted_option" || skip.contains(&field.name()) {
            continue;
        }
        let name = format!("{prefix}{}", field.name());
        push_option(&name, &field.kind(), value, ignore_extensions, items);
    }
    if ignore_extensions {
        return;
    }
    for (ext, value) in options.extensions() {
        let name = format!("{prefix}({})", ext.full_name());
        push_option(&name, &ext.kind(), value, ignore_extensions, items);
    }
}

fn push_option(
    name: &str,
    kind: &Kind,
    value: &Value,
    ignore_extensions: bool,
    items: &mut Vec<(String, String)>,
) {
    match value {
        Value::List(values) => {
            for v in values {
                push_option(name, kind, v, ignore_extensions, items);
            }
        }
        Value::Message(inner) if !name.ends_with(')') => {
            // Built-in message-valued option (e.g. `features`): one statement per sub-field.
            let before = items.len();
            flatten_options(inner, &format!("{name}."), &[], ignore_extensions, items);
            if items.len() == before {
                items.push((name.to_owned(), "{}".to_owned()));
            }
        }
        _ => items.push((name.to_owned(), format_value(value, kind))),
    }
}

fn bracket(options: &[(String, String)]) -> String {
    if options.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = options.iter().map(|(n, v)| format!("{n} = {v}")).collect();
    format!(" [{}]", parts.join(", "))
}

fn is_group(proto: &FieldDescriptorProto) -> bool {
    proto.r#type() == Type::Group
}

fn import_path(import: &str) -> &str {
    import.rsplit_once(' ').map_or(import, |(_, path)| path)
}

fn qualified(name: &str) -> String {
    if name.starts_with('.') {
        name.to_owned()
    } else {
        format!(".{name}")
    }
}

/// The type as written in a field declaration.
fn type_name(proto: &FieldDescriptorProto) -> String {
    let scalar = match proto.r#type() {
        Type::Double => "double",
        Type::Float => "float",
        Type::Int64 => "int64",
        Type::Uint64 => "uint64",
        Type::Int32 => "int32",
        Type::Fixed64 => "fixed64",
        Type::Fixed32 => "fixed32",
        Type::Bool => "bool",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Uint32 => "uint32",
        Type::Sfixed32 => "sfixed32",
        Type::Sfixed64 => "sfixed64",
        Type::Sint32 => "sint32",
        Type::Sint64 => "sint64",
        Type::Group | Type::Message | Type::Enum => return qualified(proto.type_name()),
    };
    scalar.to_owned()
}

/// `[default = ...]` as written, from the descriptor's textual default.
fn default_value(proto: &FieldDescriptorProto) -> Option<String> {
    let raw = proto.default_value.as_deref()?;
    Some(match proto.r#type() {
        Type::String => quote_str(raw),
        // Bytes defaults are stored C-escaped already.
        Type::Bytes => format!("\"{raw}\""),
        _ => raw.to_owned(),
    })
}

/// protoc's default `json_name`: underscores removed, the following letter upper-cased.
pub fn default_json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn exclusive_range(start: i32, end: i32) -> String {
    let last = end.saturating_sub(1);
    if last <= start {
        start.to_string()
    } else if last == MAX_FIELD_NUMBER {
        format!("{start} to max")
    } else {
        format!("{start} to {last}")
    }
}

/// A string literal with C-style escapes for quotes, backslashes and control characters.
pub fn quote_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

fn format_float(v: f64) -> String {
    if v.is_nan() {
        "nan".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format!("{v:?}")
    }
}

fn format_value(value: &Value, kind: &Kind) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::I32(v) => v.to_string(),
        Value::I64(v) => v.to_string(),
        Value::U32(v) => v.to_string(),
        Value::U64(v) => v.to_string(),
        Value::F32(v) => {
            if v.is_finite() {
                format!("{v:?}")
            } else {
                format_float(f64::from(*v))
            }
        }
        Value::F64(v) => format_float(*v),
        Value::String(s) => quote_str(s),
        Value::Bytes(b) => quote_bytes(b),
        Value::EnumNumber(n) => match kind {
            Kind::Enum(en) => en
                .get_value(*n)
                .map_or_else(|| n.to_string(), |v| v.name().to_owned()),
            _ => n.to_string(),
        },
        Value::Message(m) => aggregate(m),
        Value::List(values) => {
            let parts: Vec<String> = values.iter().map(|v| format_value(v, kind)).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Map(_) => "{}".to_owned(),
    }
}

fn format_map_key(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(v) => v.to_string(),
        MapKey::I64(v) => v.to_string(),
        MapKey::U32(v) => v.to_string(),
        MapKey::U64(v) => v.to_string(),
        MapKey::String(s) => quote_str(s),
    }
}

/// Text-format aggregate value `{ a: 1 b { c: "x" } [ext.name]: 2 }`.
fn aggregate(message: &DynamicMessage) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |name: String, kind: &Kind, value: &Value| match value {
        Value::List(values) => {
            for v in values {
                parts.push(text_entry(&name, kind, v));
            }
        }
        Value::Map(entries) => {
            let mut entries: Vec<(&MapKey, &Value)> = entries.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let value_kind = match kind {
                Kind::Message(entry) => entry.map_entry_value_field().kind(),
                other => other.clone(),
            };
            for (k, v) in entries {
                parts.push(format!(
                    "{name} {{ key: {} {} }}",
                    format_map_key(k),
                    text_entry("value", &value_kind, v)
                ));
            }
        }
        v => parts.push(text_entry(&name, kind, v)),
    };
    for (field, value) in message.fields() {
        let name = if field.is_group() {
            match field.kind() {
                Kind::Message(m) => m.name().to_owned(),
                _ => field.name().to_owned(),
            }
        } else {
            field.name().to_owned()
        };
        push(name, &field.kind(), value);
    }
    for (ext, value) in message.extensions() {
        push(format!("[{}]", ext.full_name()), &ext.kind(), value);
    }
    if parts.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", parts.join(" "))
    }
}

fn text_entry(name: &str, kind: &Kind, value: &Value) -> String {
    match value {
        Value::Message(m) => format!("{name} {}", aggregate(m)),
        v => format!("{name}: {}", format_value(v, kind)),
    }
}
