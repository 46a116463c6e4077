//! Oracle storage: collections (tools assets that an operator associates with mobile backends, with
//! per-role permissions) and the objects apps keep in them.
//!
//! A collection is defined once for the installation, but each backend it is associated with has its
//! own objects in it: one backend never sees another's objects, whatever the association.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::page::{PageRequest, SortDirection};
use crate::timestamp::Timestamp;

/// A storage collection as the tools API manages it. `revision` is its ETag (1, 2, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct StorageCollection {
    pub id: Uuid,
    /// Apps address the collection by this name (`/mobile/platform/storage/collections/{name}`).
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub title: Option<String>,
    pub action_comment: Option<String>,
    /// Each user has a private space (Oracle "user isolated"); otherwise objects are shared.
    pub user_isolated: bool,
    pub sync_control: bool,
    pub permissions: CollectionPermissions,
    pub published: bool,
    pub in_trash: bool,
    pub revision: i64,
    pub created_on: Timestamp,
    pub created_by: String,
    pub modified_on: Timestamp,
    pub modified_by: String,
    pub deleted_on: Option<Timestamp>,
    pub deleted_by: Option<String>,
}

/// Which roles hold which of Oracle's four collection permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionPermissions {
    #[serde(rename = "READ", default)]
    pub read: Vec<String>,
    #[serde(rename = "READ_WRITE", default)]
    pub read_write: Vec<String>,
    #[serde(rename = "READ_ALL", default)]
    pub read_all: Vec<String>,
    #[serde(rename = "READ_WRITE_ALL", default)]
    pub read_write_all: Vec<String>,
}

/// What a caller may do in a collection, from its roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    /// Read (its own space, in an isolated collection).
    pub read: bool,
    /// Write (its own space, in an isolated collection).
    pub write: bool,
    /// Read other users' spaces (READ_ALL or READ_WRITE_ALL).
    pub read_others: bool,
    /// Write other users' spaces (READ_WRITE_ALL).
    pub write_others: bool,
}

impl CollectionPermissions {
    pub fn access(&self, roles: &[String]) -> Access {
        let holds = |granted: &[String]| granted.iter().any(|role| roles.contains(role));
        let (read, read_write) = (holds(&self.read), holds(&self.read_write));
        let (read_all, read_write_all) = (holds(&self.read_all), holds(&self.read_write_all));
        Access {
            read: read || read_write || read_all || read_write_all,
            write: read_write || read_write_all,
            read_others: read_all || read_write_all,
            write_others: read_write_all,
        }
    }

    pub fn all_roles(&self) -> impl Iterator<Item = (&'static str, &String)> {
        self.read
            .iter()
            .map(|r| ("READ", r))
            .chain(self.read_write.iter().map(|r| ("READ_WRITE", r)))
            .chain(self.read_all.iter().map(|r| ("READ_ALL", r)))
            .chain(self.read_write_all.iter().map(|r| ("READ_WRITE_ALL", r)))
    }
}

/// A collection as associated with one backend.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionLink {
    pub collection: StorageCollection,
    /// Oracle's `Security_CollectionsAnonymousAccess` for this backend: callers with the anonymous
    /// key (or a client-credentials token) may read and write this shared collection.
    pub anonymous_access: bool,
}

/// Where an object lives: a backend's space in a collection, and in an isolated collection the space
/// of one user (`owner` is the user id; empty in shared collections).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    pub backend_id: Uuid,
    pub collection_id: Uuid,
    pub owner: String,
    pub id: String,
}

/// What is known about a stored object besides its bytes. `revision` is its ETag (1, 2, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectMeta {
    pub key: ObjectKey,
    pub name: String,
    pub content_type: String,
    pub content_length: u64,
    pub revision: i64,
    pub created_on: Timestamp,
    pub created_by: String,
    pub modified_on: Timestamp,
    pub modified_by: String,
    /// Where the bytes are: the object's pieces in the store (see [`OBJECT_CHUNK_BYTES`]).
    pub blob_id: Uuid,
}

/// Object bytes are stored and read in pieces of this size, so no object is held whole in memory.
pub const OBJECT_CHUNK_BYTES: usize = 256 * 1024;

/// How many pieces an object of `length` bytes has.
pub fn chunk_count(length: u64) -> u32 {
    u32::try_from(length.div_ceil(OBJECT_CHUNK_BYTES as u64)).unwrap_or(u32::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectSortKey {
    Id,
    Name,
    ContentType,
    ContentLength,
    CreatedBy,
    CreatedOn,
    ModifiedBy,
    ModifiedOn,
}

/// Which objects of a backend's space in a collection a list shows, in which order.
#[derive(Debug, Clone)]
pub struct ObjectQuery {
    pub backend_id: Uuid,
    pub collection_id: Uuid,
    /// One user's space (or `""`, the shared space); `None` for every user's.
    pub owner: Option<String>,
    /// Case-insensitive part of the id, name, createdBy or modifiedBy.
    pub text: Option<String>,
    /// Sort keys in order; the owner and id always break remaining ties.
    pub order_by: Vec<(ObjectSortKey, SortDirection)>,
    pub page: PageRequest,
}
