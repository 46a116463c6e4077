//! The tools API's JSON shapes for backends and keys (Oracle's `mobilebackendGet` and friends), built
//! from domain values. The CLI prints the same shapes.

use berth_core::Timestamp;
use berth_core::backend::{Backend, ManagementKey, RoleAccess};
use berth_core::service::{CreatedBackend, CreatedManagementKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TOOLS_BASE: &str = "/mobile/tools/1.0";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    pub rel: String,
    pub href: String,
}

fn link(rel: &str, href: impl Into<String>) -> Link {
    Link {
        rel: rel.to_owned(),
        href: href.into(),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAccessBody {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub roles: Vec<String>,
}

impl From<&RoleAccess> for RoleAccessBody {
    fn from(access: &RoleAccess) -> Self {
        Self {
            enabled: access.enabled,
            roles: access.roles.clone(),
        }
    }
}

impl From<RoleAccessBody> for RoleAccess {
    fn from(body: RoleAccessBody) -> Self {
        Self {
            enabled: body.enabled,
            roles: body.roles,
        }
    }
}

/// Present while a backend is in the trash.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrashInfo {
    pub deleted_on: Option<String>,
    pub deleted_by: Option<String>,
}

/// Fields every tools asset carries (Oracle `assetGet`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetFields {
    pub id: String,
    pub name: String,
    pub version: String,
    pub desc: Option<String>,
    pub title: Option<String>,
    pub namespace: Option<String>,
    pub action_comment: Option<String>,
    pub max: bool,
    pub published: bool,
    pub in_trash: bool,
    /// The entity tag as a string: `"1"` on creation, one more on every change.
    pub etag: String,
    pub created_on: String,
    pub created_by: String,
    pub modified_on: String,
    pub modified_by: String,
    pub deleted_on: Option<String>,
    pub deleted_by: Option<String>,
    pub trash: Option<TrashInfo>,
    pub links: Vec<Link>,
}

/// A backend as `GET /mobilebackends/{id}` returns it (Oracle `mobilebackendGet`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendBody {
    #[serde(flatten)]
    pub asset: AssetFields,
    pub client_id: String,
    pub client_secret: String,
    pub basic_auth_backend_id: String,
    pub anonymous_key: String,
    pub oauth: bool,
    pub basic_auth: bool,
    pub inactive: bool,
    pub role_access: RoleAccessBody,
    pub analytics_app_guid: Option<String>,
    pub target_backend: Option<serde_json::Value>,
    pub target_backend_error: Option<String>,
    /// Berth: the app-facing Monaca endpoint of this backend.
    pub monaca_endpoint: String,
    /// Berth: the Monaca app API key (`__api_key`). Only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monaca_api_key: Option<String>,
    /// Berth: the first Monaca Backend Management API key. Only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_key: Option<ManagementKeyBody>,
}

/// A backend in a list (Oracle `mobilebackendShortGet`): no secrets.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendSummaryBody {
    #[serde(flatten)]
    pub asset: AssetFields,
    pub client_id: String,
    pub basic_auth_backend_id: String,
    pub oauth: bool,
    pub basic_auth: bool,
    pub inactive: bool,
    pub role_access: RoleAccessBody,
}

/// A backend in the answers of the generic asset endpoints.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetBody {
    #[serde(rename = "type")]
    pub asset_type: String,
    #[serde(flatten)]
    pub asset: AssetFields,
}

pub fn backend_href(id: impl std::fmt::Display) -> String {
    format!("{TOOLS_BASE}/mobilebackends/{id}")
}

fn iso(t: Timestamp) -> String {
    t.to_iso()
}

fn asset_fields(backend: &Backend) -> AssetFields {
    let href = backend_href(backend.id);
    let assets = format!("{TOOLS_BASE}/assets");
    let links = vec![
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
        link("oauthKeys", format!("{href}/oauthKeys")),
        link(
            "basicAuthenticationKeys",
            format!("{href}/basicAuthenticationKeys"),
        ),
        link("managementKeys", format!("{href}/managementKeys")),
        link("monacaApiKey", format!("{href}/monacaApiKey")),
        link("collections", format!("{href}/collections")),
    ];
    AssetFields {
        id: backend.id.to_string(),
        name: backend.name.clone(),
        version: backend.version.clone(),
        desc: backend.description.clone(),
        title: backend.title.clone(),
        namespace: None,
        action_comment: backend.action_comment.clone(),
        max: false,
        published: backend.published,
        in_trash: backend.in_trash,
        etag: backend.revision.to_string(),
        created_on: iso(backend.created_on),
        created_by: backend.created_by.clone(),
        modified_on: iso(backend.modified_on),
        modified_by: backend.modified_by.clone(),
        deleted_on: backend.deleted_on.map(iso),
        deleted_by: backend.deleted_by.clone(),
        trash: backend.in_trash.then(|| TrashInfo {
            deleted_on: backend.deleted_on.map(iso),
            deleted_by: backend.deleted_by.clone(),
        }),
        links,
    }
}

