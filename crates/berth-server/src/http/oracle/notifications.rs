//! `/mobile/system/notifications/notifications/` (Oracle §6.2): send to tokens, users or every
//! device of a backend, now or at `sendOn`; list with the spec's filters; read one; cancel one still
//! scheduled. Callers are team members: here, the operator's admin token together with
//! `Oracle-Mobile-Backend-ID` naming the backend.

use axum::Json;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_core::backend::Backend;
use berth_core::page::SortDirection;
use berth_core::push::{
    NewNotification, Notification, NotificationMessage, NotificationOrder, NotificationQuery,
    NotificationState, NotificationTarget, PushPlatform, PushProvider,
};
use berth_core::timestamp::Timestamp;
use serde_json::{Map, Value, json};

use super::auth::BACKEND_HEADER;
use crate::http::AppState;
use crate::http::extract::{OracleJson, OraclePath};
use crate::http::oracle_error::{ErrorCode, OracleError};

const PATH: &str = "/mobile/system/notifications/notifications/";
pub const MAX_LIMIT: u32 = 100;

/// A team member acting on one backend.
pub struct TeamMember {
    pub backend: Backend,
}

impl FromRequestParts<AppState> for TeamMember {
    type Rejection = OracleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthenticated = || {
            OracleError::new(
                ErrorCode::Unauthenticated,
                "Notifications need a team member: send Authorization: Bearer <admin token> and Oracle-Mobile-Backend-ID.",
            )
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(unauthenticated)?;
        if !state.berth.admin_token_is_valid(token).await? {
            return Err(unauthenticated());
        }
        let backend_id = parts
            .headers
            .get(BACKEND_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
            .ok_or_else(|| {
                OracleError::new(
                    ErrorCode::InvalidHeader,
                    "Oracle-Mobile-Backend-ID must name the backend.",
                )
            })?;
        let backend = state
            .berth
            .backend_by_header_id(backend_id)
            .await?
            .ok_or_else(|| {
                OracleError::new(
                    ErrorCode::NotFound,
                    "The backend in Oracle-Mobile-Backend-ID does not exist.",
                )
            })?;
        Ok(TeamMember { backend })
    }
}

fn invalid(detail: impl Into<String>) -> OracleError {
    OracleError::new(ErrorCode::InvalidField, detail)
}

/// `sendOn` as the spec's short pattern (`2019-05-01T09:00Z`) or a full ISO date-time.
fn parse_send_on(text: &str) -> Option<Timestamp> {
    if let Some(at) = Timestamp::parse_iso(text) {
        return Some(at);
    }
    // Add the seconds the short form leaves out: "…T09:00Z" / "…T09:00+02:00".
    let t = text.find('T')?;
    let rest = &text[t + 1..];
    let zone = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let time = &rest[..zone];
    if time.len() == 5 {
        let zone_text = if zone == rest.len() {
            "Z"
        } else {
            &rest[zone..]
        };
        return Timestamp::parse_iso(&format!("{}T{time}:00{zone_text}", &text[..t]));
    }
    None
}

fn string_list(body: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, OracleError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(format!("{name} must be an array of strings.")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid(format!("{name} must be an array of strings."))),
    }
}

fn optional_text(body: &Map<String, Value>, name: &str) -> Result<Option<String>, OracleError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid(format!("{name} must be a string."))),
    }
}

