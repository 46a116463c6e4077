//! The Oracle storage API (`/mobile/platform/storage/collections`): the metadata of the collections
//! associated with the caller's backend, and the objects in them, under per-role permissions.
//!
//! Object bodies are streamed in with a size cap (`--max-object-size`): a declared length over the cap
//! is refused before anything is read, and a chunked body is cut off as soon as it passes the cap. The
//! bytes go to the store in pieces as they arrive and come back the same way, so no object is held
//! whole in memory.

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use berth_core::Precondition;
use berth_core::page::{PageRequest, SortDirection};
use berth_core::service::{
    ObjectConditions, ObjectListRequest, ObjectRead, ObjectSpace, ObjectUpload, ObjectWrite,
    PlatformCaller, UserSelector,
};
use berth_core::storage::{CollectionLink, OBJECT_CHUNK_BYTES, ObjectMeta, ObjectSortKey};
use berth_core::{Error, Timestamp};
use http_body_util::BodyExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::auth::Platform;
use crate::http::AppState;
use crate::http::extract::OraclePath;
use crate::http::oracle_error::{ErrorCode, OracleError, Problem};
use crate::http::tools::absolute_url;
use crate::http::tools::representation::{Link, ListBody, page_links};

pub const STORAGE_BASE: &str = "/mobile/platform/storage/collections";
/// Largest page of a storage list, and the default.
pub const STORAGE_MAX_LIMIT: u32 = 100;

const NAME_HEADER: &str = "oracle-mobile-name";
const CREATED_BY_HEADER: &str = "oracle-mobile-created-by";
const CREATED_ON_HEADER: &str = "oracle-mobile-created-on";
const MODIFIED_BY_HEADER: &str = "oracle-mobile-modified-by";
const MODIFIED_ON_HEADER: &str = "oracle-mobile-modified-on";
const CANONICAL_LINK_HEADER: &str = "oracle-mobile-canonical-link";

/// What JavaScript's `encodeURIComponent` leaves alone; SDKs encode names and ids this way.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

const OBJECT_FIELDS: [&str; 11] = [
    "id",
    "name",
    "user",
    "contentLength",
    "contentType",
    "eTag",
    "createdBy",
    "createdOn",
    "modifiedBy",
    "modifiedOn",
    "links",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(STORAGE_BASE, get(collections))
        .route(&format!("{STORAGE_BASE}/{{collection}}"), get(collection))
        .route(
            &format!("{STORAGE_BASE}/{{collection}}/objects"),
            get(list_objects).post(post_object),
        )
        .route(
            &format!("{STORAGE_BASE}/{{collection}}/objects/{{object}}"),
            get(get_object).put(put_object).delete(delete_object),
        )
}

fn encode(segment: &str) -> String {
    utf8_percent_encode(segment, COMPONENT).to_string()
}

fn link(rel: &str, href: String) -> Link {
    Link {
        rel: rel.to_owned(),
        href,
    }
}

fn invalid_query(detail: String) -> OracleError {
    OracleError::new(ErrorCode::InvalidQuery, detail)
}

/// Domain errors in the storage API's terms: an anonymous caller turned away is not signed in (401);
/// a signed-in one lacks a role (403).
fn storage_error(error: Error, caller: &PlatformCaller) -> OracleError {
    match (error, caller) {
        (Error::PermissionDenied(detail), PlatformCaller::Anonymous) => OracleError::new(
            ErrorCode::Unauthenticated,
            format!("{detail} Sign in as a user with a role that has access."),
        ),
        (Error::PreconditionFailed { current_version }, _) => OracleError::new(
            ErrorCode::PreconditionFailed,
            format!(
                "The conditional request headers do not allow this request; the current ETag is \"{current_version}\"."
            ),
        ),
        (other, _) => other.into(),
    }
}

