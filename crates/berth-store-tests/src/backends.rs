use std::sync::Arc;

use berth_core::backend::{BackendQuery, BackendSortKey, FlagFilter};
use berth_core::page::SortDirection;
use berth_core::store::Store;
use berth_core::{StoreError, Timestamp};

use crate::sample_backend;

pub async fn backend_round_trips(store: Arc<dyn Store>) {
    let backend = sample_backend("FixItFast", "1.0");
    store.insert_backend(&backend).await.expect("insert");
    let by_client = store
        .backend_by_client_id(&backend.credentials.client_id)
        .await
        .expect("read");
    assert_eq!(by_client.as_ref(), Some(&backend));
    let by_basic = store
        .backend_by_basic_auth_id(backend.credentials.basic_auth_backend_id)
        .await
        .expect("read");
    assert_eq!(by_basic.as_ref(), Some(&backend));
    assert!(
        store
            .backend_by_client_id("nobody")
            .await
            .expect("read")
            .is_none()
    );
    let read = store
        .backend(backend.id)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(read, backend);
    assert!(
        store
            .backend(uuid::Uuid::now_v7())
            .await
            .expect("read")
            .is_none()
    );
}

pub async fn backend_name_and_version_are_unique_ignoring_case(store: Arc<dyn Store>) {
    let mut first = sample_backend("Shop", "1.0");
    first.in_trash = true;
    store.insert_backend(&first).await.expect("insert");
    let clash = store.insert_backend(&sample_backend("SHOP", "1.0")).await;
    assert!(
        matches!(clash, Err(StoreError::AlreadyExists(_))),
        "{clash:?}"
    );
    store
        .insert_backend(&sample_backend("Shop", "2.0"))
        .await
        .expect("another version of the same name is fine");
}