/// The message per provider: the unified `payload` wins, then `template`, then `message` (§6.2).
fn message_of(body: &Map<String, Value>) -> Result<NotificationMessage, OracleError> {
    let text = optional_text(body, "message")?;
    let services = match body.get("payload") {
        None | Some(Value::Null) => None,
        Some(Value::Object(payload)) => match payload.get("services") {
            Some(Value::Object(services)) => Some(services.clone()),
            _ => return Err(invalid("payload.services must be an object.")),
        },
        Some(_) => return Err(invalid("payload must be an object.")),
    };
    let template = match body.get("template") {
        None | Some(Value::Null) => None,
        Some(Value::Object(template)) => {
            let name = template.get("name").and_then(Value::as_str).unwrap_or("");
            if name != "#default" {
                return Err(invalid(
                    "template.name must be \"#default\" (the only template this server knows).",
                ));
            }
            Some(
                template
                    .get("parameters")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            )
        }
        Some(_) => return Err(invalid("template must be an object.")),
    };
    if text.is_none() && services.is_none() && template.is_none() {
        return Err(invalid("Give a message, a template or a payload to send."));
    }
    let mut message = NotificationMessage::default();
    // The base for every provider: template parameters, else the plain message.
    if let Some(parameters) = &template {
        message.title = parameters
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned);
        message.body = parameters
            .get("body")
            .and_then(Value::as_str)
            .map(str::to_owned);
        message.badge = parameters
            .get("badge")
            .and_then(Value::as_u64)
            .and_then(|b| u32::try_from(b).ok());
        message.sound = parameters
            .get("sound")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(Value::Object(custom)) = parameters.get("custom") {
            message.apns_extra = custom.clone();
            message.fcm_data = custom.clone();
        }
    } else if let Some(text) = &text {
        message.body = Some(text.clone());
        // Oracle's APNs notifications carried the plain message as the alert string.
        message.apns_payload = Some(json!({ "aps": { "alert": text, "sound": "default" } }));
        message
            .fcm_data
            .insert("message".into(), Value::from(text.clone()));
    }
    if let Some(services) = &services {
        if let Some(apns) = services.get("apns") {
            if !apns.is_object() {
                return Err(invalid("payload.services.apns must be an object."));
            }
            message.apns_payload = Some(apns.clone());
        }
        if let Some(fcm) = services.get("fcm").or_else(|| services.get("gcm")) {
            if !fcm.is_object() {
                return Err(invalid("payload.services.fcm must be an object."));
            }
            message.fcm_message = Some(fcm.clone());
        }
    }
    let size = |value: &Option<Value>| value.as_ref().map_or(0, |v| v.to_string().len());
    if size(&message.apns_payload) > berth_core::push::PAYLOAD_MAX
        || size(&message.fcm_message) > berth_core::push::PAYLOAD_MAX
    {
        return Err(invalid("The payload is larger than 4096 bytes."));
    }
    Ok(message)
}

