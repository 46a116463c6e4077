//! Where the data lives, and opening the store it names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use berth_core::Store;
use berth_store_postgres::PgStore;
use berth_store_sqlite::SqliteStore;

/// A URL (database, SMTP server) with its passwords replaced by `***`, for logs and messages.
pub use berth_store_postgres::redact;

pub const DEFAULT_DATA_DIR: &str = "./berth-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The storage options shared by `serve` and every CLI command.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageArgs {
    /// Folder for the embedded database (unless --database-url is set) and the admin token file.
    #[arg(long, env = "BERTH_DATA_DIR", default_value = DEFAULT_DATA_DIR, global = true)]
    pub data_dir: PathBuf,

    /// Use PostgreSQL instead of the embedded SQLite database:
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE (several nodes may share it).
    #[arg(
        long,
        env = "BERTH_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "the database URL scheme of {0:?} is not supported; use postgres://… or leave it unset for SQLite"
    )]
    UnknownScheme(String),
    #[error(transparent)]
    Sqlite(#[from] berth_store_sqlite::OpenError),
    #[error(transparent)]
    Postgres(#[from] berth_store_postgres::OpenError),
}

impl StorageArgs {
    pub async fn open(&self) -> Result<Arc<dyn Store>, StorageError> {
        match self.database_url.as_deref().map(str::trim) {
            None | Some("") => Ok(Arc::new(SqliteStore::open(&self.data_dir).await?)),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Arc::new(PgStore::connect(url).await?))
            }
            Some(url) => Err(StorageError::UnknownScheme(redact(url))),
        }
    }

    /// Which database `open` uses, for logs: never with a password.
    pub fn target(&self) -> String {
        match self.database_url.as_deref().map(str::trim) {
            None | Some("") => format!("SQLite in {}", self.data_dir.display()),
            Some(url) => redact(url),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}
