//! `Push.*` of the Management API: `Push.send` and `Push.status` as Monaca documented them (§9.4),
//! and Berth's `Push.setConfig` / `Push.getConfig` for what the IDE's push settings held.

use berth_core::push::{
    NewNotification, Notification, NotificationMessage, NotificationState, NotificationTarget,
    PushPlatform,
};
use berth_core::timestamp::Timestamp;
use serde_json::{Map, Value, json};

use super::Manage;
use crate::http::monaca::jsonrpc::RpcError;
use crate::http::monaca::params::Params;

pub async fn get_config(context: &Manage<'_>) -> Result<Value, RpcError> {
    let config = context.berth.push_config(context.backend.id).await?;
    Ok(json!({ "config": config.as_ref().map(crate::push::config_json) }))
}

pub async fn set_config(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let mut body = Map::new();
    for name in ["pushProjectId", "apns", "fcm"] {
        if let Some(value) = params.raw(name) {
            body.insert(name.to_owned(), value.clone());
        }
    }
    let change = crate::push::config_change(&body)?;
    let config = context
        .berth
        .update_push_config(context.backend.id, change)
        .await?;
    Ok(json!({ "config": crate::push::config_json(&config) }))
}

/// The push project id must be this backend's: an app's `pushProjectId` names where it registered.
async fn check_project(context: &Manage<'_>, params: &Params) -> Result<(), RpcError> {
    let given = params.string("pushProjectId")?;
    let config = context.berth.push_config(context.backend.id).await?;
    match config {
        Some(config) if config.push_project_id == given => Ok(()),
        _ => Err(RpcError::invalid_param(
            "pushProjectId",
            "Push project not found.",
        )),
    }
}

pub async fn send(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    check_project(context, &params).await?;
    let platform = match params.string("platform")?.as_str() {
        "android" => PushPlatform::Android,
        "ios" => PushPlatform::Ios,
        _ => {
            return Err(RpcError::invalid_param(
                "platform",
                "The platform must be \"android\" or \"ios\".",
            ));
        }
    };
    if let Some(target) = params.optional_string("target")?
        && target != "app"
    {
        return Err(RpcError::invalid_param(
            "target",
            "The target must be \"app\".",
        ));
    }
    let build_type = params.optional_string("buildType")?;
    let title = params.optional_string("title")?;
    let message = params.optional_string("message")?;
    let badge = params
        .optional_integer("badge", 0, u64::from(u32::MAX))?
        .map(|badge| badge as u32);
    // 2018 docs say `json`, 2019 docs `extra_json`; either is the custom payload.
    let extra = match (params.get("extra_json"), params.get("json")) {
        (Some(extra), _) | (None, Some(extra)) => Some(extra_object(extra)?),
        (None, None) => None,
    };
    let device_ids = params.optional_string_list("deviceIdList", false)?;
    let user_ids = params.optional_string_list("userOidList", false)?;
    let user_query = params.optional_string("userQuery")?;
    let binds = params
        .optional_array("userQueryBindParams")?
        .unwrap_or_default();
    let target = match (device_ids, user_ids, user_query) {
        (None, None, None) => NotificationTarget::All,
        (Some(ids), None, None) => NotificationTarget::Devices { ids },
        (None, Some(ids), None) => NotificationTarget::Users { ids },
        (None, None, Some(query)) => NotificationTarget::UserQuery { query, binds },
        _ => {
            return Err(RpcError::invalid_param(
                "deviceIdList",
                "Give only one of deviceIdList, userOidList and userQuery.",
            ));
        }
    };
    let project_id = params.string("pushProjectId")?;
    let mut request = Map::new();
    for (name, value) in [
        ("platform", params.get("platform")),
        ("buildType", params.get("buildType")),
        ("message", params.get("message")),
        ("title", params.get("title")),
    ] {
        if let Some(value) = value {
            request.insert(name.to_owned(), value.clone());
        }
    }
    let message = monaca_message(platform, &project_id, title, message, badge, extra);
    let notification = context
        .berth
        .send_push(NewNotification {
            backend_id: context.backend.id,
            target,
            platform: Some(platform),
            provider: platform.default_provider(),
            build_type,
            message,
            request: Value::Object(request),
            tag: None,
            send_on: None,
            created_at: Timestamp::now(),
        })
        .await?;
    Ok(json!({ "queueIdList": [notification.id.to_string()] }))
}

