//! The HTTP surface: one router per API, merged here with the cross-cutting layers.

pub mod console;
pub mod context;
pub mod extract;
pub mod forwarded;
pub mod limits;
pub mod monaca;
pub mod openapi;
pub mod oracle;
pub mod oracle_error;
pub mod tools;
pub mod traffic;

use std::any::Any;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use berth_core::Berth;
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, CorsLayer};
use utoipa::ToSchema;

use oracle_error::{ErrorCode, OracleError};

/// Largest JSON body the tools API reads.
pub const TOOLS_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub berth: Berth,
    /// Peers whose `X-Forwarded-For` names the client (`--trusted-proxies`).
    pub trusted_proxies: std::sync::Arc<[ipnet::IpNet]>,
}

pub fn router(state: AppState) -> Router {
    let tools = tools::router()
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            extract::require_admin,
        ))
        .layer(DefaultBodyLimit::max(TOOLS_BODY_LIMIT))
        .route_layer(middleware::from_fn(extract::refuse_oversized_body))
        .method_not_allowed_fallback(method_not_allowed);
    // CORS wraps the route itself and the route takes OPTIONS, so preflights are answered by CORS
    // rather than by the router's 405.
    let app_api = post(monaca::app::handle)
        .options(|| async { StatusCode::NO_CONTENT })
        .fallback(monaca::post_only)
        .layer(
            tower::ServiceBuilder::new()
                .layer(monaca_cors(state.berth.clone()))
                .layer(DefaultBodyLimit::max(monaca::app::BODY_LIMIT)),
        );
    let traffic = traffic::Traffic::default();
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi::serve))
        .merge(console::router(state.clone(), traffic.clone()))
        .nest("/mobile/tools/1.0", tools)
        .route("/json-rpc/{backend_id}", app_api)
        .merge(oracle::router().layer(DefaultBodyLimit::max(TOOLS_BODY_LIMIT)))
        // Object bodies are read by the handlers themselves, capped at --max-object-size.
        .merge(oracle::storage::router())
        .route(
            "/manage/json-rpc/{backend_id}",
            post(monaca::manage::handle)
                .fallback(monaca::post_only)
                .layer(DefaultBodyLimit::max(monaca::manage::BODY_LIMIT)),
        )
        .route(
            "/v1/push/register/{push_project_id}",
            post(monaca::push_register::register).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route(
            "/v1/push/unregister/{push_project_id}",
            post(monaca::push_register::unregister).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(limits::guard))
        .layer(middleware::from_fn(context::with_request_context))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            forwarded::client_address,
        ))
        .layer(middleware::from_fn_with_state(traffic, traffic::count))
        .with_state(state)
}

/// Apps call from `file://` and `http://localhost` web views: the origins the backend allows (any,
/// unless it lists some) may call, preflights are answered, and the session header is readable by
/// scripts.
fn monaca_cors(berth: Berth) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(monaca::origins::allowed_origins(berth))
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([HeaderName::from_static(monaca::app::SESSION_HEADER)])
        .max_age(std::time::Duration::from_secs(86_400))
}

#[derive(Serialize, ToSchema)]
pub struct HealthBody {
    /// "ok", or "unavailable" when the database cannot be reached.
    pub status: &'static str,
}

#[utoipa::path(
    get, path = "/health", tag = "operations",
    responses((status = 200, body = HealthBody), (status = 503, body = HealthBody))
)]
pub async fn health(State(state): State<AppState>) -> Response {
    match state.berth.store().health().await {
        Ok(()) => axum::Json(HealthBody { status: "ok" }).into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(HealthBody {
                    status: "unavailable",
                }),
            )
                .into_response()
        }
    }
}

async fn no_such_endpoint() -> OracleError {
    OracleError::new(
        ErrorCode::NoSuchEndpoint,
        "No resource exists at this path.",
    )
}

async fn method_not_allowed() -> OracleError {
    OracleError::new(
        ErrorCode::MethodNotAllowed,
        "This resource does not support the request method.",
    )
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    tracing::error!(panic = message, "request handler panicked");
    OracleError::new(
        ErrorCode::Internal,
        "An internal error occurred; the o:ecid identifies it in the server log.",
    )
    .into_response()
}
