//! Oracle storage use cases: collections as tools assets (create, change, permissions, trash), their
//! association with backends, and the objects apps read and write under per-role permissions.

use uuid::Uuid;

use crate::backend::{Backend, BackendQuery, DEFAULT_VERSION};
use crate::error::{Error, Result, StoreError};
use crate::ids::new_row_id;
use crate::page::{Page, PageRequest, SortDirection};
use crate::precondition::Precondition;
use crate::storage::{
    Access, CollectionLink, CollectionPermissions, OBJECT_CHUNK_BYTES, ObjectKey, ObjectMeta,
    ObjectQuery, ObjectSortKey, StorageCollection,
};
use crate::timestamp::Timestamp;
use crate::validation::{Problems, check_asset_name, check_asset_version};

use super::backends::{check_descriptive_fields, refuse_if_trashed};
use super::roles::check_role_name;
use super::{Berth, PlatformCaller};

/// Object ids and names: at most this many characters.
pub const OBJECT_ID_MAX: usize = 255;
/// Default largest object body, in bytes (`--max-object-size`).
pub const DEFAULT_OBJECT_SIZE_LIMIT: u64 = 16 * 1024 * 1024;
/// Who `createdBy`/`modifiedBy` name for callers with the anonymous key.
pub const ANONYMOUS_ACTOR: &str = "anonymous";
/// Media type of an object written without `Content-Type` (Oracle's default media type).
pub const DEFAULT_CONTENT_TYPE: &str = "application/json";

const UNPINNED_WRITE_ATTEMPTS: usize = 5;

/// What a caller asks for when creating a collection; absent fields take their defaults.
#[derive(Debug, Clone, Default)]
pub struct CollectionDraft {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    pub title: Option<String>,
    pub action_comment: Option<String>,
    pub user_isolated: Option<bool>,
    pub sync_control: Option<bool>,
}

/// A change to a collection. `None` keeps a field; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct CollectionChanges {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub action_comment: Option<Option<String>>,
    pub user_isolated: Option<bool>,
    pub sync_control: Option<bool>,
}

/// Whose objects a platform call addresses (`?user=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSelector {
    /// No `user`: the caller's own space (or the shared one).
    Own,
    /// `user=<id>`.
    User(String),
    /// `user=*`: every user's objects (lists only).
    Everyone,
}

impl UserSelector {
    pub fn parse(raw: Option<&str>) -> Self {
        match raw.map(str::trim) {
            None | Some("") => UserSelector::Own,
            Some("*") => UserSelector::Everyone,
            Some(id) => UserSelector::User(id.to_owned()),
        }
    }
}

/// A backend's space in a collection, as one caller may use it.
#[derive(Debug, Clone)]
pub struct ObjectSpace {
    pub backend_id: Uuid,
    pub link: CollectionLink,
    /// The user id whose objects are addressed (`""` in shared collections); `None` for every user's.
    pub owner: Option<String>,
    /// The caller's name for `createdBy`/`modifiedBy`.
    pub actor: String,
}

impl ObjectSpace {
    pub fn collection(&self) -> &StorageCollection {
        &self.link.collection
    }

    fn key(&self, id: &str) -> Result<ObjectKey> {
        let owner = self.owner.clone().ok_or_else(|| {
            Error::invalid(
                "user",
                "user=* only lists objects; name one user id to address an object.",
            )
        })?;
        Ok(ObjectKey {
            backend_id: self.backend_id,
            collection_id: self.link.collection.id,
            owner,
            id: id.to_owned(),
        })
    }
}

/// The conditional request headers of an object call (RFC 9110 §13).
#[derive(Debug, Clone, Default)]
pub struct ObjectConditions {
    /// `If-Match`: `None` when absent.
    pub if_match: Option<Precondition>,
    /// `If-None-Match`: `None` when absent; `Precondition::Any` for `*`.
    pub if_none_match: Option<Precondition>,
    pub if_modified_since: Option<Timestamp>,
    pub if_unmodified_since: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    Proceed,
    /// A read whose copy the client already has (304).
    NotModified,
    /// 412.
    Failed,
}

fn tag_matches(condition: &Precondition, revision: i64) -> bool {
    match condition {
        Precondition::None => false,
        Precondition::Any => true,
        Precondition::OneOf(tags) => tags.contains(&revision),
    }
}

/// HTTP dates have whole seconds: compare the modification time at that precision.
fn modified_second(meta: &ObjectMeta) -> i64 {
    meta.modified_on.as_millis().div_euclid(1000) * 1000
}

