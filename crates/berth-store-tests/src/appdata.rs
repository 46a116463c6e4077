use std::sync::Arc;

use berth_core::Timestamp;
use berth_core::appdata::{Access, Collection, Item, Permission, User};
use berth_core::monaql::{Criteria, Property, SystemProperty};
use berth_core::page::{PageRequest, SortDirection};
use berth_core::store::{ItemQuery, Store, UserQuery};
use berth_core::{StoreError, backend::Backend};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::sample_backend;

async fn stored_backend(store: &Arc<dyn Store>, name: &str) -> Backend {
    let backend = sample_backend(name, "1.0");
    store
        .insert_backend(&backend)
        .await
        .expect("insert backend");
    backend
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

pub fn sample_user(backend_id: Uuid, username: &str, properties: Value) -> User {
    let now = Timestamp::now();
    User {
        backend_id,
        id: format!("u{}", Uuid::now_v7()),
        username: username.to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        properties: object(properties),
        created_at: now,
        updated_at: now,
    }
}

pub fn sample_collection(backend_id: Uuid, name: &str, indexed: &[&str]) -> Collection {
    let now = Timestamp::now();
    Collection {
        backend_id,
        id: Uuid::now_v7(),
        name: name.to_owned(),
        is_insertable: true,
        default_public_permission: Access {
            read: true,
            write: false,
        },
        indexed_properties: indexed.iter().map(|p| (*p).to_owned()).collect(),
        item_count: 0,
        created_at: now,
        updated_at: now,
    }
}

/// Stores a new backend with one collection `GameScore` (its `indexed` properties indexed), for
/// a store's own tests, and returns the collection.
pub async fn stored_sample_collection(store: &dyn Store, indexed: &[&str]) -> Collection {
    let backend = sample_backend("Plans", "1");
    store.insert_backend(&backend).await.expect("backend");
    let collection = sample_collection(backend.id, "GameScore", indexed);
    store
        .create_collection(&collection)
        .await
        .expect("collection");
    collection
}

pub fn sample_item(data: Value) -> Item {
    let now = Timestamp::now();
    let mut permission = Permission::new();
    permission.insert(
        "public".to_owned(),
        Access {
            read: true,
            write: false,
        },
    );
    Item {
        id: Uuid::now_v7().to_string(),
        owner_user_oid: Some("u-owner".to_owned()),
        owner_device_oid: None,
        created_at: now,
        updated_at: now,
        permission,
        data: object(data),
    }
}

fn page(limit: u32, offset: u64) -> PageRequest {
    PageRequest {
        limit,
        offset,
        with_total: true,
    }
}

fn by(name: &str, direction: SortDirection) -> (Property, SortDirection) {
    (Property::Data(vec![name.to_owned()]), direction)
}

pub async fn users_round_trip_and_usernames_are_unique_per_backend(store: Arc<dyn Store>) {
    let mine = stored_backend(&store, "Mine").await;
    let theirs = stored_backend(&store, "Theirs").await;
    let joe = sample_user(mine.id, "joe", json!({ "age": 21, "tags": ["a"] }));
    store.insert_user(&joe).await.expect("insert");
    assert_eq!(
        store.user(mine.id, &joe.id).await.expect("read"),
        Some(joe.clone())
    );
    assert_eq!(
        store.user_by_username(mine.id, "joe").await.expect("read"),
        Some(joe.clone())
    );
    assert_eq!(
        store.user(theirs.id, &joe.id).await.expect("read"),
        None,
        "users never cross backends"
    );
    assert_eq!(
        store
            .user_by_username(theirs.id, "joe")
            .await
            .expect("read"),
        None
    );

    let clash = store
        .insert_user(&sample_user(mine.id, "joe", json!({})))
        .await;
    assert!(
        matches!(clash, Err(StoreError::AlreadyExists(_))),
        "{clash:?}"
    );
    store
        .insert_user(&sample_user(theirs.id, "joe", json!({})))
        .await
        .expect("the same name in another backend is fine");

    let mut renamed = joe.clone();
    renamed.username = "joseph".to_owned();
    renamed.properties.insert("age".to_owned(), json!(22));
    renamed.updated_at = Timestamp::from_millis(joe.updated_at.as_millis() + 5);
    store.update_user(&renamed).await.expect("update");
    assert_eq!(
        store.user(mine.id, &joe.id).await.expect("read"),
        Some(renamed)
    );
    let ghost = sample_user(mine.id, "ghost", json!({}));
    assert!(matches!(
        store.update_user(&ghost).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn deleting_users_is_all_or_nothing(store: Arc<dyn Store>) {
    let backend = stored_backend(&store, "Deleting").await;
    let a = sample_user(backend.id, "a", json!({}));
    let b = sample_user(backend.id, "b", json!({}));
    store.insert_user(&a).await.expect("insert");
    store.insert_user(&b).await.expect("insert");
    let partly = store
        .delete_users(backend.id, &[a.id.clone(), "u-missing".to_owned()])
        .await;
    assert!(matches!(partly, Err(StoreError::NotFound)), "{partly:?}");
    assert!(
        store.user(backend.id, &a.id).await.expect("read").is_some(),
        "nothing was deleted"
    );
    store
        .delete_users(backend.id, &[a.id.clone(), b.id.clone(), a.id.clone()])
        .await
        .expect("delete");
    assert!(store.user(backend.id, &a.id).await.expect("read").is_none());
    assert!(store.user(backend.id, &b.id).await.expect("read").is_none());
}

pub async fn users_are_listed_sorted_filtered_and_paged(store: Arc<dyn Store>) {
    let backend = stored_backend(&store, "Listing").await;
    let other = stored_backend(&store, "Other").await;
    for (name, age) in [("carol", 30), ("alice", 25), ("bob", 35), ("ALINA", 20)] {
        store
            .insert_user(&sample_user(backend.id, name, json!({ "age": age })))
            .await
            .expect("insert");
    }
    store
        .insert_user(&sample_user(other.id, "alien", json!({ "age": 1 })))
        .await
        .expect("insert");

    let query = |name_filter: Option<&str>, sort, page| UserQuery {
        criteria: Criteria::match_all(),
        name_filter: name_filter.map(str::to_owned),
        sort,
        page,
    };
    let names = |users: &[User]| users.iter().map(|u| u.username.clone()).collect::<Vec<_>>();

    let all = store
        .list_users(backend.id, &query(None, vec![], page(10, 0)))
        .await
        .expect("list");
    assert_eq!(
        names(&all.items),
        ["carol", "alice", "bob", "ALINA"],
        "creation order by default"
    );
    assert_eq!(all.total, Some(4));
    let by_age = store
        .list_users(
            backend.id,
            &query(None, vec![by("age", SortDirection::Descending)], page(2, 1)),
        )
        .await
        .expect("list");
    assert_eq!(names(&by_age.items), ["carol", "alice"]);
    assert!(by_age.has_more);
    let by_name = store
        .list_users(
            backend.id,
            &query(
                None,
                vec![(
                    Property::System(SystemProperty::Username),
                    SortDirection::Ascending,
                )],
                page(10, 0),
            ),
        )
        .await
        .expect("list");
    assert_eq!(names(&by_name.items), ["ALINA", "alice", "bob", "carol"]);
    let filtered = store
        .list_users(backend.id, &query(Some("ALI"), vec![], page(10, 0)))
        .await
        .expect("list");
    assert_eq!(names(&filtered.items), ["alice", "ALINA"]);
    assert_eq!(filtered.total, Some(2));
    let wildcard = store
        .list_users(backend.id, &query(Some("%"), vec![], page(10, 0)))
        .await
        .expect("list");
    assert!(wildcard.items.is_empty());
}

pub async fn collections_are_created_configured_and_dropped(store: Arc<dyn Store>) {
    let backend = stored_backend(&store, "Colls").await;
    let other = stored_backend(&store, "OtherColls").await;
    let scores = sample_collection(backend.id, "GameScore", &["score"]);
    store.create_collection(&scores).await.expect("create");
    let clash = store
        .create_collection(&sample_collection(backend.id, "GameScore", &[]))
        .await;
    assert!(
        matches!(clash, Err(StoreError::AlreadyExists(_))),
        "{clash:?}"
    );
    store
        .create_collection(&sample_collection(other.id, "GameScore", &[]))
        .await
        .expect("the same name in another backend is fine");
    store
        .create_collection(&sample_collection(backend.id, "Alpha", &[]))
        .await
        .expect("create");

    assert_eq!(
        store
            .collection(backend.id, "GameScore")
            .await
            .expect("read"),
        Some(scores.clone())
    );
    let names: Vec<String> = store
        .collections(backend.id)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Alpha", "GameScore"]);

    let mut changed = scores.clone();
    changed.is_insertable = false;
    changed.default_public_permission = Access {
        read: true,
        write: true,
    };
    changed.indexed_properties = vec!["playerName".to_owned(), "nested.level".to_owned()];
    store.update_collection(&changed).await.expect("update");
    assert_eq!(
        store
            .collection(backend.id, "GameScore")
            .await
            .expect("read"),
        Some(changed.clone())
    );

    store
        .insert_item(&changed, &sample_item(json!({ "score": 1 })))
        .await
        .expect("insert");
    store
        .drop_collection(backend.id, "GameScore")
        .await
        .expect("drop");
    assert!(
        store
            .collection(backend.id, "GameScore")
            .await
            .expect("read")
            .is_none()
    );
    assert!(matches!(
        store.drop_collection(backend.id, "GameScore").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_collection(&changed).await,
        Err(StoreError::NotFound)
    ));
    let after_drop = store.insert_item(&changed, &sample_item(json!({}))).await;
    assert!(
        matches!(after_drop, Err(StoreError::NotFound)),
        "{after_drop:?}"
    );
    assert!(
        store
            .collection(other.id, "GameScore")
            .await
            .expect("read")
            .is_some(),
        "other backends keep theirs"
    );

    // A new collection of the same name starts empty.
    let again = sample_collection(backend.id, "GameScore", &[]);
    store.create_collection(&again).await.expect("create again");
    let listed = store
        .list_items(
            &again,
            &ItemQuery {
                criteria: Criteria::match_all(),
                sort: vec![],
                page: page(10, 0),
                access: None,
            },
        )
        .await
        .expect("list");
    assert_eq!(listed.total, Some(0));
}

pub async fn items_round_trip_and_count(store: Arc<dyn Store>) {
    let backend = stored_backend(&store, "Items").await;
    let collection = sample_collection(backend.id, "Memo", &["score"]);
    store.create_collection(&collection).await.expect("create");
    let first = sample_item(
        json!({ "title": "x", "score": 5, "nested": { "a": [1, 2] }, "text": "日本語" }),
    );
    store
        .insert_item(&collection, &first)
        .await
        .expect("insert");
    assert_eq!(
        store.item(&collection, &first.id).await.expect("read"),
        Some(first.clone())
    );
    let duplicate = store.insert_item(&collection, &first).await;
    assert!(
        matches!(duplicate, Err(StoreError::AlreadyExists(_))),
        "{duplicate:?}"
    );

    let mut changed = first.clone();
    changed.data.insert("title".to_owned(), json!("y"));
    changed.updated_at = Timestamp::from_millis(first.updated_at.as_millis() + 1);
    store
        .update_item(&collection, &changed)
        .await
        .expect("update");
    assert_eq!(
        store.item(&collection, &first.id).await.expect("read"),
        Some(changed.clone())
    );

    let mut permission = Permission::new();
    permission.insert(
        "u-friend".to_owned(),
        Access {
            read: true,
            write: true,
        },
    );
    store
        .set_item_permissions(&collection, &[(first.id.clone(), permission.clone())])
        .await
        .expect("permission");
    let read = store
        .item(&collection, &first.id)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(read.permission, permission);
    assert_eq!(
        read.data, changed.data,
        "setting the permission keeps the data"
    );
    let ghost = sample_item(json!({}));
    assert!(matches!(
        store.update_item(&collection, &ghost).await,
        Err(StoreError::NotFound)
    ));
    let partly = store
        .set_item_permissions(
            &collection,
            &[
                (first.id.clone(), Permission::new()),
                (ghost.id.clone(), Permission::new()),
            ],
        )
        .await;
    assert!(matches!(partly, Err(StoreError::NotFound)), "{partly:?}");
    let unchanged = store
        .item(&collection, &first.id)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(unchanged.permission, permission, "all or nothing");

    let second = sample_item(json!({ "score": 7 }));
    store
        .insert_item(&collection, &second)
        .await
        .expect("insert");
    let counted = store
        .collection(backend.id, "Memo")
        .await
        .expect("read")
        .expect("present");
    assert_eq!(counted.item_count, 2);

    let partly = store
        .delete_items(&collection, &[first.id.clone(), "missing".to_owned()])
        .await;
    assert!(matches!(partly, Err(StoreError::NotFound)), "{partly:?}");
    assert_eq!(
        store
            .collection(backend.id, "Memo")
            .await
            .expect("read")
            .expect("present")
            .item_count,
        2
    );
    store
        .delete_items(&collection, &[first.id.clone(), second.id.clone()])
        .await
        .expect("delete");
    assert!(
        store
            .item(&collection, &first.id)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store
            .collection(backend.id, "Memo")
            .await
            .expect("read")
            .expect("present")
            .item_count,
        0
    );
}

/// Numbers come back as they went in: integers as integers, floats as the same floats, whatever
/// their size (a store may keep them as decimals, but not change them).
pub async fn item_numbers_round_trip(store: Arc<dyn Store>) {
    let backend = stored_backend(&store, "Numbers").await;
    let collection = sample_collection(backend.id, "Numbers", &["n"]);
    store.create_collection(&collection).await.expect("create");
    let item = sample_item(json!({
        "n": 2f64.powi(60),
        "int": i64::MAX,
        "negative": i64::MIN,
        "tenth": 0.1,
        "whole": 1.0,
        "big": 1e20,
        "huge": -1.5e300,
        "tiny": 5e-324,
        "list": [1, 1.5, 1e16, { "deep": 1.7976931348623157e308 }],
    }));
    store.insert_item(&collection, &item).await.expect("insert");
    let read = store
        .item(&collection, &item.id)
        .await
        .expect("read")
        .expect("present");
    for (name, value) in &item.data {
        assert_eq!(read.data.get(name), Some(value), "{name}");
    }
}

pub async fn items_are_listed_sorted_and_paged(store: Arc<dyn Store>) {
    let backend = stored_backend(&store, "Paging").await;
    let collection = sample_collection(backend.id, "GameScore", &["score"]);
    store.create_collection(&collection).await.expect("create");
    for (player, score) in [("a", 30), ("b", 10), ("c", 50), ("d", 20), ("e", 40)] {
        store
            .insert_item(
                &collection,
                &sample_item(json!({ "playerName": player, "score": score })),
            )
            .await
            .expect("insert");
    }
    let players = |items: &[Item]| {
        items
            .iter()
            .map(|i| i.data["playerName"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    let query = |sort, page| ItemQuery {
        criteria: Criteria::match_all(),
        sort,
        page,
        access: None,
    };

    let first = store
        .list_items(
            &collection,
            &query(vec![by("score", SortDirection::Descending)], page(2, 0)),
        )
        .await
        .expect("list");
    assert_eq!(players(&first.items), ["c", "e"]);
    assert!(first.has_more);
    assert_eq!(first.total, Some(5));
    let last = store
        .list_items(
            &collection,
            &query(vec![by("score", SortDirection::Descending)], page(2, 4)),
        )
        .await
        .expect("list");
    assert_eq!(players(&last.items), ["b"]);
    assert!(!last.has_more);
    let by_creation = store
        .list_items(&collection, &query(vec![], page(10, 0)))
        .await
        .expect("list");
    assert_eq!(players(&by_creation.items), ["a", "b", "c", "d", "e"]);
    let newest = store
        .list_items(
            &collection,
            &query(
                vec![(
                    Property::System(SystemProperty::CreatedAt),
                    SortDirection::Descending,
                )],
                page(1, 0),
            ),
        )
        .await
        .expect("list");
    assert_eq!(newest.items.len(), 1);
    let uncounted = ItemQuery {
        criteria: Criteria::match_all(),
        sort: vec![],
        page: PageRequest {
            limit: 10,
            offset: 0,
            with_total: false,
        },
        access: None,
    };
    assert_eq!(
        store
            .list_items(&collection, &uncounted)
            .await
            .expect("list")
            .total,
        None
    );
}

pub async fn purging_a_backend_removes_its_app_data(store: Arc<dyn Store>) {
    let doomed = stored_backend(&store, "Doomed").await;
    let kept = stored_backend(&store, "Kept").await;
    let doomed_collection = sample_collection(doomed.id, "Things", &["score"]);
    let kept_collection = sample_collection(kept.id, "Things", &[]);
    store
        .create_collection(&doomed_collection)
        .await
        .expect("create");
    store
        .create_collection(&kept_collection)
        .await
        .expect("create");
    let item = sample_item(json!({ "score": 1 }));
    store
        .insert_item(&doomed_collection, &item)
        .await
        .expect("insert");
    store
        .insert_item(&kept_collection, &sample_item(json!({})))
        .await
        .expect("insert");
    let user = sample_user(doomed.id, "gone", json!({}));
    store.insert_user(&user).await.expect("insert");

    store.delete_backend(doomed.id, 1).await.expect("purge");
    assert!(
        store
            .collection(doomed.id, "Things")
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .user(doomed.id, &user.id)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .item(&doomed_collection, &item.id)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store
            .collection(kept.id, "Things")
            .await
            .expect("read")
            .expect("kept")
            .item_count,
        1
    );
}

/// The total of a filtered list, asked again after each kind of item write, is always exact: stores
/// may remember totals, but only until the next write to the collection.
pub async fn filtered_totals_follow_every_item_write(store: Arc<dyn Store>) {
    use berth_core::monaql::{Scope, parse};
    use berth_core::store::{Principal, Right};

    let backend = stored_backend(&store, "Totals").await;
    let collection = sample_collection(backend.id, "Scores", &["score"]);
    store.create_collection(&collection).await.expect("create");
    let above_four = |access: Option<(Principal, Right)>| ItemQuery {
        criteria: parse("score > ?", &[json!(4)], Scope::Item).expect("criteria"),
        sort: vec![],
        page: page(1, 0),
        access,
    };
    let total = |access: Option<(Principal, Right)>| {
        let store = store.clone();
        let collection = collection.clone();
        let query = above_four(access);
        async move {
            store
                .list_items(&collection, &query)
                .await
                .expect("list")
                .total
                .expect("total")
        }
    };
    let stranger = Some((
        Principal {
            user_oid: Some("u-stranger".to_owned()),
            device_id: "d-stranger".to_owned(),
        },
        Right::Read,
    ));

    let items: Vec<Item> = [1, 5, 9]
        .into_iter()
        .map(|score| sample_item(json!({ "score": score })))
        .collect();
    for item in &items {
        store.insert_item(&collection, item).await.expect("insert");
    }
    assert_eq!(total(None).await, 2);
    assert_eq!(total(None).await, 2, "asked twice");
    assert_eq!(total(stranger.clone()).await, 2, "public may read");

    let seven = sample_item(json!({ "score": 7 }));
    store
        .insert_item(&collection, &seven)
        .await
        .expect("insert");
    assert_eq!(total(None).await, 3, "after an insert");

    let mut lowered = items[1].clone();
    lowered.data.insert("score".to_owned(), json!(2));
    store
        .update_item(&collection, &lowered)
        .await
        .expect("update");
    assert_eq!(total(None).await, 2, "after an update");

    assert_eq!(total(stranger.clone()).await, 2);
    store
        .set_item_permissions(&collection, &[(seven.id.clone(), Permission::new())])
        .await
        .expect("permission");
    assert_eq!(
        total(stranger.clone()).await,
        1,
        "after a permission change"
    );
    assert_eq!(total(None).await, 2, "the administrator still sees it");

    store
        .delete_items(&collection, std::slice::from_ref(&items[2].id))
        .await
        .expect("delete");
    assert_eq!(total(None).await, 1, "after a delete");
    let everything = ItemQuery {
        criteria: Criteria::match_all(),
        sort: vec![],
        page: page(1, 0),
        access: None,
    };
    let listed = store
        .list_items(&collection, &everything)
        .await
        .expect("list");
    assert_eq!(listed.total, Some(3));
}

/// Many inserts at once (as concurrent requests make them) each succeed or fail on their own: a
/// duplicate id fails alone, inserts into a dropped collection fail with `NotFound`, and the kept
/// count equals the rows.
pub async fn concurrent_inserts_succeed_or_fail_each_on_their_own(store: Arc<dyn Store>) {
    let backend = stored_backend(&store, "Concurrent").await;
    let kept = sample_collection(backend.id, "Kept", &["score"]);
    let dropped = sample_collection(backend.id, "Dropped", &[]);
    store.create_collection(&kept).await.expect("create");
    store.create_collection(&dropped).await.expect("create");
    let existing = sample_item(json!({ "score": 0 }));
    store.insert_item(&kept, &existing).await.expect("insert");
    store
        .drop_collection(backend.id, "Dropped")
        .await
        .expect("drop");

    // Two rounds of 40 writes at once: the first mixes two collections, the second has one
    // collection only (stores may write such a batch in one go and must still single out the
    // duplicates).
    let mut inserted = 0;
    for round in [0..40, 40..80] {
        let mut writes = Vec::new();
        for n in round {
            let store = store.clone();
            let (collection, item, expect) = match n % 10 {
                7 if n >= 40 => (kept.clone(), sample_item(json!({ "score": n })), "ok"),
                // The same id as an item already stored.
                3 => (kept.clone(), existing.clone(), "exists"),
                7 => (
                    dropped.clone(),
                    sample_item(json!({ "score": n })),
                    "not found",
                ),
                _ => (kept.clone(), sample_item(json!({ "score": n })), "ok"),
            };
            writes.push(tokio::spawn(async move {
                let result = store.insert_item(&collection, &item).await;
                (expect, item.id, result)
            }));
        }
        for write in writes {
            let (expect, id, result) = write.await.expect("task");
            match (expect, &result) {
                ("ok", Ok(())) => {
                    inserted += 1;
                    assert!(
                        store.item(&kept, &id).await.expect("read").is_some(),
                        "an answered insert is stored"
                    );
                }
                ("exists", Err(StoreError::AlreadyExists(_))) => {}
                ("not found", Err(StoreError::NotFound)) => {}
                _ => panic!("{expect}: {result:?}"),
            }
        }
    }
    let everything = ItemQuery {
        criteria: Criteria::match_all(),
        sort: vec![],
        page: page(100, 0),
        access: None,
    };
    let listed = store.list_items(&kept, &everything).await.expect("list");
    assert_eq!(listed.items.len(), inserted + 1);
    assert_eq!(listed.total, Some(inserted as u64 + 1));
    let stored = store
        .collection(backend.id, "Kept")
        .await
        .expect("read")
        .expect("present");
    assert_eq!(stored.item_count, inserted as u64 + 1);
}
