//! Generated secrets (keys, tokens) and how they are kept: only a SHA-256 digest is stored for
//! anything that is only ever *checked*; comparison is constant-time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 32 bytes from the OS random source, hex-encoded: 64 characters from `[0-9a-f]`, safe in any
/// header, URL or cookie (the Monaca SDK reads session ids back with `[a-zA-Z0-9]+`).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// Digest stored in place of a high-entropy secret. A fast hash is right here: the secrets are 256-bit
/// random values, so there is nothing to brute-force; passwords use argon2 instead.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn secret_matches_hash(secret: &str, stored_hash: &str) -> bool {
    hash_secret(secret)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The first characters of a key, kept in clear so an operator can tell keys apart in a listing.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_hex() {
        let a = generate_token();
        let b = generate_token();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn hash_checks_only_the_right_secret() {
        let secret = generate_token();
        let stored = hash_secret(&secret);
        assert_ne!(stored, secret);
        assert!(secret_matches_hash(&secret, &stored));
        assert!(!secret_matches_hash("wrong", &stored));
    }
}