/// The query parameters of a storage call, in order.
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn page_request(pairs: &[(String, String)]) -> Result<PageRequest, OracleError> {
    let number = |name: &str| -> Result<Option<u64>, OracleError> {
        query_value(pairs, name)
            .map(|value| {
                value.trim().parse::<u64>().map_err(|_| {
                    invalid_query(format!(
                        "{name} must be a whole number of zero or more, not \"{value}\"."
                    ))
                })
            })
            .transpose()
    };
    let limit = number("limit")?.map_or(STORAGE_MAX_LIMIT, |l| {
        u32::try_from(l.min(u64::from(STORAGE_MAX_LIMIT))).unwrap_or(STORAGE_MAX_LIMIT)
    });
    let with_total = match query_value(pairs, "totalResults").map(str::to_ascii_lowercase) {
        None => false,
        Some(value) if value == "true" => true,
        Some(value) if value == "false" => false,
        Some(value) => {
            return Err(invalid_query(format!(
                "totalResults must be true or false, not \"{value}\"."
            )));
        }
    };
    Ok(PageRequest {
        limit,
        offset: number("offset")?.unwrap_or(0),
        with_total,
    })
}

// ---- Collections ----

/// A collection as apps see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionMetadata {
    id: String,
    description: Option<String>,
    content_length: u64,
    #[serde(rename = "eTag")]
    etag: String,
    user_isolated: bool,
    links: Vec<Link>,
}

async fn collection_metadata(
    state: &AppState,
    backend_id: uuid::Uuid,
    link: &CollectionLink,
) -> Result<CollectionMetadata, OracleError> {
    let collection = &link.collection;
    let href = format!("{STORAGE_BASE}/{}", encode(&collection.name));
    Ok(CollectionMetadata {
        id: collection.name.clone(),
        description: collection.description.clone(),
        content_length: state
            .berth
            .collection_size(backend_id, collection.id)
            .await?,
        etag: format!("\"{}\"", collection.revision),
        user_isolated: collection.user_isolated,
        links: vec![link_of("canonical", &href), link_of("self", &href)],
    })
}

fn link_of(rel: &str, href: &str) -> Link {
    link(rel, href.to_owned())
}

#[utoipa::path(
    get, path = "/mobile/platform/storage/collections", tag = "storage",
    params(
        ("limit" = Option<u32>, Query, description = "Page size (default and at most 100)"),
        ("offset" = Option<u64>, Query), ("totalResults" = Option<bool>, Query),
    ),
    responses((status = 200, body = ListBody<CollectionMetadata>), (status = 401, body = Problem)),
    security(("platformBasic" = []), ("platformBearer" = []))
)]
/// `GET /mobile/platform/storage/collections`: the collections associated with the backend.
pub async fn collections(
    State(state): State<AppState>,
    platform: Platform,
    RawQuery(raw_query): RawQuery,
) -> Result<Json<ListBody<CollectionMetadata>>, OracleError> {
    let pairs = query_pairs(raw_query.as_deref());
    let page = page_request(&pairs)?;
    let links = state
        .berth
        .platform_collections(platform.backend.id)
        .await?;
    let total = links.len() as u64;
    let start = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let mut items = Vec::new();
    for link in links.iter().skip(start).take(page.limit as usize) {
        items.push(collection_metadata(&state, platform.backend.id, link).await?);
    }
    let has_more = (start as u64).saturating_add(items.len() as u64) < total;
    Ok(Json(ListBody {
        count: items.len(),
        items,
        has_more,
        limit: page.limit,
        offset: page.offset,
        total_results: page.with_total.then_some(total),
        links: page_links(
            STORAGE_BASE,
            raw_query.as_deref(),
            page.limit,
            page.offset,
            has_more,
        ),
    }))
}

