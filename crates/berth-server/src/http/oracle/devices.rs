//! `POST /mobile/platform/devices/register` and `/deregister` (Oracle §6.1): an app's device token,
//! linked to the signed-in user (none for anonymous callers). Registering a known token again updates
//! it and moves it to the caller; deregistering an unknown token is not an error.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use berth_core::push::{PushPlatform, PushProvider, PushRegistration};
use berth_core::service::{DeviceRegistration, PlatformCaller};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Platform;
use crate::http::AppState;
use crate::http::extract::OracleJson;
use crate::http::oracle_error::{ErrorCode, OracleError};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceBody {
    notification_token: Option<String>,
    notification_provider: Option<String>,
    mobile_client: Option<MobileClient>,
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MobileClient {
    id: Option<String>,
    version: Option<String>,
    platform: Option<String>,
}

fn invalid(detail: &str) -> OracleError {
    OracleError::new(ErrorCode::InvalidField, detail)
}

struct Checked {
    token: String,
    provider: PushProvider,
    platform: PushPlatform,
    app_id: String,
    app_version: Option<String>,
}

fn check(body: DeviceBody, platform: &Platform) -> Result<Checked, OracleError> {
    let token = body
        .notification_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("notificationToken is required."))?;
    let provider_name = body
        .notification_provider
        .ok_or_else(|| invalid("notificationProvider is required."))?;
    let provider = PushProvider::parse(&provider_name).ok_or_else(|| {
        invalid(
            "notificationProvider must be APNS, FCM or GCM (WNS and SYNIVERSE are not supported).",
        )
    })?;
    let client = body
        .mobile_client
        .ok_or_else(|| invalid("mobileClient is required."))?;
    let app_id = client
        .id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| invalid("mobileClient.id is required."))?;
    let device_platform = match client
        .platform
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("IOS") => PushPlatform::Ios,
        Some("ANDROID") => PushPlatform::Android,
        Some("WEB") => PushPlatform::Web,
        _ => {
            return Err(invalid(
                "mobileClient.platform must be IOS, ANDROID or WEB (WINDOWS is not supported).",
            ));
        }
    };
    // Only team members may register a device for someone else (spec §6.1).
    if let Some(user) = body.user.filter(|u| !u.is_empty()) {
        let own = match &platform.caller {
            PlatformCaller::User(caller) => caller.username == user,
            PlatformCaller::Anonymous => false,
        };
        if !own {
            return Err(OracleError::new(
                ErrorCode::Forbidden,
                "Only team members may register a device for another user.",
            ));
        }
    }
    Ok(Checked {
        token,
        provider,
        platform: device_platform,
        app_id,
        app_version: client.version,
    })
}

fn representation(registration: &PushRegistration, username: Option<&str>) -> Value {
    json!({
        "id": registration.id.to_string(),
        "user": username,
        "notificationToken": registration.token,
        "notificationProvider": registration.provider.as_str().to_ascii_uppercase(),
        "mobileClient": {
            "id": registration.app_id,
            "version": registration.app_version,
            "platform": registration.platform.as_str().to_ascii_uppercase(),
        },
        "modifiedOn": registration.updated_at.to_iso(),
    })
}

pub async fn register(
    State(state): State<AppState>,
    platform: Platform,
    OracleJson(body): OracleJson<DeviceBody>,
) -> Result<(StatusCode, Json<Value>), OracleError> {
    let checked = check(body, &platform)?;
    let (user_id, username) = match &platform.caller {
        PlatformCaller::User(user) => (Some(user.id.clone()), Some(user.username.clone())),
        PlatformCaller::Anonymous => (None, None),
    };
    let stored = state
        .berth
        .register_push_device(
            platform.backend.id,
            DeviceRegistration {
                provider: checked.provider,
                platform: checked.platform,
                token: checked.token,
                device_id: None,
                user_id,
                build_type: None,
                app_id: Some(checked.app_id),
                app_version: checked.app_version,
            },
        )
        .await?;
    // 201 for a new registration, 200 when a known token was updated (clients accept both).
    let status = if stored.created_at == stored.updated_at {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(representation(&stored, username.as_deref()))))
}

pub async fn deregister(
    State(state): State<AppState>,
    platform: Platform,
    OracleJson(body): OracleJson<DeviceBody>,
) -> Result<StatusCode, OracleError> {
    let checked = check(body, &platform)?;
    state
        .berth
        .deregister_push_device(platform.backend.id, checked.provider, &checked.token)
        .await?;
    Ok(StatusCode::OK)
}
