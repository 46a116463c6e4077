//! The storage boundary: traits at the level of use cases, one per aggregate, combined in [`Store`].
//! Every method is atomic inside the implementation; no transaction object crosses the boundary, so
//! stores stay interchangeable behind `Arc<dyn Store>` and one conformance suite judges them all.

use async_trait::async_trait;
use uuid::Uuid;

use crate::appauth::{
    AppSettings, Device, MailTemplate, OutgoingMail, Session, TokenKind, UserToken,
};
use crate::appdata::{Collection, Item, Permission, User};
use crate::backend::{Backend, BackendQuery, ManagementKey};
use crate::error::StoreError;
use crate::monaql::{Criteria, Property};
use crate::page::{Page, PageRequest, SortDirection};
use crate::timestamp::Timestamp;

pub mod transfer;

mod count_cache;
pub use count_cache::CountCache;

pub type StoreResult<T> = Result<T, StoreError>;

mod oracle_storage;
pub use oracle_storage::{StorageCollectionRepo, StorageObjectRepo};

#[async_trait]
pub trait BackendRepo: Send + Sync {
    /// Fails with `AlreadyExists` when a backend with the same name (case-insensitively) and version
    /// exists, trashed or not.
    async fn insert_backend(&self, backend: &Backend) -> StoreResult<()>;

    async fn backend(&self, id: Uuid) -> StoreResult<Option<Backend>>;

    async fn list_backends(&self, query: &BackendQuery) -> StoreResult<Page<Backend>>;

    /// Stores `backend` over the row with its id if that row's revision is still `expected_revision`:
    /// `NotFound` when gone, `VersionConflict` when changed meanwhile, `AlreadyExists` on a name clash.
    async fn replace_backend(&self, backend: &Backend, expected_revision: i64) -> StoreResult<()>;

    /// Deletes the backend and everything that belongs to it, if its revision is `expected_revision`.
    async fn delete_backend(&self, id: Uuid, expected_revision: i64) -> StoreResult<()>;

    /// The backend whose OAuth client id this is (Oracle token endpoint).
    async fn backend_by_client_id(&self, client_id: &str) -> StoreResult<Option<Backend>>;

    /// The backend whose Basic-auth backend id this is (`Oracle-Mobile-Backend-ID`).
    async fn backend_by_basic_auth_id(
        &self,
        basic_auth_backend_id: Uuid,
    ) -> StoreResult<Option<Backend>>;
}

#[async_trait]
pub trait ManagementKeyRepo: Send + Sync {
    async fn insert_management_key(&self, key: &ManagementKey) -> StoreResult<()>;

    async fn management_keys(&self, backend_id: Uuid) -> StoreResult<Vec<ManagementKey>>;

    /// `NotFound` unless the key exists *and* belongs to `backend_id`.
    async fn delete_management_key(&self, backend_id: Uuid, key_id: Uuid) -> StoreResult<()>;

    /// The key of `backend_id` with this hash; the backend id comes first so the lookup stays on
    /// one shard when the table is distributed by backend (docs/scaling.md).
    async fn management_key_by_hash(
        &self,
        backend_id: Uuid,
        key_hash: &str,
    ) -> StoreResult<Option<ManagementKey>>;
}

/// Installation-wide values, such as the digest of the operator token.
#[async_trait]
pub trait SettingRepo: Send + Sync {
    async fn setting(&self, name: &str) -> StoreResult<Option<String>>;

    async fn put_setting(&self, name: &str, value: &str) -> StoreResult<()>;

    /// Stores `value` only if the setting has none yet, and says whether it did. Atomic: of several
    /// nodes racing to set the same setting, exactly one succeeds.
    async fn put_setting_if_absent(&self, name: &str, value: &str) -> StoreResult<bool>;
}

/// Which users a list shows, in which order.
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub criteria: Criteria,
    /// Case-insensitive part of the username or the user id.
    pub name_filter: Option<String>,
    /// Sort keys in order; the id always breaks remaining ties.
    pub sort: Vec<(Property, SortDirection)>,
    pub page: PageRequest,
}

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// `AlreadyExists` when the username is taken in the backend; `NotFound` when the backend is gone.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;

    async fn user(&self, backend_id: Uuid, id: &str) -> StoreResult<Option<User>>;

    async fn user_by_username(&self, backend_id: Uuid, username: &str)
    -> StoreResult<Option<User>>;

    /// Stores the user's username, password hash, properties and update time. `NotFound` when gone,
    /// `AlreadyExists` when the new username is taken.
    async fn update_user(&self, user: &User) -> StoreResult<()>;

    /// Deletes all of `ids` or, when one of them does not exist, none (`NotFound`).
    async fn delete_users(&self, backend_id: Uuid, ids: &[String]) -> StoreResult<()>;

    async fn list_users(&self, backend_id: Uuid, query: &UserQuery) -> StoreResult<Page<User>>;
}