#[utoipa::path(
    get, path = "/mobile/platform/storage/collections/{collection}", tag = "storage",
    description = "Also HEAD. If-None-Match answers 304.",
    params(("collection" = String, Path, description = "Collection name")),
    responses((status = 200, description = "ETag header set", body = CollectionMetadata), (status = 304), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)),
    security(("platformBasic" = []), ("platformBearer" = []))
)]
/// `GET`/`HEAD /mobile/platform/storage/collections/{collection}`: the collection's metadata.
pub async fn collection(
    State(state): State<AppState>,
    platform: Platform,
    OraclePath(name): OraclePath<String>,
    headers: HeaderMap,
) -> Result<Response, OracleError> {
    let conditions = conditions(&headers)?;
    let link = state
        .berth
        .platform_collection(platform.backend.id, &name)
        .await?;
    let revision = link.collection.revision;
    let etag = etag_value(revision);
    if conditions
        .if_match
        .as_ref()
        .is_some_and(|condition| !tag_matches(condition, revision))
    {
        return Err(storage_error(
            Error::PreconditionFailed {
                current_version: revision,
            },
            &platform.caller,
        ));
    }
    if conditions
        .if_none_match
        .as_ref()
        .is_some_and(|condition| tag_matches(condition, revision))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let metadata = collection_metadata(&state, platform.backend.id, &link).await?;
    Ok(([(header::ETAG, etag)], Json(metadata)).into_response())
}

fn tag_matches(condition: &Precondition, revision: i64) -> bool {
    match condition {
        Precondition::None => false,
        Precondition::Any => true,
        Precondition::OneOf(tags) => tags.contains(&revision),
    }
}

fn etag_value(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

// ---- Conditional headers ----

fn bad_header(name: &str) -> OracleError {
    OracleError::new(
        ErrorCode::InvalidHeader,
        format!(
            "The {name} header is not valid: give * or one or more quoted entity tags such as \"3\"."
        ),
    )
}

/// An entity-tag list (`*`, `"3"`, `W/"3"`, …). Weak tags match only where `weak_matches` (If-None-Match
/// compares weakly, If-Match strongly); tags that are not ours never match.
fn entity_tags(
    headers: &HeaderMap,
    name: HeaderName,
    weak_matches: bool,
) -> Result<Option<Precondition>, OracleError> {
    let mut present = false;
    let mut any = false;
    let mut versions = Vec::new();
    for value in headers.get_all(&name) {
        present = true;
        let text = value.to_str().map_err(|_| bad_header(name.as_str()))?;
        for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if tag == "*" {
                any = true;
                continue;
            }
            let (weak, rest) = match tag.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, tag),
            };
            let opaque = if let Some(inner) = rest.strip_prefix('"') {
                inner
                    .strip_suffix('"')
                    .ok_or_else(|| bad_header(name.as_str()))?
            } else if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
                rest
            } else {
                return Err(bad_header(name.as_str()));
            };
            if let (true, Ok(version)) = (!weak || weak_matches, opaque.parse::<i64>()) {
                versions.push(version);
            }
        }
    }
    Ok(match (present, any) {
        (false, _) => None,
        (true, true) => Some(Precondition::Any),
        (true, false) => Some(Precondition::OneOf(versions)),
    })
}

/// An HTTP date; an invalid one is ignored, as RFC 9110 asks.
fn http_date(headers: &HeaderMap, name: HeaderName) -> Option<Timestamp> {
    let text = headers.get(name)?.to_str().ok()?;
    let time = httpdate::parse_http_date(text).ok()?;
    let millis = time.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    Some(Timestamp::from_millis(i64::try_from(millis).ok()?))
}

fn conditions(headers: &HeaderMap) -> Result<ObjectConditions, OracleError> {
    Ok(ObjectConditions {
        if_match: entity_tags(headers, header::IF_MATCH, false)?,
        if_none_match: entity_tags(headers, header::IF_NONE_MATCH, true)?,
        if_modified_since: http_date(headers, header::IF_MODIFIED_SINCE),
        if_unmodified_since: http_date(headers, header::IF_UNMODIFIED_SINCE),
    })
}

// ---- Objects ----

