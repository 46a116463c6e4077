//! The console's view of a backend's push notifications: the latest sends with their delivery
//! counts, whatever sent them (Monaca `Push.send`, the Oracle API, scripts). Admin token.

use axum::Json;
use axum::extract::{RawQuery, State};
use berth_core::Timestamp;
use berth_core::page::SortDirection;
use berth_core::push::{Notification, NotificationOrder, NotificationQuery};
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

fn limit(query: Option<&str>) -> Result<u32, OracleError> {
    let given = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("limit="));
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
