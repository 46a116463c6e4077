//! Analytics events apps send (Oracle `POST /mobile/platform/analytics/events`): validated all or
//! nothing, as Oracle did, and kept per backend for the operator.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::Result;
use crate::store::AnalyticsEvent;
use crate::timestamp::Timestamp;
use crate::validation::Problems;

use super::Berth;

pub const EVENTS_PER_BATCH_MAX: usize = 1000;
pub const EVENT_NAME_MAX: usize = 100;
pub const PROPERTY_NAME_MAX: usize = 500;
pub const PROPERTY_VALUE_MAX: usize = 1000;
pub const EVENTS_PAGE_MAX: u32 = 100;

/// Who sent a batch, from the request rather than the body.
#[derive(Debug, Clone, Default)]
pub struct EventSource {
    pub user_id: Option<String>,
    pub device_id: Option<String>,
    pub session_id: Option<String>,
}

fn optional_text(
    problems: &mut Problems,
    event: &Map<String, Value>,
    member: &str,
    at: &str,
) -> Option<String> {
    match event.get(member) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            problems.check_length(&format!("{at}/{member}"), text, EVENT_NAME_MAX * 10);
            Some(text.clone())
        }
        Some(_) => {
            problems.add(
                &format!("{at}/{member}"),
                format!("{member} must be a string."),
            );
            None
        }
    }
}

fn parse_event(
    problems: &mut Problems,
    index: usize,
    value: &Value,
    source: &EventSource,
    received_on: Timestamp,
) -> Option<AnalyticsEvent> {
    let at = format!("/{index}");
    let Value::Object(event) = value else {
        problems.add(&at, "Each event must be a JSON object.");
        return None;
    };
    let name = match event.get("name") {
        Some(Value::String(name)) if !name.is_empty() => {
            problems.check_length(&format!("{at}/name"), name, EVENT_NAME_MAX);
            name.clone()
        }
        _ => {
            problems.add(&format!("{at}/name"), "An event needs a name.");
            String::new()
        }
    };
    let timestamp = match event.get("timestamp") {
        Some(Value::String(text)) => Timestamp::parse_iso(text).unwrap_or_else(|| {
            problems.add(
                &format!("{at}/timestamp"),
                format!("\"{text}\" is not an RFC 3339 time such as 2019-01-01T10:00:00.000Z."),
            );
            received_on
        }),
        _ => {
            problems.add(&format!("{at}/timestamp"), "An event needs a timestamp.");
            received_on
        }
    };
    let event_type = match event.get("type") {
        None | Some(Value::Null) => "custom".to_owned(),
        Some(Value::String(kind)) if kind == "custom" || kind == "system" => kind.clone(),
        Some(other) => {
            problems.add(
                &format!("{at}/type"),
                format!("type must be \"custom\" or \"system\", not {other}."),
            );
            String::new()
        }
    };
    let properties = match event.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(properties)) => {
            for (key, value) in properties {
                let field = format!("{at}/properties/{key}");
                problems.check_length(&field, key, PROPERTY_NAME_MAX);
                match value {
                    Value::String(text) => problems.check_length(&field, text, PROPERTY_VALUE_MAX),
                    // Context events carry numbers (timezone, coordinates); custom ones are strings.
                    Value::Number(_) | Value::Bool(_) if event_type == "system" => {}
                    _ => problems.add(&field, "Custom event properties must be strings."),
                }
            }
            properties.clone()
        }
        Some(_) => {
            problems.add(&format!("{at}/properties"), "properties must be an object.");
            Map::new()
        }
    };
    // SDKs send `sessionID`; the docs say `sessionId`; the header wins over neither.
    let session_id = optional_text(problems, event, "sessionID", &at)
        .or_else(|| optional_text(problems, event, "sessionId", &at))
        .or_else(|| source.session_id.clone());
    Some(AnalyticsEvent {
        name,
        event_type,
        timestamp,
        component: optional_text(problems, event, "component", &at),
        session_id,
        device_id: source.device_id.clone(),
        user_id: source.user_id.clone(),
        properties,
        received_on,
    })
}

impl Berth {
    /// Stores a batch of events, all or none; answers how many were accepted.
    pub async fn record_events(
        &self,
        backend_id: Uuid,
        source: &EventSource,
        batch: &Value,
    ) -> Result<usize> {
        let mut problems = Problems::new();
        let Value::Array(values) = batch else {
            problems.add("/", "The body must be a JSON array of events.");
            problems.into_result()?;
            return Ok(0);
        };
        if values.len() > EVENTS_PER_BATCH_MAX {
            problems.add(
                "/",
                format!(
                    "At most {EVENTS_PER_BATCH_MAX} events per request, not {}.",
                    values.len()
                ),
            );
            return problems.into_result().map(|()| 0);
        }
        if batch.to_string().contains("\\u0000") {
            problems.add("/", "Events must not contain the character U+0000.");
        }
        let received_on = Timestamp::now();
        let events: Vec<AnalyticsEvent> = values
            .iter()
            .enumerate()
            .filter_map(|(index, value)| {
                parse_event(&mut problems, index, value, source, received_on)
            })
            .collect();
        problems.into_result()?;
        self.backend(backend_id).await?;
        self.store.insert_events(backend_id, &events).await?;
        Ok(events.len())
    }

    /// The backend's events in arrival order, optionally by name, with the number that match.
    pub async fn events(
        &self,
        backend_id: Uuid,
        name: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<AnalyticsEvent>, u64)> {
        self.backend(backend_id).await?;
        Ok(self
            .store
            .events(backend_id, name, offset, limit.min(EVENTS_PAGE_MAX))
            .await?)
    }
}