/// Object metadata (POST/PUT answers and list items); documents the JSON built by `object_json`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMetadata {
    pub id: String,
    pub name: String,
    /// The owner's user id; only in user-isolated collections.
    pub user: Option<String>,
    pub content_length: u64,
    pub content_type: String,
    /// A quoted integer such as `"\"1\""`.
    #[serde(rename = "eTag")]
    pub etag: String,
    pub created_by: String,
    pub created_on: String,
    pub modified_by: String,
    pub modified_on: String,
    pub links: Vec<Link>,
}

fn object_href(meta: &ObjectMeta, collection: &str) -> String {
    format!(
        "{STORAGE_BASE}/{}/objects/{}",
        encode(collection),
        encode(&meta.key.id)
    )
}

fn canonical_href(meta: &ObjectMeta, collection: &str, isolated: bool) -> String {
    let href = object_href(meta, collection);
    if isolated {
        format!("{href}?user={}", encode(&meta.key.owner))
    } else {
        href
    }
}

/// Object metadata as Oracle's storage API shows it (POST/PUT answers and list items).
fn object_json(meta: &ObjectMeta, space: &ObjectSpace) -> Map<String, Value> {
    let collection = space.collection();
    let mut object = Map::new();
    object.insert("id".into(), meta.key.id.clone().into());
    object.insert("name".into(), meta.name.clone().into());
    if collection.user_isolated {
        object.insert("user".into(), meta.key.owner.clone().into());
    }
    object.insert("contentLength".into(), meta.content_length.into());
    object.insert("contentType".into(), meta.content_type.clone().into());
    object.insert("eTag".into(), format!("\"{}\"", meta.revision).into());
    object.insert("createdBy".into(), meta.created_by.clone().into());
    object.insert("createdOn".into(), meta.created_on.to_iso().into());
    object.insert("modifiedBy".into(), meta.modified_by.clone().into());
    object.insert("modifiedOn".into(), meta.modified_on.to_iso().into());
    let links = serde_json::json!([
        { "rel": "canonical", "href": canonical_href(meta, &collection.name, collection.user_isolated) },
        { "rel": "self", "href": object_href(meta, &collection.name) },
    ]);
    object.insert("links".into(), links);
    object
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

/// The metadata headers of GET and HEAD (and of 304 answers).
fn object_headers(meta: &ObjectMeta, space: &ObjectSpace) -> HeaderMap {
    let collection = space.collection();
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag_value(meta.revision));
    headers.insert(
        header::LAST_MODIFIED,
        header_value(&httpdate::fmt_http_date(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_millis(
                    u64::try_from(meta.modified_on.as_millis()).unwrap_or(0),
                ),
        )),
    );
    let pairs = [
        (NAME_HEADER, encode(&meta.name)),
        (CREATED_BY_HEADER, encode(&meta.created_by)),
        (CREATED_ON_HEADER, meta.created_on.to_iso()),
        (MODIFIED_BY_HEADER, encode(&meta.modified_by)),
        (MODIFIED_ON_HEADER, meta.modified_on.to_iso()),
        (
            CANONICAL_LINK_HEADER,
            canonical_href(meta, &collection.name, collection.user_isolated),
        ),
    ];
    for (name, value) in pairs {
        headers.insert(HeaderName::from_static(name), header_value(&value));
    }
    headers
}

async fn space(
    state: &AppState,
    platform: &Platform,
    collection: &str,
    pairs: &[(String, String)],
    write: bool,
) -> Result<ObjectSpace, OracleError> {
    let user = UserSelector::parse(query_value(pairs, "user"));
    state
        .berth
        .object_space(
            &platform.backend,
            &platform.caller,
            collection,
            &user,
            write,
        )
        .await
        .map_err(|error| storage_error(error, &platform.caller))
}