fn extra_object(value: &Value) -> Result<Value, RpcError> {
    match value {
        Value::Object(_) => Ok(value.clone()),
        // Some callers sent the custom payload as JSON text.
        Value::String(text) => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                RpcError::invalid_param("extra_json", "The parameter must be a JSON object.")
            }),
        _ => Err(RpcError::invalid_param(
            "extra_json",
            "The parameter must be a JSON object.",
        )),
    }
}

/// The payload Monaca's runtimes read (§10.2): Android takes `message`, `title`, `push_project_id`
/// and `extra_json` (a JSON string) from FCM `data`; iOS takes `aps` and the custom JSON under `j`.
fn monaca_message(
    platform: PushPlatform,
    push_project_id: &str,
    title: Option<String>,
    message: Option<String>,
    badge: Option<u32>,
    extra: Option<Value>,
) -> NotificationMessage {
    match platform {
        PushPlatform::Android => {
            let mut data = Map::new();
            data.insert(
                "message".into(),
                Value::from(message.clone().unwrap_or_default()),
            );
            if let Some(title) = &title {
                data.insert("title".into(), Value::from(title.clone()));
            }
            data.insert("push_project_id".into(), Value::from(push_project_id));
            if let Some(extra) = &extra {
                data.insert("extra_json".into(), Value::from(extra.to_string()));
            }
            NotificationMessage {
                title,
                body: message,
                fcm_message: Some(json!({ "data": data, "android": { "priority": "HIGH" } })),
                ..Default::default()
            }
        }
        _ => {
            // The runtime shows `aps.alert` as a plain string, as APNs' legacy payloads had it.
            let mut aps = Map::new();
            if let Some(message) = &message {
                aps.insert("alert".into(), Value::from(message.clone()));
            }
            if let Some(badge) = badge {
                aps.insert("badge".into(), Value::from(badge));
            }
            aps.insert("sound".into(), Value::from("default"));
            let mut payload = Map::new();
            payload.insert("aps".into(), Value::Object(aps));
            if let Some(extra) = extra {
                payload.insert("j".into(), extra);
            }
            NotificationMessage {
                body: message,
                badge,
                apns_payload: Some(Value::Object(payload)),
                ..Default::default()
            }
        }
    }
}

pub async fn status(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    check_project(context, &params).await?;
    let queue_id = params.string("queueId")?;
    let not_found = || RpcError::invalid_param("queueId", "Queue not found.");
    let id = queue_id.parse::<i64>().map_err(|_| not_found())?;
    let notification = context
        .berth
        .notification(context.backend.id, id)
        .await
        .map_err(|_| not_found())?;
    Ok(status_json(&notification))
}

fn status_json(notification: &Notification) -> Value {
    let status = match notification.state {
        NotificationState::Scheduled | NotificationState::Queued => "waiting",
        NotificationState::Sending => "processing",
        NotificationState::Cancelled => "cancelled",
        NotificationState::Sent | NotificationState::Warning | NotificationState::Error => "finish",
    };
    json!({
        "status": status,
        "numTarget": notification.total,
        "numPushed": notification.sent,
        "numFailed": notification.failed + notification.invalid,
        "createdAt": notification.spec.created_at.as_millis(),
        "pushStartedAt": notification.started_at.map(Timestamp::as_millis),
        "pushFinishedAt": notification.finished_at.map(Timestamp::as_millis),
    })
}
