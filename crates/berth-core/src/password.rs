//! User passwords: Argon2id PHC strings (algorithm, parameters and salt travel inside the string, so
//! parameters can be raised later and old hashes still verify). Hashing is deliberately slow, so it
//! runs on the blocking pool, and a semaphore keeps a login flood from taking every core.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::error::{Error, Result, StoreError};

/// At most this many hashes are computed at once; others wait their turn.
static HASHING_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    Semaphore::new(cores.max(2))
});

fn internal(message: String) -> Error {
    Error::Store(StoreError::Internal(message.into()))
}

pub async fn hash_password(password: &str) -> Result<String> {
    let _slot = HASHING_SLOTS
        .acquire()
        .await
        .map_err(|e| internal(e.to_string()))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| internal(e.to_string()))?
}

/// Constant-time verification against a stored PHC string; a malformed stored hash never verifies.
pub async fn verify_password(password: &str, stored: &str) -> Result<bool> {
    let _slot = HASHING_SLOTS
        .acquire()
        .await
        .map_err(|e| internal(e.to_string()))?;
    let password = password.to_owned();
    let stored = stored.to_owned();
    tokio::task::spawn_blocking(move || match PasswordHash::new(&stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    })
    .await
    .map_err(|e| internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let hash = hash_password("correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse", &hash)
                .await
                .expect("verify")
        );
        assert!(!verify_password("wrong horse", &hash).await.expect("verify"));
        assert!(
            !verify_password("correct horse", "not a hash")
                .await
                .expect("verify")
        );
        assert_ne!(
            hash,
            hash_password("correct horse").await.expect("hash"),
            "salted"
        );
    }
}
