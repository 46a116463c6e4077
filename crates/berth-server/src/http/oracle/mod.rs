//! The Oracle Mobile Hub platform APIs: the OAuth token endpoint and `/mobile/platform/...`.

pub mod analytics;
pub mod appconfig;
pub mod auth;
pub mod devices;
pub mod notifications;
pub mod storage;
pub mod users;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth2/v1/token", post(auth::token))
        .route("/mobile/platform/appconfig/client", get(appconfig::client))
        .route("/mobile/platform/analytics/events", post(analytics::events))
        .route("/mobile/platform/devices/register", post(devices::register))
        .route(
            "/mobile/platform/devices/deregister",
            post(devices::deregister),
        )
        .route(
            "/mobile/system/notifications/notifications/",
            post(notifications::create).get(notifications::list),
        )
        .route(
            "/mobile/system/notifications/notifications",
            post(notifications::create).get(notifications::list),
        )
        .route(
            "/mobile/system/notifications/notifications/{id}",
            get(notifications::get).delete(notifications::cancel),
        )
        .route("/mobile/platform/users/login", get(users::me))
        .route("/mobile/platform/users/~", get(users::me))
        .route("/mobile/platform/users/me", get(users::me))
        .route(
            "/mobile/platform/users/{username}",
            get(users::get).put(users::update).patch(users::update),
        )
}
