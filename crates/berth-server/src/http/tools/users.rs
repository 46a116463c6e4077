//! Realm users of a backend through the tools API: list, create, read, replace/merge, delete.
//! These are the same users that sign in through `/oauth2/v1/token`, Basic and Monaca `User.login`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_core::appdata::User;
use berth_core::monaql::{Criteria, Property, SystemProperty};
use berth_core::page::{PageRequest, SortDirection};
use berth_core::service::UserChanges;
use berth_core::store::UserQuery;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::list_query::{DEFAULT_LIMIT, MAX_LIMIT};
use super::representation::{ListBody, backend_href, page_links};
use super::{absolute_url, parse_id};
use crate::http::AppState;
use crate::http::extract::{OraclePath, parse_json};
use crate::http::oracle_error::{ErrorCode, OracleError};

/// Profile members that must be strings when given.
const PROFILE: [&str; 3] = ["firstName", "lastName", "email"];

fn user_href(backend_id: Uuid, username: &str) -> String {
    format!("{}/users/{username}", backend_href(backend_id))
}

/// A realm user: id, username, profile and custom properties, links. Never the password.
fn realm_user_json(backend_id: Uuid, user: &User) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), Value::from(user.id.clone()));
    object.insert("username".into(), Value::from(user.username.clone()));
    for (name, value) in &user.properties {
        object.insert(name.clone(), value.clone());
    }
    object.insert("createdOn".into(), Value::from(user.created_at.to_iso()));
    object.insert("modifiedOn".into(), Value::from(user.updated_at.to_iso()));
    let href = user_href(backend_id, &user.username);
    object.insert(
        "links".into(),
        json!([{ "rel": "canonical", "href": href }, { "rel": "self", "href": href }]),
    );
    Value::Object(object)
}

fn invalid_query(detail: String) -> OracleError {
    OracleError::new(ErrorCode::InvalidQuery, detail)
}

fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, OracleError> {
    value.parse().map_err(|_| {
        invalid_query(format!(
            "{name} must be a whole number of zero or more, not \"{value}\"."
        ))
    })
}

/// A user body taken apart: the credentials, and the properties stored with the user.
struct UserBody {
    username: Option<String>,
    password: Option<String>,
    properties: Map<String, Value>,
}

/// Splits a user body into username, password and the properties to store; `id`, `links` and the
/// read-only times are ignored, profile members must be strings (or null).
fn split_body(body: Map<String, Value>) -> Result<UserBody, OracleError> {
    let mut username = None;
    let mut password = None;
    let mut properties = Map::new();
    for (name, value) in body {
        match name.as_str() {
            "username" | "password" => {
                let Value::String(text) = value else {
                    return Err(berth_core::Error::invalid(
                        name.clone(),
                        format!("{name} must be a string."),
                    )
                    .into());
                };
                if name == "username" {
                    username = Some(text);
                } else {
                    password = Some(text);
                }
            }
            "id" | "links" | "createdOn" | "modifiedOn" => {}
            _ if PROFILE.contains(&name.as_str()) && !(value.is_string() || value.is_null()) => {
                return Err(berth_core::Error::invalid(
                    name.clone(),
                    format!("{name} must be a string."),
                )
                .into());
            }
            _ => {
                properties.insert(name, value);
            }
        }
    }
    Ok(UserBody {
        username,
        password,
        properties,
    })
}