/// Receives a request body of at most `limit` bytes into `upload`, piece by piece: 411 when the
/// length is neither declared nor chunked, 413 as soon as the declared or received length passes the
/// limit.
async fn receive_body(
    state: &AppState,
    headers: &HeaderMap,
    version: Version,
    body: Body,
    upload: &mut ObjectUpload,
) -> Result<(), OracleError> {
    let limit = state.berth.object_size_limit();
    let too_large = || {
        OracleError::new(
            ErrorCode::PayloadTooLarge,
            format!("The object is larger than {limit} bytes, the largest this server stores."),
        )
    };
    let declared = match headers.get(header::CONTENT_LENGTH) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    OracleError::new(ErrorCode::InvalidHeader, "Content-Length is not a number.")
                })?,
        ),
        None => None,
    };
    // HTTP/2 and later frame the body themselves; HTTP/1 needs a length or chunks.
    let framed = version >= Version::HTTP_2 || headers.contains_key(header::TRANSFER_ENCODING);
    if declared.is_none() && !framed {
        return Err(OracleError::new(
            ErrorCode::LengthRequired,
            "Send the object with Content-Length (or Transfer-Encoding: chunked).",
        ));
    }
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            OracleError::new(
                ErrorCode::MalformedBody,
                format!("The request body could not be read: {error}."),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if upload.length() + data.len() as u64 > limit {
                return Err(too_large());
            }
            state.berth.upload_bytes(upload, &data).await?;
        }
    }
    Ok(())
}

/// The bytes `start..=end` of an object, read from the store one piece at a time as the client
/// takes them. A piece that vanished (the object was replaced meanwhile) ends the answer early, so a
/// client never gets a mix of two versions.
fn object_body(state: AppState, meta: ObjectMeta, start: u64, end: u64) -> Body {
    if meta.content_length == 0 {
        return Body::empty();
    }
    let piece_size = OBJECT_CHUNK_BYTES as u64;
    let last = u32::try_from(end / piece_size).unwrap_or(u32::MAX);
    let first = u32::try_from(start / piece_size).unwrap_or(u32::MAX);
    let pieces = futures_util::stream::try_unfold(first, move |seq| {
        let state = state.clone();
        let meta = meta.clone();
        async move {
            if seq > last {
                return Ok(None);
            }
            let piece = state
                .berth
                .object_chunk(&meta, seq)
                .await
                .map_err(|error| std::io::Error::other(error.to_string()))?;
            let offset = u64::from(seq) * piece_size;
            let from = usize::try_from(start.saturating_sub(offset))
                .unwrap_or(usize::MAX)
                .min(piece.len());
            let to = usize::try_from((end + 1).saturating_sub(offset))
                .unwrap_or(usize::MAX)
                .clamp(from, piece.len());
            Ok::<_, std::io::Error>(Some((Bytes::from(piece).slice(from..to), seq + 1)))
        }
    });
    Body::from_stream(pieces)
}

fn object_write(headers: &HeaderMap) -> Result<ObjectWrite, OracleError> {
    let text = |name: &str| -> Result<Option<String>, OracleError> {
        headers
            .get(name)
            .map(|value| {
                value.to_str().map(str::to_owned).map_err(|_| {
                    OracleError::new(
                        ErrorCode::InvalidHeader,
                        format!(
                            "The {name} header must be ASCII (percent-encode other characters)."
                        ),
                    )
                })
            })
            .transpose()
    };
    // SDKs URI-encode the name; a name that does not decode is taken as sent.
    let name = text(NAME_HEADER)?.map(|raw| {
        percent_decode_str(&raw)
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .unwrap_or(raw)
    });
    Ok(ObjectWrite {
        name,
        content_type: text(header::CONTENT_TYPE.as_str())?,
    })
}

