//! Device registration as Monaca's native runtimes send it (§10.1):
//! `POST /v1/push/register/{pushProjectId}` with a form body (`platform`, `deviceId`, `buildType`,
//! `version`, `env`, and the token as `registrationId` on Android or `deviceToken` on iOS), answered
//! `{"status":"ok"}`; `POST /v1/push/unregister/{pushProjectId}` removes the token, or with only
//! `deviceId` every token of the device.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use berth_core::push::{PushPlatform, PushProvider};
use berth_core::service::DeviceRegistration;
use serde_json::json;
use uuid::Uuid;

use crate::http::AppState;

/// Form fields, or a JSON object of strings (some runtimes and tools post JSON).
fn fields(body: &[u8]) -> HashMap<String, String> {
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body) {
        return object
            .into_iter()
            .filter_map(|(name, value)| match value {
                serde_json::Value::String(text) => Some((name, text)),
                serde_json::Value::Null => None,
                other => Some((name, other.to_string())),
            })
            .collect();
    }
    form_urlencoded::parse(body).into_owned().collect()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "status": "error", "message": message })),
    )
        .into_response()
}

struct Parsed {
    backend_id: Uuid,
    platform: PushPlatform,
    provider: PushProvider,
    token: Option<String>,
    fields: HashMap<String, String>,
}

async fn parse(state: &AppState, project: &str, body: &[u8]) -> Result<Parsed, Response> {
    let backend_id = match state.berth.backend_for_push_project(project).await {
        Ok(Some(backend_id)) => backend_id,
        Ok(None) => return Err(refuse(StatusCode::NOT_FOUND, "Push project not found.")),
        Err(error) => {
            tracing::warn!(%error, "push project lookup failed");
            return Err(refuse(StatusCode::SERVICE_UNAVAILABLE, "Try again later."));
        }
    };
    let fields = fields(body);
    let platform = fields
        .get("platform")
        .and_then(|p| PushPlatform::parse(p))
        .filter(|p| *p != PushPlatform::Web)
        .ok_or_else(|| {
            refuse(
                StatusCode::BAD_REQUEST,
                "platform must be \"android\" or \"ios\".",
            )
        })?;
    let provider = platform.default_provider().unwrap_or(PushProvider::Fcm);
    let token = ["deviceToken", "registrationId", "token"]
        .iter()
        .find_map(|name| fields.get(*name).filter(|t| !t.is_empty()).cloned());
    Ok(Parsed {
        backend_id,
        platform,
        provider,
        token,
        fields,
    })
}

pub async fn register(
    State(state): State<AppState>,
    Path(project): Path<String>,
    body: Bytes,
) -> Response {
    let parsed = match parse(&state, &project, &body).await {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let Some(token) = parsed.token else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "The device token is required (registrationId on Android, deviceToken on iOS).",
        );
    };
    let Some(device_id) = parsed.fields.get("deviceId").filter(|d| !d.is_empty()) else {
        return refuse(StatusCode::BAD_REQUEST, "deviceId is required.");
    };
    let registration = DeviceRegistration {
        provider: parsed.provider,
        platform: parsed.platform,
        token,
        device_id: Some(device_id.clone()),
        user_id: None,
        // iOS runtimes without a build type are App Store builds: production APNs.
        build_type: Some(
            parsed
                .fields
                .get("buildType")
                .filter(|b| !b.is_empty())
                .cloned()
                .unwrap_or_else(|| "release".into()),
        ),
        app_id: None,
        app_version: parsed.fields.get("version").cloned(),
    };
    match state
        .berth
        .register_push_device(parsed.backend_id, registration)
        .await
    {
        Ok(_) => Json(json!({ "status": "ok" })).into_response(),
        Err(berth_core::Error::Invalid(problems)) => refuse(
            StatusCode::BAD_REQUEST,
            &problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Err(error) => {
            tracing::warn!(%error, "push registration failed");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "Try again later.")
        }
    }
}

pub async fn unregister(
    State(state): State<AppState>,
    Path(project): Path<String>,
    body: Bytes,
) -> Response {
    let parsed = match parse(&state, &project, &body).await {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    // With a token, that token goes; without one, every token of the device.
    let removed = match (&parsed.token, parsed.fields.get("deviceId")) {
        (Some(token), _) => state
            .berth
            .deregister_push_device(parsed.backend_id, parsed.provider, token)
            .await
            .map(|_| ()),
        (None, Some(device_id)) => state
            .berth
            .deregister_push_device_id(parsed.backend_id, device_id)
            .await
            .map(|_| ()),
        (None, None) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Give the device token (registrationId / deviceToken) or deviceId.",
            );
        }
    };
    match removed {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(berth_core::Error::Invalid(_)) => refuse(
            StatusCode::BAD_REQUEST,
            "The device token or id is not valid.",
        ),
        Err(error) => {
            tracing::warn!(%error, "push unregistration failed");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "Try again later.")
        }
    }
}