/// Who is asking, for per-item permissions: the logged-in user, if any, and the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_oid: Option<String>,
    pub device_id: String,
}

/// The right an item must grant the principal to be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    Read,
    Write,
}

/// Which items a list shows, in which order.
#[derive(Debug, Clone)]
pub struct ItemQuery {
    pub criteria: Criteria,
    pub sort: Vec<(Property, SortDirection)>,
    pub page: PageRequest,
    /// Only items granting this principal this right (owner, `public`, or its user oid); `None` for
    /// the administrator, who sees everything.
    pub access: Option<(Principal, Right)>,
}

#[async_trait]
pub trait CollectionRepo: Send + Sync {
    /// Creates the collection and its storage. `AlreadyExists` when the name is taken in the backend;
    /// `NotFound` when the backend is gone.
    async fn create_collection(&self, collection: &Collection) -> StoreResult<()>;

    async fn collection(&self, backend_id: Uuid, name: &str) -> StoreResult<Option<Collection>>;

    /// The backend's collections by name.
    async fn collections(&self, backend_id: Uuid) -> StoreResult<Vec<Collection>>;

    /// Stores the configuration (insertable, default permission, indexed properties), creating and
    /// dropping indexes to match. `NotFound` when gone.
    async fn update_collection(&self, collection: &Collection) -> StoreResult<()>;

