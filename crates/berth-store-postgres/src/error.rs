use berth_core::StoreError;

/// Why [`crate::PgStore::connect`] failed. Every message names the server without the password.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL does not parse; the message shows it with any password replaced by `***`.
    #[error("the database URL {url} is not valid: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("cannot bring the schema of {target} up to date: {reason}")]
    Migration { target: String, reason: String },
}

impl OpenError {
    /// The same error with every form of `url`'s password taken out of its text.
    pub(crate) fn scrubbed(self, url: &str) -> Self {
        let clean = |text: String| crate::redact::scrub(&text, url);
        match self {
            OpenError::InvalidUrl { url, reason } => OpenError::InvalidUrl {
                url: clean(url),
                reason: clean(reason),
            },
            OpenError::Connect { target, reason } => OpenError::Connect {
                target: clean(target),
                reason: clean(reason),
            },
            OpenError::Migration { target, reason } => OpenError::Migration {
                target: clean(target),
                reason: clean(reason),
            },
        }
    }
}

/// Maps a driver error to the store's terms: constraint violations become domain outcomes,
/// connection trouble and overload become retryable.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::AlreadyExists("unique value")
        }
        // The parent row (e.g. the backend) is gone.
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => StoreError::Unavailable(Box::new(error)),
        sqlx::Error::Database(db) if is_transient(db.code().as_deref()) => {
            StoreError::Unavailable(Box::new(error))
        }
        _ => StoreError::Internal(Box::new(error)),
    }
}

/// SQLSTATEs after which the same request may well succeed: connection exceptions (class 08),
/// serialization failures and deadlocks (40001, 40P01), insufficient resources (class 53), and the
/// server shutting down or starting up (57P01–57P03).
fn is_transient(code: Option<&str>) -> bool {
    code.is_some_and(|code| {
        code.starts_with("08")
            || code.starts_with("53")
            || matches!(code, "40001" | "40P01" | "57P01" | "57P02" | "57P03")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn transient_states_are_recognised() {
        for code in ["08006", "53300", "40001", "40P01", "57P01", "57P03"] {
            assert!(super::is_transient(Some(code)), "{code}");
        }
        for code in ["23505", "23503", "42P01", "XX000"] {
            assert!(!super::is_transient(Some(code)), "{code}");
        }
        assert!(!super::is_transient(None));
    }
}
