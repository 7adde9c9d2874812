//! The ACL file (`--acl-file`, `docs/rest-api.md` §11): its TOML form, checked when read,
//! and the question every request asks of it: may this principal do this operation on this
//! subject, or this global operation? Whatever no `[[allow]]` entry grants is denied.

use crate::api::auth::Principal;
use crate::domain::{QualifiedSubject, DEFAULT_CONTEXT};
use serde::Deserialize;

/// What a request does to a subject (or, in `global`, to the registry as a whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Read,
    Write,
    Delete,
    ConfigRead,
    ConfigWrite,
}

impl Operation {
    const ALL: [Operation; 5] = [
        Operation::Read,
        Operation::Write,
        Operation::Delete,
        Operation::ConfigRead,
        Operation::ConfigWrite,
    ];

    /// The name the ACL file, the 403 message and the audit log use.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Write => "write",
            Operation::Delete => "delete",
            Operation::ConfigRead => "config_read",
            Operation::ConfigWrite => "config_write",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Operations(u8);

impl Operations {
    fn has(self, op: Operation) -> bool {
        self.0 & op.bit() != 0
    }

    /// `names` as written in the file; `"all"` is every operation.
    fn parse(names: &[String], field: &str) -> Result<Operations, String> {
        let mut set = Operations::default();
        for name in names {
            if name == "all" {
                set.0 |= Operation::ALL.iter().fold(0, |acc, op| acc | op.bit());
                continue;
            }
            let op = Operation::ALL
                .into_iter()
                .find(|op| op.as_str() == name)
                .ok_or_else(|| {
                    format!(
                        "unknown operation {name:?} in {field} (read, write, delete, \
                         config_read, config_write or all)"
                    )
                })?;
            set.0 |= op.bit();
        }
        Ok(set)
    }
}

/// Who an entry is for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Who {
    User(String),
    Role(String),
    Anyone,
}

impl Who {
    fn parse(raw: &str) -> Result<Who, String> {
        let named = |prefix: &str| {
            raw.strip_prefix(prefix)
                .filter(|name| !name.is_empty())
                .map(str::to_string)
        };
        if raw == "*" {
            Ok(Who::Anyone)
        } else if let Some(name) = named("user:") {
            Ok(Who::User(name))
        } else if let Some(name) = named("role:") {
            Ok(Who::Role(name))
        } else {
            Err(format!(
                "principal {raw:?} is none of \"user:NAME\", \"role:NAME\" or \"*\""
            ))
        }
    }

    fn covers(&self, principal: &Principal) -> bool {
        match self {
            Who::Anyone => true,
            Who::User(name) => principal.name == *name,
            Who::Role(role) => principal.roles.iter().any(|r| r == role),
        }
    }
}

/// Which subjects a pattern names: `"*"` every subject of every context; otherwise one
/// context (`:.ctx:` before the name, the default context without it) and a literal name
/// or a prefix ending in `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SubjectPattern {
    Everything,
    InContext { context: String, name: NamePattern },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum NamePattern {
    Literal(String),
    Prefix(String),
}

impl SubjectPattern {
    fn parse(raw: &str) -> Result<SubjectPattern, String> {
        if raw == "*" {
            return Ok(SubjectPattern::Everything);
        }
        let (context, name) = match raw.strip_prefix(":.") {
            Some(rest) => {
                let (context, name) = rest
                    .split_once(':')
                    .ok_or_else(|| format!("subject pattern {raw:?}: no ':' after the context"))?;
                let context = if context.is_empty() {
                    DEFAULT_CONTEXT.to_string()
                } else {
                    format!(".{context}")
                };
                (context, name)
            }
            None => (DEFAULT_CONTEXT.to_string(), raw),
        };
        if name.is_empty() {
            return Err(format!(
                "subject pattern {raw:?} names no subject (write \"{raw}*\" for every subject \
                 of the context)"
            ));
        }
        let name = match name.strip_suffix('*') {
            Some(prefix) if prefix.contains('*') => {
                return Err(format!(
                    "subject pattern {raw:?}: '*' may only end a pattern"
                ))
            }
            Some(prefix) => NamePattern::Prefix(prefix.to_string()),
            None if name.contains('*') => {
                return Err(format!(
                    "subject pattern {raw:?}: '*' may only end a pattern"
                ))
            }
            None => NamePattern::Literal(name.to_string()),
        };
        Ok(SubjectPattern::InContext { context, name })
    }

    fn matches(&self, subject: &QualifiedSubject) -> bool {
        match self {
            SubjectPattern::Everything => true,
            SubjectPattern::InContext { context, name } => {
                *context == subject.context
                    && match name {
                        NamePattern::Literal(literal) => subject.name == *literal,
                        NamePattern::Prefix(prefix) => subject.name.starts_with(prefix.as_str()),
                    }
            }
        }
    }

