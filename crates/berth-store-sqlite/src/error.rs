use std::path::PathBuf;

use berth_core::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the SQLite database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot open the SQLite database for the item writer: {0}")]
    ItemWriter(#[from] rusqlite::Error),
    /// Berth's writers and readers rely on WAL; some file systems (network shares) cannot do it.
    #[error(
        "the SQLite database is not in WAL mode (journal_mode is {0}); put the data folder on a local disk"
    )]
    NotWal(String),
    #[error("cannot start the item writer's thread: {0}")]
    ItemWriterThread(#[source] std::io::Error),
    #[error("cannot bring the database schema up to date: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// Maps a driver error to the store's terms: constraint violations become domain outcomes,
/// connection trouble becomes retryable.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::AlreadyExists("unique value")
        }
        // The parent row (e.g. the backend) is gone.
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            StoreError::Unavailable(Box::new(error))
        }
        sqlx::Error::Database(db) if is_busy(db.code().as_deref()) => {
            StoreError::Unavailable(Box::new(error))
        }
        _ => StoreError::Internal(Box::new(error)),
    }
}

fn is_busy(code: Option<&str>) -> bool {
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6), including their extended codes.
    code.and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// A value read back from the database that does not parse means the file was changed behind our back.
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Internal(format!("stored {what} is not valid: {value:?}").into())
}
