//! The one error type of the crate: what went wrong talking to the registry, reading the
//! wire format, or (de)serializing a payload. Every variant is cheap to clone so cached
//! lookups can share a failure between concurrent callers.

/// Everything a client, serializer or deserializer can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The registry answered with an error status; `error_code` and `message` are the
    /// server's (`-1` and the raw body when the body was not the JSON envelope).
    #[error("registry error {error_code} (HTTP {status}): {message}")]
    Registry {
        status: u16,
        error_code: i64,
        message: String,
    },
    /// No registry URL answered after every retry (connection refused, timeout, 5xx ...).
    #[error("schema registry unavailable after {attempts} attempt(s): {last}")]
    Unavailable { attempts: u32, last: String },
    /// The registry's answer could not be understood.
    #[error("unexpected registry response: {0}")]
    BadResponse(String),
    /// Invalid client or serde configuration (bad URL, bad option).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The message is shorter than the wire-format header.
    #[error("message too short for the Confluent wire format: {0} byte(s)")]
    Truncated(usize),
    /// The first byte is not the Confluent magic byte 0.
    #[error("unknown magic byte {0:#04x} (not the Confluent wire format)")]
    UnknownMagicByte(u8),
    /// The registry does not know the schema id in the message header.
    #[error("unknown schema id {0}")]
    UnknownSchemaId(u32),
    /// The Protobuf message-index array is malformed or designates no message.
    #[error("bad Protobuf message index: {0}")]
    BadMessageIndex(String),
    /// The schema from the registry (or given by the caller) could not be parsed.
    #[error("invalid schema: {0}")]
    InvalidSchema(String),
    /// The schema id of the message is of another type than this deserializer reads.
    #[error("schema {id} is a {actual} schema, expected {expected}")]
    WrongSchemaType {
        id: u32,
        actual: String,
        expected: String,
    },
    /// The value does not match the schema (JSON Schema validation, Avro validation).
    #[error("validation failed: {0}")]
    Validation(String),
    /// Encoding the payload failed.
    #[error("serialization failed: {0}")]
    Serialization(String),
    /// Decoding the payload failed.
    #[error("deserialization failed: {0}")]
    Deserialization(String),
    /// `auto_register_schemas` is off and the schema is not registered under the subject.
    #[error("schema not registered under subject {subject}: {message}")]
    NotRegistered { subject: String, message: String },
}

impl Error {
    /// The registry's `error_code`, when the registry answered with one.
    pub fn error_code(&self) -> Option<i64> {
        match self {
            Error::Registry { error_code, .. } => Some(*error_code),
            _ => None,
        }
    }

    /// Whether the request is worth repeating (CSR clients retry 408, 429 and 5xx).
    pub(crate) fn is_retriable(&self) -> bool {
        match self {
            Error::Registry { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            Error::Unavailable { .. } => true,
            _ => false,
        }
    }

    /// 404 of any kind (subject, version or schema not found).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Registry { status: 404, .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
