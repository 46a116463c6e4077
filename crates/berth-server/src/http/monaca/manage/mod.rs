//! The Monaca Backend Management API: `POST /manage/json-rpc/{backendId}` with the header
//! `X-Monaca-Backend-Management-API-Key`. Everything is answered with HTTP 200 and a JSON-RPC body
//! (204 when every call was a notification).

mod backend;
mod collections;
mod items;
mod push;
mod users;

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use berth_core::Berth;
use berth_core::backend::Backend;
use serde_json::{Value, json};

use super::jsonrpc::{self, Call, Envelope, RpcError};
use super::params::Params;
use crate::http::AppState;

pub const KEY_HEADER: &str = "x-monaca-backend-management-api-key";

/// Largest request body: an item may be 500 KB, and a batch holds several calls.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// What every management method works with: the authenticated backend.
pub struct Manage<'a> {
    pub berth: &'a Berth,
    pub backend: &'a Backend,
}

pub async fn handle(
    State(state): State<AppState>,
    Path(backend_id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let envelope = match body {
        Ok(body) => jsonrpc::parse_envelope(&body),
        Err(rejection) => Err(RpcError::invalid_request(&format!(
            "The request body could not be read: {}",
            rejection.body_text()
        ))),
    };
    let envelope = match envelope {
        Ok(envelope) => envelope,
        Err(error) => return answer(Some(jsonrpc::response(Value::Null, Err(error)))),
    };

    let presented = headers
        .get(KEY_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let authenticated = match admin_bearer(&headers) {
        // A management key, when sent, decides alone; the admin token is the fallback.
        Some(token) if presented.is_empty() => {
            authenticate_admin(&state.berth, &backend_id, token, peer).await
        }
        _ => authenticate(&state.berth, &backend_id, presented, peer).await,
    };
    let backend = match authenticated {
        Ok(backend) => backend,
        Err(error) => {
            // Refused before any call runs: nothing is read or changed.
            let id = match &envelope {
                Envelope::Single(request) => jsonrpc::request_id(request),
                Envelope::Batch(_) => Value::Null,
            };
            return answer(Some(jsonrpc::response(id, Err(error))));
        }
    };
    let context = Manage {
        berth: &state.berth,
        backend: &backend,
    };
    let context = &context;
    answer(jsonrpc::run(envelope, |call| dispatch(context, call)).await)
}

fn answer(body: Option<Value>) -> Response {
    match body {
        Some(body) => (StatusCode::OK, Json(body)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn authenticate(
    berth: &Berth,
    backend_id: &str,
    presented: &str,
    peer: SocketAddr,
) -> Result<Backend, RpcError> {
    let refuse = |reason: &str| {
        tracing::info!(backend = backend_id, peer = %peer.ip(), reason, "management API key refused");
        RpcError::api_key_invalid()
    };
    if presented.is_empty() {
        return Err(refuse("no key"));
    }
    let Ok(backend_id) = uuid::Uuid::parse_str(backend_id) else {
        return Err(refuse("unknown backend"));
    };
    match berth.backend_for_management_key(backend_id, presented).await {
        Ok(Some((_, key))) if !key.allows(peer.ip()) => Err(refuse("address outside the key's range")
            .with_data(json!({ "reason": format!("This key may not be used from {}.", peer.ip().to_canonical()) }))),
        Ok(Some((backend, _))) => Ok(backend),
        Ok(None) => {
            berth.refuse_key(backend_id, peer.ip()).await?;
            Err(refuse("unknown key"))
        }
        Err(error) => Err(error.into()),
    }
}

/// `Authorization: Bearer <token>`, if the request carries one.
fn admin_bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Berth extension: the operator's admin token opens the Management API of every backend (the
/// console uses it), including an inactive one, but not one in the trash. A wrong token is refused
/// like a wrong key.
async fn authenticate_admin(
    berth: &Berth,
    backend_id: &str,
    token: &str,
    peer: SocketAddr,
) -> Result<Backend, RpcError> {
    let refuse = |reason: &str| {
        tracing::info!(backend = backend_id, peer = %peer.ip(), reason, "admin token refused on the management API");
        RpcError::api_key_invalid()
    };
    if !berth.admin_token_is_valid(token).await? {
        return Err(refuse("wrong admin token"));
    }
    let Ok(backend_id) = uuid::Uuid::parse_str(backend_id) else {
        return Err(refuse("unknown backend"));
    };
    match berth.backend(backend_id).await {
        Ok(backend) if !backend.in_trash => Ok(backend),
        Ok(_) => Err(refuse("backend in the trash")),
        Err(berth_core::Error::NotFound { .. }) => Err(refuse("unknown backend")),
        Err(error) => Err(error.into()),
    }
}

async fn dispatch(context: &Manage<'_>, call: Call) -> Result<Value, RpcError> {
    let params = Params::new(call.params);
    match call.method.as_str() {
        "User.list" => users::list(context, params).await,
        "User.create" => users::create(context, params).await,
        "User.get" => users::get(context, params).await,
        "User.update" => users::update(context, params).await,
        "User.delete" => users::delete(context, params).await,
        "User.getPropertyNames" => users::property_names(context).await,
        "Collection.list" => collections::list(context).await,
        "Collection.create" => collections::create(context, params).await,
        "Collection.drop" => collections::drop(context, params).await,
        "Collection.setConfig" => collections::set_config(context, params).await,
        "Collection.getConfig" => collections::get_config(context, params).await,
        "Collection.getPropertyNames" => collections::property_names(context, params).await,
        "CollectionItem.list" => items::list(context, params).await,
        "CollectionItem.create" => items::create(context, params).await,
        "CollectionItem.get" => items::get(context, params).await,
        "CollectionItem.update" => items::update(context, params).await,
        "CollectionItem.delete" => items::delete(context, params).await,
        "CollectionItem.getPermission" => items::get_permission(context, params).await,
        "CollectionItem.setPermission" => items::set_permission(context, params).await,
        "Backend.getSettings" => backend::get_settings(context).await,
        "Backend.setSettings" => backend::set_settings(context, params).await,
        "Mailer.listTemplates" => backend::list_templates(context).await,
        "Mailer.setTemplate" => backend::set_template(context, params).await,
        "Mailer.deleteTemplate" => backend::delete_template(context, params).await,
        "Mailer.listOutbox" => backend::list_outbox(context, params).await,
        "Push.send" => push::send(context, params).await,
        "Push.status" => push::status(context, params).await,
        "Push.setConfig" => push::set_config(context, params).await,
        "Push.getConfig" => push::get_config(context).await,
        _ => Err(RpcError::method_not_found()),
    }
}

/// The result of methods that return nothing, as the Monaca APIs answered them.
pub fn ok() -> Value {
    Value::from("OK")
}

/// Paging, sorting and projection shared by the management lists.
pub struct Listing {
    pub page: berth_core::page::PageRequest,
    pub sort: Vec<(
        berth_core::monaql::Property,
        berth_core::page::SortDirection,
    )>,
    pub property_names: Option<Vec<String>>,
}

pub const MAX_ITEMS_IN_PAGE: u64 = 10_000;
pub const DEFAULT_ITEMS_IN_PAGE: u64 = 100;

/// Reads `page` (from 1), `itemsInPage` (1 to 10000, default 100), `sortProperty`, `sortOrder`
/// (`asc` by default, or `desc`) and `propertyNames` (an array, or names separated by commas).
pub fn listing(params: &Params, scope: berth_core::monaql::Scope) -> Result<Listing, RpcError> {
    use berth_core::page::SortDirection;
    let page = params
        .optional_integer("page", 1, u64::from(u32::MAX))?
        .unwrap_or(1);
    let per_page = params
        .optional_integer("itemsInPage", 1, MAX_ITEMS_IN_PAGE)?
        .unwrap_or(DEFAULT_ITEMS_IN_PAGE);
    let direction = match params
        .optional_string("sortOrder")?
        .map(|s| s.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("asc") => SortDirection::Ascending,
        Some("desc") => SortDirection::Descending,
        Some(_) => {
            return Err(RpcError::invalid_param(
                "sortOrder",
                "The sort order must be \"asc\" or \"desc\".",
            ));
        }
    };
    let sort = match params
        .optional_string("sortProperty")?
        .filter(|s| !s.is_empty())
    {
        None => Vec::new(),
        Some(name) => {
            let property = berth_core::monaql::parse_property(&name, scope)
                .map_err(|error| RpcError::invalid_param("sortProperty", error.message))?;
            vec![(property, direction)]
        }
    };
    Ok(Listing {
        page: berth_core::page::PageRequest {
            limit: u32::try_from(per_page).unwrap_or(u32::MAX),
            offset: (page - 1).saturating_mul(per_page),
            with_total: params.optional_bool("withTotal")?.unwrap_or(true),
        },
        sort,
        property_names: params.optional_string_list("propertyNames", true)?,
    })
}

/// MonaQL criteria from two parameters (e.g. `userQuery` + `userQueryBindParams`); absent = all.
pub fn criteria(
    params: &Params,
    criteria_name: &str,
    bind_name: &str,
    scope: berth_core::monaql::Scope,
) -> Result<berth_core::monaql::Criteria, RpcError> {
    let text = params.optional_string(criteria_name)?.unwrap_or_default();
    let binds = params.optional_array(bind_name)?.unwrap_or_default();
    berth_core::monaql::parse(&text, &binds, scope).map_err(|error| {
        let name = match error.source {
            berth_core::monaql::ErrorSource::Criteria => criteria_name,
            berth_core::monaql::ErrorSource::BindParams => bind_name,
        };
        RpcError::invalid_param(name, error.message)
    })
}

/// `{items, totalItems}` as the Monaca lists answer.
pub fn list_result(items: Vec<Value>, total: Option<u64>) -> Value {
    let mut result = json!({ "items": items });
    if let Some(total) = total {
        result["totalItems"] = Value::from(total);
    }
    result
}

/// A list of ids given as `name` or, as the Monaca docs also spell it, `_name`.
pub fn id_list(params: &Params, name: &str) -> Result<Vec<String>, RpcError> {
    let underscored = format!("_{name}");
    params
        .optional_string_list(name, false)?
        .or(params.optional_string_list(&underscored, false)?)
        .ok_or_else(|| RpcError::invalid_param(name, "The parameter is required."))
}
