//! `POST /mobile/platform/analytics/events`: a batch of events from an app, 202 when stored.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use berth_core::service::{EventSource, PlatformCaller};
use serde_json::{Value, json};

use super::auth::Platform;
use crate::http::AppState;
use crate::http::extract::OracleJson;
use crate::http::oracle_error::OracleError;

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

pub async fn events(
    State(state): State<AppState>,
    platform: Platform,
    headers: HeaderMap,
    OracleJson(batch): OracleJson<Value>,
) -> Result<(StatusCode, Json<Value>), OracleError> {
    let source = EventSource {
        user_id: match &platform.caller {
            PlatformCaller::User(user) => Some(user.id.clone()),
            PlatformCaller::Anonymous => None,
        },
        device_id: header_text(&headers, "oracle-mobile-device-id"),
        session_id: header_text(&headers, "oracle-mobile-analytics-session-id"),
    };
    let accepted = state
        .berth
        .record_events(platform.backend.id, &source, &batch)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "message": format!("{accepted} events accepted for processing.") })),
    ))
}
