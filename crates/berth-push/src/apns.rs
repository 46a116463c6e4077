//! APNs over HTTP/2 with token (ES256 JWT) authentication.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::outcome::{retryable_status, transport_failure, unix_now};
use crate::{ApnsCredentials, ApnsEnvironment, DeliveryOutcome, Error, PushClient, PushMessage};

/// APNs refuses payloads larger than this (bytes of the JSON body).
pub const MAX_PAYLOAD_BYTES: usize = 4096;
/// Apple rejects provider tokens older than an hour and throttles refreshing more often than every 20
/// minutes, so one token is reused and replaced after 50 minutes.
const TOKEN_LIFETIME: Duration = Duration::from_secs(50 * 60);

pub(crate) struct ParsedApnsKey {
    key: EncodingKey,
}

impl ParsedApnsKey {
    pub(crate) fn parse(credentials: &ApnsCredentials) -> Result<Self, Error> {
        let invalid = |what: &str| Error::InvalidApnsCredentials(what.to_string());
        if credentials.key_id.trim().is_empty() {
            return Err(invalid("key_id is empty"));
        }
        if credentials.team_id.trim().is_empty() {
            return Err(invalid("team_id is empty"));
        }
        if credentials.topic.trim().is_empty() {
            return Err(invalid("topic (the app's bundle id) is empty"));
        }
        // Parse with p256 first: it says clearly whether this is a P-256 PKCS#8 key (.p8).
        use p256::pkcs8::DecodePrivateKey;
        p256::SecretKey::from_pkcs8_pem(credentials.signing_key_pem.trim()).map_err(|error| {
            invalid(&format!(
                "signing key is not a PKCS#8 PEM P-256 key (.p8 file): {error}"
            ))
        })?;
        let key = EncodingKey::from_ec_pem(credentials.signing_key_pem.trim().as_bytes())
            .map_err(|error| invalid(&format!("signing key: {error}")))?;
        Ok(Self { key })
    }
}

#[derive(Clone)]
struct CachedJwt {
    token: Arc<str>,
    issued: Instant,
}

/// (team id, key id, key PEM): a replaced key under the same id gets a fresh token.
type JwtCacheKey = (String, String, String);

/// Provider tokens per (team, key, key material): one lock per entry so refreshing is single-flight.
#[derive(Default)]
pub(crate) struct JwtCache {
    entries: std::sync::Mutex<HashMap<JwtCacheKey, Arc<Mutex<Option<CachedJwt>>>>>,
}

impl JwtCache {
    async fn token(&self, credentials: &ApnsCredentials) -> Result<Arc<str>, Error> {
        let slot = {
            let mut entries = self
                .entries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let key = (
                credentials.team_id.clone(),
                credentials.key_id.clone(),
                credentials.signing_key_pem.clone(),
            );
            entries.entry(key).or_default().clone()
        };
        let mut cached = slot.lock().await;
        if let Some(current) = cached.as_ref()
            && current.issued.elapsed() < TOKEN_LIFETIME
        {
            return Ok(current.token.clone());
        }
        let key = ParsedApnsKey::parse(credentials)?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(credentials.key_id.clone());
        let claims = json!({ "iss": credentials.team_id, "iat": unix_now() });
        let token: Arc<str> = jsonwebtoken::encode(&header, &claims, &key.key)
            .map_err(|error| {
                Error::InvalidApnsCredentials(format!("signing the provider token: {error}"))
            })?
            .into();
        *cached = Some(CachedJwt {
            token: token.clone(),
            issued: Instant::now(),
        });
        Ok(token)
    }

    /// Forgets a token APNs refused (403 ExpiredProviderToken / InvalidProviderToken).
    async fn invalidate(&self, credentials: &ApnsCredentials) {
        let slot = {
            let entries = self
                .entries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let key = (
                credentials.team_id.clone(),
                credentials.key_id.clone(),
                credentials.signing_key_pem.clone(),
            );
            entries.get(&key).cloned()
        };
        if let Some(slot) = slot {
            *slot.lock().await = None;
        }
    }
}

pub(crate) fn payload(message: &PushMessage) -> Value {
    if let Some(payload) = &message.apns_payload_override {
        return payload.clone();
    }
    let mut aps = serde_json::Map::new();
    let mut alert = serde_json::Map::new();
    if let Some(title) = &message.title {
        alert.insert("title".into(), json!(title));
    }
    if let Some(body) = &message.body {
        alert.insert("body".into(), json!(body));
    }
    if !alert.is_empty() {
        aps.insert("alert".into(), Value::Object(alert));
    }
    if let Some(badge) = message.badge {
        aps.insert("badge".into(), json!(badge));
    }
    if let Some(sound) = &message.sound {
        aps.insert("sound".into(), json!(sound));
    }
    if aps.is_empty() {
        // Nothing visible: a background (silent) notification.
        aps.insert("content-available".into(), json!(1));
    }
    let mut payload = serde_json::Map::new();
    for (key, value) in &message.data {
        if key != "aps" {
            payload.insert(key.clone(), value.clone());
        }
    }
    payload.insert("aps".into(), Value::Object(aps));
    Value::Object(payload)
}

