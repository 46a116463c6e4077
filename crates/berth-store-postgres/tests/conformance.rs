//! The shared storage conformance suite, on a fresh PostgreSQL database per story.
//!
//! Needs a server: `BERTH_TEST_DATABASE_URL` names it (`./scripts/test` starts one and sets it).
//! Without it every story fails, saying so, rather than passing without having run.

use std::sync::Arc;

use berth_core::Store;
use berth_store_postgres::PgStore;
use berth_store_postgres::test_support::{create_test_database, require_test_server_url};

async fn fresh_store() -> Arc<dyn Store> {
    let server = require_test_server_url();
    let url = create_test_database(&server)
        .await
        .expect("create a test database on BERTH_TEST_DATABASE_URL");
    Arc::new(PgStore::connect(&url).await.expect("open store"))
}

berth_store_tests::conformance_tests!(fresh_store());

/// Nodes that start together on an empty database all come up: the migrator's advisory lock lets
/// one apply the schema while the others wait, and they then find it current.
#[tokio::test]
async fn nodes_starting_together_migrate_once() {
    let url = create_test_database(&require_test_server_url())
        .await
        .expect("create a test database on BERTH_TEST_DATABASE_URL");
    let nodes: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PgStore::connect(&url).await })
        })
        .collect();
    for node in nodes {
        let store = node
            .await
            .expect("join")
            .expect("every node opens the store");
        store.health().await.expect("healthy");
    }
    let store = PgStore::connect(&url).await.expect("open store");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .expect("count migrations");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations folder")
        .count();
    assert_eq!(applied, files as i64, "each migration applied once");
}

/// PostgreSQL cannot store U+0000 in text (SQLite can): lookups by such text find nothing, writes of
/// it fail with a message that says so, and login failures of any key are counted.
#[tokio::test]
async fn text_with_nul_is_not_found_or_refused() {
    use berth_core::StoreError;
    use berth_core::Timestamp;
    use berth_core::monaql::Criteria;
    use berth_core::page::PageRequest;
    use berth_core::store::UserQuery;
    use serde_json::json;

    let store = fresh_store().await;
    let backend = berth_store_tests::sample_backend("Nul", "1");
    store.insert_backend(&backend).await.expect("backend");
    let collection = berth_store_tests::sample_collection(backend.id, "Things", &[]);
    store.create_collection(&collection).await.expect("create");

    let nul = "a\u{0}b";
    assert!(
        store
            .user_by_username(backend.id, nul)
            .await
            .expect("read")
            .is_none()
    );
    assert!(store.user(backend.id, nul).await.expect("read").is_none());
    assert!(
        store
            .collection(backend.id, nul)
            .await
            .expect("read")
            .is_none()
    );
    assert!(store.item(&collection, nul).await.expect("read").is_none());
    assert!(store.device(backend.id, nul).await.expect("read").is_none());
    let listed = store
        .list_users(
            backend.id,
            &UserQuery {
                criteria: Criteria::match_all(),
                name_filter: Some(nul.to_owned()),
                sort: vec![],
                page: PageRequest {
                    limit: 10,
                    offset: 0,
                    with_total: true,
                },
            },
        )
        .await
        .expect("list");
    assert_eq!(listed.total, Some(0));

    let refused = store
        .insert_item(
            &collection,
            &berth_store_tests::sample_item(json!({ "t": nul })),
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Internal(e)) if e.to_string().contains("U+0000")),
        "{refused:?}"
    );
    let user = berth_store_tests::sample_user(backend.id, nul, json!({}));
    assert!(matches!(
        store.insert_user(&user).await,
        Err(StoreError::Internal(_))
    ));

    let now = Timestamp::now();
    let since = Timestamp::from_millis(now.as_millis() - 60_000);
    for expected in 1..=2 {
        let count = store
            .record_login_failure(backend.id, nul, now, since)
            .await
            .expect("counted");
        assert_eq!(count, expected);
    }
    assert_eq!(
        store
            .login_failures(backend.id, "a\\0b", since)
            .await
            .expect("read"),
        0,
        "an escaped key stays distinct"
    );
}