    /// Whether it names every subject of `context`, whatever its name.
    fn covers_context(&self, context: &str) -> bool {
        match self {
            SubjectPattern::Everything => true,
            SubjectPattern::InContext { context: c, name } => {
                c == context && *name == NamePattern::Prefix(String::new())
            }
        }
    }
}

/// One `[[allow]]` entry, checked.
#[derive(Clone, Debug)]
struct Rule {
    who: Who,
    subjects: Vec<SubjectPattern>,
    operations: Operations,
    global: Operations,
}

/// The rules of one ACL file.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileForm {
    #[serde(default)]
    allow: Vec<EntryForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryForm {
    principal: String,
    #[serde(default)]
    subjects: Vec<String>,
    #[serde(default)]
    operations: Vec<String>,
    #[serde(default)]
    global: Vec<String>,
}

impl Rules {
    /// Parse an ACL file. The error names the `[[allow]]` entry at fault (1 is the first).
    pub fn parse(text: &str) -> Result<Rules, String> {
        let file: FileForm = toml::from_str(text).map_err(|e| e.to_string())?;
        let rules = file
            .allow
            .into_iter()
            .enumerate()
            .map(|(i, entry)| Rule::check(entry).map_err(|e| format!("[[allow]] #{}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rules { rules })
    }

    /// The rules that apply to this principal.
    pub fn of<'a>(&'a self, principal: &'a Principal) -> Grants<'a> {
        Grants {
            rules: &self.rules,
            principal,
        }
    }
}

impl Rule {
    fn check(entry: EntryForm) -> Result<Rule, String> {
        let who = Who::parse(&entry.principal)?;
        let subjects = entry
            .subjects
            .iter()
            .map(|s| SubjectPattern::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let operations = Operations::parse(&entry.operations, "operations")?;
        let global = Operations::parse(&entry.global, "global")?;
        if global.has(Operation::Write) && !entry.global.iter().any(|g| g == "all") {
            return Err("global \"write\" grants nothing: writes are to subjects".into());
        }
        match (subjects.is_empty(), operations == Operations::default()) {
            (false, true) => return Err("subjects without operations".into()),
            (true, false) => return Err("operations without subjects".into()),
            (true, true) if global == Operations::default() => {
                return Err("grants nothing: no subjects and operations, no global".into())
            }
            _ => {}
        }
        Ok(Rule {
            who,
            subjects,
            operations,
            global,
        })
    }
}

/// What one principal is allowed, by the rules that name it.
#[derive(Clone, Copy)]
pub struct Grants<'a> {
    rules: &'a [Rule],
    principal: &'a Principal,
}

impl Grants<'_> {
    fn applying(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.who.covers(self.principal))
    }

    /// May it do `op` on `subject`?
    pub fn allows(&self, op: Operation, subject: &QualifiedSubject) -> bool {
        self.applying()
            .any(|r| r.operations.has(op) && r.subjects.iter().any(|p| p.matches(subject)))
    }

    /// May it do the global `op`?
    pub fn allows_global(&self, op: Operation) -> bool {
        self.applying().any(|r| r.global.has(op))
    }

    /// May it do `op` on every subject named `name`, whichever context it is in? Then a
    /// bare name needs no pinning to the default context.
    pub fn allows_in_every_context(&self, op: Operation) -> bool {
        self.applying()
            .any(|r| r.operations.has(op) && r.subjects.contains(&SubjectPattern::Everything))
    }

    /// May it do `op` on every subject of `context`?
    pub fn allows_whole_context(&self, op: Operation, context: &str) -> bool {
        self.applying()
            .any(|r| r.operations.has(op) && r.subjects.iter().any(|p| p.covers_context(context)))
    }

    /// Where the subjects it may `op` are, as (context, name prefix) pairs (a literal name
    /// is its own prefix: narrower than the grant, never wider), or `None` when that is
    /// every subject of every context (`"*"`).
    pub fn scopes(&self, op: Operation) -> Option<Vec<(String, String)>> {
        let mut scopes = Vec::new();
        for pattern in self
            .applying()
            .filter(|r| r.operations.has(op))
            .flat_map(|r| &r.subjects)
        {
            match pattern {
                SubjectPattern::Everything => return None,
                SubjectPattern::InContext { context, name } => {
                    let (NamePattern::Literal(name) | NamePattern::Prefix(name)) = name;
                    scopes.push((context.clone(), name.clone()));
                }
            }
        }
        Some(scopes)
    }

    /// The principal's name, for messages.
    pub fn name(&self) -> &str {
        &self.principal.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::auth::Scheme;

    fn principal(name: &str, roles: &[&str]) -> Principal {
        Principal {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            scheme: Scheme::Basic,
        }
    }

    fn subject(raw: &str) -> QualifiedSubject {
        QualifiedSubject::parse(raw)
    }

    const FILE: &str = r#"
        [[allow]]
        principal = "user:alice"
        subjects = ["orders-*", "payments-value", ":.staging:orders-*"]
        operations = ["read", "write"]

        [[allow]]
        principal = "role:platform"
        global = ["read", "config_read", "config_write"]

        [[allow]]
        principal = "*"
        subjects = ["public-*"]
        operations = ["read"]

        [[allow]]
        principal = "role:admin"
        subjects = ["*"]
        operations = ["all"]
        global = ["all"]
    "#;

    #[test]
    fn subjects_match_literally_by_prefix_and_by_context() {
        let rules = Rules::parse(FILE).unwrap();
        let alice = principal("alice", &[]);
        let grants = rules.of(&alice);
        assert!(grants.allows(Operation::Read, &subject("orders-value")));
        assert!(grants.allows(Operation::Write, &subject("orders-")));
        assert!(grants.allows(Operation::Read, &subject("payments-value")));
        assert!(!grants.allows(Operation::Read, &subject("payments-value-2")));
        assert!(!grants.allows(Operation::Delete, &subject("orders-value")));
        assert!(!grants.allows(Operation::ConfigRead, &subject("orders-value")));
        // A bare pattern is the default context only; a qualified one its own context.
        assert!(!grants.allows(Operation::Read, &subject(":.other:orders-value")));
        assert!(grants.allows(Operation::Read, &subject(":.staging:orders-value")));
        assert!(grants.allows(Operation::Read, &subject(":.:orders-value")));
        assert!(!grants.allows(Operation::Read, &subject(":.staging:payments-value")));
        // `*` as principal: anyone authenticated.
        assert!(grants.allows(Operation::Read, &subject("public-x")));
        assert!(!grants.allows_global(Operation::Read));
        assert!(!grants.allows_in_every_context(Operation::Read));
    }

    #[test]
    fn roles_global_and_all() {
        let rules = Rules::parse(FILE).unwrap();
        let ops = principal("pat", &["platform"]);
        let grants = rules.of(&ops);
        assert!(grants.allows_global(Operation::ConfigWrite));
        assert!(!grants.allows_global(Operation::Delete));
        assert!(!grants.allows(Operation::Read, &subject("orders-value")));
        let admin = principal("root", &["admin"]);
        let grants = rules.of(&admin);
        for op in Operation::ALL {
            assert!(grants.allows(op, &subject(":.any:thing")));
            assert!(grants.allows_global(op));
            assert!(grants.allows_in_every_context(op));
        }
        let nobody = principal("eve", &[]);
        assert!(!rules
            .of(&nobody)
            .allows(Operation::Read, &subject("orders-value")));
    }

    #[test]
    fn whole_contexts() {
        let rules = Rules::parse(
            r#"[[allow]]
            principal = "user:a"
            subjects = [":.c1:*", "x"]
            operations = ["read"]"#,
        )
        .unwrap();
        let a = principal("a", &[]);
        assert!(rules.of(&a).allows_whole_context(Operation::Read, ".c1"));
        assert!(!rules.of(&a).allows_whole_context(Operation::Read, "."));
    }

    #[test]
    fn mistakes_are_refused_naming_the_entry() {
        let cases = [
            ("[[allow]]\nprincipal = \"alice\"\nglobal = [\"read\"]", "#1"),
            ("[[allow]]\nprincipal = \"user:a\"\nsubjects = [\"x\"]\noperations = [\"reed\"]", "reed"),
            ("[[allow]]\nprincipal = \"user:a\"\nsubjects = [\"x\"]", "without operations"),
            ("[[allow]]\nprincipal = \"user:a\"\noperations = [\"read\"]", "without subjects"),
            ("[[allow]]\nprincipal = \"user:a\"", "grants nothing"),
            ("[[allow]]\nprincipal = \"user:a\"\nsubjects = [\"a*b\"]\noperations = [\"read\"]", "'*'"),
            ("[[allow]]\nprincipal = \"user:a\"\nsubjects = [\":.c1:\"]\noperations = [\"read\"]", "names no subject"),
            ("[[allow]]\nprincipal = \"user:a\"\nglobal = [\"write\"]", "global \"write\""),
            ("[[allow]]\nprincipal = \"user:a\"\nglobals = [\"read\"]", "globals"),
            ("[[allow]]\nprincipal = \"user:a\"\n[[allow]]\nprincipal = \"user:b\"\nglobal = [\"read\"]", "#1"),
            ("not toml at all", ""),
        ];
        for (text, expected) in cases {
            let error = Rules::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
        assert!(Rules::parse("").unwrap().rules.is_empty());
    }
}
