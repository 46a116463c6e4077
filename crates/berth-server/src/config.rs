//! Where the data lives, and opening the store it names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use berth_core::Store;
use berth_store_sqlite::SqliteStore;

pub const DEFAULT_DATA_DIR: &str = "./berth-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The storage options shared by `serve` and every CLI command.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageArgs {
    /// Folder for the embedded database and the admin token file.
    #[arg(long, env = "BERTH_DATA_DIR", default_value = DEFAULT_DATA_DIR, global = true)]
    pub data_dir: PathBuf,

    /// Use an external database instead of the embedded one (postgres://…).
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
        "PostgreSQL storage is not supported yet (asked for by --database-url / BERTH_DATABASE_URL); \
         leave it unset to use the embedded SQLite database in --data-dir"
    )]
    PostgresNotSupportedYet,
    #[error(
        "the database URL scheme of {0:?} is not supported; use postgres://… or leave it unset for SQLite"
    )]
    UnknownScheme(String),
    #[error(transparent)]
    Sqlite(#[from] berth_store_sqlite::OpenError),
}

impl StorageArgs {
    pub async fn open(&self) -> Result<Arc<dyn Store>, StorageError> {
        match self.database_url.as_deref().map(str::trim) {
            None | Some("") => Ok(Arc::new(SqliteStore::open(&self.data_dir).await?)),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Err(StorageError::PostgresNotSupportedYet)
            }
            Some(url) => Err(StorageError::UnknownScheme(redact(url))),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

/// A URL fit for logs: any password replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://h/db"), "postgres://h/db");
    }
}
