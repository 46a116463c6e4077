//! The storage boundary: traits at the level of use cases, one per aggregate, combined in [`Store`].
//! Every method is atomic inside the implementation; no transaction object crosses the boundary, so
//! stores stay interchangeable behind `Arc<dyn Store>` and one conformance suite judges them all.

use async_trait::async_trait;
use uuid::Uuid;

use crate::backend::{Backend, BackendQuery, ManagementKey};
use crate::error::StoreError;
use crate::page::Page;

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

#[async_trait]
pub trait Store: BackendRepo + ManagementKeyRepo + SettingRepo + Send + Sync + 'static {
    /// For logs: which database, where (never with a password).
    fn describe(&self) -> String;

    async fn health(&self) -> StoreResult<()>;
}
