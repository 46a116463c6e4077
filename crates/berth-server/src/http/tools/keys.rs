//! Credentials of a backend: OAuth client secret, anonymous key, Monaca app API key (regenerate) and
//! Monaca Backend Management API keys (list, create, revoke).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::representation::{
    BasicAuthKeysBody, ListBody, ManagementKeyBody, MonacaApiKeyBody, OAuthKeysBody, backend_href,
    page_links,
};
use super::{ADMIN_ACTOR, absolute_url, etag_header, parse_id};
use crate::http::AppState;
use crate::http::extract::{IfMatch, OraclePath, parse_json};
use crate::http::oracle_error::{OracleError, Problem};

#[utoipa::path(
    get, path = "/mobile/tools/1.0/mobilebackends/{id}/oauthKeys", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = OAuthKeysBody), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn oauth_keys(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Response, OracleError> {
    let backend = state
        .berth
        .backend(parse_id(&id, "mobile backend")?)
        .await?;
    Ok((
        [etag_header(backend.revision)],
        Json(OAuthKeysBody::new(&backend)),
    )
        .into_response())
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/mobilebackends/{id}/oauthKeys", tag = "keys",
    description = "Issues a new OAuth client secret; the old one stops working at once.",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = OAuthKeysBody), (status = 400, description = "A malformed If-Match header", body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn regenerate_oauth_keys(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    IfMatch(precondition): IfMatch,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let backend = state
        .berth
        .regenerate_client_secret(ADMIN_ACTOR, id, &precondition)
        .await?;
    Ok((
        [etag_header(backend.revision)],
        Json(OAuthKeysBody::new(&backend)),
    )
        .into_response())
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/mobilebackends/{id}/basicAuthenticationKeys", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = BasicAuthKeysBody), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn basic_auth_keys(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Response, OracleError> {
    let backend = state
        .berth
        .backend(parse_id(&id, "mobile backend")?)
        .await?;
    Ok((
        [etag_header(backend.revision)],
        Json(BasicAuthKeysBody::new(&backend)),
    )
        .into_response())
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/mobilebackends/{id}/basicAuthenticationKeys", tag = "keys",
    description = "Issues a new anonymous key; the old one stops working at once.",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = BasicAuthKeysBody), (status = 400, description = "A malformed If-Match header", body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn regenerate_basic_auth_keys(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    IfMatch(precondition): IfMatch,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let backend = state
        .berth
        .regenerate_anonymous_key(ADMIN_ACTOR, id, &precondition)
        .await?;
    Ok((
        [etag_header(backend.revision)],
        Json(BasicAuthKeysBody::new(&backend)),
    )
        .into_response())
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/mobilebackends/{id}/monacaApiKey", tag = "keys",
    description = "Issues a new Monaca app API key (the `__api_key` apps send); it is shown only in this answer.",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = MonacaApiKeyBody), (status = 400, description = "A malformed If-Match header", body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn regenerate_monaca_api_key(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    IfMatch(precondition): IfMatch,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let (backend, key) = state
        .berth
        .regenerate_app_api_key(ADMIN_ACTOR, id, &precondition)
        .await?;
    let body = MonacaApiKeyBody {
        backend_id: backend.id.to_string(),
        monaca_endpoint: format!("/json-rpc/{}", backend.id),
        monaca_api_key: key,
    };
    Ok(([etag_header(backend.revision)], Json(body)).into_response())
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/mobilebackends/{id}/managementKeys", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = ListBody<ManagementKeyBody>), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn list_management_keys(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Json<ListBody<ManagementKeyBody>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let keys = state.berth.management_keys(id).await?;
    let count = keys.len();
    let path = format!("{}/managementKeys", backend_href(id));
    Ok(Json(ListBody {
        items: keys.iter().map(ManagementKeyBody::new).collect(),
        has_more: false,
        limit: u32::try_from(count).unwrap_or(u32::MAX),
        offset: 0,
        count,
        total_results: None,
        links: page_links(
            &path,
            None,
            u32::try_from(count).unwrap_or(u32::MAX),
            0,
            false,
        ),
    }))
}

/// Both members are optional, and so is the body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagementKeyCreateBody {
    /// What the key is for, at most 100 characters.
    pub label: Option<String>,
    /// CIDR range the key may be used from (e.g. 203.0.113.0/24); absent means any address.
    pub allowed_ip_range: Option<String>,
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/mobilebackends/{id}/managementKeys", tag = "keys",
    description = "Creates a Monaca Backend Management API key. The key itself is in this answer only.",
    params(("id" = String, Path)),
    request_body(content = Option<ManagementKeyCreateBody>),
    responses((status = 201, body = ManagementKeyBody), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn create_management_key(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let body: ManagementKeyCreateBody = if body.iter().all(u8::is_ascii_whitespace) {
        ManagementKeyCreateBody::default()
    } else {
        parse_json(&body)?
    };
    let created = state
        .berth
        .create_management_key(ADMIN_ACTOR, id, body.label, body.allowed_ip_range)
        .await?;
    let body = ManagementKeyBody::created(&created);
    let location = absolute_url(
        &headers,
        &format!("{}/managementKeys/{}", backend_href(id), created.key.id),
    );
    let location = HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/"));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/mobilebackends/{id}/managementKeys/{keyId}", tag = "keys",
    params(("id" = String, Path), ("keyId" = String, Path)),
    responses((status = 200, body = ManagementKeyBody), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn get_management_key(
    State(state): State<AppState>,
    OraclePath((id, key_id)): OraclePath<(String, String)>,
) -> Result<Json<ManagementKeyBody>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let key_id = parse_id(&key_id, "management key")?;
    let keys = state.berth.management_keys(id).await?;
    keys.iter()
        .find(|key| key.id == key_id)
        .map(|key| Json(ManagementKeyBody::new(key)))
        .ok_or_else(|| {
            berth_core::Error::not_found(
                "keyId",
                format!("The backend {id} has no management key with id {key_id}."),
            )
            .into()
        })
}

#[utoipa::path(
    delete, path = "/mobile/tools/1.0/mobilebackends/{id}/managementKeys/{keyId}", tag = "keys",
    description = "Revokes the key: it stops working at once.",
    params(("id" = String, Path), ("keyId" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn revoke_management_key(
    State(state): State<AppState>,
    OraclePath((id, key_id)): OraclePath<(String, String)>,
) -> Result<StatusCode, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let key_id = parse_id(&key_id, "management key")?;
    state.berth.revoke_management_key(id, key_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
