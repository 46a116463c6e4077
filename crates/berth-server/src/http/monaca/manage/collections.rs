//! `Collection.*` of the Management API.

use berth_core::appdata::Access;
use berth_core::service::CollectionConfig;
use serde_json::{Value, json};

use super::{Manage, ok};
use crate::http::monaca::jsonrpc::RpcError;
use crate::http::monaca::params::Params;

/// `isInsertable`, `defaultPublicPermission` and (Berth) `indexedProperties`, each optional.
fn config(params: &Params) -> Result<CollectionConfig, RpcError> {
    let default_public_permission = match params.optional_string("defaultPublicPermission")? {
        None => None,
        Some(text) => Some(Access::parse(&text).ok_or_else(|| {
            RpcError::invalid_param(
                "defaultPublicPermission",
                "The permission must be \"\", \"r\", \"w\" or \"rw\".",
            )
        })?),
    };
    Ok(CollectionConfig {
        is_insertable: params.optional_bool("isInsertable")?,
        default_public_permission,
        indexed_properties: params.optional_string_list("indexedProperties", false)?,
    })
}

pub async fn list(context: &Manage<'_>) -> Result<Value, RpcError> {
    let collections = context.berth.collections(context.backend.id).await?;
    let items: Vec<Value> = collections.iter().map(|c| c.definition_json()).collect();
    Ok(json!({ "items": items }))
}

pub async fn create(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let name = params.string("_id")?;
    let config = config(&params)?;
    context
        .berth
        .create_collection(context.backend.id, &name, config)
        .await?;
    Ok(ok())
}

pub async fn drop(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let name = params.string("_id")?;
    context
        .berth
        .drop_collection(context.backend.id, &name)
        .await?;
    Ok(ok())
}

pub async fn set_config(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let name = params.string("_id")?;
    let config = config(&params)?;
    context
        .berth
        .configure_collection(context.backend.id, &name, config)
        .await?;
    Ok(ok())
}

pub async fn get_config(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let name = params.string("_id")?;
    let collection = context
        .berth
        .collection(context.backend.id, &name, "_id")
        .await?;
    Ok(json!({ "config": collection.definition_json() }))
}

pub async fn property_names(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let name = params.string("_id")?;
    let collection = context
        .berth
        .collection(context.backend.id, &name, "_id")
        .await?;
    let names = context.berth.collection_property_names(&collection).await?;
    Ok(json!({ "names": names }))
}