    /// Drops the collection with all its items. `NotFound` when gone.
    async fn drop_collection(&self, backend_id: Uuid, name: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait ItemRepo: Send + Sync {
    /// `NotFound` when the collection is gone.
    async fn insert_item(&self, collection: &Collection, item: &Item) -> StoreResult<()>;

    async fn item(&self, collection: &Collection, id: &str) -> StoreResult<Option<Item>>;

    /// Stores the item's data, permission and update time. `NotFound` when gone.
    async fn update_item(&self, collection: &Collection, item: &Item) -> StoreResult<()>;

    /// Replaces the permissions of the given items, all or (when one is gone: `NotFound`) none.
    async fn set_item_permissions(
        &self,
        collection: &Collection,
        updates: &[(String, Permission)],
    ) -> StoreResult<()>;

    /// Deletes all of `ids` or, when one of them does not exist, none (`NotFound`).
    async fn delete_items(&self, collection: &Collection, ids: &[String]) -> StoreResult<()>;

    async fn list_items(
        &self,
        collection: &Collection,
        query: &ItemQuery,
    ) -> StoreResult<Page<Item>>;
}

#[async_trait]
pub trait AppSettingsRepo: Send + Sync {
    async fn app_settings(&self, backend_id: Uuid) -> StoreResult<Option<AppSettings>>;

    /// `NotFound` when the backend is gone.
    async fn put_app_settings(&self, backend_id: Uuid, settings: &AppSettings) -> StoreResult<()>;
}

#[async_trait]
pub trait SessionRepo: Send + Sync {
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;

    /// The session with this digest, if it has not expired at `now`.
    async fn session(
        &self,
        backend_id: Uuid,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Session>>;

    async fn extend_session(
        &self,
        backend_id: Uuid,
        id_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()>;

    async fn delete_session(&self, backend_id: Uuid, id_hash: &str) -> StoreResult<()>;

    /// Ends every session and token of a user (unregistering, password change).
    async fn delete_user_sessions(&self, backend_id: Uuid, user_id: &str) -> StoreResult<()>;

    async fn insert_token(&self, token: &UserToken) -> StoreResult<()>;

    /// Removes and returns the token if it exists and has not expired at `now`: a token works once.
    async fn take_token(
        &self,
        backend_id: Uuid,
        kind: TokenKind,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<UserToken>>;

    /// Removes a user's tokens of one kind, optionally only those issued to one device.
    async fn delete_tokens(
        &self,
        backend_id: Uuid,
        kind: TokenKind,
        user_id: &str,
        device_id: Option<&str>,
    ) -> StoreResult<()>;

    /// Counts a failed login under `key` (e.g. a username or an address) and returns how many
    /// failures the key has had since `since`.
    async fn record_login_failure(
        &self,
        backend_id: Uuid,
        key: &str,
        now: Timestamp,
        since: Timestamp,
    ) -> StoreResult<u64>;

    async fn login_failures(
        &self,
        backend_id: Uuid,
        key: &str,
        since: Timestamp,
    ) -> StoreResult<u64>;

    async fn clear_login_failures(&self, backend_id: Uuid, key: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait DeviceRepo: Send + Sync {
    async fn device(&self, backend_id: Uuid, id: &str) -> StoreResult<Option<Device>>;

    /// Creates or replaces the device row. `NotFound` when the backend is gone.
    async fn put_device(&self, device: &Device) -> StoreResult<()>;
}

#[async_trait]
pub trait MailRepo: Send + Sync {
    async fn mail_template(
        &self,
        backend_id: Uuid,
        name: &str,
    ) -> StoreResult<Option<MailTemplate>>;

    async fn mail_templates(&self, backend_id: Uuid) -> StoreResult<Vec<MailTemplate>>;

    async fn put_mail_template(&self, backend_id: Uuid, template: &MailTemplate)
    -> StoreResult<()>;

    /// `NotFound` when there is no such template.
    async fn delete_mail_template(&self, backend_id: Uuid, name: &str) -> StoreResult<()>;

    async fn insert_mail(&self, mail: &OutgoingMail) -> StoreResult<()>;

    /// The newest mails first.
    async fn mails(&self, backend_id: Uuid, page: &PageRequest) -> StoreResult<Page<OutgoingMail>>;
}

/// Roles of a mobile backend and which of its users hold them (Oracle storage permissions).
#[async_trait]
pub trait RoleRepo: Send + Sync {
    /// `AlreadyExists` when the backend has the role; `NotFound` when the backend is gone.
    async fn insert_role(
        &self,
        backend_id: Uuid,
        name: &str,
        created_on: Timestamp,
    ) -> StoreResult<()>;

    /// The backend's role names, sorted.
    async fn roles(&self, backend_id: Uuid) -> StoreResult<Vec<String>>;

    /// Deletes the role and every membership in it; `NotFound` when the backend has no such role.
    async fn delete_role(&self, backend_id: Uuid, name: &str) -> StoreResult<()>;

    /// The roles the user holds, sorted.
    async fn user_roles(&self, backend_id: Uuid, user_id: &str) -> StoreResult<Vec<String>>;

    /// Replaces the user's roles with `roles`, all or nothing: `NotFound` when the user or one of the
    /// roles does not exist in the backend.
    async fn set_user_roles(
        &self,
        backend_id: Uuid,
        user_id: &str,
        roles: &[String],
    ) -> StoreResult<()>;
}

#[async_trait]
pub trait Store:
    BackendRepo
    + ManagementKeyRepo
    + SettingRepo
    + UserRepo
    + CollectionRepo
    + ItemRepo
    + AppSettingsRepo
    + SessionRepo
    + DeviceRepo
    + MailRepo
    + RoleRepo
    + AnalyticsRepo
    + StorageCollectionRepo
    + StorageObjectRepo
    + PushRepo
    + Send
    + Sync
    + 'static
{
    /// For logs: which database, where (never with a password).
    fn describe(&self) -> String;

    /// Whether other server processes may change this store while this one runs (several nodes on
    /// one database). Backends, keys and collections are then read on every request, so a change
    /// made on one node holds on every node at once; otherwise they are cached for a moment.
    fn is_shared(&self) -> bool {
        false
    }

    async fn health(&self) -> StoreResult<()>;
}

/// One analytics event an app sent (Oracle `POST /mobile/platform/analytics/events`).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsEvent {
    pub name: String,
    /// `custom` or `system`.
    pub event_type: String,
    /// When the event happened, as the app says.
    pub timestamp: Timestamp,
    pub component: Option<String>,
    pub session_id: Option<String>,
    pub device_id: Option<String>,
    /// The signed-in user's id; none for anonymous callers.
    pub user_id: Option<String>,
    pub properties: serde_json::Map<String, serde_json::Value>,
    pub received_on: Timestamp,
}

/// Analytics events per backend, kept for the operator to read.
#[async_trait]
pub trait AnalyticsRepo: Send + Sync {
    /// Stores every event or none.
    async fn insert_events(&self, backend_id: Uuid, events: &[AnalyticsEvent]) -> StoreResult<()>;

    /// The backend's events in the order they arrived, optionally only those named `name`, with the
    /// number of all that match.
    async fn events(
        &self,
        backend_id: Uuid,
        name: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<(Vec<AnalyticsEvent>, u64)>;
}

/// Push: provider settings, device registrations, notifications and their per-device outbox.
#[async_trait]
pub trait PushRepo: Send + Sync {
    async fn push_config(
        &self,
        backend_id: Uuid,
    ) -> StoreResult<Option<crate::push::StoredPushConfig>>;

    /// The configuration holding this push project id (device registration names only that).
    async fn push_config_by_project(
        &self,
        push_project_id: &str,
    ) -> StoreResult<Option<crate::push::StoredPushConfig>>;

    /// Creates or replaces the backend's configuration. `AlreadyExists` when another backend has the
    /// push project id; `NotFound` when the backend is gone.
    async fn put_push_config(&self, config: &crate::push::StoredPushConfig) -> StoreResult<()>;

    /// Stores the registration, keyed by (backend, provider, token): registering a known token again
    /// moves it to the given device/user, clears `invalid`, and keeps its id and creation time. With
    /// `replace_device_tokens`, other tokens of the same device at the same provider are removed (the
    /// runtime got a new token). Returns what is stored. `NotFound` when the backend is gone.
    async fn register_push_token(
        &self,
        registration: &crate::push::PushRegistration,
        replace_device_tokens: bool,
    ) -> StoreResult<crate::push::PushRegistration>;

    /// Removes the registration; whether there was one.
    async fn deregister_push_token(
        &self,
        backend_id: Uuid,
        provider: crate::push::PushProvider,
        token: &str,
    ) -> StoreResult<bool>;

    /// Removes every token of a Monaca device id; how many there were.
    async fn deregister_push_device(&self, backend_id: Uuid, device_id: &str) -> StoreResult<u64>;

    /// One page of the backend's registrations, the latest registered first. `search` keeps those
    /// whose device id, user id or token contains it (literally, ignoring ASCII case).
    async fn list_push_registrations(
        &self,
        backend_id: Uuid,
        search: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<crate::push::PushRegistration>>;

    async fn push_registration(
        &self,
        backend_id: Uuid,
        provider: crate::push::PushProvider,
        token: &str,
    ) -> StoreResult<Option<crate::push::PushRegistration>>;

    /// Stores a send (the outbox entry); the targets are expanded later by workers.
    async fn insert_notification(
        &self,
        notification: &crate::push::NewNotification,
    ) -> StoreResult<crate::push::Notification>;

    async fn notification(
        &self,
        backend_id: Uuid,
        id: i64,
    ) -> StoreResult<Option<crate::push::Notification>>;

    /// The page asked for, and whether more follow.
    async fn list_notifications(
        &self,
        backend_id: Uuid,
        query: &crate::push::NotificationQuery,
    ) -> StoreResult<(Vec<crate::push::Notification>, bool)>;

    /// Cancels a notification still waiting for its time: `NotFound` when there is none,
    /// `VersionConflict` when it is no longer scheduled.
    async fn cancel_notification(
        &self,
        backend_id: Uuid,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<crate::push::Notification>;

    /// Puts up to `batch` more targets of one due notification into the outbox (in the database,
    /// never loading them all): the notification is locked while it is worked on, so several nodes
    /// expand each target once. Returns the notification and how many deliveries were added; `None`
    /// when no notification is due.
    async fn expand_due_notification(
        &self,
        now: Timestamp,
        batch: u32,
    ) -> StoreResult<Option<(Uuid, i64, u64)>>;

    /// Leases up to `limit` due deliveries to `owner` until `lease_until` (counting an attempt).
    /// Rows leased by another owner are skipped until their lease expires, so a crashed node's
    /// deliveries are taken over and live nodes never share one.
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<crate::push::ClaimedDelivery>>;

    /// Records outcomes of deliveries `owner` still holds (others are ignored), updates the
    /// notifications' counts, marks dead tokens' registrations invalid, and finishes notifications
    /// whose deliveries are all settled. Returns how many were recorded.
    async fn settle_deliveries(
        &self,
        owner: &str,
        settled: &[crate::push::SettledDelivery],
        now: Timestamp,
    ) -> StoreResult<u64>;
}
