//! The admin console at `/console`: static pages embedded in the binary (no CDN, works offline).
//! The pages talk to the existing APIs from the browser with the admin token the operator signs
//! in with. Two small read-only endpoints exist for the console alone (admin token too): a
//! backend's counts and this node's requests per minute.

mod push;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use serde::Serialize;

use super::AppState;
use super::extract::{OraclePath, require_admin};
use super::oracle_error::OracleError;
use super::tools::parse_id;
use super::traffic::{self, Minute, Traffic};

const INDEX_HTML: &str = include_str!("console_assets/index.html");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Every file under `/console/`, embedded at build time: path, content type, body.
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", JAVASCRIPT, include_str!("console_assets/app.js")),
    ("api.js", JAVASCRIPT, include_str!("console_assets/api.js")),
    ("dom.js", JAVASCRIPT, include_str!("console_assets/dom.js")),
    (
        "pages/backends.js",
        JAVASCRIPT,
        include_str!("console_assets/pages/backends.js"),
    ),
    (
        "pages/backend.js",
        JAVASCRIPT,
        include_str!("console_assets/pages/backend.js"),
    ),
    (
        "pages/collections.js",
        JAVASCRIPT,
        include_str!("console_assets/pages/collections.js"),
    ),
    (
        "pages/users.js",
        JAVASCRIPT,
        include_str!("console_assets/pages/users.js"),
    ),
    (
        "pages/activity.js",
        JAVASCRIPT,
        include_str!("console_assets/pages/activity.js"),
    ),
    (
        "pages/push.js",
        JAVASCRIPT,
        include_str!("console_assets/pages/push.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("console_assets/favicon.svg"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("console_assets/style.css"),
    ),
];

/// The page itself must never be framed by another site, and only loads what this server serves.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router(state: AppState, traffic: Traffic) -> Router<AppState> {
    let api = Router::new()
        .route(
            "/console/api/traffic",
            get(move || node_traffic(traffic.clone())),
        )
        .route("/console/api/backends/{id}/counts", get(backend_counts))
        .route("/console/api/backends/{id}/notifications", get(push::list))
        .route("/console/api/backends/{id}/devices", get(push::devices))
        .route_layer(middleware::from_fn_with_state(state, require_admin));
    Router::new()
        .merge(api)
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route(
            "/console/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route("/console/{*file}", get(embedded_file))
}

async fn embedded_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(path, _, _)| *path == file) {
        Some((_, content_type, body)) => asset(content_type, body),
        None => (
            axum::http::StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "No such console file.",
        )
            .into_response(),
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrafficBody {
    /// Always "node": the figures are this node's own, kept in memory since it started.
    scope: &'static str,
    minutes: Vec<Minute>,
}

async fn node_traffic(traffic: Traffic) -> Json<TrafficBody> {
    Json(TrafficBody {
        scope: "node",
        minutes: traffic.last_hour(traffic::now_seconds()),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CountsBody {
    backend_id: String,
    users: u64,
    collections: u64,
    items: u64,
    mails: u64,
    analytics_events: u64,
}

async fn backend_counts(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Json<CountsBody>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let counts = state.berth.backend_counts(id).await?;
    Ok(Json(CountsBody {
        backend_id: id.to_string(),
        users: counts.users,
        collections: counts.collections,
        items: counts.items,
        mails: counts.mails,
        analytics_events: counts.analytics_events,
    }))
}
