//! Berth's embedded store: one SQLite database file in WAL mode.
//!
//! Writers take turns in-process instead of fighting over SQLite's file lock (see `writer`; item
//! writes are further committed in groups, see `group_commit`); reads use a separate pool and run
//! concurrently under WAL.

mod analytics;
mod appauth;
mod backends;
mod checkpoint;
mod collections;
mod error;
mod group_commit;
mod keys;
pub mod monaql;
mod oracle_storage;
mod paging;
mod push;
mod roles;
mod settings;
mod transfer;
mod users;
mod writer;

pub use transfer::SqliteTransferSource;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use berth_core::store::{CountCache, Store, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub use error::OpenError;
use group_commit::{GroupCommitter, ItemVersions};
use writer::Writer;

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "berth.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    reader: SqlitePool,
    /// Item writes, committed in groups by the item writer (see `group_commit`).
    item_writes: GroupCommitter,
    item_totals: Arc<CountCache>,
    item_versions: Arc<ItemVersions>,
    /// The connection that checkpoints the WAL in the background.
    checkpointer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) `berth.db` in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self, OpenError> {
        std::fs::create_dir_all(data_dir).map_err(|source| OpenError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let mut options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(writer::BUSY_TIMEOUT);
        // Readers and the checkpointer get the writers' pragmas too; they never commit a write, so
        // the write-only ones (`wal_autocheckpoint`) change nothing there.
        for (name, value) in writer::WRITER_PRAGMAS {
            options = options.pragma(name, value);
        }
        // A local file cannot hang up: pinging it before every query (sqlx's default) would only
        // double the round trips to each connection's worker thread.
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        collections::make_owner_indexes_partial(&writer).await?;
        let writer = Writer::new(writer, writer::open_in_thread(&path)?);
        let checkpointer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        tokio::spawn(checkpoint::run(checkpointer.clone(), writer.clone()));
        let reader = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        let item_versions = Arc::new(ItemVersions::default());
        Ok(Self {
            path,
            item_writes: GroupCommitter::start(writer.clone(), item_versions.clone())
                .map_err(OpenError::ItemWriterThread)?,
            item_totals: Arc::default(),
            item_versions,
            writer,
            reader,
            checkpointer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.checkpointer.close().await;
        self.writer.close().await;
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite database {}", self.path.display())
    }

    async fn health(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(error::store_error)?;
        Ok(())
    }
}
