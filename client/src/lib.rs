//! schemata-client: an async, caching Schema Registry client and serializers/deserializers
//! for Avro, Protobuf and JSON Schema in Confluent's wire format.
//!
//! ```no_run
//! # async fn demo() -> schemata_client::Result<()> {
//! use schemata_client::{
//!     avro::AvroSerializer, ClientConfig, SchemaRegistryClient, SerializationContext,
//!     SerializerConfig,
//! };
//! let client = SchemaRegistryClient::new(ClientConfig::new("http://localhost:8081"))?;
//! let schema = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
//! let serializer = AvroSerializer::from_str(client, schema, SerializerConfig::default()).await?;
//! #[derive(serde::Serialize)]
//! struct User { name: String }
//! let bytes = serializer
//!     .serialize(&SerializationContext::value("users"), &User { name: "ann".into() })
//!     .await?;
//! # let _ = bytes; Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod avro;
mod avro_depth;
mod avro_json;
mod config;
mod error;
pub mod json;
pub mod protobuf;
mod rest;
mod serde_common;
mod tls;
mod types;
pub mod wire;

pub use config::{
    DeserializerConfig, MessageField, SerializationContext, SerializerConfig, SubjectNameStrategy,
};
pub use error::{Error, Result};
pub use rest::{path_segment, Auth, ClientConfig, SchemaRegistryClient};
pub use tls::TlsOptions;
pub use types::{
    CompatibilityResult, RegisteredSchema, Schema, SchemaReference, SchemaType, ServerConfig,
    VersionSelector,
};

/// Re-exports so users need no direct dependency on the encoding crates' exact versions.
pub use apache_avro;
pub use prost;
pub use prost_reflect;
