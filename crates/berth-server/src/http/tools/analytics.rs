//! The operator's view of a backend's analytics events:
//! `GET /mobilebackends/{id}/analytics/events?name=&limit=&offset=`, oldest first.

use axum::Json;
use axum::extract::{OriginalUri, State};
use berth_core::store::AnalyticsEvent;
use serde_json::{Value, json};

use super::parse_id;
use super::representation::{ListBody, backend_href, page_links};
use crate::http::AppState;
use crate::http::extract::OraclePath;
use crate::http::oracle_error::OracleError;

#[derive(Debug, Default)]
struct EventsQuery {
    name: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// Reads the query by hand so that a bad number is refused in the Oracle error format.
fn parse_query(raw: Option<&str>) -> Result<EventsQuery, OracleError> {
    let mut query = EventsQuery::default();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let number = |what: &str| {
            value.parse::<u64>().map_err(|_| {
                OracleError::from(berth_core::Error::invalid(
                    what,
                    format!("{what} must be a whole number of zero or more, not \"{value}\"."),
                ))
            })
        };
        match name.as_ref() {
            "name" => query.name = Some(value.to_string()),
            "limit" => query.limit = Some(u32::try_from(number("limit")?).unwrap_or(u32::MAX)),
            "offset" => query.offset = Some(number("offset")?),
            _ => {}
        }
    }
    Ok(query)
}

fn event_json(event: AnalyticsEvent) -> Value {
    json!({
        "name": event.name,
        "type": event.event_type,
        "timestamp": event.timestamp.to_iso(),
        "component": event.component,
        "sessionID": event.session_id,
        "deviceID": event.device_id,
        "userId": event.user_id,
        "properties": event.properties,
        "receivedOn": event.received_on.to_iso(),
    })
}

pub async fn events(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    uri: OriginalUri,
) -> Result<Json<ListBody<Value>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let query = parse_query(uri.query())?;
    let limit = query.limit.unwrap_or(100).clamp(1, 100);
    let offset = query.offset.unwrap_or(0);
    let (events, total) = state
        .berth
        .events(id, query.name.as_deref(), offset, limit)
        .await?;
    let count = events.len();
    let has_more = offset + (count as u64) < total;
    Ok(Json(ListBody {
        items: events.into_iter().map(event_json).collect(),
        has_more,
        limit,
        offset,
        count,
        total_results: Some(total),
        links: page_links(
            &format!("{}/analytics/events", backend_href(id)),
            uri.query(),
            limit,
            offset,
            has_more,
        ),
    }))
}
