//! Secrets that must be read back (push provider keys) are kept encrypted with AES-256-GCM under a
//! key the operator holds outside the database (a file in the data folder or `BERTH_SECRET_KEY`), so a
//! copy of the database alone does not give them away.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};

/// Length of the hex form of a key.
pub const KEY_HEX_LEN: usize = 64;

#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the secret key must be {KEY_HEX_LEN} hexadecimal characters")]
    MalformedKey,
    #[error("the sealed value cannot be opened with this secret key (was the key changed?)")]
    WrongKey,
}

impl SecretKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self(bytes)
    }

    pub fn from_hex(text: &str) -> Result<Self, SealError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SealError::MalformedKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SealError::MalformedKey)?;
        Ok(Self(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A random 96-bit nonce followed by the ciphertext and tag.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new((&self.0).into());
        let mut nonce = [0u8; 12];
        rand::fill(&mut nonce);
        let mut sealed = nonce.to_vec();
        // Encryption with a valid key and nonce length cannot fail.
        sealed.extend(
            cipher
                .encrypt(&Nonce::from(nonce), plaintext)
                .unwrap_or_default(),
        );
        sealed
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 12 {
            return Err(SealError::WrongKey);
        }
        let (nonce, ciphertext) = sealed.split_at(12);
        Aes256Gcm::new((&self.0).into())
            .decrypt(
                &Nonce::from(<[u8; 12]>::try_from(nonce).map_err(|_| SealError::WrongKey)?),
                ciphertext,
            )
            .map_err(|_| SealError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"private key");
        assert!(!sealed.windows(7).any(|w| w == b"private"));
        assert_eq!(key.open(&sealed).ok(), Some(b"private key".to_vec()));
        assert!(SecretKey::generate().open(&sealed).is_err());
        let again = SecretKey::from_hex(&key.to_hex()).expect("round trip");
        assert_eq!(again.open(&sealed).ok(), Some(b"private key".to_vec()));
    }
}
