//! The WAL stays bounded under a steady stream of writes (SQLite only: PostgreSQL has no such file).

use std::sync::Arc;

use berth_core::store::{BackendRepo, CollectionRepo, ItemRepo};
use berth_store_sqlite::SqliteStore;
use berth_store_tests::{sample_backend, sample_collection, sample_item};
use serde_json::json;

/// What the writes put in the WAL, were it never started over.
const WRITTEN_BYTES: usize = 96 << 20;
/// The bound: the `journal_size_limit` (64 MiB), which the WAL passes only if it never starts over.
const WAL_LIMIT_BYTES: u64 = 64 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_while_writes_keep_coming() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path()).await.expect("open store"));
    let backend = sample_backend("Wal", "1.0");
    store.insert_backend(&backend).await.expect("backend");
    let collection = sample_collection(backend.id, "Blobs", &[]);
    store
        .create_collection(&collection)
        .await
        .expect("collection");

    // 16 writers without pause, each item some 8 KiB: the WAL gets no quiet moment to start over in.
    let padding = "x".repeat(8 << 10);
    let per_writer = WRITTEN_BYTES / padding.len() / 16;
    let mut writers = Vec::new();
    for _ in 0..16 {
        let (store, collection, padding) = (store.clone(), collection.clone(), padding.clone());
        writers.push(tokio::spawn(async move {
            for _ in 0..per_writer {
                let item = sample_item(json!({ "padding": padding }));
                store.insert_item(&collection, &item).await.expect("insert");
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let wal = std::fs::metadata(dir.path().join("berth.db-wal"))
        .expect("WAL file")
        .len();
    assert!(
        wal <= WAL_LIMIT_BYTES,
        "WAL is {wal} bytes after writing {WRITTEN_BYTES} bytes"
    );
    assert_eq!(
        store
            .collection(backend.id, "Blobs")
            .await
            .expect("read")
            .expect("collection")
            .item_count,
        u64::try_from(per_writer * 16).expect("count")
    );
    store.close().await;
}
