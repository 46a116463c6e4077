//! A local Web Push service (RFC 8030): issues subscriptions, checks VAPID (RFC 8292) and decrypts the
//! aes128gcm body (RFC 8291) with the subscription's private key, as a browser would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};

use super::{RecorderHandle, ScriptedServer, bind};
use crate::{Url, WebPushCredentials};

/// What a browser hands the application server: `PushSubscription.toJSON()`.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub endpoint: String,
    /// base64url uncompressed P-256 public key.
    pub p256dh: String,
    /// base64url 16-byte auth secret.
    pub auth: String,
}

impl Subscription {
    pub fn target(&self) -> crate::PushTarget {
        crate::PushTarget::WebPush {
            endpoint: self.endpoint.clone(),
            p256dh: self.p256dh.clone(),
            auth: self.auth.clone(),
        }
    }
}

struct SubscriptionKeys {
    secret: SecretKey,
    auth: Vec<u8>,
    /// When set (like `applicationServerKey`), only this VAPID key may push.
    application_server_key: Option<Vec<u8>>,
}

#[derive(Clone)]
struct AppState {
    recorder: RecorderHandle,
    subscriptions: Arc<Mutex<HashMap<String, SubscriptionKeys>>>,
    origin: String,
}

pub struct WebPushTestServer {
    url: Url,
    state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WebPushTestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer for WebPushTestServer {
    fn recorder(&self) -> &RecorderHandle {
        &self.state.recorder
    }
}

impl WebPushTestServer {
    #[allow(clippy::expect_used)]
    pub async fn start() -> Self {
        let (listener, address) = bind().await;
        let url = Url::parse(&format!("http://127.0.0.1:{}/", address.port())).expect("server URL");
        let state = AppState {
            recorder: RecorderHandle::default(),
            subscriptions: Arc::default(),
            origin: url.origin().ascii_serialization(),
        };
        let app = Router::new()
            .route("/push/{id}", post(push))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, state, task }
    }

    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// A new subscription any VAPID key may push to.
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_with(None)
    }

    /// A new subscription restricted to one application server key (base64url public key), as
    /// `pushManager.subscribe({applicationServerKey})` does.
    pub fn subscribe_for(&self, application_server_key: &str) -> Subscription {
        self.subscribe_with(super::base64url(application_server_key))
    }

    fn subscribe_with(&self, application_server_key: Option<Vec<u8>>) -> Subscription {
        let secret = SecretKey::random(&mut OsRng);
        let mut auth = vec![0u8; 16];
        OsRng.fill_bytes(&mut auth);
        let id = uuid::Uuid::new_v4().simple().to_string();
        let subscription = Subscription {
            endpoint: format!("{}push/{id}", self.url),
            p256dh: URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(&auth),
            id: id.clone(),
        };
        self.state
            .subscriptions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(
                id,
                SubscriptionKeys {
                    secret,
                    auth,
                    application_server_key,
                },
            );
        subscription
    }
}

fn problem(status: StatusCode, message: &str) -> Response {
    (status, message.to_string()).into_response()
}

async fn push(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(failure) = state.recorder.0.begin().await {
        return super::failure_response(&failure, json!({ "reason": "scripted failure" }));
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    };
    if state.recorder.0.is_dead(&id) {
        return problem(
            StatusCode::GONE,
            "push subscription has unsubscribed or expired",
        );
    }
    let (secret, auth, allowed_key) = {
        let subscriptions = state
            .subscriptions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(keys) = subscriptions.get(&id) else {
            return problem(StatusCode::NOT_FOUND, "no such subscription");
        };
        (
            keys.secret.clone(),
            keys.auth.clone(),
            keys.application_server_key.clone(),
        )
    };
    if header("ttl").parse::<u64>().is_err() {
        return problem(StatusCode::BAD_REQUEST, "TTL header is required");
    }
    let vapid_key = match verify_vapid(header("authorization"), &state.origin) {
        Ok(key) => key,
        Err(message) => return problem(StatusCode::UNAUTHORIZED, &message),
    };
    if allowed_key.is_some_and(|allowed| allowed != vapid_key) {
        return problem(
            StatusCode::FORBIDDEN,
            "VAPID key does not match the subscription's applicationServerKey",
        );
    }
    if header("content-encoding") != "aes128gcm" {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Encoding must be aes128gcm",
        );
    }
    if body.len() > 4096 {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload larger than 4096 bytes",
        );
    }
    let plaintext = match decrypt(&body, &secret, &auth) {
        Ok(plaintext) => plaintext,
        Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
    };
    let Ok(payload) = serde_json::from_slice::<Value>(&plaintext) else {
        return problem(StatusCode::BAD_REQUEST, "decrypted payload is not JSON");
    };
    state.recorder.0.record(&id, &headers, payload);
    let location = format!("{}/message/{}", state.origin, uuid::Uuid::new_v4().simple());
    (StatusCode::CREATED, [("location", location)]).into_response()
}