pub async fn replace_backend_checks_the_revision(store: Arc<dyn Store>) {
    let backend = sample_backend("Orders", "1.0");
    store.insert_backend(&backend).await.expect("insert");

    let mut next = backend.clone();
    next.description = Some("changed".to_owned());
    next.revision = 2;
    store
        .replace_backend(&next, 1)
        .await
        .expect("replace at revision 1");
    assert_eq!(
        store.backend(backend.id).await.expect("read"),
        Some(next.clone())
    );

    let stale = store.replace_backend(&next, 1).await;
    assert!(
        matches!(stale, Err(StoreError::VersionConflict)),
        "{stale:?}"
    );

    let mut ghost = sample_backend("Ghost", "1.0");
    ghost.revision = 2;
    let missing = store.replace_backend(&ghost, 1).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

pub async fn replace_backend_refuses_a_name_clash(store: Arc<dyn Store>) {
    let taken = sample_backend("Taken", "1.0");
    let other = sample_backend("Other", "1.0");
    store.insert_backend(&taken).await.expect("insert");
    store.insert_backend(&other).await.expect("insert");
    let mut renamed = other.clone();
    renamed.name = "taken".to_owned();
    renamed.revision = 2;
    let clash = store.replace_backend(&renamed, 1).await;
    assert!(
        matches!(clash, Err(StoreError::AlreadyExists(_))),
        "{clash:?}"
    );
    assert_eq!(store.backend(other.id).await.expect("read"), Some(other));
}

pub async fn delete_backend_checks_the_revision_and_takes_its_keys(store: Arc<dyn Store>) {
    let backend = sample_backend("Doomed", "1.0");
    store.insert_backend(&backend).await.expect("insert");
    let key = crate::sample_key(backend.id);
    store.insert_management_key(&key).await.expect("key");

    let stale = store.delete_backend(backend.id, 7).await;
    assert!(
        matches!(stale, Err(StoreError::VersionConflict)),
        "{stale:?}"
    );
    store.delete_backend(backend.id, 1).await.expect("delete");
    assert!(store.backend(backend.id).await.expect("read").is_none());
    assert!(
        store
            .management_key_by_hash(backend.id, &key.key_hash)
            .await
            .expect("read")
            .is_none()
    );
    let again = store.delete_backend(backend.id, 1).await;
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
}

pub async fn list_backends_filters(store: Arc<dyn Store>) {
    let alpha = sample_backend("Alpha", "1.0");
    let mut beta = sample_backend("Beta", "1.0");
    beta.in_trash = true;
    beta.deleted_on = Some(Timestamp::now());
    let mut gamma = sample_backend("Gamma", "1.0");
    gamma.inactive = true;
    gamma.modified_on = Timestamp::from_millis(1_000);
    for b in [&alpha, &beta, &gamma] {
        store.insert_backend(b).await.expect("insert");
    }
    let names = |query: BackendQuery| {
        let store = store.clone();
        async move {
            let page = store.list_backends(&query).await.expect("list");
            page.items.into_iter().map(|b| b.name).collect::<Vec<_>>()
        }
    };

    assert_eq!(
        names(BackendQuery::default()).await,
        ["Alpha", "Gamma"],
        "trash is hidden by default"
    );
    let only_trash = BackendQuery {
        trash: FlagFilter::Only,
        ..Default::default()
    };
    assert_eq!(names(only_trash).await, ["Beta"]);
    let everything = BackendQuery {
        trash: FlagFilter::Either,
        ..Default::default()
    };
    assert_eq!(names(everything).await, ["Alpha", "Beta", "Gamma"]);
    let inactive = BackendQuery {
        inactive: FlagFilter::Only,
        ..Default::default()
    };
    assert_eq!(names(inactive).await, ["Gamma"]);
    let active = BackendQuery {
        inactive: FlagFilter::Without,
        ..Default::default()
    };
    assert_eq!(names(active).await, ["Alpha"]);
    let by_id = BackendQuery {
        ids: vec![gamma.id, beta.id],
        trash: FlagFilter::Either,
        ..Default::default()
    };
    assert_eq!(names(by_id).await, ["Beta", "Gamma"]);
    let excluding = BackendQuery {
        exclude: vec![alpha.id],
        ..Default::default()
    };
    assert_eq!(names(excluding).await, ["Gamma"]);
    let recent = BackendQuery {
        changed_since: Some(Timestamp::now().minus_millis(60_000)),
        trash: FlagFilter::Either,
        ..Default::default()
    };
    assert_eq!(
        names(recent).await,
        ["Alpha", "Beta"],
        "Gamma was last modified long ago"
    );
    let search = BackendQuery {
        name_contains: Some("MM".to_owned()),
        ..Default::default()
    };
    assert_eq!(names(search).await, ["Gamma"]);
}

pub async fn list_backends_orders_and_pages(store: Arc<dyn Store>) {
    for (name, version) in [("b", "1"), ("A", "2"), ("a", "1"), ("C", "1"), ("d", "1")] {
        store
            .insert_backend(&sample_backend(name, version))
            .await
            .expect("insert");
    }
    let mut query = BackendQuery::default();
    query.page.limit = 2;
    query.page.with_total = true;
    let first = store.list_backends(&query).await.expect("list");
    let pairs = |page: &berth_core::page::Page<berth_core::backend::Backend>| {
        page.items
            .iter()
            .map(|b| format!("{}:{}", b.name, b.version))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pairs(&first),
        ["a:1", "A:2"],
        "names sort ignoring case, then by version"
    );
    assert!(first.has_more);
    assert_eq!(first.total, Some(5));

    query.page.offset = 4;
    let last = store.list_backends(&query).await.expect("list");
    assert_eq!(pairs(&last), ["d:1"]);
    assert!(!last.has_more);

    let descending = BackendQuery {
        order_by: vec![(BackendSortKey::Name, SortDirection::Descending)],
        ..Default::default()
    };
    let page = store.list_backends(&descending).await.expect("list");
    assert_eq!(page.items.first().map(|b| b.name.as_str()), Some("d"));
    assert_eq!(page.total, None, "no count unless asked for");
}

pub async fn list_backends_name_search_treats_wildcards_literally(store: Arc<dyn Store>) {
    store
        .insert_backend(&sample_backend("with_underscore", "1"))
        .await
        .expect("insert");
    store
        .insert_backend(&sample_backend("withXunderscore", "1"))
        .await
        .expect("insert");
    let query = BackendQuery {
        name_contains: Some("h_u".to_owned()),
        ..Default::default()
    };
    let page = store.list_backends(&query).await.expect("list");
    let names: Vec<_> = page.items.into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["with_underscore"]);
    let percent = BackendQuery {
        name_contains: Some("%".to_owned()),
        ..Default::default()
    };
    assert!(
        store
            .list_backends(&percent)
            .await
            .expect("list")
            .items
            .is_empty()
    );
}