impl BackendBody {
    pub fn new(backend: &Backend) -> Self {
        let credentials = &backend.credentials;
        Self {
            asset: asset_fields(backend),
            client_id: credentials.client_id.clone(),
            client_secret: credentials.client_secret.clone(),
            basic_auth_backend_id: credentials.basic_auth_backend_id.to_string(),
            anonymous_key: credentials.anonymous_key.clone(),
            oauth: backend.oauth_enabled,
            basic_auth: backend.basic_auth_enabled,
            inactive: backend.inactive,
            role_access: (&backend.role_access).into(),
            analytics_app_guid: backend.analytics_app_guid.clone(),
            target_backend: None,
            target_backend_error: None,
            monaca_endpoint: format!("/json-rpc/{}", backend.id),
            monaca_api_key: None,
            management_key: None,
        }
    }

    pub fn created(created: &CreatedBackend) -> Self {
        Self {
            monaca_api_key: Some(created.app_api_key.clone()),
            management_key: Some(ManagementKeyBody::created(&created.management_key)),
            ..Self::new(&created.backend)
        }
    }
}

impl BackendSummaryBody {
    pub fn new(backend: &Backend) -> Self {
        Self {
            asset: asset_fields(backend),
            client_id: backend.credentials.client_id.clone(),
            basic_auth_backend_id: backend.credentials.basic_auth_backend_id.to_string(),
            oauth: backend.oauth_enabled,
            basic_auth: backend.basic_auth_enabled,
            inactive: backend.inactive,
            role_access: (&backend.role_access).into(),
        }
    }
}

impl AssetBody {
    pub fn backend(backend: &Backend) -> Self {
        Self {
            asset_type: "MobileBackend".to_owned(),
            asset: asset_fields(backend),
        }
    }
}

/// A Monaca Backend Management API key; `key` only in the answer that created it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagementKeyBody {
    pub id: String,
    pub backend_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub prefix: String,
    pub label: Option<String>,
    pub allowed_ip_range: Option<String>,
    pub created_on: String,
    pub created_by: String,
    pub links: Vec<Link>,
}

impl ManagementKeyBody {
    pub fn new(key: &ManagementKey) -> Self {
        let href = format!("{}/managementKeys/{}", backend_href(key.backend_id), key.id);
        Self {
            id: key.id.to_string(),
            backend_id: key.backend_id.to_string(),
            key: None,
            prefix: key.prefix.clone(),
            label: key.label.clone(),
            allowed_ip_range: key.allowed_ip_range.clone(),
            created_on: iso(key.created_on),
            created_by: key.created_by.clone(),
            links: vec![link("canonical", href.clone()), link("self", href)],
        }
    }

    pub fn created(created: &CreatedManagementKey) -> Self {
        Self {
            key: Some(created.secret.clone()),
            ..Self::new(&created.key)
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthKeysBody {
    pub client_id: String,
    pub client_secret: String,
    pub links: Vec<Link>,
}

impl OAuthKeysBody {
    pub fn new(backend: &Backend) -> Self {
        let href = format!("{}/oauthKeys", backend_href(backend.id));
        Self {
            client_id: backend.credentials.client_id.clone(),
            client_secret: backend.credentials.client_secret.clone(),
            links: vec![link("canonical", href.clone()), link("self", href)],
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuthKeysBody {
    pub basic_auth_backend_id: String,
    pub anonymous_key: String,
    pub links: Vec<Link>,
}

impl BasicAuthKeysBody {
    pub fn new(backend: &Backend) -> Self {
        let href = format!("{}/basicAuthenticationKeys", backend_href(backend.id));
        Self {
            basic_auth_backend_id: backend.credentials.basic_auth_backend_id.to_string(),
            anonymous_key: backend.credentials.anonymous_key.clone(),
            links: vec![link("canonical", href.clone()), link("self", href)],
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonacaApiKeyBody {
    pub backend_id: String,
    pub monaca_endpoint: String,
    pub monaca_api_key: String,
}

/// The paging envelope of every tools list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListBody<T> {
    pub items: Vec<T>,
    pub has_more: bool,
    pub limit: u32,
    pub offset: u64,
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_results: Option<u64>,
    pub links: Vec<Link>,
}

/// Links of a list page: canonical, self, and prev/next keeping every other query parameter.
pub fn page_links(
    path: &str,
    raw_query: Option<&str>,
    limit: u32,
    offset: u64,
    has_more: bool,
) -> Vec<Link> {
    let kept: Vec<&str> = raw_query
        .unwrap_or("")
        .split('&')
        .filter(|pair| {
            !pair.is_empty() && !pair.starts_with("limit=") && !pair.starts_with("offset=")
        })
        .collect();
    let with_page = |offset: u64| {
        let mut query = kept.clone().join("&");
        if !query.is_empty() {
            query.push('&');
        }
        format!("{path}?{query}limit={limit}&offset={offset}")
    };
    let mut links = vec![link("canonical", path), link("self", with_page(offset))];
    if offset > 0 {
        links.push(link(
            "prev",
            with_page(offset.saturating_sub(u64::from(limit))),
        ));
    }
    if has_more {
        links.push(link("next", with_page(offset + u64::from(limit))));
    }
    links
}
