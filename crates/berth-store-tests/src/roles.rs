use std::sync::Arc;

use berth_core::store::Store;
use berth_core::{StoreError, Timestamp};
use serde_json::json;
use uuid::Uuid;

use crate::{sample_backend, sample_user};

pub async fn roles_and_memberships_belong_to_one_backend(store: Arc<dyn Store>) {
    let mine = sample_backend("Mine", "1.0");
    let theirs = sample_backend("Theirs", "1.0");
    store.insert_backend(&mine).await.expect("insert");
    store.insert_backend(&theirs).await.expect("insert");
    let now = Timestamp::now();
    for role in ["Technician", "Manager"] {
        store.insert_role(mine.id, role, now).await.expect("role");
    }
    store
        .insert_role(theirs.id, "Auditor", now)
        .await
        .expect("role");
    let twice = store.insert_role(mine.id, "Manager", now).await;
    assert!(
        matches!(twice, Err(StoreError::AlreadyExists(_))),
        "{twice:?}"
    );
    let orphan = store.insert_role(Uuid::now_v7(), "Manager", now).await;
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");
    assert_eq!(
        store.roles(mine.id).await.expect("roles"),
        ["Manager", "Technician"]
    );
    assert_eq!(store.roles(theirs.id).await.expect("roles"), ["Auditor"]);

    let user = sample_user(mine.id, "joe", json!({}));
    store.insert_user(&user).await.expect("user");
    store
        .set_user_roles(
            mine.id,
            &user.id,
            &["Technician".to_owned(), "Manager".to_owned()],
        )
        .await
        .expect("set roles");
    assert_eq!(
        store.user_roles(mine.id, &user.id).await.expect("roles"),
        ["Manager", "Technician"]
    );

    // A role of another backend, or none at all: nothing changes.
    for unknown in ["Auditor", "Nobody"] {
        let result = store
            .set_user_roles(mine.id, &user.id, &[unknown.to_owned()])
            .await;
        assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    }
    assert_eq!(
        store.user_roles(mine.id, &user.id).await.expect("roles"),
        ["Manager", "Technician"]
    );
    // The user is not one of the other backend's.
    let cross = store
        .set_user_roles(theirs.id, &user.id, &["Auditor".to_owned()])
        .await;
    assert!(matches!(cross, Err(StoreError::NotFound)), "{cross:?}");
    assert!(
        store
            .user_roles(theirs.id, &user.id)
            .await
            .expect("roles")
            .is_empty()
    );

    let cross_delete = store.delete_role(theirs.id, "Manager").await;
    assert!(
        matches!(cross_delete, Err(StoreError::NotFound)),
        "{cross_delete:?}"
    );
    store.delete_role(mine.id, "Manager").await.expect("delete");
    assert_eq!(store.roles(mine.id).await.expect("roles"), ["Technician"]);
    assert_eq!(
        store.user_roles(mine.id, &user.id).await.expect("roles"),
        ["Technician"]
    );

    store
        .set_user_roles(mine.id, &user.id, &[])
        .await
        .expect("clear");
    assert!(
        store
            .user_roles(mine.id, &user.id)
            .await
            .expect("roles")
            .is_empty()
    );
}
