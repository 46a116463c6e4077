//! The console's view of a backend's push: the latest sends with their delivery counts, whatever
//! sent them (Monaca `Push.send`, the Oracle API, scripts), and the devices registered for push.
//! Admin token.

use axum::Json;
use axum::extract::{RawQuery, State};
use berth_core::Timestamp;
use berth_core::page::{PageRequest, SortDirection};
use berth_core::push::{Notification, NotificationOrder, NotificationQuery, PushRegistration};
use serde::Serialize;

use crate::http::AppState;
use crate::http::extract::OraclePath;
use crate::http::oracle_error::OracleError;
use crate::http::tools::parse_id;

/// Most notifications one answer lists.
const MAX_LIMIT: u32 = 100;

const DEFAULT_LIMIT: u32 = 20;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationsBody {
    items: Vec<NotificationSummary>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationSummary {
    id: String,
    /// `scheduled`, `queued`, `sending`, `sent`, `warning`, `error` or `cancelled`.
    state: &'static str,
    platform: Option<&'static str>,
    title: Option<String>,
    message: Option<String>,
    tag: Option<String>,
    created_on: String,
    send_on: Option<String>,
    started_on: Option<String>,
    finished_on: Option<String>,
    /// Devices targeted so far (final once every target is queued).
    total: u64,
    sent: u64,
    failed: u64,
    /// Dead tokens met (the registrations are marked invalid).
    invalid: u64,
    /// Deliveries still waiting to be sent or retried.
    queued: u64,
    error: Option<String>,
}

fn summary(notification: Notification) -> NotificationSummary {
    let queued = notification.queued();
    NotificationSummary {
        id: notification.id.to_string(),
        state: notification.state.as_str(),
        platform: notification.spec.platform.map(|platform| platform.as_str()),
        title: notification.spec.message.title,
        message: notification.spec.message.body,
        tag: notification.spec.tag,
        created_on: notification.spec.created_at.to_iso(),
        send_on: notification.spec.send_on.map(Timestamp::to_iso),
        started_on: notification.started_at.map(Timestamp::to_iso),
        finished_on: notification.finished_at.map(Timestamp::to_iso),
        total: notification.total,
        sent: notification.sent,
        failed: notification.failed,
        invalid: notification.invalid,
        queued,
        error: notification.error,
    }
}

/// `GET /console/api/backends/{id}/notifications?limit=`: newest first, 20 unless asked otherwise.
pub async fn list(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<NotificationsBody>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let limit = limit(raw.as_deref())?;
    state.berth.backend(id).await?;
    let query = NotificationQuery {
        order: vec![(NotificationOrder::Id, SortDirection::Descending)],
        limit,
        ..NotificationQuery::default()
    };
    let (notifications, _) = state.berth.notifications(id, &query).await?;
    Ok(Json(NotificationsBody {
        items: notifications.into_iter().map(summary).collect(),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevicesBody {
    items: Vec<DeviceSummary>,
    has_more: bool,
    total: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceSummary {
    id: String,
    /// `apns` or `fcm`.
    provider: &'static str,
    platform: &'static str,
    token: String,
    device_id: Option<String>,
    user_id: Option<String>,
    build_type: Option<String>,
    gateway: Option<&'static str>,
    app_id: Option<String>,
    app_version: Option<String>,
    /// The provider said the token is dead; it is skipped until registered again.
    invalid: bool,
    registered_on: String,
    updated_on: String,
}

fn device_summary(registration: PushRegistration) -> DeviceSummary {
    DeviceSummary {
        id: registration.id.to_string(),
        provider: registration.provider.as_str(),
        platform: registration.platform.as_str(),
        token: registration.token,
        device_id: registration.device_id,
        user_id: registration.user_id,
        build_type: registration.build_type,
        gateway: registration.gateway.map(|gateway| gateway.as_str()),
        app_id: registration.app_id,
        app_version: registration.app_version,
        invalid: registration.invalid,
        registered_on: registration.created_at.to_iso(),
        updated_on: registration.updated_at.to_iso(),
    }
}

/// `GET /console/api/backends/{id}/devices?limit=&offset=&q=`: the devices registered for push,
/// the latest first; `q` keeps those whose device id, user id or token contains it.
pub async fn devices(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<DevicesBody>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let raw = raw.unwrap_or_default();
    let offset = match query_value(&raw, "offset") {
        None => 0,
        Some(text) => text.parse::<u64>().map_err(|_| {
            OracleError::from(berth_core::Error::invalid(
                "offset",
                "offset must be a whole number, 0 or more.",
            ))
        })?,
    };
    let page = PageRequest {
        limit: limit(Some(&raw))?,
        offset,
        with_total: true,
    };
    let search = query_value(&raw, "q");
    let found = state
        .berth
        .push_registrations(id, search.as_deref(), &page)
        .await?;
    Ok(Json(DevicesBody {
        total: found.total.unwrap_or(0),
        has_more: found.has_more,
        items: found.items.into_iter().map(device_summary).collect(),
    }))
}

/// The decoded value of `name` in a query string, if given.
fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn limit(query: Option<&str>) -> Result<u32, OracleError> {
    let given = query_value(query.unwrap_or(""), "limit");
    match given {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                berth_core::Error::invalid(
                    "limit",
                    format!("limit must be a whole number from 1 to {MAX_LIMIT}."),
                )
                .into()
            }),
    }
}
