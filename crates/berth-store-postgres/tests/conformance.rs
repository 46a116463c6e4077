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
