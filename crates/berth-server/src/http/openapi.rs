//! The OpenAPI document of the REST surface, served at `/openapi.json`, generated from the handlers'
//! annotations so it cannot drift from the routes.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::oracle::storage;
use super::tools::{assets, backends, collections, keys};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Berth",
        description = "Self-hosted mobile backend speaking the Oracle Mobile Hub and Monaca Backend wire protocols. \
                       The tools API needs `Authorization: Bearer <admin token>`; errors use the Oracle error body.",
    ),
    paths(
        super::health,
        backends::create, backends::list, backends::get, backends::update,
        keys::oauth_keys, keys::regenerate_oauth_keys, keys::basic_auth_keys, keys::regenerate_basic_auth_keys,
        keys::regenerate_monaca_api_key, keys::list_management_keys, keys::create_management_key,
        keys::get_management_key, keys::revoke_management_key,
        assets::trash, assets::untrash, assets::purge, assets::dependencies,
        collections::create, collections::list, collections::get, collections::update,
        collections::permissions, collections::set_permissions, collections::backend_collections,
        collections::link_collection, collections::unlink_collection,
        storage::collections, storage::collection, storage::list_objects, storage::post_object,
        storage::put_object, storage::get_object, storage::delete_object,
    ),
    modifiers(&AdminTokenScheme),
    tags(
        (name = "mobile backends", description = "Tenants: create, list, read, update (Oracle tools API)"),
        (name = "keys", description = "A backend's credentials"),
        (name = "assets", description = "Trash, restore and purge"),
        (name = "storage", description = "Oracle storage API for apps: Basic with Oracle-Mobile-Backend-ID, or a Bearer token"),
        (name = "storage collections", description = "Oracle storage collections, their role permissions and their association with backends"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

struct AdminTokenScheme;

impl Modify for AdminTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "adminToken",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
            components.add_security_scheme(
                "platformBasic",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
            );
            components.add_security_scheme(
                "platformBearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