fn is_background(payload: &Value) -> bool {
    let aps = payload.get("aps");
    aps.and_then(|aps| aps.get("alert")).is_none()
        && aps.and_then(|aps| aps.get("sound")).is_none()
        && aps.and_then(|aps| aps.get("badge")).is_none()
}

pub(crate) async fn send(
    client: &PushClient,
    credentials: &ApnsCredentials,
    device_token: &str,
    message: &PushMessage,
) -> DeliveryOutcome {
    if device_token.is_empty() || !device_token.chars().all(|c| c.is_ascii_hexdigit()) {
        return DeliveryOutcome::TokenInvalid {
            reason: "BadDeviceToken: device token is not hexadecimal".into(),
        };
    }
    let payload = payload(message);
    let body = match serde_json::to_vec(&payload) {
        Ok(body) => body,
        Err(error) => {
            return DeliveryOutcome::Rejected {
                reason: format!("payload: {error}"),
            };
        }
    };
    if body.len() > MAX_PAYLOAD_BYTES {
        return DeliveryOutcome::Rejected {
            reason: format!(
                "PayloadTooLarge: {} bytes, APNs accepts at most {MAX_PAYLOAD_BYTES}",
                body.len()
            ),
        };
    }
    let jwt = match client.apns_tokens.token(credentials).await {
        Ok(jwt) => jwt,
        Err(error) => {
            return DeliveryOutcome::Rejected {
                reason: error.to_string(),
            };
        }
    };
    let base = match credentials.environment {
        ApnsEnvironment::Production => &client.endpoints.apns_production,
        ApnsEnvironment::Sandbox => &client.endpoints.apns_sandbox,
    };
    let url = match base.join(&format!("3/device/{device_token}")) {
        Ok(url) => url,
        Err(error) => {
            return DeliveryOutcome::Rejected {
                reason: format!("APNs URL: {error}"),
            };
        }
    };
    let background = is_background(&payload);
    let mut request = client
        .http
        .post(url)
        .version(reqwest::Version::HTTP_2)
        .header("authorization", format!("bearer {jwt}"))
        .header("apns-topic", &credentials.topic)
        .header(
            "apns-push-type",
            if background { "background" } else { "alert" },
        )
        // Background notifications must use priority 5 or APNs rejects them.
        .header(
            "apns-priority",
            if message.high_priority && !background {
                "10"
            } else {
                "5"
            },
        )
        .header("content-type", "application/json")
        .body(body);
    if let Some(id) = message.delivery_id {
        request = request.header("apns-id", id.hyphenated().to_string());
    }
    if let Some(collapse_id) = &message.collapse_id {
        request = request.header("apns-collapse-id", collapse_id);
    }
    if let Some(ttl) = message.ttl {
        request = request.header("apns-expiration", (unix_now() + ttl.as_secs()).to_string());
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return transport_failure(&error),
    };
    let status = response.status();
    let headers = response.headers().clone();
    if status.is_success() {
        let provider_id = headers
            .get("apns-id")
            .and_then(|id| id.to_str().ok())
            .map(str::to_string);
        return DeliveryOutcome::Delivered { provider_id };
    }
    let reason_code = response
        .json::<Value>()
        .await
        .ok()
        .and_then(|body| {
            body.get("reason")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let reason = format!("APNs {}: {reason_code}", status.as_u16());
    if status.as_u16() == 410
        || matches!(
            reason_code.as_str(),
            "BadDeviceToken" | "Unregistered" | "DeviceTokenNotForTopic"
        )
    {
        return DeliveryOutcome::TokenInvalid { reason };
    }
    if status.as_u16() == 403
        && matches!(
            reason_code.as_str(),
            "ExpiredProviderToken" | "InvalidProviderToken"
        )
    {
        client.apns_tokens.invalidate(credentials).await;
        if reason_code == "ExpiredProviderToken" {
            return DeliveryOutcome::Retry {
                after: None,
                reason,
            };
        }
    }
    if let Some(outcome) = retryable_status(status, &headers, reason.clone()) {
        return outcome;
    }
    DeliveryOutcome::Rejected { reason }
}