impl ObjectConditions {
    /// The evaluation order of RFC 9110 §13.2.2.
    pub fn evaluate(&self, current: Option<&ObjectMeta>, read: bool) -> Evaluation {
        if let Some(condition) = &self.if_match {
            if !current.is_some_and(|meta| tag_matches(condition, meta.revision)) {
                return Evaluation::Failed;
            }
        } else if let (Some(since), Some(meta)) = (self.if_unmodified_since, current)
            && modified_second(meta) > since.as_millis()
        {
            return Evaluation::Failed;
        }
        if let Some(condition) = &self.if_none_match {
            if current.is_some_and(|meta| tag_matches(condition, meta.revision)) {
                return if read {
                    Evaluation::NotModified
                } else {
                    Evaluation::Failed
                };
            }
        } else if let (true, Some(since), Some(meta)) = (read, self.if_modified_since, current)
            && modified_second(meta) <= since.as_millis()
        {
            return Evaluation::NotModified;
        }
        Evaluation::Proceed
    }
}

/// The answer to a read of an object.
#[derive(Debug, Clone)]
pub enum ObjectRead {
    NotModified(ObjectMeta),
    /// The metadata; the bytes are read piece by piece with [`Berth::object_chunk`].
    Found(ObjectMeta),
}

/// What a write says about the object besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct ObjectWrite {
    /// `Oracle-Mobile-Name`; the id when absent.
    pub name: Option<String>,
    pub content_type: Option<String>,
}

/// An object body being received: stored in pieces of [`OBJECT_CHUNK_BYTES`] as it arrives, under a
/// blob id that a later [`Berth::write_object`] swaps in (or [`Berth::abandon_upload`] drops).
#[derive(Debug)]
pub struct ObjectUpload {
    backend_id: Uuid,
    collection_id: Uuid,
    blob_id: Uuid,
    next_seq: u32,
    length: u64,
    buffer: Vec<u8>,
    started: Timestamp,
}

impl ObjectUpload {
    /// Bytes received so far.
    pub fn length(&self) -> u64 {
        self.length
    }
}

/// Pieces of an upload older than this with no object using them are swept.
const ABANDONED_UPLOAD_MILLIS: i64 = 24 * 3600 * 1000;

/// Which objects a list shows.
#[derive(Debug, Clone)]
pub struct ObjectListRequest {
    pub text: Option<String>,
    pub order_by: Vec<(ObjectSortKey, SortDirection)>,
    pub page: PageRequest,
}

fn collection_not_found(id: impl std::fmt::Display) -> Error {
    Error::not_found("id", format!("No storage collection with id {id} exists."))
}

fn platform_collection_not_found(name: &str) -> Error {
    Error::not_found(
        "collection",
        format!("The mobile backend has no storage collection named {name}."),
    )
}

fn object_not_found(id: &str) -> Error {
    Error::not_found(
        "object",
        format!("No object with id {id} exists in this collection."),
    )
}

fn concurrent_change() -> Error {
    Error::Conflict(
        "The object was changed by another request at the same time; read it again and retry."
            .to_owned(),
    )
}

fn refuse_if_collection_trashed(collection: &StorageCollection) -> Result<()> {
    if collection.in_trash {
        return Err(Error::Conflict(format!(
            "The collection {} ({}) is in the trash; restore it first.",
            collection.name, collection.version
        )));
    }
    Ok(())
}

fn name_clash_or(error: StoreError, name: &str, version: &str) -> Error {
    match error {
        StoreError::AlreadyExists(_) => Error::already_exists(
            "name",
            format!("A storage collection named {name} with version {version} already exists."),
        ),
        other => other.into(),
    }
}

fn check_permissions(problems: &mut Problems, permissions: &CollectionPermissions) {
    for (permission, role) in permissions.all_roles() {
        check_role_name(problems, permission, role);
    }
}

/// Object ids come from a path segment: no slashes, no control characters.
fn check_object_id(id: &str) -> Result<()> {
    let mut problems = Problems::new();
    if id.is_empty() {
        problems.add("object", "An object id is required.");
    }
    problems.check_length("object", id, OBJECT_ID_MAX);
    if id.chars().any(|c| c.is_control() || c == '/') {
        problems.add(
            "object",
            "An object id must not hold slashes or control characters.",
        );
    }
    problems.into_result()
}

fn check_object_name(name: &str) -> Result<()> {
    let mut problems = Problems::new();
    problems.check_length("Oracle-Mobile-Name", name, OBJECT_ID_MAX);
    if name.chars().any(char::is_control) {
        problems.add(
            "Oracle-Mobile-Name",
            "The object name must not hold control characters.",
        );
    }
    problems.into_result()
}

