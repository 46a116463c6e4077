//! `User.*` of the Management API.

use berth_core::monaql::Scope;
use berth_core::service::{CredentialRules, UserChanges};
use berth_core::store::UserQuery;
use serde_json::{Value, json};

use super::{Manage, criteria, id_list, list_result, listing, ok};
use crate::http::monaca::jsonrpc::RpcError;
use crate::http::monaca::params::Params;

pub async fn list(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let listing = listing(&params, Scope::User)?;
    let query = UserQuery {
        criteria: criteria(&params, "userQuery", "userQueryBindParams", Scope::User)?,
        name_filter: params
            .optional_string("nameFilter")?
            .filter(|f| !f.is_empty()),
        sort: listing.sort,
        page: listing.page,
    };
    let page = context.berth.list_users(context.backend.id, &query).await?;
    let names = listing.property_names.as_deref();
    let items = page.items.iter().map(|user| user.to_json(names)).collect();
    Ok(list_result(items, page.total))
}

/// The backend's username and password rules (app settings) apply to the management side too.
async fn rules(context: &Manage<'_>) -> Result<CredentialRules, RpcError> {
    Ok(context
        .berth
        .app_settings(context.backend.id)
        .await?
        .credential_rules())
}

pub async fn create(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let username = params.string("username")?;
    let password = params.string("password")?;
    let properties = params.optional_object("properties")?.unwrap_or_default();
    let user = context
        .berth
        .create_user(
            context.backend.id,
            &username,
            &password,
            properties,
            rules(context).await?,
        )
        .await?;
    Ok(json!({ "user": user.to_json(None) }))
}

pub async fn get(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let id = params.string("_id")?;
    let user = context.berth.user(context.backend.id, &id).await?;
    Ok(json!({ "user": user.to_json(None) }))
}

/// `user` holds the properties to merge; `_username` and `_password` change those, other
/// `_`-prefixed members (such as `_id`) are ignored.
pub async fn update(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let id = params.string("_id")?;
    let user = params.object("user")?;
    let (properties, system) = berth_core::appdata::split_system_members(&user);
    let text = |name: &str| match system.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(RpcError::invalid_param(
            "user",
            format!("{name} must be a string."),
        )),
    };
    let changes = UserChanges {
        username: text("_username")?,
        password: text("_password")?,
        properties,
    };
    let rules = context
        .berth
        .app_settings(context.backend.id)
        .await?
        .credential_rules();
    context
        .berth
        .update_user(context.backend.id, &id, changes, rules)
        .await?;
    Ok(ok())
}

pub async fn delete(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let ids = id_list(&params, "idList")?;
    context.berth.delete_users(context.backend.id, &ids).await?;
    Ok(ok())
}

pub async fn property_names(context: &Manage<'_>) -> Result<Value, RpcError> {
    let names = context
        .berth
        .user_property_names(context.backend.id)
        .await?;
    Ok(json!({ "names": names }))
}
