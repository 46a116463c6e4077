use std::sync::Arc;

use berth_core::backend::{BackendQuery, FlagFilter};
use berth_core::page::{PageRequest, SortDirection};
use berth_core::storage::{
    CollectionPermissions, OBJECT_CHUNK_BYTES, ObjectKey, ObjectMeta, ObjectQuery, ObjectSortKey,
    StorageCollection, chunk_count,
};
use berth_core::store::Store;
use berth_core::{StoreError, Timestamp};
use uuid::Uuid;

use crate::sample_backend;

pub fn sample_storage_collection(name: &str, version: &str, isolated: bool) -> StorageCollection {
    let now = Timestamp::now();
    StorageCollection {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        version: version.to_owned(),
        description: Some("pictures".to_owned()),
        title: None,
        action_comment: None,
        user_isolated: isolated,
        sync_control: false,
        permissions: CollectionPermissions {
            read: vec!["Viewer".to_owned()],
            read_write: vec!["Editor".to_owned()],
            read_all: Vec::new(),
            read_write_all: vec!["Admin".to_owned()],
        },
        published: false,
        in_trash: false,
        revision: 1,
        created_on: now,
        created_by: "tester".to_owned(),
        modified_on: now,
        modified_by: "tester".to_owned(),
        deleted_on: None,
        deleted_by: None,
    }
}

fn sample_object(
    backend_id: Uuid,
    collection_id: Uuid,
    owner: &str,
    id: &str,
    body: &[u8],
) -> ObjectMeta {
    let now = Timestamp::now();
    ObjectMeta {
        key: ObjectKey {
            backend_id,
            collection_id,
            owner: owner.to_owned(),
            id: id.to_owned(),
        },
        name: format!("{id}.bin"),
        content_type: "application/octet-stream".to_owned(),
        content_length: body.len() as u64,
        revision: 1,
        created_on: now,
        created_by: "joe".to_owned(),
        modified_on: now,
        modified_by: "joe".to_owned(),
        blob_id: Uuid::now_v7(),
    }
}

/// Stores the body's pieces under `meta.blob_id`, then the object, as the service does.
async fn store_object(
    store: &Arc<dyn Store>,
    meta: &ObjectMeta,
    body: &[u8],
    expected_revision: Option<i64>,
) -> Result<(), StoreError> {
    let key = &meta.key;
    for (seq, piece) in body.chunks(OBJECT_CHUNK_BYTES).enumerate() {
        store
            .put_object_chunk(
                key.backend_id,
                key.collection_id,
                meta.blob_id,
                u32::try_from(seq).expect("few pieces"),
                piece,
                Timestamp::now(),
            )
            .await?;
    }
    store.put_object(meta, expected_revision).await
}

/// The object's metadata and its bytes, read piece by piece.
async fn read_object(store: &Arc<dyn Store>, key: &ObjectKey) -> Option<(ObjectMeta, Vec<u8>)> {
    let meta = store.object_meta(key).await.expect("read")?;
    let mut body = Vec::new();
    for seq in 0..chunk_count(meta.content_length) {
        let piece = store
            .object_chunk(key.backend_id, meta.blob_id, seq)
            .await
            .expect("read")
            .expect("every piece is there");
        body.extend(piece);
    }
    Some((meta, body))
}

fn page(limit: u32, offset: u64) -> PageRequest {
    PageRequest {
        limit,
        offset,
        with_total: true,
    }
}