impl Berth {
    // ---- Collections in the tools API ----

    pub async fn create_storage_collection(
        &self,
        actor: &str,
        draft: CollectionDraft,
    ) -> Result<StorageCollection> {
        let version = draft
            .version
            .clone()
            .unwrap_or_else(|| DEFAULT_VERSION.to_owned());
        let mut problems = Problems::new();
        check_asset_name(&mut problems, &draft.name);
        check_asset_version(&mut problems, &version);
        check_descriptive_fields(
            &mut problems,
            draft.description.as_deref(),
            draft.title.as_deref(),
            draft.action_comment.as_deref(),
        );
        problems.into_result()?;
        let now = Timestamp::now();
        let collection = StorageCollection {
            id: new_row_id(),
            name: draft.name,
            version,
            description: draft.description,
            title: draft.title,
            action_comment: draft.action_comment,
            user_isolated: draft.user_isolated.unwrap_or(false),
            sync_control: draft.sync_control.unwrap_or(false),
            permissions: CollectionPermissions::default(),
            published: false,
            in_trash: false,
            revision: 1,
            created_on: now,
            created_by: actor.to_owned(),
            modified_on: now,
            modified_by: actor.to_owned(),
            deleted_on: None,
            deleted_by: None,
        };
        self.store
            .insert_storage_collection(&collection)
            .await
            .map_err(|e| name_clash_or(e, &collection.name, &collection.version))?;
        Ok(collection)
    }

    pub async fn storage_collection(&self, id: Uuid) -> Result<StorageCollection> {
        self.store
            .storage_collection(id)
            .await?
            .ok_or_else(|| collection_not_found(id))
    }

    pub async fn list_storage_collections(
        &self,
        query: &BackendQuery,
    ) -> Result<Page<StorageCollection>> {
        Ok(self.store.list_storage_collections(query).await?)
    }

    pub async fn update_storage_collection(
        &self,
        actor: &str,
        id: Uuid,
        changes: CollectionChanges,
        precondition: &Precondition,
    ) -> Result<StorageCollection> {
        let mut problems = Problems::new();
        check_asset_name(&mut problems, &changes.name);
        if let Some(version) = &changes.version {
            check_asset_version(&mut problems, version);
        }
        check_descriptive_fields(
            &mut problems,
            changes.description.as_ref().and_then(Option::as_deref),
            changes.title.as_ref().and_then(Option::as_deref),
            changes.action_comment.as_ref().and_then(Option::as_deref),
        );
        problems.into_result()?;
        let renamed = self.storage_collection(id).await?.name != changes.name;
        if renamed {
            self.refuse_name_clash_in_backends(id, &changes.name)
                .await?;
        }
        self.modify_collection(actor, id, precondition, |collection| {
            refuse_if_collection_trashed(collection)?;
            let changes = changes.clone();
            collection.name = changes.name;
            if let Some(version) = changes.version {
                collection.version = version;
            }
            if let Some(description) = changes.description {
                collection.description = description;
            }
            if let Some(title) = changes.title {
                collection.title = title;
            }
            if let Some(comment) = changes.action_comment {
                collection.action_comment = comment;
            }
            if let Some(isolated) = changes.user_isolated {
                collection.user_isolated = isolated;
            }
            if let Some(sync) = changes.sync_control {
                collection.sync_control = sync;
            }
            Ok(())
        })
        .await
    }

    /// Replaces which roles hold which permission. Role names are not checked against any backend:
    /// a collection serves every backend it is associated with, each with its own roles.
    pub async fn set_collection_permissions(
        &self,
        actor: &str,
        id: Uuid,
        permissions: CollectionPermissions,
        precondition: &Precondition,
    ) -> Result<StorageCollection> {
        let mut problems = Problems::new();
        check_permissions(&mut problems, &permissions);
        problems.into_result()?;
        self.modify_collection(actor, id, precondition, |collection| {
            refuse_if_collection_trashed(collection)?;
            collection.permissions = permissions.clone();
            Ok(())
        })
        .await
    }

    pub async fn trash_storage_collection(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
        comment: Option<String>,
    ) -> Result<StorageCollection> {
        self.modify_collection(actor, id, precondition, |collection| {
            refuse_if_collection_trashed(collection)?;
            collection.in_trash = true;
            collection.deleted_on = Some(Timestamp::now());
            collection.deleted_by = Some(actor.to_owned());
            if comment.is_some() {
                collection.action_comment = comment.clone();
            }
            Ok(())
        })
        .await
    }

