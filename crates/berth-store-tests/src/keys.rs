use std::sync::Arc;

use berth_core::backend::ManagementKey;
use berth_core::secret::{generate_token, hash_secret};
use berth_core::store::Store;
use berth_core::{StoreError, Timestamp};
use uuid::Uuid;

use crate::sample_backend;

pub fn sample_key(backend_id: Uuid) -> ManagementKey {
    let secret = generate_token();
    ManagementKey {
        id: Uuid::now_v7(),
        backend_id,
        label: Some("ci".to_owned()),
        key_hash: hash_secret(&secret),
        prefix: secret[..8].to_owned(),
        allowed_ip_range: Some("10.0.0.0/8".to_owned()),
        created_on: Timestamp::now(),
        created_by: "tester".to_owned(),
    }
}

pub async fn management_keys_belong_to_one_backend(store: Arc<dyn Store>) {
    let mine = sample_backend("Mine", "1.0");
    let theirs = sample_backend("Theirs", "1.0");
    store.insert_backend(&mine).await.expect("insert");
    store.insert_backend(&theirs).await.expect("insert");
    let first = sample_key(mine.id);
    let second = sample_key(mine.id);
    let foreign = sample_key(theirs.id);
    for key in [&first, &second, &foreign] {
        store.insert_management_key(key).await.expect("insert key");
    }

    assert_eq!(
        store.management_keys(mine.id).await.expect("list"),
        [first.clone(), second.clone()]
    );
    assert_eq!(
        store
            .management_key_by_hash(theirs.id, &foreign.key_hash)
            .await
            .expect("lookup"),
        Some(foreign.clone())
    );
    assert_eq!(
        store
            .management_key_by_hash(mine.id, &foreign.key_hash)
            .await
            .expect("lookup"),
        None,
        "another backend's key opens nothing here"
    );

    let cross = store.delete_management_key(mine.id, foreign.id).await;
    assert!(matches!(cross, Err(StoreError::NotFound)), "{cross:?}");
    assert!(
        store
            .management_key_by_hash(theirs.id, &foreign.key_hash)
            .await
            .expect("lookup")
            .is_some()
    );

    store
        .delete_management_key(mine.id, first.id)
        .await
        .expect("revoke");
    assert_eq!(
        store.management_keys(mine.id).await.expect("list"),
        [second]
    );
    assert!(
        store
            .management_key_by_hash(mine.id, &first.key_hash)
            .await
            .expect("lookup")
            .is_none()
    );
}

pub async fn management_key_for_a_missing_backend_is_refused(store: Arc<dyn Store>) {
    let orphan = sample_key(Uuid::now_v7());
    let result = store.insert_management_key(&orphan).await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
}
