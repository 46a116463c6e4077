//! Write access to the database, one writer at a time.
//!
//! SQLite lets one connection write at a time; another one that tries waits in SQLite's busy
//! handler, which sleeps in steps of milliseconds. Two connections write here:
//! - sqlx's writer pool, one connection on a worker thread of its own, for every other write;
//! - a connection the item writer (`group_commit`) drives on its own thread for the common group
//!   (nothing but new items of one collection), which spares the two thread hand-offs a query
//!   through sqlx costs (docs/performance.md, "The item writer's own connection").
//!
//! So writers take turns here, in-process, before they touch either connection: whoever holds the
//! turn is the only one writing.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::pool::PoolConnection;
use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard};

use crate::error::{OpenError, store_error};
use berth_core::StoreError;
use berth_core::store::StoreResult;

/// Pragmas of every connection that writes: both writers run with the same durability and checks.
pub(crate) const WRITER_PRAGMAS: [(&str, &str); 6] = [
    // With WAL, NORMAL loses nothing when the process dies; only a power cut can lose the last
    // commits. See docs/compat.md ("Durability").
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    // Statement journals (a multi-row write inside a savepoint needs one) and temporary b-trees
    // stay in memory instead of a file created and unlinked per statement.
    ("temp_store", "memory"),
    // 16 MiB of page cache per connection (SQLite's default is 2 MiB).
    ("cache_size", "-16384"),
    ("journal_size_limit", crate::checkpoint::WAL_SIZE_LIMIT),
    // Commits never copy the WAL back into the database (with its fsyncs) themselves:
    // `checkpoint::run` does that beside them.
    ("wal_autocheckpoint", "0"),
];

/// How long a writer waits for another process's write lock (`busy_timeout`).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a writer waits for its turn: well past any one write, so reaching it means a write
/// holds the turn it should have given back (it then fails as unavailable instead of hanging).
const TURN_TIMEOUT: Duration = Duration::from_secs(30);

fn turn_timed_out() -> StoreError {
    StoreError::Unavailable("timed out waiting for the turn to write".into())
}

/// The turn to write, and with it the connection the item writer uses on its own thread (`None` once
/// closed, or after it failed in a way that leaves its state unknown).
#[derive(Clone)]
pub(crate) struct Writer {
    pool: SqlitePool,
    turn: Arc<Mutex<Option<rusqlite::Connection>>>,
}

/// The writer pool's connection, held with the turn.
pub(crate) struct PooledWriter {
    // Dropped first: the connection goes back to the pool before the turn passes on.
    connection: PoolConnection<sqlx::Sqlite>,
    _turn: OwnedMutexGuard<Option<rusqlite::Connection>>,
}

impl Writer {
    /// `pool` must have exactly one connection.
    pub(crate) fn new(pool: SqlitePool, in_thread: rusqlite::Connection) -> Self {
        Self {
            pool,
            turn: Arc::new(Mutex::new(Some(in_thread))),
        }
    }

    /// Waits for the turn, then for the pool's connection.
    pub(crate) async fn connection(&self) -> StoreResult<PooledWriter> {
        let turn = tokio::time::timeout(TURN_TIMEOUT, self.turn.clone().lock_owned())
            .await
            .map_err(|_| turn_timed_out())?;
        let connection = self.pool.acquire().await.map_err(store_error)?;
        Ok(PooledWriter {
            connection,
            _turn: turn,
        })
    }

    /// Waits for the turn and hands over the connection the item writer drives on its own thread.
    pub(crate) async fn in_thread(
        &self,
    ) -> StoreResult<MutexGuard<'_, Option<rusqlite::Connection>>> {
        tokio::time::timeout(TURN_TIMEOUT, self.turn.lock())
            .await
            .map_err(|_| turn_timed_out())
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    pub(crate) async fn close(&self) {
        // Waits for a write in progress on it.
        if let Ok(mut turn) = self.in_thread().await {
            turn.take();
        }
        self.pool.close().await;
    }
}

