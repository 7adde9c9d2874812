//! JSON Schema serializer and deserializer (`serde_json::Value` and serde types), validating
//! against the schema when configured (with `schemata-compat`'s validator, the registry's).

use crate::config::{
    DeserializerConfig, HotCache, SerializationContext, SerializerConfig, TopicCache,
};
use crate::error::{Error, Result};
use crate::rest::{expect_type, SchemaRegistryClient};
use crate::serde_common::resolve_id;
use crate::types::{Schema, SchemaType};
use crate::wire;
use schemata_compat::json::JsonSchema;
use schemata_compat::ParsedSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

async fn fetch_json(client: &SchemaRegistryClient, schema: &Schema) -> Result<JsonSchema> {
    match client.parse_schema(schema).await? {
        ParsedSchema::Json(j) => Ok(j),
        other => Err(Error::Config(format!(
            "expected a JSON schema, got {}",
            other.schema_type()
        ))),
    }
}

fn validate(schema: &JsonSchema, value: &Value) -> Result<()> {
    schemata_compat::json::validate_instance(schema, value).map_err(Error::Validation)
}

struct Target {
    header: [u8; wire::HEADER_LEN],
    schema: Arc<JsonSchema>,
}

/// Writes JSON values with one JSON Schema.
pub struct JsonSerializer {
    client: SchemaRegistryClient,
    config: SerializerConfig,
    schema: Schema,
    own: Arc<JsonSchema>,
    title: Option<String>,
    topics: TopicCache<Target>,
}

impl JsonSerializer {
    pub async fn new(
        client: SchemaRegistryClient,
        schema: Schema,
        config: SerializerConfig,
    ) -> Result<Self> {
        if schema.schema_type != SchemaType::Json {
            return Err(Error::Config(format!(
                "JsonSerializer needs a JSON schema, got {}",
                schema.schema_type
            )));
        }
        let own = Arc::new(fetch_json(&client, &schema).await?);
        let title = serde_json::from_str::<Value>(&schema.schema)
            .ok()
            .and_then(|v| v.get("title").and_then(Value::as_str).map(str::to_owned));
        Ok(JsonSerializer {
            client,
            config,
            schema,
            own,
            title,
            topics: TopicCache::new(1000),
        })
    }

    pub async fn from_str(
        client: SchemaRegistryClient,
        schema: &str,
        config: SerializerConfig,
    ) -> Result<Self> {
        Self::new(client, Schema::new(SchemaType::Json, schema), config).await
    }

    async fn target(&self, ctx: &SerializationContext<'_>) -> Result<Arc<Target>> {
        if let Some(t) = self.topics.get(ctx) {
            return Ok(t);
        }
        let (id, latest) = resolve_id(
            &self.client,
            &self.config,
            ctx,
            self.title.as_deref(),
            &self.schema,
        )
        .await?;
        let schema = match latest {
            Some(latest) => {
                expect_type(id, &latest.schema, SchemaType::Json)?;
                Arc::new(fetch_json(&self.client, &latest.schema).await?)
            }
            None => self.own.clone(),
        };
        let mut header = [0u8; wire::HEADER_LEN];
        header[1..].copy_from_slice(&id.to_be_bytes());
        let target = Arc::new(Target { header, schema });
        self.topics.insert(ctx, target.clone());
        Ok(target)
    }

    pub async fn serialize_value(
        &self,
        ctx: &SerializationContext<'_>,
        value: &Value,
    ) -> Result<Vec<u8>> {
        let target = match self.topics.get(ctx) {
            Some(t) => t,
            None => Box::pin(self.target(ctx)).await?,
        };
        if self.config.validate {
            validate(&target.schema, value)?;
        }
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&target.header);
        serde_json::to_writer(&mut out, value).map_err(|e| Error::Serialization(e.to_string()))?;
        Ok(out)
    }

    pub async fn serialize<T: Serialize>(
        &self,
        ctx: &SerializationContext<'_>,
        value: &T,
    ) -> Result<Vec<u8>> {
        if self.config.validate {
            let value =
                serde_json::to_value(value).map_err(|e| Error::Serialization(e.to_string()))?;
            return self.serialize_value(ctx, &value).await;
        }
        let target = match self.topics.get(ctx) {
            Some(t) => t,
            None => Box::pin(self.target(ctx)).await?,
        };
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&target.header);
        serde_json::to_writer(&mut out, value).map_err(|e| Error::Serialization(e.to_string()))?;
        Ok(out)
    }
}

/// A message's payload (after the header) read as JSON, validated against `schema` when
/// `validate`: what [`JsonDeserializer`] does once it has the writer schema. Public for the
/// fuzz targets (`fuzz/`), which feed it untrusted bytes.
#[doc(hidden)]
pub fn decode_payload(schema: &JsonSchema, payload: &[u8], validate: bool) -> Result<Value> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| Error::Deserialization(e.to_string()))?;
    if validate {
        self::validate(schema, &value)?;
    }
    Ok(value)
}

/// Reads JSON messages, validating against the writer schema when configured.
pub struct JsonDeserializer {
    client: SchemaRegistryClient,
    config: DeserializerConfig,
    schemas: HotCache<u32, JsonSchema>,
}

impl JsonDeserializer {
    pub fn new(client: SchemaRegistryClient, config: DeserializerConfig) -> Self {
        JsonDeserializer {
            client,
            schemas: HotCache::new(config.cache_capacity),
            config,
        }
    }

    async fn schema(&self, id: u32) -> Result<Arc<JsonSchema>> {
        if let Some(s) = self.schemas.get(&id) {
            return Ok(s);
        }
        let schema = self.client.get_by_id(id).await?;
        expect_type(id, &schema, SchemaType::Json)?;
        let parsed = Arc::new(fetch_json(&self.client, &schema).await?);
        self.schemas.insert(id, parsed.clone());
        Ok(parsed)
    }

    pub async fn deserialize_value(&self, message: &[u8]) -> Result<Value> {
        Ok(self.deserialize_value_with_id(message).await?.1)
    }

    pub async fn deserialize_value_with_id(&self, message: &[u8]) -> Result<(u32, Value)> {
        let (id, payload) = wire::read_header(message)?;
        let schema = match self.schemas.get(&id) {
            Some(s) => s,
            None => Box::pin(self.schema(id)).await?,
        };
        Ok((id, decode_payload(&schema, payload, self.config.validate)?))
    }

    pub async fn deserialize<T: DeserializeOwned>(&self, message: &[u8]) -> Result<T> {
        let value = self.deserialize_value(message).await?;
        serde_json::from_value(value).map_err(|e| Error::Deserialization(e.to_string()))
    }
}