pub async fn create(
    State(state): State<AppState>,
    member: TeamMember,
    OracleJson(body): OracleJson<Value>,
) -> Result<Response, OracleError> {
    let Value::Object(body) = body else {
        return Err(OracleError::new(
            ErrorCode::MalformedBody,
            "The body must be a JSON object.",
        ));
    };
    let tokens = string_list(&body, "notificationTokens")?;
    let users = string_list(&body, "users")?;
    let target = match (tokens, users) {
        (None, None) => NotificationTarget::All,
        (Some(tokens), None) => NotificationTarget::Tokens { tokens },
        (None, Some(names)) => NotificationTarget::UserNames { names },
        (Some(_), Some(_)) => {
            return Err(invalid("Give notificationTokens or users, not both."));
        }
    };
    let platform = match optional_text(&body, "platform")? {
        None => None,
        Some(name) => Some(
            PushPlatform::parse(&name)
                .ok_or_else(|| invalid("platform must be IOS, ANDROID or WEB."))?,
        ),
    };
    let provider = match optional_text(&body, "provider")? {
        None => None,
        Some(name) => Some(PushProvider::parse(&name).ok_or_else(|| {
            invalid("provider must be APNS, FCM or GCM (WNS and SYNIVERSE are not supported).")
        })?),
    };
    let send_on = match optional_text(&body, "sendOn")? {
        None => None,
        Some(text) => Some(
            parse_send_on(&text)
                .ok_or_else(|| invalid("sendOn must be a date-time such as 2019-05-01T09:00Z."))?,
        ),
    };
    let tag = optional_text(&body, "tag")?;
    let message = message_of(&body)?;
    let notification = state
        .berth
        .send_push(NewNotification {
            backend_id: member.backend.id,
            target,
            platform,
            provider,
            build_type: None,
            message,
            request: Value::Object(body),
            tag,
            send_on,
            created_at: Timestamp::now(),
        })
        .await?;
    let mut response = (StatusCode::CREATED, Json(representation(&notification))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{PATH}{}", notification.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn status_name(state: NotificationState) -> &'static str {
    match state {
        NotificationState::Scheduled => "Scheduled",
        NotificationState::Queued => "New",
        NotificationState::Sending => "Sending",
        NotificationState::Sent => "Sent",
        NotificationState::Warning => "Warning",
        NotificationState::Error => "Error",
        NotificationState::Cancelled => "Cancelled",
    }
}

fn state_of(name: &str) -> Option<NotificationState> {
    Some(match name.to_ascii_lowercase().as_str() {
        "scheduled" => NotificationState::Scheduled,
        "new" => NotificationState::Queued,
        "sending" => NotificationState::Sending,
        "sent" => NotificationState::Sent,
        "warning" => NotificationState::Warning,
        "error" => NotificationState::Error,
        "cancelled" | "canceled" => NotificationState::Cancelled,
        _ => return None,
    })
}

/// The stored notification: what was sent in, plus id, status, times, counts and links.
fn representation(notification: &Notification) -> Value {
    let mut body = match &notification.spec.request {
        Value::Object(request) => request.clone(),
        _ => Map::new(),
    };
    let href = format!("{PATH}{}", notification.id);
    body.insert("id".into(), Value::from(notification.id));
    body.insert(
        "status".into(),
        Value::from(status_name(notification.state)),
    );
    body.insert(
        "createdOn".into(),
        Value::from(notification.spec.created_at.to_iso()),
    );
    if let Some(send_on) = notification.spec.send_on {
        body.insert("sendOn".into(), Value::from(send_on.to_iso()));
    }
    if let Some(processed) = notification.finished_at {
        body.insert("processedOn".into(), Value::from(processed.to_iso()));
    }
    if !matches!(
        notification.state,
        NotificationState::Scheduled | NotificationState::Queued | NotificationState::Cancelled
    ) {
        body.insert("deviceCount".into(), Value::from(notification.total));
        body.insert(
            "counts".into(),
            json!({
                "queued": notification.queued(),
                "sent": notification.sent,
                "failed": notification.failed,
                "invalid": notification.invalid,
            }),
        );
    }
    if let Some(error) = &notification.error {
        body.insert("errorMessage".into(), Value::from(error.clone()));
    }
    body.insert(
        "links".into(),
        json!([{ "rel": "canonical", "href": href }, { "rel": "self", "href": href }]),
    );
    Value::Object(body)
}

fn notification_id(text: &str) -> Result<i64, OracleError> {
    text.parse::<i64>().map_err(|_| {
        OracleError::new(
            ErrorCode::NotFound,
            "There is no notification with this id.",
        )
    })
}

pub async fn get(
    State(state): State<AppState>,
    member: TeamMember,
    OraclePath(id): OraclePath<String>,
) -> Result<Json<Value>, OracleError> {
    let notification = state
        .berth
        .notification(member.backend.id, notification_id(&id)?)
        .await?;
    Ok(Json(representation(&notification)))
}

/// Cancels a notification that is still waiting for its `sendOn` time: 204; 409 once sending began.
pub async fn cancel(
    State(state): State<AppState>,
    member: TeamMember,
    OraclePath(id): OraclePath<String>,
) -> Result<StatusCode, OracleError> {
    state
        .berth
        .cancel_notification(member.backend.id, notification_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list(
    State(state): State<AppState>,
    member: TeamMember,
    RawQuery(raw): RawQuery,
    _headers: HeaderMap,
) -> Result<Json<Value>, OracleError> {
    let raw = raw.unwrap_or_default();
    let mut query = NotificationQuery {
        limit: MAX_LIMIT,
        ..Default::default()
    };
    let time = |name: &str, value: &str| {
        Timestamp::parse_iso(value).ok_or_else(|| {
            OracleError::new(
                ErrorCode::InvalidQuery,
                format!("{name} must be an ISO date-time."),
            )
        })
    };
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        match name.as_ref() {
            "q" => query.tag_contains = Some(value.into_owned()),
            "tag" => query.tag = Some(value.into_owned()),
            "status" => {
                let states = value
                    .split(',')
                    .map(|s| {
                        state_of(s.trim()).ok_or_else(|| {
                            OracleError::new(
                                ErrorCode::InvalidQuery,
                                "status must be New, Scheduled, Sending, Sent, Warning, Error or Cancelled.",
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                query.states = Some(states);
            }
            "platform" => {
                query.platform = Some(PushPlatform::parse(&value).ok_or_else(|| {
                    OracleError::new(
                        ErrorCode::InvalidQuery,
                        "platform must be IOS, ANDROID or WEB.",
                    )
                })?);
            }
            "sendOnOrAfter" => query.send_on.0 = Some(time(&name, &value)?),
            "sendOnOrBefore" => query.send_on.1 = Some(time(&name, &value)?),
            "createdOnOrAfter" => query.created_on.0 = Some(time(&name, &value)?),
            "createdOnOrBefore" => query.created_on.1 = Some(time(&name, &value)?),
            "processedOnOrAfter" => query.processed_on.0 = Some(time(&name, &value)?),
            "processedOnOrBefore" => query.processed_on.1 = Some(time(&name, &value)?),
            "offset" => {
                query.offset = value.parse().map_err(|_| {
                    OracleError::new(ErrorCode::InvalidQuery, "offset must be a whole number.")
                })?;
            }
            "limit" => {
                let limit: u32 = value.parse().map_err(|_| {
                    OracleError::new(ErrorCode::InvalidQuery, "limit must be a whole number.")
                })?;
                // Too large is lowered, as Oracle did.
                query.limit = limit.clamp(1, MAX_LIMIT);
            }
            "orderBy" => {
                for part in value.split(',').filter(|p| !p.trim().is_empty()) {
                    let (attribute, direction) = match part.trim().split_once(':') {
                        Some((attribute, direction)) => (attribute, Some(direction)),
                        None => (part.trim(), None),
                    };
                    let order = match attribute {
                        "id" => NotificationOrder::Id,
                        "status" => NotificationOrder::Status,
                        "tag" => NotificationOrder::Tag,
                        "platform" => NotificationOrder::Platform,
                        "sendOn" => NotificationOrder::SendOn,
                        "createdOn" => NotificationOrder::CreatedOn,
                        "processedOn" => NotificationOrder::ProcessedOn,
                        _ => {
                            return Err(OracleError::new(
                                ErrorCode::InvalidQuery,
                                "orderBy takes id, status, tag, platform, sendOn, createdOn or processedOn.",
                            ));
                        }
                    };
                    let direction = match direction.map(str::to_ascii_lowercase).as_deref() {
                        None | Some("asc") => SortDirection::Ascending,
                        Some("desc") => SortDirection::Descending,
                        Some(_) => {
                            return Err(OracleError::new(
                                ErrorCode::InvalidQuery,
                                "An orderBy direction must be asc or desc.",
                            ));
                        }
                    };
                    query.order.push((order, direction));
                }
            }
            _ => {}
        }
    }
    let (items, has_more) = state.berth.notifications(member.backend.id, &query).await?;
    // Paging links keep every other parameter (so the ordering survives).
    let link = |offset: u64| {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            if name != "offset" && name != "limit" {
                serializer.append_pair(&name, &value);
            }
        }
        serializer.append_pair("limit", &query.limit.to_string());
        serializer.append_pair("offset", &offset.to_string());
        format!("{PATH}?{}", serializer.finish())
    };
    let mut links = vec![
        json!({ "rel": "canonical", "href": PATH }),
        json!({ "rel": "self", "href": link(query.offset) }),
    ];
    if query.offset > 0 {
        links.push(json!({ "rel": "prev", "href": link(query.offset.saturating_sub(u64::from(query.limit))) }));
    }
    if has_more {
        links.push(json!({ "rel": "next", "href": link(query.offset + u64::from(query.limit)) }));
    }
    Ok(Json(json!({
        "items": items.iter().map(representation).collect::<Vec<_>>(),
        "hasMore": has_more,
        "limit": query.limit,
        "offset": query.offset,
        "count": items.len(),
        "links": links,
    })))
}