impl std::ops::Deref for PooledWriter {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &Self::Target {
        &self.connection
    }
}

impl std::ops::DerefMut for PooledWriter {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.connection
    }
}

/// Opens the connection the item writer drives on its own thread, set up like the pool's writer.
pub(crate) fn open_in_thread(path: &Path) -> Result<rusqlite::Connection, OpenError> {
    let connection = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // One insert statement per collection written to; rusqlite's default cache holds 16.
    connection.set_prepared_statement_cache_capacity(256);
    // Already WAL (the pool's writer made it so); a connection cannot leave WAL on its own.
    let journal_mode: String =
        connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !journal_mode.eq_ignore_ascii_case("wal") {
        return Err(OpenError::NotWal(journal_mode));
    }
    for (name, value) in WRITER_PRAGMAS {
        connection.pragma_update(None, name, value)?;
    }
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::Row;

    use crate::SqliteStore;

    /// The two writers must not differ in durability, checks, checkpointing or patience.
    #[tokio::test]
    async fn both_writers_run_with_the_same_settings() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("open");
        // Every value as text: some pragmas answer a number, journal_mode a word.
        let pooled = async |sql: &str| -> String {
            let mut connection = store.writer.connection().await.expect("writer");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(&mut *connection)
                .await
                .expect(sql);
            row.try_get::<i64, _>(0)
                .map(|number| number.to_string())
                .or_else(|_| row.try_get::<String, _>(0))
                .expect(sql)
        };
        for name in [
            "journal_mode",
            "synchronous",
            "foreign_keys",
            "temp_store",
            "cache_size",
            "journal_size_limit",
            "wal_autocheckpoint",
            "busy_timeout",
        ] {
            let sql = format!("PRAGMA {name}");
            let in_thread = store
                .writer
                .in_thread()
                .await
                .expect("turn")
                .as_ref()
                .expect("in service")
                .query_row(&sql, [], |row| {
                    match row.get::<_, rusqlite::types::Value>(0)? {
                        rusqlite::types::Value::Integer(number) => Ok(number.to_string()),
                        rusqlite::types::Value::Text(text) => Ok(text),
                        other => panic!("{name} is {other:?}"),
                    }
                })
                .expect(&sql);
            assert_eq!(in_thread, pooled(&sql).await, "{name}");
        }
        assert_eq!(pooled("PRAGMA journal_mode").await, "wal");
        assert_eq!(pooled("PRAGMA synchronous").await, "1", "NORMAL");
        assert_eq!(pooled("PRAGMA wal_autocheckpoint").await, "0");
        store.close().await;
    }

    /// Another process writing (the `berth` CLI on the same data folder) holds up new items, on the
    /// item writer's thread, without failing them.
    #[tokio::test]
    async fn new_items_go_in_while_another_process_holds_the_write_lock() {
        use berth_core::store::{CollectionRepo, ItemRepo};

        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("open");
        let collection = berth_store_tests::stored_sample_collection(&store, &[]).await;
        let other_process =
            rusqlite::Connection::open(dir.path().join(crate::DATABASE_FILE)).expect("open");
        other_process
            .execute_batch("BEGIN IMMEDIATE")
            .expect("write lock");
        let item = berth_store_tests::sample_item(serde_json::json!({"score": 1}));
        let insert = tokio::spawn({
            let (store, collection, item) = (store.clone(), collection.clone(), item.clone());
            async move { store.insert_item(&collection, &item).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!insert.is_finished(), "waits for the lock");
        other_process.execute_batch("COMMIT").expect("release");
        insert.await.expect("task").expect("insert");
        assert_eq!(
            store.item(&collection, &item.id).await.expect("read"),
            Some(item)
        );
        let stored = store
            .collection(collection.backend_id, &collection.name)
            .await
            .expect("read")
            .expect("collection");
        assert_eq!(stored.item_count, 1);
        assert!(
            store.writer.in_thread().await.expect("turn").is_some(),
            "still in service"
        );
        store.close().await;
    }
}
