//! What every serializer does on a cache miss: pick the subject, then find the schema id to
//! write (register, look up, or take the latest version).

use crate::config::{SerializationContext, SerializerConfig};
use crate::error::{Error, Result};
use crate::rest::SchemaRegistryClient;
use crate::types::{RegisteredSchema, Schema};
use std::sync::Arc;

/// The id to write for `ctx`, and the registered schema when `use_latest_version` chose it.
pub(crate) async fn resolve_id(
    client: &SchemaRegistryClient,
    config: &SerializerConfig,
    ctx: &SerializationContext<'_>,
    record_name: Option<&str>,
    own: &Schema,
) -> Result<(u32, Option<Arc<RegisteredSchema>>)> {
    let subject = config.subject_name_strategy.subject(ctx, record_name)?;
    if config.use_latest_version {
        let latest = client.get_latest_version(&subject).await?;
        return Ok((latest.id, Some(latest)));
    }
    if config.auto_register_schemas {
        return Ok((
            client
                .register(&subject, own, config.normalize_schemas)
                .await?,
            None,
        ));
    }
    match client.get_id(&subject, own, config.normalize_schemas).await {
        Ok(id) => Ok((id, None)),
        Err(Error::Registry {
            status: 404,
            message,
            ..
        }) => Err(Error::NotRegistered { subject, message }),
        Err(e) => Err(e),
    }
}
