//! The shared storage conformance suite, on a fresh SQLite database per story.

use std::sync::Arc;

use berth_core::Store;
use berth_store_sqlite::SqliteStore;

async fn fresh_store() -> Arc<dyn Store> {
    // The directory must outlive the store: leak it for the test process's lifetime.
    let dir = tempfile::tempdir().expect("temp dir").keep();
    Arc::new(SqliteStore::open(&dir).await.expect("open store"))
}

berth_store_tests::conformance_tests!(fresh_store());
