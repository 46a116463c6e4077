//! Oracle Mobile Hub authentication: OAuth access tokens from `/oauth2/v1/token` (password and
//! client-credentials grants), and HTTP Basic with `Oracle-Mobile-Backend-ID` (a user's password or
//! the backend's anonymous key).
//!
//! Access tokens are self-contained and signed (HMAC-SHA256 with a key kept in the database, so every
//! node of a cluster accepts every token). A token names the backend, the user (or anonymous), its
//! expiry and a fingerprint of the client secret it was issued under: regenerating the secret revokes
//! every token issued before.

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::appdata::User;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::secret::{constant_time_eq, generate_token};
use crate::timestamp::Timestamp;

use super::Berth;

const SIGNING_KEY_SETTING: &str = "oauth_signing_key";
/// Lifetime of an access token, as `expires_in` reports it.
pub const ACCESS_TOKEN_SECONDS: u64 = 3600;

/// Who an Oracle platform call is made by.
#[derive(Debug, Clone)]
pub enum PlatformCaller {
    Anonymous,
    User(Box<User>),
}

/// How the token endpoint was asked.
pub enum Grant<'a> {
    Password {
        username: &'a str,
        password: &'a str,
    },
    ClientCredentials,
}

/// Why OAuth refused, in RFC 6749 terms (the token endpoint answers these, not Oracle problems).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    /// Unknown client or wrong secret (HTTP 401).
    InvalidClient,
    /// Wrong username or password (HTTP 400).
    InvalidGrant,
    /// The backend does not allow OAuth, or is trashed or inactive (HTTP 400).
    UnauthorizedClient,
}

fn secret_fingerprint(backend: &Backend) -> String {
    hex::encode(&Sha256::digest(backend.credentials.client_secret.as_bytes())[..8])
}

impl Berth {
    async fn signing_key(&self) -> Result<Vec<u8>> {
        if let Some(key) = self.store.setting(SIGNING_KEY_SETTING).await? {
            return Ok(key.into_bytes());
        }
        let key = generate_token();
        // Of nodes making a key at the same moment, the store keeps exactly one; the others use it.
        if self
            .store
            .put_setting_if_absent(SIGNING_KEY_SETTING, &key)
            .await?
        {
            return Ok(key.into_bytes());
        }
        self.store
            .setting(SIGNING_KEY_SETTING)
            .await?
            .map(String::into_bytes)
            .ok_or_else(|| {
                Error::Store(crate::StoreError::Internal(
                    "the token signing key vanished".into(),
                ))
            })
    }

    async fn sign(&self, payload: &str) -> Result<String> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.signing_key().await?)
            .map_err(|e| Error::Store(crate::StoreError::Internal(e.to_string().into())))?;
        mac.update(payload.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// The token endpoint: checks the client, then the grant, and issues a bearer token.
    pub async fn oauth_token(
        &self,
        client_id: &str,
        client_secret: &str,
        grant: Grant<'_>,
        address: IpAddr,
    ) -> Result<std::result::Result<(String, u64), OAuthError>> {
        let Some(backend) = self.store.backend_by_client_id(client_id).await? else {
            return Ok(Err(OAuthError::InvalidClient));
        };
        if !constant_time_eq(client_secret, &backend.credentials.client_secret) {
            self.refuse_key(backend.id, address).await?;
            return Ok(Err(OAuthError::InvalidClient));
        }
        if backend.in_trash || backend.inactive || !backend.oauth_enabled {
            return Ok(Err(OAuthError::UnauthorizedClient));
        }
        let subject = match grant {
            Grant::ClientCredentials => "-".to_owned(),
            Grant::Password { username, password } => {
                match self
                    .check_password_login(&backend, username, password, address)
                    .await
                {
                    Ok(user) => user.id,
                    Err(Error::Invalid(_)) => return Ok(Err(OAuthError::InvalidGrant)),
                    Err(other) => return Err(other),
                }
            }
        };
        let expires = Timestamp::now().as_millis() + (ACCESS_TOKEN_SECONDS * 1000) as i64;
        let payload = format!(
            "{}.{subject}.{expires}.{}",
            backend.id,
            secret_fingerprint(&backend)
        );
        let token = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            self.sign(&payload).await?
        );
        Ok(Ok((token, ACCESS_TOKEN_SECONDS)))
    }

    /// The backend and caller a bearer token stands for, if it is genuine, unexpired, and its
    /// backend's client secret has not changed since.
    pub async fn bearer_caller(&self, token: &str) -> Result<Option<(Backend, PlatformCaller)>> {
        let Some((encoded, signature)) = token.split_once('.') else {
            return Ok(None);
        };
        let Some(payload) = URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
        else {
            return Ok(None);
        };
        if !constant_time_eq(&self.sign(&payload).await?, signature) {
            return Ok(None);
        }
        let parts: Vec<&str> = payload.split('.').collect();
        let [backend_id, subject, expires, fingerprint] = parts[..] else {
            return Ok(None);
        };
        let (Ok(backend_id), Ok(expires)) = (Uuid::parse_str(backend_id), expires.parse::<i64>())
        else {
            return Ok(None);
        };
        if expires <= Timestamp::now().as_millis() {
            return Ok(None);
        }
        let Some(backend) = self.store.backend(backend_id).await? else {
            return Ok(None);
        };
        if backend.in_trash || backend.inactive || secret_fingerprint(&backend) != fingerprint {
            return Ok(None);
        }
        let caller = if subject == "-" {
            PlatformCaller::Anonymous
        } else {
            match self.store.user(backend.id, subject).await? {
                Some(user) => PlatformCaller::User(Box::new(user)),
                None => return Ok(None),
            }
        };
        Ok(Some((backend, caller)))
    }

    /// HTTP Basic with `Oracle-Mobile-Backend-ID` (the Basic-auth backend id, or the backend id):
    /// `credentials` is what follows `Basic `, either the anonymous key itself or base64 of
    /// `username:password`.
    pub async fn basic_caller(
        &self,
        backend_header: &str,
        credentials: &str,
        address: IpAddr,
    ) -> Result<Option<(Backend, PlatformCaller)>> {
        let Ok(id) = Uuid::parse_str(backend_header.trim()) else {
            return Ok(None);
        };
        let backend = match self.store.backend_by_basic_auth_id(id).await? {
            Some(backend) => Some(backend),
            None => self.store.backend(id).await?,
        };
        let Some(backend) = backend.filter(|b| !b.in_trash && !b.inactive && b.basic_auth_enabled)
        else {
            return Ok(None);
        };
        if constant_time_eq(credentials.trim(), &backend.credentials.anonymous_key) {
            return Ok(Some((backend, PlatformCaller::Anonymous)));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some((username, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return Ok(None);
        };
        match self
            .check_password_login(&backend, username, password, address)
            .await
        {
            Ok(user) => Ok(Some((backend, PlatformCaller::User(Box::new(user))))),
            Err(Error::Invalid(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Username and password of a backend user, with the same failure limits as app logins.
    async fn check_password_login(
        &self,
        backend: &Backend,
        username: &str,
        password: &str,
        address: IpAddr,
    ) -> Result<User> {
        self.verify_credentials(backend.id, address, username, password)
            .await
    }
}

/// Parses the `Authorization: Basic` value of a client (`client_id:client_secret`).
pub fn decode_basic(credentials: &str) -> Option<(String, String)> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}
