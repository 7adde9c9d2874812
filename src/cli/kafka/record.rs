//! The records of a registry's storage topic as Confluent Schema Registry and Karapace write
//! them (docs/migration.md §5.1): a JSON key naming the `keytype` and what it is about, and a
//! JSON value, or none (a tombstone) when the key's record is deleted.

use crate::domain::{Config, Mode, QualifiedSubject, SchemaReference};
use serde::Deserialize;
use serde_json::Value;

/// What one record says.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::cli) enum Event {
    /// A version of a subject (`subject` as on the wire, maybe `:.ctx:name`); `None`: the
    /// version was permanently deleted.
    Schema {
        subject: String,
        version: i64,
        value: Option<SchemaValue>,
    },
    /// The config stored at a scope (`""` global, `:.ctx:`, or a subject); `None`: removed.
    Config {
        scope: String,
        config: Option<Config>,
    },
    /// The mode stored at a scope; `None`: removed.
    Mode { scope: String, mode: Option<Mode> },
    /// Every version of `subject` up to `through` soft-deleted.
    DeleteSubject { subject: String, through: i64 },
    /// The soft-deleted versions of the subjects `subject` matches forgotten (a subject, a
    /// context `:.ctx:`, or every subject when `None`).
    ClearSubject { subject: Option<String> },
    /// A record that changes nothing a registry serves: `NOOP` (written by CSR to find the
    /// end of the topic), `CONTEXT`, `ASSOC` or a key type this build does not know.
    Ignored { keytype: String },
}

/// A `SCHEMA` record's value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::cli) struct SchemaValue {
    pub id: i64,
    pub schema: String,
    #[serde(default)]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub references: Option<Vec<SchemaReference>>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub rule_set: Option<Value>,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Deserialize)]