    pub async fn untrash_storage_collection(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
        comment: Option<String>,
    ) -> Result<StorageCollection> {
        self.modify_collection(actor, id, precondition, |collection| {
            if !collection.in_trash {
                return Err(Error::Conflict(format!(
                    "The collection {} ({}) is not in the trash.",
                    collection.name, collection.version
                )));
            }
            collection.in_trash = false;
            collection.deleted_on = None;
            collection.deleted_by = None;
            if comment.is_some() {
                collection.action_comment = comment.clone();
            }
            Ok(())
        })
        .await
    }

    /// Deletes a trashed collection, its associations and every backend's objects in it.
    pub async fn purge_storage_collection(
        &self,
        id: Uuid,
        precondition: &Precondition,
    ) -> Result<StorageCollection> {
        for _ in 0..UNPINNED_WRITE_ATTEMPTS {
            let collection = self.storage_collection(id).await?;
            if !precondition.allows(collection.revision) {
                return Err(Error::PreconditionFailed {
                    current_version: collection.revision,
                });
            }
            if !collection.in_trash {
                return Err(Error::Conflict(format!(
                    "The collection {} ({}) must be moved to the trash before it can be purged.",
                    collection.name, collection.version
                )));
            }
            match self
                .store
                .delete_storage_collection(id, collection.revision)
                .await
            {
                Ok(()) => return Ok(collection),
                Err(StoreError::VersionConflict) if !precondition.is_specific() => continue,
                Err(StoreError::VersionConflict) => {
                    return Err(self.collection_precondition_failed(id).await);
                }
                Err(StoreError::NotFound) => return Err(collection_not_found(id)),
                Err(other) => return Err(other.into()),
            }
        }
        Err(collection_busy(id))
    }

    async fn modify_collection(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
        change: impl Fn(&mut StorageCollection) -> Result<()>,
    ) -> Result<StorageCollection> {
        for _ in 0..UNPINNED_WRITE_ATTEMPTS {
            let current = self.storage_collection(id).await?;
            if !precondition.allows(current.revision) {
                return Err(Error::PreconditionFailed {
                    current_version: current.revision,
                });
            }
            let mut next = current.clone();
            change(&mut next)?;
            next.revision = current.revision + 1;
            next.modified_on = Timestamp::now().max(current.modified_on);
            next.modified_by = actor.to_owned();
            match self
                .store
                .replace_storage_collection(&next, current.revision)
                .await
            {
                Ok(()) => return Ok(next),
                Err(StoreError::VersionConflict) if !precondition.is_specific() => continue,
                Err(StoreError::VersionConflict) => {
                    return Err(self.collection_precondition_failed(id).await);
                }
                Err(StoreError::NotFound) => return Err(collection_not_found(id)),
                Err(error) => return Err(name_clash_or(error, &next.name, &next.version)),
            }
        }
        Err(collection_busy(id))
    }

    async fn collection_precondition_failed(&self, id: Uuid) -> Error {
        match self.storage_collection(id).await {
            Ok(current) => Error::PreconditionFailed {
                current_version: current.revision,
            },
            Err(error) => error,
        }
    }

    /// Apps address collections by name, so a backend may hold only one collection of a name.
    async fn refuse_name_clash_in_backends(&self, id: Uuid, name: &str) -> Result<()> {
        for backend_id in self.store.collection_backends(id).await? {
            if let Some(other) = self
                .store
                .linked_collections(backend_id)
                .await?
                .into_iter()
                .find(|l| l.collection.id != id && l.collection.name.eq_ignore_ascii_case(name))
            {
                return Err(Error::already_exists(
                    "name",
                    format!(
                        "The mobile backend {backend_id} is associated with another collection named {} ({}); apps address collections by name.",
                        other.collection.name, other.collection.version
                    ),
                ));
            }
        }
        Ok(())
    }

    // ---- Association with backends ----

    /// The collections associated with the backend.
    pub async fn backend_collections(&self, backend_id: Uuid) -> Result<Vec<CollectionLink>> {
        self.backend(backend_id).await?;
        Ok(self.store.linked_collections(backend_id).await?)
    }

