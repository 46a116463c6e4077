//! The storage boundary: traits at the level of use cases, one per aggregate, combined in [`Store`].
//! Every method is atomic inside the implementation; no transaction object crosses the boundary, so
//! stores stay interchangeable behind `Arc<dyn Store>` and one conformance suite judges them all.

use async_trait::async_trait;
use uuid::Uuid;

use crate::appdata::{Collection, Item, Permission, User};
use crate::backend::{Backend, BackendQuery, ManagementKey};
use crate::error::StoreError;
use crate::monaql::{Criteria, Property};
use crate::page::{Page, PageRequest, SortDirection};

pub type StoreResult<T> = Result<T, StoreError>;

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
}

#[async_trait]
pub trait ManagementKeyRepo: Send + Sync {
    async fn insert_management_key(&self, key: &ManagementKey) -> StoreResult<()>;

    async fn management_keys(&self, backend_id: Uuid) -> StoreResult<Vec<ManagementKey>>;

    /// `NotFound` unless the key exists *and* belongs to `backend_id`.
    async fn delete_management_key(&self, backend_id: Uuid, key_id: Uuid) -> StoreResult<()>;

    async fn management_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ManagementKey>>;
}

/// Installation-wide values, such as the digest of the operator token.
#[async_trait]
pub trait SettingRepo: Send + Sync {
    async fn setting(&self, name: &str) -> StoreResult<Option<String>>;

    async fn put_setting(&self, name: &str, value: &str) -> StoreResult<()>;
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

/// Which items a list shows, in which order.
#[derive(Debug, Clone)]
pub struct ItemQuery {
    pub criteria: Criteria,
    pub sort: Vec<(Property, SortDirection)>,
    pub page: PageRequest,
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

    /// Replaces the permission of one item. `NotFound` when gone.
    async fn set_item_permission(
        &self,
        collection: &Collection,
        id: &str,
        permission: &Permission,
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
pub trait Store:
    BackendRepo
    + ManagementKeyRepo
    + SettingRepo
    + UserRepo
    + CollectionRepo
    + ItemRepo
    + Send
    + Sync
    + 'static
{
    /// For logs: which database, where (never with a password).
    fn describe(&self) -> String;

    async fn health(&self) -> StoreResult<()>;
}
