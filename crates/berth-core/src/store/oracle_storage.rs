//! Storage traits of Oracle storage: collections as tools assets, their association with backends,
//! and the objects of each backend in them.

use async_trait::async_trait;
use uuid::Uuid;

use crate::backend::BackendQuery;
use crate::page::Page;
use crate::storage::{CollectionLink, ObjectKey, ObjectMeta, ObjectQuery, StorageCollection};
use crate::timestamp::Timestamp;

use super::StoreResult;

#[async_trait]
pub trait StorageCollectionRepo: Send + Sync {
    /// `AlreadyExists` when a collection with the same name (case-insensitively) and version exists,
    /// trashed or not.
    async fn insert_storage_collection(&self, collection: &StorageCollection) -> StoreResult<()>;

    async fn storage_collection(&self, id: Uuid) -> StoreResult<Option<StorageCollection>>;

    /// Filters and orders as for backends (`inactive` does not apply to collections).
    async fn list_storage_collections(
        &self,
        query: &BackendQuery,
    ) -> StoreResult<Page<StorageCollection>>;

    /// Stores `collection` over the row with its id if that row's revision is still
    /// `expected_revision`: `NotFound` when gone, `VersionConflict` when changed meanwhile,
    /// `AlreadyExists` on a name clash.
    async fn replace_storage_collection(
        &self,
        collection: &StorageCollection,
        expected_revision: i64,
    ) -> StoreResult<()>;

    /// Deletes the collection with its associations and every backend's objects in it, if its
    /// revision is `expected_revision`.
    async fn delete_storage_collection(&self, id: Uuid, expected_revision: i64) -> StoreResult<()>;

    /// Associates the collection with the backend, or changes the association's anonymous access.
    /// `NotFound` when the backend or the collection is gone.
    async fn link_collection(
        &self,
        backend_id: Uuid,
        collection_id: Uuid,
        anonymous_access: bool,
    ) -> StoreResult<()>;

    /// Ends the association (the backend's objects stay, for a later association). `NotFound` when
    /// the collection is not associated with the backend.
    async fn unlink_collection(&self, backend_id: Uuid, collection_id: Uuid) -> StoreResult<()>;

    /// The collections associated with the backend, by name (case-insensitively), then version.
    async fn linked_collections(&self, backend_id: Uuid) -> StoreResult<Vec<CollectionLink>>;

    /// The backends a collection is associated with.
    async fn collection_backends(&self, collection_id: Uuid) -> StoreResult<Vec<Uuid>>;
}

/// Objects: metadata rows, and their bytes in pieces under a blob id. A write stores the new bytes
/// under a fresh blob id first, then swaps the metadata to it (dropping the old pieces) in one step.
#[async_trait]
pub trait StorageObjectRepo: Send + Sync {
    async fn object_meta(&self, key: &ObjectKey) -> StoreResult<Option<ObjectMeta>>;

    /// Stores piece `seq` of a blob being uploaded. `NotFound` when the backend or collection is gone.
    async fn put_object_chunk(
        &self,
        backend_id: Uuid,
        collection_id: Uuid,
        blob_id: Uuid,
        seq: u32,
        data: &[u8],
        created_on: Timestamp,
    ) -> StoreResult<()>;

    async fn object_chunk(
        &self,
        backend_id: Uuid,
        blob_id: Uuid,
        seq: u32,
    ) -> StoreResult<Option<Vec<u8>>>;

    /// Drops the pieces of a blob no object uses (an upload that failed).
    async fn delete_blob(&self, backend_id: Uuid, blob_id: Uuid) -> StoreResult<()>;

    /// Drops pieces written before `before` that no object uses (uploads cut off by a crash or a
    /// dropped connection); returns how many.
    async fn delete_abandoned_chunks(&self, before: Timestamp) -> StoreResult<u64>;

    /// Creates the object when `expected_revision` is `None` (`AlreadyExists` if it exists, `NotFound`
    /// when the backend or collection is gone), or replaces it when its revision is still the one
    /// expected (`NotFound` when gone, `VersionConflict` when changed meanwhile), dropping the pieces
    /// of the blob it replaces. The pieces of `meta.blob_id` must be stored already.
    async fn put_object(
        &self,
        meta: &ObjectMeta,
        expected_revision: Option<i64>,
    ) -> StoreResult<()>;

    /// Deletes the object and its pieces: `NotFound` when gone, `VersionConflict` when changed since
    /// `expected_revision`.
    async fn delete_object(&self, key: &ObjectKey, expected_revision: i64) -> StoreResult<()>;

    async fn list_objects(&self, query: &ObjectQuery) -> StoreResult<Page<ObjectMeta>>;

    /// Bytes held by the backend's objects in the collection, every user's together.
    async fn objects_size(&self, backend_id: Uuid, collection_id: Uuid) -> StoreResult<u64>;
}