#[allow(clippy::too_many_arguments)]
async fn write(
    state: AppState,
    platform: Platform,
    collection: String,
    object: Option<String>,
    raw_query: Option<String>,
    headers: HeaderMap,
    version: Version,
    body: Body,
) -> Result<Response, OracleError> {
    let pairs = query_pairs(raw_query.as_deref());
    let conditions = conditions(&headers)?;
    let space = space(&state, &platform, &collection, &pairs, true).await?;
    let write = object_write(&headers)?;
    let mut upload = state.berth.start_upload(&space);
    if let Err(error) = receive_body(&state, &headers, version, body, &mut upload).await {
        state.berth.abandon_upload(upload).await;
        return Err(error);
    }
    let (meta, created) = state
        .berth
        .write_object(&space, object.as_deref(), write, upload, &conditions)
        .await
        .map_err(|error| storage_error(error, &platform.caller))?;
    let collection = space.collection();
    let location = absolute_url(
        &headers,
        &canonical_href(&meta, &collection.name, collection.user_isolated),
    );
    let mut response = Json(object_json(&meta, &space)).into_response();
    *response.status_mut() = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    response
        .headers_mut()
        .insert(header::ETAG, etag_value(meta.revision));
    if created {
        response
            .headers_mut()
            .insert(header::LOCATION, header_value(&location));
    }
    Ok(response)
}

#[utoipa::path(
    post, path = "/mobile/platform/storage/collections/{collection}/objects", tag = "storage",
    description = "Stores the body under a new id. Headers: Content-Type, Content-Length (or chunked), Oracle-Mobile-Name.",
    params(("collection" = String, Path), ("user" = Option<String>, Query, description = "Another user's id (READ_WRITE_ALL)")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Created; Location and ETag set", body = ObjectMetadata),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 411, body = Problem), (status = 413, body = Problem),
    ),
    security(("platformBasic" = []), ("platformBearer" = []))
)]
/// `POST .../{collection}/objects`: stores an object under a new id (201, `Location`).
pub async fn post_object(
    State(state): State<AppState>,
    platform: Platform,
    OraclePath(collection): OraclePath<String>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    version: Version,
    body: Body,
) -> Result<Response, OracleError> {
    write(
        state, platform, collection, None, raw_query, headers, version, body,
    )
    .await
}

#[utoipa::path(
    put, path = "/mobile/platform/storage/collections/{collection}/objects/{object}", tag = "storage",
    description = "Creates (201) or replaces (200). Conditional on If-Match, If-None-Match, If-Unmodified-Since.",
    params(("collection" = String, Path), ("object" = String, Path), ("user" = Option<String>, Query)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Replaced", body = ObjectMetadata), (status = 201, description = "Created", body = ObjectMetadata),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 411, body = Problem), (status = 412, body = Problem), (status = 413, body = Problem),
    ),
    security(("platformBasic" = []), ("platformBearer" = []))
)]
/// `PUT .../{collection}/objects/{object}`: creates (201) or replaces (200) the object with this id.
pub async fn put_object(
    State(state): State<AppState>,
    platform: Platform,
    OraclePath((collection, object)): OraclePath<(String, String)>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    version: Version,
    body: Body,
) -> Result<Response, OracleError> {
    write(
        state,
        platform,
        collection,
        Some(object),
        raw_query,
        headers,
        version,
        body,
    )
    .await
}

