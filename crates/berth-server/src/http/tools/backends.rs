//! `/mobilebackends`: create, list, read and update backends.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_core::backend::{BackendChanges, BackendDraft};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::list_query::backend_query;
use super::representation::{
    BackendBody, BackendSummaryBody, ListBody, RoleAccessBody, TOOLS_BASE, backend_href, page_links,
};
use super::{ADMIN_ACTOR, absolute_url, etag_header, parse_id};
use crate::http::AppState;
use crate::http::extract::{IfMatch, OracleJson, OraclePath};
use crate::http::oracle_error::{OracleError, Problem};

/// Oracle `mobilebackendCreate`. Unknown members are ignored, so a body read from GET can be sent back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendCreateBody {
    /// Required; `^[a-zA-Z][a-zA-Z0-9_]*$`, at most 100 characters.
    pub name: Option<String>,
    /// `^[a-zA-Z0-9][\w.]*$`, at most 100 characters; "1.0" when absent.
    pub version: Option<String>,
    /// At most 100 characters.
    pub desc: Option<String>,
    /// At most 255 characters.
    pub title: Option<String>,
    pub action_comment: Option<String>,
    pub analytics_app_guid: Option<String>,
    /// Enables HTTP Basic authentication for the backend (default true).
    #[serde(alias = "basicAuth")]
    pub basic: Option<bool>,
    /// Enables OAuth for the backend (default true).
    pub oauth: Option<bool>,
    pub role_access: Option<RoleAccessBody>,
}

/// Oracle `mobilebackendUpdate`. Absent members keep their value; `null` clears `desc`, `title` and
/// `actionComment`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendUpdateBody {
    pub name: Option<String>,
    pub version: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub desc: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub action_comment: Option<Option<String>>,
    #[serde(alias = "basicAuth")]
    pub basic: Option<bool>,
    pub oauth: Option<bool>,
    /// Deactivates (true) or reactivates (false) the backend.
    pub inactive: Option<bool>,
    pub role_access: Option<RoleAccessBody>,
}

/// Tells a member given as `null` (Some(None)) from an absent one (None, via `default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/mobilebackends", tag = "mobile backends",
    request_body = BackendCreateBody,
    responses(
        (status = 201, description = "Created; ETag and Location headers set. The answer holds the Monaca app API key and a first management key, shown only now.", body = BackendBody),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 409, description = "Name and version taken", body = Problem),
    ),
    security(("adminToken" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    OracleJson(body): OracleJson<BackendCreateBody>,
) -> Result<Response, OracleError> {
    let draft = BackendDraft {
        name: body.name.unwrap_or_default(),
        version: body.version,
        description: body.desc,
        title: body.title,
        action_comment: body.action_comment,
        oauth_enabled: body.oauth,
        basic_auth_enabled: body.basic,
        role_access: body.role_access.map(Into::into),
        analytics_app_guid: body.analytics_app_guid,
    };
    let created = state.berth.create_backend(ADMIN_ACTOR, draft).await?;
    let location = absolute_url(&headers, &backend_href(created.backend.id));
    let location = HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/"));
    Ok((
        StatusCode::CREATED,
        [
            etag_header(created.backend.revision),
            (header::LOCATION, location),
        ],
        Json(BackendBody::created(&created)),
    )
        .into_response())
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/mobilebackends", tag = "mobile backends",
    params(
        ("limit" = Option<u32>, Query, description = "Page size (default 100, at most 1000)"),
        ("offset" = Option<u64>, Query, description = "Items to skip (default 0)"),
        ("id" = Option<Vec<String>>, Query, description = "Only these ids (repeatable)"),
        ("exclude" = Option<Vec<String>>, Query, description = "Not these ids (repeatable)"),
        ("filterType" = Option<String>, Query, description = "Comma list of NOT_PUBLISHED, PUBLISHED, NOT_TRASH, TRASH, ACTIVE, INACTIVE (default NOT_TRASH)"),
        ("fromTime" = Option<String>, Query, description = "Changed at or after: epoch milliseconds, ISO-8601, or relative like -1h"),
        ("orderBy" = Option<String>, Query, description = "name|version|createdOn|modifiedOn with :asc or :desc, comma separated"),
        ("q" = Option<String>, Query, description = "Case-insensitive part of the name"),
        ("totalResults" = Option<bool>, Query, description = "Also count all matches"),
    ),
    responses((status = 200, body = ListBody<BackendSummaryBody>), (status = 400, body = Problem), (status = 401, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw_query): RawQuery,
) -> Result<Json<ListBody<BackendSummaryBody>>, OracleError> {
    let query = backend_query(raw_query.as_deref())?;
    let page = state.berth.list_backends(&query).await?;
    let path = format!("{TOOLS_BASE}/mobilebackends");
    let (limit, offset) = (query.page.limit, query.page.offset);
    Ok(Json(ListBody {
        count: page.items.len(),
        items: page.items.iter().map(BackendSummaryBody::new).collect(),
        has_more: page.has_more,
        limit,
        offset,
        total_results: page.total,
        links: page_links(&path, raw_query.as_deref(), limit, offset, page.has_more),
    }))
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/mobilebackends/{id}", tag = "mobile backends",
    params(("id" = String, Path, description = "Backend id")),
    responses((status = 200, description = "ETag header set", body = BackendBody), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Response, OracleError> {
    let backend = state
        .berth
        .backend(parse_id(&id, "mobile backend")?)
        .await?;
    Ok((
        [etag_header(backend.revision)],
        Json(BackendBody::new(&backend)),
    )
        .into_response())
}

#[utoipa::path(
    put, path = "/mobile/tools/1.0/mobilebackends/{id}", tag = "mobile backends",
    params(
        ("id" = String, Path, description = "Backend id"),
        ("If-Match" = Option<String>, Header, description = "Current ETag, or * to overwrite"),
    ),
    request_body = BackendUpdateBody,
    responses(
        (status = 204, description = "Updated; the new ETag is in the ETag header"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Name and version taken, or the backend is in the trash", body = Problem),
        (status = 412, description = "If-Match does not match the current ETag", body = Problem),
    ),
    security(("adminToken" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    IfMatch(precondition): IfMatch,
    OracleJson(body): OracleJson<BackendUpdateBody>,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let changes = BackendChanges {
        name: body.name.unwrap_or_default(),
        version: body.version,
        description: body.desc,
        title: body.title,
        action_comment: body.action_comment,
        oauth_enabled: body.oauth,
        basic_auth_enabled: body.basic,
        inactive: body.inactive,
        role_access: body.role_access.map(Into::into),
    };
    let backend = state
        .berth
        .update_backend(ADMIN_ACTOR, id, changes, &precondition)
        .await?;
    Ok((StatusCode::NO_CONTENT, [etag_header(backend.revision)]).into_response())
}
