//! `/mobile/platform/users/...`: the signed-in user's profile, read and changed.

use axum::Json;
use axum::extract::{Query, State};
use berth_core::appdata::User;
use berth_core::service::{PlatformCaller, UserChanges};
use serde_json::{Map, Value, json};

use super::auth::Platform;
use crate::http::AppState;
use crate::http::extract::{OracleJson, OraclePath};
use crate::http::oracle_error::{ErrorCode, OracleError};

/// Profile members stored as user properties under the same names.
const PROFILE: [&str; 3] = ["firstName", "lastName", "email"];

/// A mobile user as Oracle returns it: id, username, profile and custom properties, links.
pub fn user_json(user: &User, fields: Option<&str>) -> Value {
    let href = format!("/mobile/platform/users/{}", user.username);
    let mut object = Map::new();
    object.insert("id".into(), Value::from(user.id.clone()));
    object.insert("username".into(), Value::from(user.username.clone()));
    for (name, value) in &user.properties {
        object.insert(name.clone(), value.clone());
    }
    if let Some(fields) = fields {
        let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
        object.retain(|name, _| wanted.contains(&name.as_str()));
    }
    object.insert(
        "links".into(),
        json!([{ "rel": "canonical", "href": href }, { "rel": "self", "href": href }]),
    );
    Value::Object(object)
}

fn signed_in(platform: &Platform) -> Result<&User, OracleError> {
    match &platform.caller {
        PlatformCaller::User(user) => Ok(user),
        PlatformCaller::Anonymous => Err(OracleError::new(
            ErrorCode::Unauthenticated,
            "This call needs a signed-in mobile user, not anonymous access.",
        )),
    }
}

#[derive(serde::Deserialize)]
pub struct Fields {
    fields: Option<String>,
}

/// `GET /users/login`, `/users/~`, `/users/me`: the signed-in user.
pub async fn me(
    platform: Platform,
    Query(query): Query<Fields>,
) -> Result<Json<Value>, OracleError> {
    Ok(Json(user_json(
        signed_in(&platform)?,
        query.fields.as_deref(),
    )))
}

/// `GET /users/{username}`: only the signed-in user's own name.
pub async fn get(
    platform: Platform,
    OraclePath(username): OraclePath<String>,
    Query(query): Query<Fields>,
) -> Result<Json<Value>, OracleError> {
    let user = own_user(&platform, &username)?;
    Ok(Json(user_json(user, query.fields.as_deref())))
}

fn own_user<'a>(platform: &'a Platform, username: &str) -> Result<&'a User, OracleError> {
    let user = signed_in(platform)?;
    if user.username != username {
        return Err(OracleError::new(
            ErrorCode::Forbidden,
            "A user can only read or change their own profile.",
        ));
    }
    Ok(user)
}

/// `PUT`/`PATCH /users/{username}`: changes `firstName`, `lastName`, `email` and custom properties;
/// never `username` or `id`.
pub async fn update(
    State(state): State<AppState>,
    platform: Platform,
    OraclePath(username): OraclePath<String>,
    OracleJson(body): OracleJson<Map<String, Value>>,
) -> Result<Json<Value>, OracleError> {
    let user = own_user(&platform, &username)?;
    let mut properties = Map::new();
    for (name, value) in body {
        match name.as_str() {
            "username" if value.as_str() != Some(user.username.as_str()) => {
                return Err(berth_core::Error::invalid(
                    "username",
                    "The username cannot be changed.",
                )
                .into());
            }
            "username" | "id" | "links" => {}
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
    let rules = state
        .berth
        .app_settings(platform.backend.id)
        .await?
        .credential_rules();
    let changes = UserChanges {
        properties,
        ..Default::default()
    };
    let updated = state
        .berth
        .update_user(platform.backend.id, &user.id, changes, rules)
        .await?;
    Ok(Json(user_json(&updated, None)))
}
