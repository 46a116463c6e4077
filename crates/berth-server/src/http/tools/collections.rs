//! Storage collections in the tools API (`/collections`, Oracle `mosCollection*`), their per-role
//! permissions, and their association with backends (`/mobilebackends/{id}/collections`).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_core::service::{CollectionChanges, CollectionDraft};
use berth_core::storage::{CollectionLink, CollectionPermissions, StorageCollection};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::list_query::backend_query;
use super::representation::{
    AssetBody, AssetFields, Link, ListBody, TOOLS_BASE, TrashInfo, backend_href, page_links,
};
use super::{ADMIN_ACTOR, absolute_url, etag_header, parse_id};
use crate::http::AppState;
use crate::http::extract::{IfMatch, OracleJson, OraclePath};
use crate::http::oracle_error::{ErrorCode, OracleError, Problem};

/// Oracle `mosCollectionCreate`. Unknown members are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionCreateBody {
    /// Required; `^[a-zA-Z][a-zA-Z0-9_]*$`, at most 100 characters. Apps address the collection by it.
    pub name: Option<String>,
    /// "1.0" when absent.
    pub version: Option<String>,
    pub desc: Option<String>,
    pub title: Option<String>,
    pub action_comment: Option<String>,
    /// Each user gets a private space (default false: objects are shared).
    pub user_isolated: Option<bool>,
    pub sync_control: Option<bool>,
}

/// Oracle `mosCollectionUpdate`: absent members keep their value; `null` clears `desc`, `title` and
/// `actionComment`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionUpdateBody {
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
    pub user_isolated: Option<bool>,
    pub sync_control: Option<bool>,
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Which roles hold which permission (Berth's endpoint; Oracle set these in its UI).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionsBody {
    #[serde(rename = "READ", default)]
    pub read: Vec<String>,
    #[serde(rename = "READ_WRITE", default)]
    pub read_write: Vec<String>,
    #[serde(rename = "READ_ALL", default)]
    pub read_all: Vec<String>,
    #[serde(rename = "READ_WRITE_ALL", default)]
    pub read_write_all: Vec<String>,
}

impl From<&CollectionPermissions> for PermissionsBody {
    fn from(p: &CollectionPermissions) -> Self {
        Self {
            read: p.read.clone(),
            read_write: p.read_write.clone(),
            read_all: p.read_all.clone(),
            read_write_all: p.read_write_all.clone(),
        }
    }
}

impl From<PermissionsBody> for CollectionPermissions {
    fn from(p: PermissionsBody) -> Self {
        Self {
            read: p.read,
            read_write: p.read_write,
            read_all: p.read_all,
            read_write_all: p.read_write_all,
        }
    }
}

/// A collection as the tools API shows it (Oracle `mosCollectionGet`, plus Berth's `permissions`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionBody {
    #[serde(flatten)]
    pub asset: AssetFields,
    pub user_isolated: bool,
    pub sync_control: bool,
    pub permissions: PermissionsBody,
}

/// A collection associated with a backend.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkedCollectionBody {
    #[serde(flatten)]
    pub collection: CollectionBody,
    /// Whether the backend's anonymous callers may read and write this (shared) collection:
    /// Oracle's `Security_CollectionsAnonymousAccess` policy.
    pub anonymous_access: bool,
}

/// The optional body of `PUT /mobilebackends/{id}/collections/{colId}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody {
    pub anonymous_access: Option<bool>,
}

pub fn collection_href(id: impl std::fmt::Display) -> String {
    format!("{TOOLS_BASE}/collections/{id}")
}

fn link(rel: &str, href: impl Into<String>) -> Link {
    Link {
        rel: rel.to_owned(),
        href: href.into(),
    }
}

pub fn collection_asset_fields(c: &StorageCollection) -> AssetFields {
    let href = collection_href(c.id);
    let assets = format!("{TOOLS_BASE}/assets");
    AssetFields {
        id: c.id.to_string(),
        name: c.name.clone(),
        version: c.version.clone(),
        desc: c.description.clone(),
        title: c.title.clone(),
        namespace: None,
        action_comment: c.action_comment.clone(),
        max: false,
        published: c.published,
        in_trash: c.in_trash,
        etag: c.revision.to_string(),
        created_on: c.created_on.to_iso(),
        created_by: c.created_by.clone(),
        modified_on: c.modified_on.to_iso(),
        modified_by: c.modified_by.clone(),
        deleted_on: c.deleted_on.map(|t| t.to_iso()),
        deleted_by: c.deleted_by.clone(),
        trash: c.in_trash.then(|| TrashInfo {
            deleted_on: c.deleted_on.map(|t| t.to_iso()),
            deleted_by: c.deleted_by.clone(),
        }),
        links: vec![
            link("canonical", href.clone()),
            link("self", href.clone()),
            link("trashDependencies", format!("{assets}/trashDependencies")),
            link("trashing", format!("{assets}/trashing")),
            link(
                "untrashDependencies",
                format!("{assets}/untrashDependencies"),
            ),
            link("untrashing", format!("{assets}/untrashing")),
            link("purgeDependencies", format!("{assets}/purgeDependencies")),
            link("purging", format!("{assets}/purging")),
            link("permissions", format!("{href}/permissions")),
        ],
    }
}

