//! `Collection.*` of the app API: items under per-item permissions.

use berth_core::appdata::{
    Collection, Permission, parse_permission, permission_to_json, split_system_members,
};
use berth_core::monaql::{Property, Scope, parse_property};
use berth_core::page::{PageRequest, SortDirection};
use berth_core::store::{ItemQuery, Right};
use berth_core::validation::Problems;
use serde_json::{Value, json};

use super::Caller;
use crate::http::monaca::jsonrpc::RpcError;
use crate::http::monaca::manage::{criteria, list_result, ok};
use crate::http::monaca::params::Params;

/// `find` without a limit returns at most this many items; larger limits are lowered to it.
pub const MAX_FIND_LIMIT: u64 = 1000;

async fn collection(caller: &Caller<'_>, params: &Params) -> Result<Collection, RpcError> {
    let name = params.string("collectionName")?;
    Ok(caller
        .berth
        .collection(caller.backend.id, &name, "collectionName")
        .await?)
}

/// `orderBy`: null, `"field ASC|DESC"`, or an array of those; the direction defaults to ASC.
fn order_by(params: &Params) -> Result<Vec<(Property, SortDirection)>, RpcError> {
    let terms: Vec<String> = match params.get("orderBy") {
        None => Vec::new(),
        Some(Value::String(term)) => vec![term.clone()],
        Some(Value::Array(terms)) => terms
            .iter()
            .map(|t| {
                t.as_str().map(str::to_owned).ok_or_else(|| {
                    RpcError::invalid_param(
                        "orderBy",
                        "Each order must be a string like \"score DESC\".",
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(RpcError::invalid_param(
                "orderBy",
                "orderBy must be a string or an array of strings.",
            ));
        }
    };
    let mut sort = Vec::new();
    for term in terms.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let mut words = term.split_whitespace();
        let name = words.next().unwrap_or_default();
        let direction = match words.next().map(str::to_ascii_uppercase).as_deref() {
            None | Some("ASC") => SortDirection::Ascending,
            Some("DESC") => SortDirection::Descending,
            Some(_) => {
                return Err(RpcError::invalid_param(
                    "orderBy",
                    format!("\"{term}\" must be a property name, then ASC or DESC."),
                ));
            }
        };
        if words.next().is_some() {
            return Err(RpcError::invalid_param(
                "orderBy",
                format!("\"{term}\" must be a property name, then ASC or DESC."),
            ));
        }
        let property = parse_property(name, Scope::Item)
            .map_err(|e| RpcError::invalid_param("orderBy", e.message))?;
        sort.push((property, direction));
    }
    Ok(sort)
}

pub async fn find(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(caller, &params).await?;
    let options = Params::new(params.optional_object("options")?.unwrap_or_default());
    let limit = options
        .optional_integer("limit", 1, u64::MAX)?
        .unwrap_or(MAX_FIND_LIMIT)
        .min(MAX_FIND_LIMIT);
    let page = options
        .optional_integer("page", 1, u64::from(u32::MAX))?
        .unwrap_or(1);
    let property_names = options.optional_string_list("propertyNames", false)?;
    let query = ItemQuery {
        criteria: criteria(&params, "criteria", "bindParams", Scope::Item)?,
        sort: order_by(&params)?,
        page: PageRequest {
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            offset: (page - 1).saturating_mul(limit),
            with_total: true,
        },
        access: Some((caller.principal(), Right::Read)),
    };
    let found = caller.berth.list_items(&collection, &query).await?;
    let items = found
        .items
        .iter()
        .map(|item| item.to_json(property_names.as_deref(), false))
        .collect();
    Ok(list_result(items, found.total))
}

fn permission_param(params: &Params, name: &str) -> Result<Option<Permission>, RpcError> {
    match params.get(name) {
        None => Ok(None),
        Some(value) => {
            let mut problems = Problems::new();
            let permission = parse_permission(value, name, &mut problems);
            problems.into_result()?;
            Ok(Some(permission))
        }
    }
}

pub async fn insert(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(caller, &params).await?;
    let (data, _system) = split_system_members(&params.object("item")?);
    // The SDK sends `{}` when the app gives no permission: the collection's default applies then.
    let permission = permission_param(&params, "permission")?.filter(|p| !p.is_empty());
    let item = caller
        .berth
        .insert_item_as(&collection, &caller.principal(), data, permission)
        .await?;
    Ok(json!({ "item": item.to_json(None, false) }))
}

pub async fn update(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(caller, &params).await?;
    let id = params.string("itemOid")?;
    let (data, _system) = split_system_members(&params.object("data")?);
    caller
        .berth
        .writable_item(&collection, &caller.principal(), &id)
        .await?;
    caller
        .berth
        .update_item(&collection, &id, data, "itemOid")
        .await?;
    Ok(ok())
}

pub async fn delete(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(caller, &params).await?;
    let id = params.string("itemOid")?;
    caller
        .berth
        .writable_item(&collection, &caller.principal(), &id)
        .await?;
    caller
        .berth
        .delete_items(&collection, std::slice::from_ref(&id))
        .await?;
    Ok(ok())
}

pub async fn get_permission(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(caller, &params).await?;
    let id = params.string("itemOid")?;
    let item = caller
        .berth
        .writable_item(&collection, &caller.principal(), &id)
        .await?;
    Ok(json!({ "permission": permission_to_json(&item.permission) }))
}

/// Changes the permission of every matching item the caller may write (`{numUpdates}`); merges
/// unless `options.forceOverwrite`.
pub async fn update_permission(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let collection = collection(caller, &params).await?;
    let permission = permission_param(&params, "permission")?
        .ok_or_else(|| RpcError::invalid_param("permission", "The parameter is required."))?;
    let options = Params::new(params.optional_object("options")?.unwrap_or_default());
    let force = options.optional_bool("forceOverwrite")?.unwrap_or(false);
    let query = ItemQuery {
        criteria: criteria(&params, "criteria", "bindParams", Scope::Item)?,
        sort: Vec::new(),
        page: PageRequest {
            limit: u32::try_from(crate::http::monaca::manage::MAX_ITEMS_IN_PAGE)
                .unwrap_or(u32::MAX),
            offset: 0,
            with_total: false,
        },
        access: Some((caller.principal(), Right::Write)),
    };
    let updated = caller
        .berth
        .update_permissions(&collection, query, &permission, force)
        .await?;
    Ok(json!({ "numUpdates": updated }))
}
