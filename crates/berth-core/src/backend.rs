//! Mobile backends: the tenants of Berth. Everything an app stores lives under exactly one backend,
//! and every credential an app or operator presents resolves to exactly one backend.

use uuid::Uuid;

use crate::page::{PageRequest, SortDirection};
use crate::timestamp::Timestamp;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleAccess {
    pub enabled: bool,
    pub roles: Vec<String>,
}

/// A stored backend. `revision` is the Oracle tools ETag: 1 on creation, +1 on every change.
#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    pub id: Uuid,
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub title: Option<String>,
    pub action_comment: Option<String>,
    pub oauth_enabled: bool,
    pub basic_auth_enabled: bool,
    pub inactive: bool,
    pub role_access: RoleAccess,
    pub analytics_app_guid: Option<String>,
    pub published: bool,
    pub in_trash: bool,
    pub revision: i64,
    pub created_on: Timestamp,
    pub created_by: String,
    pub modified_on: Timestamp,
    pub modified_by: String,
    pub deleted_on: Option<Timestamp>,
    pub deleted_by: Option<String>,
    pub credentials: BackendCredentials,
}

/// The backend's own credentials. The OAuth client secret and the anonymous key are kept readable
/// because Oracle's tools API returns them on every GET of a backend (see docs/compat.md); the Monaca
/// app API key is only ever checked, so only its digest is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub basic_auth_backend_id: Uuid,
    pub anonymous_key: String,
    pub app_api_key_hash: String,
}

/// What a caller asks for when creating a backend; absent fields take their defaults.
#[derive(Debug, Clone, Default)]
pub struct BackendDraft {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    pub title: Option<String>,
    pub action_comment: Option<String>,
    pub oauth_enabled: Option<bool>,
    pub basic_auth_enabled: Option<bool>,
    pub role_access: Option<RoleAccess>,
    pub analytics_app_guid: Option<String>,
}

/// A change to a backend. `None` keeps a field; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct BackendChanges {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub action_comment: Option<Option<String>>,
    pub oauth_enabled: Option<bool>,
    pub basic_auth_enabled: Option<bool>,
    pub inactive: Option<bool>,
    pub role_access: Option<RoleAccess>,
}

pub const DEFAULT_VERSION: &str = "1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendSortKey {
    Name,
    Version,
    CreatedOn,
    ModifiedOn,
}

/// Which of a pair of opposite filters (e.g. TRASH / NOT_TRASH) applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlagFilter {
    #[default]
    Either,
    Only,
    Without,
}

impl FlagFilter {
    pub fn admits(self, flag: bool) -> bool {
        match self {
            FlagFilter::Either => true,
            FlagFilter::Only => flag,
            FlagFilter::Without => !flag,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BackendQuery {
    /// Only these ids, when not empty.
    pub ids: Vec<Uuid>,
    pub exclude: Vec<Uuid>,
    pub trash: FlagFilter,
    pub published: FlagFilter,
    pub inactive: FlagFilter,
    /// Modified (or, for trashed backends, deleted) at or after this time.
    pub changed_since: Option<Timestamp>,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    /// Sort keys in order; the id always breaks remaining ties.
    pub order_by: Vec<(BackendSortKey, SortDirection)>,
    pub page: PageRequest,
}

impl Default for BackendQuery {
    fn default() -> Self {
        Self {
            ids: Vec::new(),
            exclude: Vec::new(),
            trash: FlagFilter::Without,
            published: FlagFilter::Either,
            inactive: FlagFilter::Either,
            changed_since: None,
            name_contains: None,
            order_by: vec![
                (BackendSortKey::Name, SortDirection::Ascending),
                (BackendSortKey::Version, SortDirection::Ascending),
            ],
            page: PageRequest {
                limit: 100,
                offset: 0,
                with_total: false,
            },
        }
    }
}

/// A Monaca Backend Management API key. Only its digest is stored; `prefix` lets an operator tell
/// keys apart.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagementKey {
    pub id: Uuid,
    pub backend_id: Uuid,
    pub label: Option<String>,
    pub key_hash: String,
    pub prefix: String,
    /// CIDR the key may be used from; none means any address (as in the Monaca IDE).
    pub allowed_ip_range: Option<String>,
    pub created_on: Timestamp,
    pub created_by: String,
}

impl ManagementKey {
    /// Whether a request from `address` may use this key.
    pub fn allows(&self, address: std::net::IpAddr) -> bool {
        match &self.allowed_ip_range {
            None => true,
            Some(range) => range
                .parse::<ipnet::IpNet>()
                .is_ok_and(|net| net.contains(&address.to_canonical())),
        }
    }
}

/// The anonymous key as Oracle SDKs expect it: base64 of `<NAME>_MobileAnonymous_APPID:<secret>`,
/// sent as `Authorization: Basic <key>` without further encoding.
pub fn anonymous_key(backend_name: &str, secret: &str) -> String {
    use base64::Engine as _;
    let principal = format!(
        "{}_MobileAnonymous_APPID:{secret}",
        backend_name.to_uppercase()
    );
    base64::engine::general_purpose::STANDARD.encode(principal)
}