struct Key {
    keytype: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct ModeValue {
    mode: String,
}

#[derive(Debug, Deserialize)]
struct DeleteSubjectValue {
    subject: String,
    version: i64,
}

#[derive(Debug, Deserialize)]
struct ClearSubjectValue {
    #[serde(default)]
    subject: Option<String>,
}

/// Read one record. An error says what is wrong with it (the caller names the offset).
pub(in crate::cli) fn parse(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<Event, String> {
    let key = key.ok_or("a record without a key")?;
    let key: Key =
        serde_json::from_slice(key).map_err(|e| format!("its key is not a registry key: {e}"))?;
    // Karapace reads an empty value as a tombstone too.
    let value = value.filter(|v| !v.iter().all(u8::is_ascii_whitespace));
    let value: Option<Value> = match value {
        None => None,
        Some(bytes) => match serde_json::from_slice::<Value>(bytes)
            .map_err(|e| format!("its value is not JSON: {e}"))?
        {
            Value::Null => None,
            object @ Value::Object(_) => Some(object),
            _ => return Err("its value is not a JSON object".into()),
        },
    };
    let subject = || {
        key.subject
            .clone()
            .ok_or_else(|| format!("a {} key without a subject", key.keytype))
    };
    fn decode<T: serde::de::DeserializeOwned>(what: &str, value: Value) -> Result<T, String> {
        serde_json::from_value(value).map_err(|e| format!("its {what} value is invalid: {e}"))
    }
    Ok(match key.keytype.as_str() {
        "SCHEMA" => Event::Schema {
            subject: subject()?,
            version: key.version.ok_or("a SCHEMA key without a version")?,
            value: value.map(|v| decode("SCHEMA", v)).transpose()?,
        },
        "CONFIG" => Event::Config {
            scope: scope(key.subject.as_deref()),
            config: value.map(|v| decode("CONFIG", v)).transpose()?,
        },
        "MODE" => Event::Mode {
            scope: scope(key.subject.as_deref()),
            mode: match value {
                None => None,
                Some(v) => {
                    let body: ModeValue = decode("MODE", v)?;
                    Some(
                        Mode::parse(&body.mode)
                            .ok_or_else(|| format!("unknown mode {:?}", body.mode))?,
                    )
                }
            },
        },
        "DELETE_SUBJECT" => match value {
            // A tombstone of a DELETE_SUBJECT key (compaction's clean-up) changes nothing.
            None => Event::Ignored {
                keytype: "DELETE_SUBJECT tombstone".into(),
            },
            Some(v) => {
                let body: DeleteSubjectValue = decode("DELETE_SUBJECT", v)?;
                Event::DeleteSubject {
                    subject: body.subject,
                    through: body.version,
                }
            }
        },
        "CLEAR_SUBJECT" => match value {
            None => Event::Ignored {
                keytype: "CLEAR_SUBJECT tombstone".into(),
            },
            Some(v) => {
                let body: ClearSubjectValue = decode("CLEAR_SUBJECT", v)?;
                Event::ClearSubject {
                    subject: body.subject.or(key.subject),
                }
            }
        },
        other => Event::Ignored {
            keytype: other.to_string(),
        },
    })
}

/// The stored scope of a CONFIG or MODE key's subject: none is the global scope.
fn scope(subject: Option<&str>) -> String {
    match subject {
        None => String::new(),
        Some(s) => QualifiedSubject::parse(s).scope(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(key: &str, value: Option<&str>) -> Result<Event, String> {
        parse(Some(key.as_bytes()), value.map(str::as_bytes))
    }

    #[test]
    fn every_key_type_is_read() {
        let schema = event(
            r#"{"keytype":"SCHEMA","subject":":.ctx:orders","version":2,"magic":1}"#,
            Some(r#"{"subject":":.ctx:orders","version":2,"id":7,"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";","references":[{"name":"a.proto","subject":"a","version":1}],"deleted":true}"#),
        )
        .unwrap();
        let Event::Schema {
            subject,
            version,
            value: Some(value),
        } = schema
        else {
            panic!("{schema:?}")
        };
        assert_eq!(
            (subject.as_str(), version, value.id, value.deleted),
            (":.ctx:orders", 2, 7, true)
        );
        assert_eq!(value.references.unwrap()[0].subject, "a");
        assert_eq!(
            event(
                r#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#,
                None
            )
            .unwrap(),
            Event::Schema {
                subject: "s".into(),
                version: 1,
                value: None
            }
        );
        let Event::Config {
            scope,
            config: Some(config),
        } = event(
            r#"{"keytype":"CONFIG","subject":null,"magic":0}"#,
            Some(r#"{"compatibilityLevel":"FULL"}"#),
        )
        .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (scope.as_str(), config.compatibility_level.as_deref()),
            ("", Some("FULL"))
        );
        assert_eq!(
            event(
                r#"{"keytype":"CONFIG","subject":":.ctx:","magic":0}"#,
                Some("")
            )
            .unwrap(),
            Event::Config {
                scope: ":.ctx:".into(),
                config: None
            }
        );
        assert_eq!(
            event(
                r#"{"keytype":"MODE","subject":"s","magic":0}"#,
                Some(r#"{"subject":"s","mode":"READONLY"}"#)
            )
            .unwrap(),
            Event::Mode {
                scope: "s".into(),
                mode: Some(Mode::ReadOnly)
            }
        );
        assert_eq!(
            event(
                r#"{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}"#,
                Some(r#"{"subject":"s","version":3}"#)
            )
            .unwrap(),
            Event::DeleteSubject {
                subject: "s".into(),
                through: 3
            }
        );
        assert_eq!(
            event(
                r#"{"keytype":"CLEAR_SUBJECT","subject":":.ctx:","magic":0}"#,
                Some(r#"{"subject":":.ctx:"}"#)
            )
            .unwrap(),
            Event::ClearSubject {
                subject: Some(":.ctx:".into())
            }
        );
        assert_eq!(
            event(r#"{"keytype":"NOOP","magic":0}"#, None).unwrap(),
            Event::Ignored {
                keytype: "NOOP".into()
            }
        );
    }

    #[test]
    fn broken_records_say_what_is_wrong() {
        assert!(parse(None, None).unwrap_err().contains("without a key"));
        assert!(event("not json", None)
            .unwrap_err()
            .contains("key is not a registry key"));
        assert!(event(r#"{"keytype":"SCHEMA","subject":"s"}"#, None)
            .unwrap_err()
            .contains("without a version"));
        assert!(event(
            r#"{"keytype":"SCHEMA","subject":"s","version":1}"#,
            Some("{")
        )
        .unwrap_err()
        .contains("not JSON"));
        assert!(event(
            r#"{"keytype":"SCHEMA","subject":"s","version":1}"#,
            Some(r#"{"id":"x"}"#)
        )
        .unwrap_err()
        .contains("SCHEMA value is invalid"));
        assert!(event(
            r#"{"keytype":"MODE","subject":"s"}"#,
            Some(r#"{"mode":"SIDEWAYS"}"#)
        )
        .unwrap_err()
        .contains("unknown mode"));
    }
}