impl CollectionBody {
    pub fn new(c: &StorageCollection) -> Self {
        Self {
            asset: collection_asset_fields(c),
            user_isolated: c.user_isolated,
            sync_control: c.sync_control,
            permissions: (&c.permissions).into(),
        }
    }
}

impl LinkedCollectionBody {
    fn new(link: &CollectionLink) -> Self {
        Self {
            collection: CollectionBody::new(&link.collection),
            anonymous_access: link.anonymous_access,
        }
    }
}

/// A collection in the answers of the generic asset endpoints.
pub fn collection_asset(c: &StorageCollection) -> AssetBody {
    AssetBody {
        asset_type: "Collection".to_owned(),
        asset: collection_asset_fields(c),
    }
}

fn location(headers: &HeaderMap, path: &str) -> HeaderValue {
    HeaderValue::from_str(&absolute_url(headers, path)).unwrap_or(HeaderValue::from_static("/"))
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/collections", tag = "storage collections",
    request_body = CollectionCreateBody,
    responses(
        (status = 201, description = "Created; ETag and Location headers set", body = CollectionBody),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 409, description = "Name and version taken", body = Problem),
    ),
    security(("adminToken" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    OracleJson(body): OracleJson<CollectionCreateBody>,
) -> Result<Response, OracleError> {
    let draft = CollectionDraft {
        name: body.name.unwrap_or_default(),
        version: body.version,
        description: body.desc,
        title: body.title,
        action_comment: body.action_comment,
        user_isolated: body.user_isolated,
        sync_control: body.sync_control,
    };
    let collection = state
        .berth
        .create_storage_collection(ADMIN_ACTOR, draft)
        .await?;
    Ok((
        StatusCode::CREATED,
        [
            etag_header(collection.revision),
            (
                header::LOCATION,
                location(&headers, &collection_href(collection.id)),
            ),
        ],
        Json(CollectionBody::new(&collection)),
    )
        .into_response())
}

/// Collections are never "max" assets: MAX_ONLY finds nothing, the other MAX_ filters change
/// nothing. The remaining parameters mean what they mean for backends.
fn collection_query(
    raw_query: Option<&str>,
) -> Result<(berth_core::backend::BackendQuery, bool), OracleError> {
    let mut max_only = false;
    let mut kept = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
        if name == "filterType" {
            let mut filters = Vec::new();
            for filter in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                match filter.to_ascii_uppercase().as_str() {
                    "MAX_ONLY" => max_only = true,
                    "MAX_INCLUDE" | "MAX_EXCLUDE" => {}
                    "ACTIVE" | "INACTIVE" => {
                        return Err(OracleError::new(
                            ErrorCode::InvalidQuery,
                            format!("filterType {filter} does not apply to collections."),
                        ));
                    }
                    _ => filters.push(filter.to_owned()),
                }
            }
            kept.append_pair("filterType", &filters.join(","));
        } else {
            kept.append_pair(&name, &value);
        }
    }
    Ok((backend_query(Some(&kept.finish()))?, max_only))
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/collections", tag = "storage collections",
    description = "Same parameters as the backend list; filterType also takes MAX_INCLUDE, MAX_EXCLUDE, MAX_ONLY.",
    responses((status = 200, body = ListBody<CollectionBody>), (status = 400, body = Problem), (status = 401, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw_query): RawQuery,
) -> Result<Json<ListBody<CollectionBody>>, OracleError> {
    let (query, max_only) = collection_query(raw_query.as_deref())?;
    let page = if max_only {
        berth_core::page::Page {
            items: Vec::new(),
            has_more: false,
            total: query.page.with_total.then_some(0),
        }
    } else {
        state.berth.list_storage_collections(&query).await?
    };
    let path = format!("{TOOLS_BASE}/collections");
    let (limit, offset) = (query.page.limit, query.page.offset);
    Ok(Json(ListBody {
        count: page.items.len(),
        items: page.items.iter().map(CollectionBody::new).collect(),
        has_more: page.has_more,
        limit,
        offset,
        total_results: page.total,
        links: page_links(&path, raw_query.as_deref(), limit, offset, page.has_more),
    }))
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/collections/{id}", tag = "storage collections",
    params(("id" = String, Path, description = "Collection id")),
    responses((status = 200, description = "ETag header set", body = CollectionBody), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Response, OracleError> {
    let collection = state
        .berth
        .storage_collection(parse_id(&id, "storage collection")?)
        .await?;
    Ok((
        [etag_header(collection.revision)],
        Json(CollectionBody::new(&collection)),
    )
        .into_response())
}

#[utoipa::path(
    put, path = "/mobile/tools/1.0/collections/{id}", tag = "storage collections",
    params(
        ("id" = String, Path, description = "Collection id"),
        ("If-Match" = Option<String>, Header, description = "Current ETag, or * to overwrite"),
    ),
    request_body = CollectionUpdateBody,
    responses(
        (status = 204, description = "Updated; the new ETag is in the ETag header"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Name and version taken, or in the trash", body = Problem),
        (status = 412, body = Problem),
    ),
    security(("adminToken" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    IfMatch(precondition): IfMatch,
    OracleJson(body): OracleJson<CollectionUpdateBody>,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "storage collection")?;
    let changes = CollectionChanges {
        name: body.name.unwrap_or_default(),
        version: body.version,
        description: body.desc,
        title: body.title,
        action_comment: body.action_comment,
        user_isolated: body.user_isolated,
        sync_control: body.sync_control,
    };
    let collection = state
        .berth
        .update_storage_collection(ADMIN_ACTOR, id, changes, &precondition)
        .await?;
    Ok((StatusCode::NO_CONTENT, [etag_header(collection.revision)]).into_response())
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/collections/{id}/permissions", tag = "storage collections",
    params(("id" = String, Path, description = "Collection id")),
    responses((status = 200, description = "ETag header set (the collection's)", body = PermissionsBody), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn permissions(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Response, OracleError> {
    let collection = state
        .berth
        .storage_collection(parse_id(&id, "storage collection")?)
        .await?;
    Ok((
        [etag_header(collection.revision)],
        Json(PermissionsBody::from(&collection.permissions)),
    )
        .into_response())
}

#[utoipa::path(
    put, path = "/mobile/tools/1.0/collections/{id}/permissions", tag = "storage collections",
    description = "Replaces which backend roles hold READ, READ_WRITE, READ_ALL and READ_WRITE_ALL.",
    params(
        ("id" = String, Path, description = "Collection id"),
        ("If-Match" = Option<String>, Header, description = "The collection's current ETag, or *"),
    ),
    request_body = PermissionsBody,
    responses(
        (status = 200, description = "The permissions now; the collection's new ETag in the header", body = PermissionsBody),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem),
    ),
    security(("adminToken" = []))
)]
pub async fn set_permissions(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    IfMatch(precondition): IfMatch,
    OracleJson(body): OracleJson<PermissionsBody>,
) -> Result<Response, OracleError> {
    let id = parse_id(&id, "storage collection")?;
    let collection = state
        .berth
        .set_collection_permissions(ADMIN_ACTOR, id, body.into(), &precondition)
        .await?;
    Ok((
        [etag_header(collection.revision)],
        Json(PermissionsBody::from(&collection.permissions)),
    )
        .into_response())
}

#[utoipa::path(
    get, path = "/mobile/tools/1.0/mobilebackends/{id}/collections", tag = "storage collections",
    params(("id" = String, Path, description = "Backend id")),
    responses((status = 200, body = ListBody<LinkedCollectionBody>), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn backend_collections(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Json<ListBody<LinkedCollectionBody>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let links = state.berth.backend_collections(id).await?;
    let count = links.len();
    let limit = u32::try_from(count).unwrap_or(u32::MAX);
    Ok(Json(ListBody {
        items: links.iter().map(LinkedCollectionBody::new).collect(),
        has_more: false,
        limit,
        offset: 0,
        count,
        total_results: Some(count as u64),
        links: page_links(
            &format!("{}/collections", backend_href(id)),
            None,
            limit,
            0,
            false,
        ),
    }))
}

#[utoipa::path(
    put, path = "/mobile/tools/1.0/mobilebackends/{id}/collections/{colId}", tag = "storage collections",
    description = "Associates the collection with the backend. The optional body sets anonymousAccess.",
    params(("id" = String, Path, description = "Backend id"), ("colId" = String, Path, description = "Collection id")),
    request_body = Option<LinkBody>,
    responses(
        (status = 204, description = "Associated"), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "A collection of that name is already associated, or the backend or collection is in the trash", body = Problem),
    ),
    security(("adminToken" = []))
)]
pub async fn link_collection(
    State(state): State<AppState>,
    OraclePath((id, collection_id)): OraclePath<(String, String)>,
    body: axum::body::Bytes,
) -> Result<StatusCode, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let collection_id = parse_id(&collection_id, "storage collection")?;
    // The body is optional: Oracle's PUT has none.
    let body: LinkBody = if body.iter().all(u8::is_ascii_whitespace) {
        LinkBody::default()
    } else {
        crate::http::extract::parse_json(&body)?
    };
    state
        .berth
        .link_collection(id, collection_id, body.anonymous_access)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete, path = "/mobile/tools/1.0/mobilebackends/{id}/collections/{colId}", tag = "storage collections",
    description = "Ends the association; the backend's objects stay for a later association.",
    params(
        ("id" = String, Path, description = "Backend id"), ("colId" = String, Path, description = "Collection id"),
        ("If-Match" = Option<String>, Header, description = "The collection's current ETag, or *"),
    ),
    responses((status = 204, description = "Dissociated"), (status = 400, description = "A malformed If-Match header", body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn unlink_collection(
    State(state): State<AppState>,
    OraclePath((id, collection_id)): OraclePath<(String, String)>,
    IfMatch(precondition): IfMatch,
) -> Result<StatusCode, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let collection_id = parse_id(&collection_id, "storage collection")?;
    state
        .berth
        .unlink_collection(id, collection_id, &precondition)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