pub async fn storage_collections_round_trip_link_and_purge(store: Arc<dyn Store>) {
    let mine = sample_backend("Mine", "1.0");
    let theirs = sample_backend("Theirs", "1.0");
    store.insert_backend(&mine).await.expect("insert");
    store.insert_backend(&theirs).await.expect("insert");

    let pictures = sample_storage_collection("Pictures", "1.0", false);
    store
        .insert_storage_collection(&pictures)
        .await
        .expect("insert");
    assert_eq!(
        store
            .storage_collection(pictures.id)
            .await
            .expect("read")
            .as_ref(),
        Some(&pictures)
    );
    let clash = sample_storage_collection("PICTURES", "1.0", true);
    let result = store.insert_storage_collection(&clash).await;
    assert!(
        matches!(result, Err(StoreError::AlreadyExists(_))),
        "{result:?}"
    );
    let notes = sample_storage_collection("Notes", "2.0", true);
    store
        .insert_storage_collection(&notes)
        .await
        .expect("insert");

    // Replace checks the revision.
    let mut changed = pictures.clone();
    changed.revision = 2;
    changed.in_trash = true;
    changed.permissions.read_all = vec!["Auditor".to_owned()];
    store
        .replace_storage_collection(&changed, 1)
        .await
        .expect("replace");
    let stale = store.replace_storage_collection(&changed, 1).await;
    assert!(
        matches!(stale, Err(StoreError::VersionConflict)),
        "{stale:?}"
    );
    assert_eq!(
        store.storage_collection(pictures.id).await.expect("read"),
        Some(changed.clone())
    );

    // Lists: the trash is hidden by default, names are searched case-insensitively.
    let listed = store
        .list_storage_collections(&BackendQuery {
            page: page(10, 0),
            ..BackendQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.items, vec![notes.clone()]);
    assert_eq!(listed.total, Some(1));
    let everything = store
        .list_storage_collections(&BackendQuery {
            trash: FlagFilter::Either,
            name_contains: Some("pic".to_owned()),
            page: page(10, 0),
            ..BackendQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(everything.items, vec![changed.clone()]);

    // Associations.
    store
        .link_collection(mine.id, pictures.id, true)
        .await
        .expect("link");
    store
        .link_collection(mine.id, notes.id, false)
        .await
        .expect("link");
    store
        .link_collection(theirs.id, notes.id, false)
        .await
        .expect("link");
    // Linking again updates the anonymous access.
    store
        .link_collection(mine.id, pictures.id, false)
        .await
        .expect("relink");
    let linked = store.linked_collections(mine.id).await.expect("links");
    assert_eq!(
        linked
            .iter()
            .map(|l| (l.collection.name.as_str(), l.anonymous_access))
            .collect::<Vec<_>>(),
        [("Notes", false), ("Pictures", false)]
    );
    let mut backends = store.collection_backends(notes.id).await.expect("backends");
    backends.sort();
    let mut expected = vec![mine.id, theirs.id];
    expected.sort();
    assert_eq!(backends, expected);
    let orphan = store.link_collection(Uuid::now_v7(), notes.id, false).await;
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");
    store
        .unlink_collection(theirs.id, notes.id)
        .await
        .expect("unlink");
    let twice = store.unlink_collection(theirs.id, notes.id).await;
    assert!(matches!(twice, Err(StoreError::NotFound)), "{twice:?}");
    assert!(
        store
            .linked_collections(theirs.id)
            .await
            .expect("links")
            .is_empty()
    );

    // Deleting checks the revision and takes the links and objects with it.
    let object = sample_object(mine.id, notes.id, "u1", "a", b"abc");
    store_object(&store, &object, b"abc", None)
        .await
        .expect("put");
    let stale = store.delete_storage_collection(notes.id, 7).await;
    assert!(
        matches!(stale, Err(StoreError::VersionConflict)),
        "{stale:?}"
    );
    store
        .delete_storage_collection(notes.id, 1)
        .await
        .expect("delete");
    assert_eq!(
        store.storage_collection(notes.id).await.expect("read"),
        None
    );
    assert_eq!(
        store.object_meta(&object.key).await.expect("read"),
        None,
        "objects go with their collection"
    );
    assert_eq!(
        store
            .linked_collections(mine.id)
            .await
            .expect("links")
            .len(),
        1
    );
    let gone = store.delete_storage_collection(notes.id, 1).await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
}

pub async fn storage_objects_are_kept_per_backend_and_owner(store: Arc<dyn Store>) {
    let mine = sample_backend("Mine", "1.0");
    let theirs = sample_backend("Theirs", "1.0");
    store.insert_backend(&mine).await.expect("insert");
    store.insert_backend(&theirs).await.expect("insert");
    let files = sample_storage_collection("Files", "1.0", true);
    store
        .insert_storage_collection(&files)
        .await
        .expect("insert");

    // Binary bodies, including zero bytes, round-trip exactly across several pieces.
    let bytes: Vec<u8> = (0..=255u8)
        .cycle()
        .take(2 * OBJECT_CHUNK_BYTES + 1000)
        .collect();
    let first = sample_object(mine.id, files.id, "u1", "photo", &bytes);
    store_object(&store, &first, &bytes, None)
        .await
        .expect("create");
    let again = store.put_object(&first, None).await;
    assert!(
        matches!(again, Err(StoreError::AlreadyExists(_))),
        "{again:?}"
    );
    let (meta, body) = read_object(&store, &first.key).await.expect("present");
    assert_eq!(meta, first);
    assert_eq!(body, bytes);

    // Replacing checks the revision.
    let mut second = first.clone();
    second.revision = 2;
    second.content_type = "text/plain".to_owned();
    second.content_length = 5;
    second.modified_by = "ann".to_owned();
    second.blob_id = Uuid::now_v7();
    store_object(&store, &second, b"hello", Some(1))
        .await
        .expect("replace");
    // The replaced bytes are gone with the swap.
    let old_piece = store
        .object_chunk(mine.id, first.blob_id, 0)
        .await
        .expect("read");
    assert_eq!(old_piece, None);
    let mut third = second.clone();
    third.blob_id = Uuid::now_v7();
    let stale = store_object(&store, &third, b"stale", Some(1)).await;
    assert!(
        matches!(stale, Err(StoreError::VersionConflict)),
        "{stale:?}"
    );
    // The pieces of a refused write are dropped by whoever stored them.
    store
        .delete_blob(mine.id, third.blob_id)
        .await
        .expect("drop");
    assert_eq!(
        store
            .object_chunk(mine.id, third.blob_id, 0)
            .await
            .expect("read"),
        None
    );
    let (meta, body) = read_object(&store, &first.key).await.expect("present");
    assert_eq!((meta, body.as_slice()), (second.clone(), &b"hello"[..]));

    // Pieces nobody uses are swept once old enough; those in use never are.
    let orphan = Uuid::now_v7();
    store
        .put_object_chunk(
            mine.id,
            files.id,
            orphan,
            0,
            b"lost",
            Timestamp::from_millis(1_000),
        )
        .await
        .expect("piece");
    let swept = store
        .delete_abandoned_chunks(Timestamp::from_millis(2_000))
        .await
        .expect("sweep");
    assert_eq!(swept, 1);
    assert_eq!(
        store
            .delete_abandoned_chunks(Timestamp::from_millis(i64::MAX))
            .await
            .expect("sweep"),
        0,
        "pieces of stored objects stay"
    );
    assert!(read_object(&store, &first.key).await.is_some());

    // The same key in another backend or for another user is another object.
    let same_key_theirs = ObjectKey {
        backend_id: theirs.id,
        ..first.key.clone()
    };
    assert_eq!(
        store.object_meta(&same_key_theirs).await.expect("read"),
        None
    );
    let missing_backend = sample_object(Uuid::now_v7(), files.id, "u1", "x", b"");
    let result = store.put_object(&missing_backend, None).await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    for (owner, id) in [("u1", "b"), ("u1", "c"), ("u2", "a")] {
        let object = sample_object(mine.id, files.id, owner, id, b"12");
        store_object(&store, &object, b"12", None)
            .await
            .expect("put");
    }
    let theirs_object = sample_object(theirs.id, files.id, "u1", "photo", b"1234567");
    store
        .put_object_chunk(
            theirs.id,
            files.id,
            theirs_object.blob_id,
            0,
            b"1234567",
            Timestamp::now(),
        )
        .await
        .expect("piece");
    store.put_object(&theirs_object, None).await.expect("put");

    let query = |owner: Option<&str>, text: Option<&str>, limit: u32, offset: u64| ObjectQuery {
        backend_id: mine.id,
        collection_id: files.id,
        owner: owner.map(str::to_owned),
        text: text.map(str::to_owned),
        order_by: vec![(ObjectSortKey::Id, SortDirection::Descending)],
        page: page(limit, offset),
    };
    let ids = |page: &berth_core::page::Page<ObjectMeta>| {
        page.items
            .iter()
            .map(|m| format!("{}/{}", m.key.owner, m.key.id))
            .collect::<Vec<_>>()
    };
    let own = store
        .list_objects(&query(Some("u1"), None, 2, 0))
        .await
        .expect("list");
    assert_eq!(ids(&own), ["u1/photo", "u1/c"]);
    assert!(own.has_more);
    assert_eq!(own.total, Some(3));
    let rest = store
        .list_objects(&query(Some("u1"), None, 2, 2))
        .await
        .expect("list");
    assert_eq!(ids(&rest), ["u1/b"]);
    assert!(!rest.has_more);
    let all = store
        .list_objects(&query(None, None, 10, 0))
        .await
        .expect("list");
    assert_eq!(ids(&all), ["u1/photo", "u1/c", "u1/b", "u2/a"]);
    // Text matches id, name, createdBy or modifiedBy, case-insensitively, wildcards literally.
    let by_text = store
        .list_objects(&query(None, Some("PHOTO"), 10, 0))
        .await
        .expect("list");
    assert_eq!(ids(&by_text), ["u1/photo"]);
    let by_modifier = store
        .list_objects(&query(None, Some("an"), 10, 0))
        .await
        .expect("list");
    assert_eq!(ids(&by_modifier), ["u1/photo"]);
    let wildcard = store
        .list_objects(&query(None, Some("%"), 10, 0))
        .await
        .expect("list");
    assert!(wildcard.items.is_empty());

    assert_eq!(
        store.objects_size(mine.id, files.id).await.expect("size"),
        5 + 2 * 3
    );
    assert_eq!(
        store.objects_size(theirs.id, files.id).await.expect("size"),
        7
    );

    let stale = store.delete_object(&first.key, 1).await;
    assert!(
        matches!(stale, Err(StoreError::VersionConflict)),
        "{stale:?}"
    );
    store.delete_object(&first.key, 2).await.expect("delete");
    let gone = store.delete_object(&first.key, 2).await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
    assert!(
        store
            .object_meta(&theirs_object.key)
            .await
            .expect("read")
            .is_some()
    );

    // Purging a backend removes its objects, not another's.
    store.delete_backend(mine.id, 1).await.expect("purge");
    assert_eq!(
        store.objects_size(mine.id, files.id).await.expect("size"),
        0
    );
    assert_eq!(
        store.objects_size(theirs.id, files.id).await.expect("size"),
        7
    );
}
