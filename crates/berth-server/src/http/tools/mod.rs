//! The Oracle-style tools API (`/mobile/tools/1.0`): mobile backends, their keys, and the generic
//! asset lifecycle (trash, restore, purge). Every call needs the admin token.

pub mod analytics;
pub mod appconfig;
pub mod assets;
pub mod backends;
pub mod collections;
pub mod keys;
pub mod list_query;
pub mod push;
pub mod representation;
pub mod roles;
pub mod users;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::{get, post};
use uuid::Uuid;

use super::AppState;
use super::oracle_error::{ErrorCode, OracleError};

/// Who the tools API records as `createdBy` / `modifiedBy`: the holder of the admin token.
pub const ADMIN_ACTOR: &str = "admin";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/mobilebackends",
            get(backends::list).post(backends::create),
        )
        .route(
            "/mobilebackends/{id}",
            get(backends::get).put(backends::update),
        )
        .route(
            "/mobilebackends/{id}/oauthKeys",
            get(keys::oauth_keys).post(keys::regenerate_oauth_keys),
        )
        .route(
            "/mobilebackends/{id}/basicAuthenticationKeys",
            get(keys::basic_auth_keys).post(keys::regenerate_basic_auth_keys),
        )
        .route(
            "/mobilebackends/{id}/monacaApiKey",
            post(keys::regenerate_monaca_api_key),
        )
        .route(
            "/mobilebackends/{id}/managementKeys",
            get(keys::list_management_keys).post(keys::create_management_key),
        )
        .route(
            "/mobilebackends/{id}/managementKeys/{key_id}",
            get(keys::get_management_key).delete(keys::revoke_management_key),
        )
        .route(
            "/mobilebackends/{id}/analytics/events",
            get(analytics::events),
        )
        .route(
            "/mobilebackends/{id}/appconfig",
            get(appconfig::get).put(appconfig::put),
        )
        .route(
            "/mobilebackends/{id}/notifications/profile",
            get(push::get).put(push::put),
        )
        .route(
            "/mobilebackends/{id}/roles",
            get(roles::list).post(roles::create),
        )
        .route(
            "/mobilebackends/{id}/roles/{role}",
            axum::routing::delete(roles::delete),
        )
        .route(
            "/mobilebackends/{id}/users/{username}/roles",
            get(roles::user_roles).put(roles::set_user_roles),
        )
        .route(
            "/mobilebackends/{id}/users",
            get(users::list).post(users::create),
        )
        .route(
            "/mobilebackends/{id}/users/{username}",
            get(users::get)
                .put(users::replace)
                .patch(users::merge)
                .delete(users::delete),
        )
        .route(
            "/collections",
            get(collections::list).post(collections::create),
        )
        .route(
            "/collections/{id}",
            get(collections::get).put(collections::update),
        )
        .route(
            "/collections/{id}/permissions",
            get(collections::permissions).put(collections::set_permissions),
        )
        .route(
            "/mobilebackends/{id}/collections",
            get(collections::backend_collections),
        )
        .route(
            "/mobilebackends/{id}/collections/{collection_id}",
            axum::routing::put(collections::link_collection).delete(collections::unlink_collection),
        )
        .route("/assets/trashing", post(assets::trash))
        .route("/assets/untrashing", post(assets::untrash))
        .route("/assets/purging", post(assets::purge))
        .route("/assets/trashDependencies", post(assets::dependencies))
        .route("/assets/untrashDependencies", post(assets::dependencies))
        .route("/assets/purgeDependencies", post(assets::dependencies))
}

/// An id in a path that is not a UUID names nothing we have.
pub fn parse_id(raw: &str, what: &str) -> Result<Uuid, OracleError> {
    Uuid::parse_str(raw).map_err(|_| {
        OracleError::new(
            ErrorCode::NotFound,
            format!("No {what} with id {raw} exists."),
        )
    })
}

pub fn etag_header(revision: i64) -> (header::HeaderName, HeaderValue) {
    let value = HeaderValue::from_str(&format!("\"{revision}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""));
    (header::ETAG, value)
}

/// An absolute URL for `Location`, from the Host the client used (and X-Forwarded-Proto behind a
/// proxy); a bare path when the client sent no Host.
pub fn absolute_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|s| matches!(*s, "http" | "https"))
        .unwrap_or("http");
    match host {
        Some(host) => format!("{scheme}://{host}{path}"),
        None => path.to_owned(),
    }
}