/// Checks `vapid t=<jwt>, k=<key>`: ES256 signature by `k`, `aud` = this origin, `exp` in the next 24 h,
/// `sub` present. Returns the raw public key.
fn verify_vapid(authorization: &str, origin: &str) -> Result<Vec<u8>, String> {
    let parameters = authorization
        .strip_prefix("vapid ")
        .ok_or("Authorization must use the vapid scheme")?;
    let mut jwt = None;
    let mut key = None;
    for parameter in parameters.split(',') {
        match parameter.trim().split_once('=') {
            Some(("t", value)) => jwt = Some(value),
            Some(("k", value)) => key = Some(value),
            _ => {}
        }
    }
    let (jwt, key) = jwt.zip(key).ok_or("vapid needs t and k")?;
    let key = super::base64url(key).ok_or("k is not base64url")?;
    let verifying_key =
        VerifyingKey::from_sec1_bytes(&key).map_err(|_| "k is not a P-256 public key")?;
    let (signing_input, signature) = jwt.rsplit_once('.').ok_or("malformed JWT")?;
    let signature = super::base64url(signature).ok_or("malformed JWT signature")?;
    let signature = Signature::from_slice(&signature).map_err(|_| "malformed JWT signature")?;
    verifying_key
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| "VAPID JWT signature does not verify")?;
    let (header, claims) = signing_input.split_once('.').ok_or("malformed JWT")?;
    let header: Value = super::base64url(header)
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or("bad JWT header")?;
    if header.get("alg").and_then(Value::as_str) != Some("ES256") {
        return Err("VAPID JWT must use ES256".into());
    }
    let claims: Value = super::base64url(claims)
        .and_then(|c| serde_json::from_slice(&c).ok())
        .ok_or("bad JWT claims")?;
    if claims.get("aud").and_then(Value::as_str) != Some(origin) {
        return Err(format!("aud must be {origin}"));
    }
    let now = crate::outcome::unix_now();
    let expires = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("exp is required")?;
    if expires <= now || expires > now + 24 * 3600 {
        return Err("exp must be in the next 24 hours".into());
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err("sub is required".into());
    }
    Ok(key)
}

/// RFC 8188 single-record aes128gcm decryption with RFC 8291 key derivation, from the user agent side.
fn decrypt(body: &[u8], secret: &SecretKey, auth: &[u8]) -> Result<Vec<u8>, String> {
    if body.len() < 21 {
        return Err("body shorter than the aes128gcm header".into());
    }
    let salt = &body[..16];
    let key_id_length = body[20] as usize;
    let header_length = 21 + key_id_length;
    if body.len() < header_length + 17 {
        return Err("truncated aes128gcm body".into());
    }
    let server_public_bytes = &body[21..header_length];
    let server_public = PublicKey::from_sec1_bytes(server_public_bytes)
        .map_err(|_| "keyid is not the sender's P-256 public key")?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), server_public.as_affine());
    let user_agent_public = secret.public_key().to_encoded_point(false);
    let (content_key, nonce) = crate::webpush::derive_keys(
        shared.raw_secret_bytes(),
        auth,
        user_agent_public.as_bytes(),
        server_public_bytes,
        salt,
    )?;
    let cipher = Aes128Gcm::new_from_slice(&content_key).map_err(|error| error.to_string())?;
    let mut padded = cipher
        .decrypt(&Nonce::from(nonce), &body[header_length..])
        .map_err(|_| "decryption failed (wrong keys or corrupted body)".to_string())?;
    // Strip padding: trailing zeros, then the delimiter (2 = last record).
    while padded.last() == Some(&0) {
        padded.pop();
    }
    if padded.pop() != Some(2) {
        return Err("missing last-record delimiter".into());
    }
    Ok(padded)
}

/// Fresh VAPID credentials (random P-256 key).
pub fn vapid_credentials() -> WebPushCredentials {
    let secret = SecretKey::random(&mut OsRng);
    WebPushCredentials {
        vapid_private_key: URL_SAFE_NO_PAD.encode(secret.to_bytes()),
        subject: "mailto:push@example.com".into(),
    }
}