    /// Associates the collection with the backend; `anonymous_access` (when given) sets whether
    /// anonymous callers may use it. Associating again only changes what is given.
    pub async fn link_collection(
        &self,
        backend_id: Uuid,
        collection_id: Uuid,
        anonymous_access: Option<bool>,
    ) -> Result<CollectionLink> {
        refuse_if_trashed(&self.backend(backend_id).await?)?;
        let collection = self.storage_collection(collection_id).await?;
        refuse_if_collection_trashed(&collection)?;
        let links = self.store.linked_collections(backend_id).await?;
        if let Some(other) = links.iter().find(|l| {
            l.collection.id != collection_id
                && l.collection.name.eq_ignore_ascii_case(&collection.name)
        }) {
            return Err(Error::already_exists(
                "colId",
                format!(
                    "The mobile backend is already associated with a collection named {} ({}); apps address collections by name.",
                    other.collection.name, other.collection.version
                ),
            ));
        }
        let current = links
            .iter()
            .find(|l| l.collection.id == collection_id)
            .map(|l| l.anonymous_access);
        if collection.user_isolated && anonymous_access == Some(true) {
            return Err(Error::invalid(
                "anonymousAccess",
                "Only shared collections can be open to anonymous callers; this one is user isolated.",
            ));
        }
        let anonymous = anonymous_access.or(current).unwrap_or(false);
        match self
            .store
            .link_collection(backend_id, collection_id, anonymous)
            .await
        {
            Ok(()) => Ok(CollectionLink {
                collection,
                anonymous_access: anonymous,
            }),
            Err(StoreError::NotFound) => Err(Error::Conflict(
                "The backend or the collection was deleted meanwhile.".to_owned(),
            )),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn unlink_collection(
        &self,
        backend_id: Uuid,
        collection_id: Uuid,
        precondition: &Precondition,
    ) -> Result<()> {
        refuse_if_trashed(&self.backend(backend_id).await?)?;
        let collection = self.storage_collection(collection_id).await?;
        if !precondition.allows(collection.revision) {
            return Err(Error::PreconditionFailed {
                current_version: collection.revision,
            });
        }
        match self
            .store
            .unlink_collection(backend_id, collection_id)
            .await
        {
            Err(StoreError::NotFound) => Err(Error::not_found(
                "colId",
                format!(
                    "The collection {collection_id} is not associated with the mobile backend {backend_id}."
                ),
            )),
            other => Ok(other?),
        }
    }

    // ---- The platform storage API ----

    /// The collections apps of the backend can see (associated and not in the trash).
    pub async fn platform_collections(&self, backend_id: Uuid) -> Result<Vec<CollectionLink>> {
        Ok(self
            .store
            .linked_collections(backend_id)
            .await?
            .into_iter()
            .filter(|l| !l.collection.in_trash)
            .collect())
    }

    pub async fn platform_collection(
        &self,
        backend_id: Uuid,
        name: &str,
    ) -> Result<CollectionLink> {
        self.platform_collections(backend_id)
            .await?
            .into_iter()
            .find(|l| l.collection.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| platform_collection_not_found(name))
    }

    /// Bytes the backend's objects take in the collection.
    pub async fn collection_size(&self, backend_id: Uuid, collection_id: Uuid) -> Result<u64> {
        Ok(self.store.objects_size(backend_id, collection_id).await?)
    }

    /// Resolves which space of a collection a caller addresses and checks that its roles allow the
    /// read (or write) there.
    pub async fn object_space(
        &self,
        backend: &Backend,
        caller: &PlatformCaller,
        collection: &str,
        user: &UserSelector,
        write: bool,
    ) -> Result<ObjectSpace> {
        if let UserSelector::User(id) = user
            && (id.chars().any(char::is_control) || id.len() > OBJECT_ID_MAX)
        {
            return Err(Error::invalid("user", "user must be a user id or *."));
        }
        let link = self.platform_collection(backend.id, collection).await?;
        let isolated = link.collection.user_isolated;
        let (access, own_id, actor) = match caller {
            PlatformCaller::Anonymous => {
                let open = link.anonymous_access && !isolated;
                let access = Access {
                    read: open,
                    write: open,
                    ..Access::default()
                };
                (access, None, ANONYMOUS_ACTOR.to_owned())
            }
            PlatformCaller::User(caller) => {
                let roles = self.store.user_roles(backend.id, &caller.id).await?;
                (
                    link.collection.permissions.access(&roles),
                    Some(caller.id.clone()),
                    caller.username.clone(),
                )
            }
        };
        let verb = if write { "write" } else { "read" };
        let denied = |whose: &str| {
            Error::PermissionDenied(format!(
                "The caller has no role with permission to {verb} {whose} in the collection {}.",
                link.collection.name
            ))
        };
        let owner = if !isolated {
            // Objects of a shared collection belong to no user; `user` has nothing to select.
            if !(if write { access.write } else { access.read }) {
                return Err(denied("objects"));
            }
            Some(String::new())
        } else {
            let Some(own_id) = own_id else {
                return Err(denied("objects of users"));
            };
            match user {
                UserSelector::User(id) if *id != own_id => {
                    if !(if write {
                        access.write_others
                    } else {
                        access.read_others
                    }) {
                        return Err(denied("other users' objects"));
                    }
                    if write && self.store.user(backend.id, id).await?.is_none() {
                        return Err(Error::not_found(
                            "user",
                            format!("The mobile backend has no user with id {id}."),
                        ));
                    }
                    Some(id.clone())
                }
                UserSelector::Everyone => {
                    if write || !access.read_others {
                        return Err(denied("every user's objects"));
                    }
                    None
                }
                _ => {
                    if !(if write { access.write } else { access.read }) {
                        return Err(denied("its objects"));
                    }
                    Some(own_id)
                }
            }
        };
        Ok(ObjectSpace {
            backend_id: backend.id,
            link,
            owner,
            actor,
        })
    }

    pub async fn read_object(
        &self,
        space: &ObjectSpace,
        id: &str,
        conditions: &ObjectConditions,
    ) -> Result<ObjectRead> {
        let key = space.key(id)?;
        let Some(meta) = self.store.object_meta(&key).await? else {
            return Err(object_not_found(id));
        };
        match conditions.evaluate(Some(&meta), true) {
            Evaluation::Proceed => Ok(ObjectRead::Found(meta)),
            Evaluation::NotModified => Ok(ObjectRead::NotModified(meta)),
            Evaluation::Failed => Err(Error::PreconditionFailed {
                current_version: meta.revision,
            }),
        }
    }

    /// Piece `seq` of an object's bytes. A piece that is gone means the object was replaced or
    /// deleted while it was being read (409).
    pub async fn object_chunk(&self, meta: &ObjectMeta, seq: u32) -> Result<Vec<u8>> {
        self.store
            .object_chunk(meta.key.backend_id, meta.blob_id, seq)
            .await?
            .ok_or_else(|| {
                Error::Conflict(
                    "The object was replaced or deleted while it was being read.".to_owned(),
                )
            })
    }

    /// Starts receiving an object body for the space.
    pub fn start_upload(&self, space: &ObjectSpace) -> ObjectUpload {
        ObjectUpload {
            backend_id: space.backend_id,
            collection_id: space.link.collection.id,
            blob_id: new_row_id(),
            next_seq: 0,
            length: 0,
            buffer: Vec::new(),
            started: Timestamp::now(),
        }
    }

    /// Adds received bytes to an upload, storing every full piece.
    pub async fn upload_bytes(&self, upload: &mut ObjectUpload, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let take = (OBJECT_CHUNK_BYTES - upload.buffer.len()).min(data.len());
            upload.buffer.extend_from_slice(&data[..take]);
            upload.length += take as u64;
            data = &data[take..];
            if upload.buffer.len() == OBJECT_CHUNK_BYTES {
                self.flush_upload(upload).await?;
            }
        }
        Ok(())
    }

    async fn flush_upload(&self, upload: &mut ObjectUpload) -> Result<()> {
        if upload.buffer.is_empty() {
            return Ok(());
        }
        match self
            .store
            .put_object_chunk(
                upload.backend_id,
                upload.collection_id,
                upload.blob_id,
                upload.next_seq,
                &upload.buffer,
                upload.started,
            )
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                return Err(Error::not_found(
                    "collection",
                    "The collection was deleted while the object was being stored.",
                ));
            }
            Err(other) => return Err(other.into()),
        }
        upload.next_seq += 1;
        upload.buffer.clear();
        Ok(())
    }

    /// Drops what an upload stored (the write was refused or the body could not be read).
    pub async fn abandon_upload(&self, upload: ObjectUpload) {
        if upload.next_seq > 0 {
            // If this fails the pieces stay behind unread until the sweep drops them.
            let _ = self
                .store
                .delete_blob(upload.backend_id, upload.blob_id)
                .await;
        }
    }

    /// Drops the pieces of uploads that never completed (a crash, a dropped connection) and are more
    /// than a day old; returns how many pieces.
    pub async fn sweep_abandoned_uploads(&self) -> Result<u64> {
        let before = Timestamp::now().minus_millis(ABANDONED_UPLOAD_MILLIS);
        Ok(self.store.delete_abandoned_chunks(before).await?)
    }

    /// Stores an object whose bytes `upload` received under `id`, or under a new id when `id` is
    /// `None`; says whether it was created (rather than replaced). Whatever happens, the upload is
    /// either swapped in or dropped.
    pub async fn write_object(
        &self,
        space: &ObjectSpace,
        id: Option<&str>,
        write: ObjectWrite,
        mut upload: ObjectUpload,
        conditions: &ObjectConditions,
    ) -> Result<(ObjectMeta, bool)> {
        let outcome = match self.flush_upload(&mut upload).await {
            Ok(()) => {
                self.commit_object(space, id, write, &upload, conditions)
                    .await
            }
            Err(error) => Err(error),
        };
        if outcome.is_err() {
            self.abandon_upload(upload).await;
        }
        outcome
    }

    async fn commit_object(
        &self,
        space: &ObjectSpace,
        id: Option<&str>,
        write: ObjectWrite,
        upload: &ObjectUpload,
        conditions: &ObjectConditions,
    ) -> Result<(ObjectMeta, bool)> {
        let id = match id {
            Some(id) => {
                check_object_id(id)?;
                id.to_owned()
            }
            None => new_row_id().to_string(),
        };
        let name = write.name.filter(|n| !n.is_empty()).unwrap_or(id.clone());
        check_object_name(&name)?;
        let size_limit = self.object_size_limit;
        if upload.length > size_limit {
            return Err(Error::invalid(
                "body",
                format!("An object may hold at most {size_limit} bytes."),
            ));
        }
        let key = space.key(&id)?;
        let current = self.store.object_meta(&key).await?;
        if conditions.evaluate(current.as_ref(), false) != Evaluation::Proceed {
            return Err(Error::PreconditionFailed {
                current_version: current.as_ref().map_or(0, |m| m.revision),
            });
        }
        let now = Timestamp::now();
        let content_type = write
            .content_type
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
        let meta = ObjectMeta {
            key,
            name,
            content_type,
            content_length: upload.length,
            revision: current.as_ref().map_or(1, |m| m.revision + 1),
            created_on: current.as_ref().map_or(now, |m| m.created_on),
            created_by: current
                .as_ref()
                .map_or(space.actor.clone(), |m| m.created_by.clone()),
            modified_on: current.as_ref().map_or(now, |m| now.max(m.modified_on)),
            modified_by: space.actor.clone(),
            blob_id: upload.blob_id,
        };
        let expected = current.as_ref().map(|m| m.revision);
        match self.store.put_object(&meta, expected).await {
            Ok(()) => Ok((meta, current.is_none())),
            Err(StoreError::AlreadyExists(_) | StoreError::VersionConflict) => {
                Err(concurrent_change())
            }
            Err(StoreError::NotFound) if expected.is_some() => Err(concurrent_change()),
            Err(StoreError::NotFound) => Err(platform_collection_not_found(
                space.collection().name.as_str(),
            )),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn delete_object(
        &self,
        space: &ObjectSpace,
        id: &str,
        conditions: &ObjectConditions,
    ) -> Result<()> {
        let key = space.key(id)?;
        let Some(current) = self.store.object_meta(&key).await? else {
            return Err(object_not_found(id));
        };
        if conditions.evaluate(Some(&current), false) != Evaluation::Proceed {
            return Err(Error::PreconditionFailed {
                current_version: current.revision,
            });
        }
        match self.store.delete_object(&key, current.revision).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(object_not_found(id)),
            Err(StoreError::VersionConflict) => Err(concurrent_change()),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn list_objects(
        &self,
        space: &ObjectSpace,
        request: ObjectListRequest,
    ) -> Result<Page<ObjectMeta>> {
        if request.text.as_deref().is_some_and(|t| t.contains('\0')) {
            return Err(Error::invalid("q", "q must not hold the character U+0000."));
        }
        let mut order_by = request.order_by;
        if order_by.is_empty() {
            order_by.push((ObjectSortKey::CreatedOn, SortDirection::Ascending));
        }
        let query = ObjectQuery {
            backend_id: space.backend_id,
            collection_id: space.link.collection.id,
            owner: space.owner.clone(),
            text: request.text.filter(|t| !t.is_empty()),
            order_by,
            page: request.page,
        };
        Ok(self.store.list_objects(&query).await?)
    }
}

fn collection_busy(id: Uuid) -> Error {
    Error::Conflict(format!(
        "The collection {id} is being changed by others at the same time; try again."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(revision: i64, modified_millis: i64) -> ObjectMeta {
        ObjectMeta {
            key: ObjectKey {
                backend_id: Uuid::nil(),
                collection_id: Uuid::nil(),
                owner: String::new(),
                id: "x".to_owned(),
            },
            name: "x".to_owned(),
            content_type: DEFAULT_CONTENT_TYPE.to_owned(),
            content_length: 0,
            revision,
            created_on: Timestamp::from_millis(0),
            created_by: "joe".to_owned(),
            modified_on: Timestamp::from_millis(modified_millis),
            modified_by: "joe".to_owned(),
            blob_id: Uuid::nil(),
        }
    }

    #[test]
    fn conditions_follow_rfc_9110_order() {
        let current = meta(3, 10_500);
        let none = ObjectConditions::default();
        assert_eq!(none.evaluate(Some(&current), true), Evaluation::Proceed);
        assert_eq!(none.evaluate(None, false), Evaluation::Proceed);

        let if_match = |tags: Vec<i64>| ObjectConditions {
            if_match: Some(Precondition::OneOf(tags)),
            ..ObjectConditions::default()
        };
        assert_eq!(
            if_match(vec![3]).evaluate(Some(&current), false),
            Evaluation::Proceed
        );
        assert_eq!(
            if_match(vec![2]).evaluate(Some(&current), false),
            Evaluation::Failed
        );
        assert_eq!(if_match(vec![3]).evaluate(None, false), Evaluation::Failed);

        let if_none_match = |condition: Precondition| ObjectConditions {
            if_none_match: Some(condition),
            ..ObjectConditions::default()
        };
        let any = if_none_match(Precondition::Any);
        assert_eq!(
            any.evaluate(None, false),
            Evaluation::Proceed,
            "create only"
        );
        assert_eq!(any.evaluate(Some(&current), false), Evaluation::Failed);
        let three = if_none_match(Precondition::OneOf(vec![3]));
        assert_eq!(
            three.evaluate(Some(&current), true),
            Evaluation::NotModified
        );
        assert_eq!(
            if_none_match(Precondition::OneOf(vec![2])).evaluate(Some(&current), true),
            Evaluation::Proceed
        );

        // Dates compare at whole seconds: modified at 10.5 s is "not modified since" 10 s.
        let since = |millis: i64| ObjectConditions {
            if_modified_since: Some(Timestamp::from_millis(millis)),
            ..ObjectConditions::default()
        };
        assert_eq!(
            since(10_000).evaluate(Some(&current), true),
            Evaluation::NotModified
        );
        assert_eq!(
            since(9_000).evaluate(Some(&current), true),
            Evaluation::Proceed
        );
        assert_eq!(
            since(10_000).evaluate(Some(&current), false),
            Evaluation::Proceed
        );
        let unmodified = |millis: i64| ObjectConditions {
            if_unmodified_since: Some(Timestamp::from_millis(millis)),
            ..ObjectConditions::default()
        };
        assert_eq!(
            unmodified(10_000).evaluate(Some(&current), false),
            Evaluation::Proceed
        );
        assert_eq!(
            unmodified(9_000).evaluate(Some(&current), false),
            Evaluation::Failed
        );
        // If-Match takes precedence over If-Unmodified-Since; If-None-Match over If-Modified-Since.
        let both = ObjectConditions {
            if_match: Some(Precondition::Any),
            if_unmodified_since: Some(Timestamp::from_millis(0)),
            ..ObjectConditions::default()
        };
        assert_eq!(both.evaluate(Some(&current), false), Evaluation::Proceed);
        let both = ObjectConditions {
            if_none_match: Some(Precondition::OneOf(vec![2])),
            if_modified_since: Some(Timestamp::from_millis(20_000)),
            ..ObjectConditions::default()
        };
        assert_eq!(both.evaluate(Some(&current), true), Evaluation::Proceed);
    }

    #[test]
    fn permissions_grant_by_role() {
        let permissions = CollectionPermissions {
            read: vec!["Reader".to_owned()],
            read_write: vec!["Writer".to_owned()],
            read_all: vec!["Auditor".to_owned()],
            read_write_all: vec!["Admin".to_owned()],
        };
        let access = |roles: &[&str]| {
            permissions.access(&roles.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>())
        };
        assert_eq!(access(&[]), Access::default());
        assert_eq!(
            access(&["Reader"]),
            Access {
                read: true,
                ..Access::default()
            }
        );
        assert_eq!(
            access(&["Writer"]),
            Access {
                read: true,
                write: true,
                ..Access::default()
            }
        );
        assert_eq!(
            access(&["Auditor"]),
            Access {
                read: true,
                read_others: true,
                ..Access::default()
            }
        );
        assert_eq!(
            access(&["Admin", "Nobody"]),
            Access {
                read: true,
                write: true,
                read_others: true,
                write_others: true,
            }
        );
    }
}
