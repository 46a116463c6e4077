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