/// `GET /mobilebackends/{id}/users?q=&limit=&offset=&totalResults=`: users by username, `q` matching
/// part of the username or id (case-insensitive).
pub async fn list(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListBody<Value>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let mut page = PageRequest {
        limit: DEFAULT_LIMIT,
        offset: 0,
        with_total: false,
    };
    let mut name_filter = None;
    for (name, value) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        let value = value.trim();
        match name.as_ref() {
            "limit" => page.limit = parse_number::<u32>("limit", value)?.min(MAX_LIMIT),
            "offset" => page.offset = parse_number("offset", value)?,
            "q" => name_filter = Some(value.to_owned()).filter(|q| !q.is_empty()),
            "totalResults" => {
                page.with_total = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(invalid_query(format!(
                            "totalResults must be true or false, not \"{value}\"."
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    state.berth.backend(id).await?;
    let query = UserQuery {
        criteria: Criteria::match_all(),
        name_filter,
        sort: vec![(
            Property::System(SystemProperty::Username),
            SortDirection::Ascending,
        )],
        page,
    };
    let users = state.berth.list_users(id, &query).await?;
    let path = format!("{}/users", backend_href(id));
    Ok(Json(ListBody {
        count: users.items.len(),
        items: users
            .items
            .iter()
            .map(|user| realm_user_json(id, user))
            .collect(),
        has_more: users.has_more,
        limit: page.limit,
        offset: page.offset,
        total_results: users.total,
        links: page_links(
            &path,
            raw.as_deref(),
            page.limit,
            page.offset,
            users.has_more,
        ),
    }))
}

/// `POST /mobilebackends/{id}/users`: `username` and `password` required, profile and custom
/// properties optional. 201 with `Location`.
pub async fn create(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let body: Map<String, Value> = parse_json(&body)?;
    let UserBody {
        username,
        password,
        properties,
    } = split_body(body)?;
    let mut problems = berth_core::validation::Problems::new();
    if username.is_none() {
        problems.add("username", "username is required.");
    }
    if password.is_none() {
        problems.add("password", "password is required.");
    }
    problems.into_result()?;
    let backend = state.berth.backend(id).await?;
    let rules = state
        .berth
        .app_settings(backend.id)
        .await?
        .credential_rules();
    let user = state
        .berth
        .create_user(
            backend.id,
            username.as_deref().unwrap_or_default(),
            password.as_deref().unwrap_or_default(),
            properties,
            rules,
        )
        .await?;
    let location = absolute_url(&headers, &user_href(id, &user.username));
    let location = HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/"));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(realm_user_json(id, &user)),
    )
        .into_response())
}

/// `GET /mobilebackends/{id}/users/{username}`.
pub async fn get(
    State(state): State<AppState>,
    OraclePath((id, username)): OraclePath<(String, String)>,
) -> Result<Json<Value>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    state.berth.backend(id).await?;
    let user = state.berth.user_named(id, &username).await?;
    Ok(Json(realm_user_json(id, &user)))
}

/// `PUT` and `PATCH` both merge the given profile and custom properties into the user (a property
/// sent as null is stored as null); both may set a new `password` or `username`.
async fn change(
    state: AppState,
    id: String,
    username: String,
    body: Bytes,
) -> Result<Json<Value>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let body: Map<String, Value> = parse_json(&body)?;
    let UserBody {
        username: new_username,
        password,
        properties,
    } = split_body(body)?;
    let backend = state.berth.backend(id).await?;
    let user = state.berth.user_named(id, &username).await?;
    let rules = state
        .berth
        .app_settings(backend.id)
        .await?
        .credential_rules();
    let changes = UserChanges {
        username: new_username.filter(|name| name != &user.username),
        password,
        properties,
    };
    let updated = state
        .berth
        .update_user(id, &user.id, changes, rules)
        .await?;
    Ok(Json(realm_user_json(id, &updated)))
}

pub async fn replace(
    State(state): State<AppState>,
    OraclePath((id, username)): OraclePath<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, OracleError> {
    change(state, id, username, body).await
}

pub async fn merge(
    State(state): State<AppState>,
    OraclePath((id, username)): OraclePath<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, OracleError> {
    change(state, id, username, body).await
}

/// `DELETE /mobilebackends/{id}/users/{username}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    OraclePath((id, username)): OraclePath<(String, String)>,
) -> Result<StatusCode, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    state.berth.backend(id).await?;
    let user = state.berth.user_named(id, &username).await?;
    state.berth.delete_users(id, &[user.id]).await?;
    Ok(StatusCode::NO_CONTENT)
}