#[utoipa::path(
    get, path = "/mobile/platform/storage/collections/{collection}/objects/{object}", tag = "storage",
    description = "The bytes with Oracle-Mobile-* metadata headers; HEAD gives the headers only. Conditional on If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since. One byte Range gives 206.",
    params(("collection" = String, Path), ("object" = String, Path), ("user" = Option<String>, Query)),
    responses(
        (status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 206, description = "The requested byte range"), (status = 304),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem),
    ),
    security(("platformBasic" = []), ("platformBearer" = []))
)]
/// `GET`/`HEAD .../{collection}/objects/{object}`: the bytes (GET) and the metadata headers.
pub async fn get_object(
    State(state): State<AppState>,
    platform: Platform,
    method: Method,
    OraclePath((collection, object)): OraclePath<(String, String)>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, OracleError> {
    let pairs = query_pairs(raw_query.as_deref());
    let conditions = conditions(&headers)?;
    let space = space(&state, &platform, &collection, &pairs, false).await?;
    let read = state
        .berth
        .read_object(&space, &object, &conditions)
        .await
        .map_err(|error| storage_error(error, &platform.caller))?;
    match read {
        ObjectRead::NotModified(meta) => {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            *response.headers_mut() = object_headers(&meta, &space);
            Ok(response)
        }
        ObjectRead::Found(meta) => {
            let mut response_headers = object_headers(&meta, &space);
            response_headers.insert(header::CONTENT_TYPE, header_value(&meta.content_type));
            response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            let whole = (0, meta.content_length.saturating_sub(1));
            let (status, (start, end)) = match byte_range(&headers, &meta) {
                Some((start, end)) => {
                    response_headers.insert(
                        header::CONTENT_RANGE,
                        header_value(&format!("bytes {start}-{end}/{}", meta.content_length)),
                    );
                    (StatusCode::PARTIAL_CONTENT, (start as u64, end as u64))
                }
                None => (StatusCode::OK, whole),
            };
            let length = if meta.content_length == 0 {
                0
            } else {
                end - start + 1
            };
            response_headers.insert(header::CONTENT_LENGTH, header_value(&length.to_string()));
            let body = if method == Method::HEAD {
                Body::empty()
            } else {
                object_body(state.clone(), meta, start, end)
            };
            let mut response = (status, body).into_response();
            response.headers_mut().extend(response_headers);
            Ok(response)
        }
    }
}

/// The one byte range `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` asks for, as inclusive offsets.
/// Anything else (several ranges, other units, a range outside the object, an `If-Range` that no
/// longer matches) is ignored and the whole object is sent, as RFC 9110 §14.2 allows.
fn byte_range(headers: &HeaderMap, meta: &ObjectMeta) -> Option<(usize, usize)> {
    let length = usize::try_from(meta.content_length).ok()?;
    let spec = headers
        .get(header::RANGE)?
        .to_str()
        .ok()?
        .trim()
        .strip_prefix("bytes=")?;
    if let Some(condition) = headers.get(header::IF_RANGE)
        && condition.to_str().ok()?.trim() != format!("\"{}\"", meta.revision)
    {
        return None;
    }
    if length == 0 || spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let (start, end) = if first.is_empty() {
        let suffix: usize = last.parse().ok()?;
        (length.saturating_sub(suffix), length - 1)
    } else {
        let start: usize = first.parse().ok()?;
        let end = if last.is_empty() {
            length - 1
        } else {
            last.parse::<usize>().ok()?.min(length - 1)
        };
        (start, end)
    };
    (start <= end && start < length).then_some((start, end))
}

#[utoipa::path(
    delete, path = "/mobile/platform/storage/collections/{collection}/objects/{object}", tag = "storage",
    params(("collection" = String, Path), ("object" = String, Path), ("user" = Option<String>, Query)),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("platformBasic" = []), ("platformBearer" = []))
)]
/// `DELETE .../{collection}/objects/{object}` (204).
pub async fn delete_object(
    State(state): State<AppState>,
    platform: Platform,
    OraclePath((collection, object)): OraclePath<(String, String)>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> Result<StatusCode, OracleError> {
    let pairs = query_pairs(raw_query.as_deref());
    let conditions = conditions(&headers)?;
    let space = space(&state, &platform, &collection, &pairs, true).await?;
    state
        .berth
        .delete_object(&space, &object, &conditions)
        .await
        .map_err(|error| storage_error(error, &platform.caller))?;
    Ok(StatusCode::NO_CONTENT)
}

fn order_by(value: &str) -> Result<Vec<(ObjectSortKey, SortDirection)>, OracleError> {
    let mut order = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (attribute, direction) = part.split_once(':').unwrap_or((part, "asc"));
        let key = match attribute {
            "id" => ObjectSortKey::Id,
            "name" => ObjectSortKey::Name,
            "contentType" => ObjectSortKey::ContentType,
            "contentLength" => ObjectSortKey::ContentLength,
            "createdBy" => ObjectSortKey::CreatedBy,
            "createdOn" => ObjectSortKey::CreatedOn,
            "modifiedBy" => ObjectSortKey::ModifiedBy,
            "modifiedOn" => ObjectSortKey::ModifiedOn,
            other => {
                return Err(invalid_query(format!(
                    "orderBy attribute {other} is not one of id, name, contentType, contentLength, createdBy, createdOn, modifiedBy, modifiedOn."
                )));
            }
        };
        let direction = match direction.to_ascii_lowercase().as_str() {
            "asc" => SortDirection::Ascending,
            "desc" => SortDirection::Descending,
            other => {
                return Err(invalid_query(format!(
                    "orderBy direction {other} is not asc or desc."
                )));
            }
        };
        order.push((key, direction));
    }
    Ok(order)
}

