//! The generic asset lifecycle (`/assets/...`): move to trash, restore, purge, and the dependency
//! previews that precede them. Backends are the only assets so far; they have no dependencies.

use axum::Json;
use axum::extract::{RawQuery, State};
use berth_core::Precondition;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::collections::collection_asset;
use super::representation::AssetBody;
use super::{ADMIN_ACTOR, parse_id};
use crate::http::AppState;
use crate::http::extract::{IfMatch, OracleJson};
use crate::http::oracle_error::{ErrorCode, OracleError, Problem};

/// Names the assets to act on, either as `dependencies[].asset` (what the dependency endpoints
/// return) or as a plain `ids` list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetActionBody {
    pub action_comment: Option<String>,
    /// short, graph or forced.
    pub format: Option<String>,
    #[serde(default)]
    pub dependencies: Vec<DependencyEntryIn>,
    #[serde(default)]
    pub ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DependencyEntryIn {
    pub asset: AssetRef,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssetRef {
    pub id: String,
    /// The asset's current ETag, as a string ("3") or a number (3).
    #[schema(value_type = Option<String>)]
    pub etag: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DependencyEntryOut {
    pub asset: AssetBody,
    pub dependencies: Vec<AssetBody>,
    pub reverse_dependencies: Vec<AssetBody>,
}

#[derive(Clone, Copy)]
enum Action {
    Trash,
    Untrash,
    Purge,
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/assets/trashing", tag = "assets",
    description = "Moves assets to the trash. Each asset's etag must match unless If-Match is *.",
    params(("If-Match" = Option<String>, Header)),
    request_body = AssetActionBody,
    responses((status = 200, body = Vec<AssetBody>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn trash(
    State(state): State<AppState>,
    if_match: IfMatch,
    OracleJson(body): OracleJson<AssetActionBody>,
) -> Result<Json<Vec<AssetBody>>, OracleError> {
    act(&state, if_match, body, Action::Trash).await
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/assets/untrashing", tag = "assets",
    description = "Restores assets from the trash.",
    params(("If-Match" = Option<String>, Header)),
    request_body = AssetActionBody,
    responses((status = 200, body = Vec<AssetBody>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn untrash(
    State(state): State<AppState>,
    if_match: IfMatch,
    OracleJson(body): OracleJson<AssetActionBody>,
) -> Result<Json<Vec<AssetBody>>, OracleError> {
    act(&state, if_match, body, Action::Untrash).await
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/assets/purging", tag = "assets",
    description = "Deletes trashed assets and all their data for good; answers with the assets as they were.",
    params(("If-Match" = Option<String>, Header)),
    request_body = AssetActionBody,
    responses((status = 200, body = Vec<AssetBody>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn purge(
    State(state): State<AppState>,
    if_match: IfMatch,
    OracleJson(body): OracleJson<AssetActionBody>,
) -> Result<Json<Vec<AssetBody>>, OracleError> {
    act(&state, if_match, body, Action::Purge).await
}

async fn act(
    state: &AppState,
    IfMatch(header): IfMatch,
    body: AssetActionBody,
    action: Action,
) -> Result<Json<Vec<AssetBody>>, OracleError> {
    let targets: Vec<(String, Option<serde_json::Value>)> = body
        .dependencies
        .into_iter()
        .map(|entry| (entry.asset.id, entry.asset.etag))
        .chain(body.ids.into_iter().map(|id| (id, None)))
        .collect();
    if targets.is_empty() {
        return Err(berth_core::Error::invalid("dependencies", "Name at least one asset.").into());
    }
    // Check every asset before changing any, so a bad entry leaves the whole batch untouched.
    let mut plan = Vec::with_capacity(targets.len());
    for (raw_id, etag) in &targets {
        let id = parse_id(raw_id, "asset")?;
        let precondition = asset_precondition(&header, targets.len(), etag.as_ref(), raw_id)?;
        let (kind, revision) = match find_asset(state, id).await? {
            Asset::Backend(backend) => (AssetKind::Backend, backend.revision),
            Asset::Collection(collection) => (AssetKind::Collection, collection.revision),
        };
        if !precondition.allows(revision) {
            return Err(berth_core::Error::PreconditionFailed {
                current_version: revision,
            }
            .into());
        }
        plan.push((id, kind, precondition));
    }
    let mut done = Vec::with_capacity(plan.len());
    for (id, kind, precondition) in plan {
        let comment = body.action_comment.clone();
        let berth = &state.berth;
        let asset = match (kind, action) {
            (AssetKind::Backend, Action::Trash) => AssetBody::backend(
                &berth
                    .trash_backend(ADMIN_ACTOR, id, &precondition, comment)
                    .await?,
            ),
            (AssetKind::Backend, Action::Untrash) => AssetBody::backend(
                &berth
                    .untrash_backend(ADMIN_ACTOR, id, &precondition, comment)
                    .await?,
            ),
            (AssetKind::Backend, Action::Purge) => {
                AssetBody::backend(&berth.purge_backend(id, &precondition).await?)
            }
            (AssetKind::Collection, Action::Trash) => collection_asset(
                &berth
                    .trash_storage_collection(ADMIN_ACTOR, id, &precondition, comment)
                    .await?,
            ),
            (AssetKind::Collection, Action::Untrash) => collection_asset(
                &berth
                    .untrash_storage_collection(ADMIN_ACTOR, id, &precondition, comment)
                    .await?,
            ),
            (AssetKind::Collection, Action::Purge) => {
                collection_asset(&berth.purge_storage_collection(id, &precondition).await?)
            }
        };
        done.push(asset);
    }
    Ok(Json(done))
}

#[derive(Clone, Copy)]
enum AssetKind {
    Backend,
    Collection,
}

enum Asset {
    Backend(Box<berth_core::backend::Backend>),
    Collection(Box<berth_core::storage::StorageCollection>),
}

/// Asset ids are UUIDs across kinds: a backend, else a storage collection.
async fn find_asset(state: &AppState, id: uuid::Uuid) -> Result<Asset, OracleError> {
    match state.berth.backend(id).await {
        Ok(backend) => Ok(Asset::Backend(Box::new(backend))),
        Err(berth_core::Error::NotFound { .. }) => match state.berth.storage_collection(id).await {
            Ok(collection) => Ok(Asset::Collection(Box::new(collection))),
            Err(berth_core::Error::NotFound { .. }) => Err(OracleError::new(
                ErrorCode::NotFound,
                format!("No asset with id {id} exists."),
            )),
            Err(other) => Err(other.into()),
        },
        Err(other) => Err(other.into()),
    }
}

/// `If-Match: *` forces; an If-Match tag applies to a single asset; otherwise each asset names its etag.
fn asset_precondition(
    header: &Precondition,
    asset_count: usize,
    etag: Option<&serde_json::Value>,
    raw_id: &str,
) -> Result<Precondition, OracleError> {
    if *header == Precondition::Any {
        return Ok(Precondition::Any);
    }
    let from_body = match etag {
        Some(serde_json::Value::String(text)) => Some(text.trim_matches('"').parse::<i64>().ok()),
        Some(serde_json::Value::Number(number)) => Some(number.as_i64()),
        _ => None,
    };
    match (from_body, header) {
        (Some(version), _) => Ok(Precondition::OneOf(version.into_iter().collect())),
        (None, Precondition::OneOf(_)) if asset_count == 1 => Ok(header.clone()),
        _ => Err(berth_core::Error::invalid(
            "dependencies.asset.etag",
            format!("Give the current etag of asset {raw_id}, or send If-Match: * to act regardless of changes."),
        )
        .into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssetIdsBody {
    pub ids: Vec<String>,
}

#[utoipa::path(
    post, path = "/mobile/tools/1.0/assets/trashDependencies", tag = "assets",
    description = "Lists what trashing the assets would affect. The same shape answers untrashDependencies and purgeDependencies.",
    params(("format" = Option<String>, Query, description = "short (default), graph or forced")),
    request_body = AssetIdsBody,
    responses((status = 200, body = Vec<DependencyEntryOut>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("adminToken" = []))
)]
pub async fn dependencies(
    State(state): State<AppState>,
    RawQuery(raw_query): RawQuery,
    OracleJson(body): OracleJson<AssetIdsBody>,
) -> Result<Json<Vec<DependencyEntryOut>>, OracleError> {
    for (name, value) in form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes()) {
        if name == "format" && !matches!(value.as_ref(), "short" | "graph" | "forced") {
            return Err(OracleError::new(
                ErrorCode::InvalidQuery,
                format!("format {value} is not one of short, graph, forced."),
            ));
        }
    }
    if body.ids.is_empty() {
        return Err(berth_core::Error::invalid("ids", "Name at least one asset id.").into());
    }
    let mut entries = Vec::with_capacity(body.ids.len());
    for raw_id in &body.ids {
        let asset = match find_asset(&state, parse_id(raw_id, "asset")?).await? {
            Asset::Backend(backend) => AssetBody::backend(&backend),
            Asset::Collection(collection) => collection_asset(&collection),
        };
        entries.push(DependencyEntryOut {
            asset,
            dependencies: Vec::new(),
            reverse_dependencies: Vec::new(),
        });
    }
    Ok(Json(entries))
}
