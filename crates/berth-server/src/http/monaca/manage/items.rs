//! `CollectionItem.*` of the Management API. The management side is the administrator: it bypasses
//! per-item permissions, and the items it creates have no owner.

use berth_core::appdata::{Collection, parse_permission, permission_to_json, split_system_members};
use berth_core::monaql::Scope;
use berth_core::service::ItemOwner;
use berth_core::store::ItemQuery;
use berth_core::validation::Problems;
use serde_json::{Value, json};

use super::{Manage, criteria, id_list, list_result, listing, ok};
use crate::http::monaca::jsonrpc::RpcError;
use crate::http::monaca::params::Params;

async fn collection(context: &Manage<'_>, params: &Params) -> Result<Collection, RpcError> {
    let name = params.string("collectionName")?;
    Ok(context
        .berth
        .collection(context.backend.id, &name, "collectionName")
        .await?)
}

/// Besides the documented parameters, Berth accepts `criteria` + `bindParams` (MonaQL) and
/// `withTotal: false` (skip counting) — see docs/compat.md.
pub async fn list(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(context, &params).await?;
    let listing = listing(&params, Scope::Item)?;
    let query = ItemQuery {
        criteria: criteria(&params, "criteria", "bindParams", Scope::Item)?,
        sort: listing.sort,
        page: listing.page,
        access: None,
    };
    let page = context.berth.list_items(&collection, &query).await?;
    let names = listing.property_names.as_deref();
    let items = page
        .items
        .iter()
        .map(|item| item.to_json(names, true))
        .collect();
    Ok(list_result(items, page.total))
}

/// `item` holds the data; its `_permission`, if any, becomes the initial permission; other
/// `_`-prefixed members are system properties and are ignored.
pub async fn create(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(context, &params).await?;
    let item = params.object("item")?;
    let (data, system) = split_system_members(&item);
    let permission = match system.get("_permission") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let mut problems = Problems::new();
            let permission = parse_permission(value, "item", &mut problems);
            problems.into_result()?;
            Some(permission)
        }
    };
    let item = context
        .berth
        .create_item(&collection, data, permission, ItemOwner::default())
        .await?;
    Ok(json!({ "item": item.to_json(None, true) }))
}

pub async fn get(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(context, &params).await?;
    let id = params.string("_id")?;
    let item = context.berth.item(&collection, &id, "_id").await?;
    Ok(json!({ "item": item.to_json(None, true) }))
}

/// Merges `item` into the stored data; its `_id`, `_permission` and other system members are ignored.
pub async fn update(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(context, &params).await?;
    let id = params.string("_id")?;
    let (data, _system) = split_system_members(&params.object("item")?);
    context
        .berth
        .update_item(&collection, &id, data, "_id")
        .await?;
    Ok(ok())
}

pub async fn delete(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(context, &params).await?;
    let ids = id_list(&params, "idList")?;
    context.berth.delete_items(&collection, &ids).await?;
    Ok(ok())
}

pub async fn get_permission(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(context, &params).await?;
    let id = params.string("_id")?;
    let item = context.berth.item(&collection, &id, "_id").await?;
    Ok(json!({ "permission": permission_to_json(&item.permission) }))
}

pub async fn set_permission(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(context, &params).await?;
    let id = params.string("_id")?;
    let Some(value) = params.get("permission") else {
        return Err(RpcError::invalid_param(
            "permission",
            "The parameter is required.",
        ));
    };
    let mut problems = Problems::new();
    let permission = parse_permission(value, "permission", &mut problems);
    problems.into_result()?;
    context
        .berth
        .set_item_permission(&collection, &id, &permission, "_id")
        .await?;
    Ok(ok())
}
