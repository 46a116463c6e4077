//! Roles of a mobile backend (`/mobilebackends/{id}/roles`) and a user's roles
//! (`/mobilebackends/{id}/users/{username}/roles`, a JSON array of role names).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::representation::{ListBody, backend_href, page_links};
use super::{absolute_url, parse_id};
use crate::http::AppState;
use crate::http::extract::{OracleJson, OraclePath};
use crate::http::oracle_error::OracleError;

#[derive(Debug, Serialize)]
pub struct RoleBody {
    name: String,
}

#[derive(Debug, Deserialize)]
pub struct RoleCreateBody {
    name: String,
}

pub async fn list(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Json<ListBody<RoleBody>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let roles = state.berth.roles(id).await?;
    let count = roles.len();
    let limit = u32::try_from(count).unwrap_or(u32::MAX);
    Ok(Json(ListBody {
        items: roles.into_iter().map(|name| RoleBody { name }).collect(),
        has_more: false,
        limit,
        offset: 0,
        count,
        total_results: Some(count as u64),
        links: page_links(
            &format!("{}/roles", backend_href(id)),
            None,
            limit,
            0,
            false,
        ),
    }))
}

pub async fn create(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    headers: HeaderMap,
    OracleJson(body): OracleJson<RoleCreateBody>,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    state.berth.create_role(id, &body.name).await?;
    let location = absolute_url(
        &headers,
        &format!("{}/roles/{}", backend_href(id), encode_segment(&body.name)),
    );
    let location = HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/"));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(RoleBody { name: body.name }),
    )
        .into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    OraclePath((id, role)): OraclePath<(String, String)>,
) -> Result<StatusCode, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    state.berth.delete_role(id, &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn user_roles(
    State(state): State<AppState>,
    OraclePath((id, username)): OraclePath<(String, String)>,
) -> Result<Json<Vec<String>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    Ok(Json(state.berth.user_roles(id, &username).await?))
}

pub async fn set_user_roles(
    State(state): State<AppState>,
    OraclePath((id, username)): OraclePath<(String, String)>,
    OracleJson(roles): OracleJson<Vec<String>>,
) -> Result<Json<Vec<String>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    Ok(Json(
        state.berth.set_user_roles(id, &username, &roles).await?,
    ))
}

/// Percent-encodes everything but unreserved characters, so any role name makes a valid path segment.
fn encode_segment(raw: &str) -> String {
    raw.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