fn fields(value: Option<&str>) -> Result<Option<Vec<String>>, OracleError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let mut wanted = Vec::new();
    for field in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if !OBJECT_FIELDS.contains(&field) {
            return Err(invalid_query(format!(
                "fields names {field}, which is not one of {}.",
                OBJECT_FIELDS.join(", ")
            )));
        }
        wanted.push(field.to_owned());
    }
    Ok(Some(wanted).filter(|w| !w.is_empty()))
}

#[utoipa::path(
    get, path = "/mobile/platform/storage/collections/{collection}/objects", tag = "storage",
    params(
        ("collection" = String, Path),
        ("user" = Option<String>, Query, description = "A user id, or * for every user (READ_ALL / READ_WRITE_ALL)"),
        ("q" = Option<String>, Query, description = "Case-insensitive part of id, name, createdBy or modifiedBy"),
        ("orderBy" = Option<String>, Query, description = "id|name|contentType|contentLength|createdBy|createdOn|modifiedBy|modifiedOn with :asc or :desc"),
        ("fields" = Option<String>, Query, description = "Comma list of members to keep"),
        ("limit" = Option<u32>, Query, description = "Page size (default and at most 100)"),
        ("offset" = Option<u64>, Query), ("totalResults" = Option<bool>, Query),
    ),
    responses((status = 200, body = ListBody<ObjectMetadata>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("platformBasic" = []), ("platformBearer" = []))
)]
/// `GET .../{collection}/objects`: object metadata, paged; `user`, `q`, `orderBy`, `fields`.
pub async fn list_objects(
    State(state): State<AppState>,
    platform: Platform,
    OraclePath(collection): OraclePath<String>,
    RawQuery(raw_query): RawQuery,
) -> Result<Json<ListBody<Map<String, Value>>>, OracleError> {
    let pairs = query_pairs(raw_query.as_deref());
    let page = page_request(&pairs)?;
    let order = order_by(query_value(&pairs, "orderBy").unwrap_or(""))?;
    let wanted = fields(query_value(&pairs, "fields"))?;
    let space = space(&state, &platform, &collection, &pairs, false).await?;
    let request = ObjectListRequest {
        text: query_value(&pairs, "q").map(str::to_owned),
        order_by: order,
        page,
    };
    let listed = state
        .berth
        .list_objects(&space, request)
        .await
        .map_err(|error| storage_error(error, &platform.caller))?;
    let items: Vec<Map<String, Value>> = listed
        .items
        .iter()
        .map(|meta| {
            let mut object = object_json(meta, &space);
            if let Some(wanted) = &wanted {
                object.retain(|key, _| wanted.contains(key));
            }
            object
        })
        .collect();
    let path = format!(
        "{STORAGE_BASE}/{}/objects",
        encode(&space.collection().name)
    );
    Ok(Json(ListBody {
        count: items.len(),
        items,
        has_more: listed.has_more,
        limit: page.limit,
        offset: page.offset,
        total_results: listed.total,
        links: page_links(
            &path,
            raw_query.as_deref(),
            page.limit,
            page.offset,
            listed.has_more,
        ),
    }))
}
