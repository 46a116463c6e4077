//! FCM HTTP v1: a service account signs an RS256 JWT, exchanges it for an OAuth access token (cached
//! until shortly before it expires) and sends with `Authorization: Bearer`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::outcome::{error_chain, retryable_status, transport_failure, unix_now};
use crate::{DeliveryOutcome, Error, FcmCredentials, PushClient, PushMessage};

pub(crate) const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// Refresh this long before the access token expires, so no request carries a token about to lapse.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5 * 60);

#[derive(Deserialize)]
pub(crate) struct ServiceAccount {
    pub(crate) project_id: String,
    pub(crate) client_email: String,
    pub(crate) private_key: String,
    #[serde(default = "default_token_uri")]
    pub(crate) token_uri: String,
}

fn default_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}

impl ServiceAccount {
    pub(crate) fn parse(credentials: &FcmCredentials) -> Result<Self, Error> {
        let invalid = |what: String| Error::InvalidFcmCredentials(what);
        let account: ServiceAccount = serde_json::from_str(&credentials.service_account_json)
            .map_err(|error| invalid(format!("not a service account JSON key file: {error}")))?;
        if account.project_id.trim().is_empty() || account.client_email.trim().is_empty() {
            return Err(invalid(
                "project_id and client_email must not be empty".into(),
            ));
        }
        EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|error| invalid(format!("private_key is not an RSA PEM key: {error}")))?;
        url::Url::parse(&account.token_uri)
            .map_err(|error| invalid(format!("token_uri: {error}")))?;
        Ok(account)
    }
}

#[derive(Clone)]
struct AccessToken {
    token: Arc<str>,
    valid_until: Instant,
}

#[derive(Default)]
pub(crate) struct AccessTokenCache {
    entries: std::sync::Mutex<HashMap<String, Arc<Mutex<Option<AccessToken>>>>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Why no access token could be had: temporary (token endpoint down) or not (credentials refused).
enum TokenFailure {
    Retry(DeliveryOutcome),
    Rejected(String),
}

impl AccessTokenCache {
    fn slot(&self, credentials: &FcmCredentials) -> Arc<Mutex<Option<AccessToken>>> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .entry(credentials.service_account_json.clone())
            .or_default()
            .clone()
    }

    async fn token(
        &self,
        client: &PushClient,
        account: &ServiceAccount,
        credentials: &FcmCredentials,
    ) -> Result<Arc<str>, TokenFailure> {
        let slot = self.slot(credentials);
        let mut cached = slot.lock().await;
        if let Some(current) = cached.as_ref()
            && Instant::now() < current.valid_until
        {
            return Ok(current.token.clone());
        }
        let token_uri = match &client.endpoints.fcm_token_uri_override {
            Some(url) => url.to_string(),
            None => account.token_uri.clone(),
        };
        let now = unix_now();
        let claims = json!({
            "iss": account.client_email,
            "scope": SCOPE,
            "aud": account.token_uri,
            "iat": now,
            "exp": now + 3600,
        });
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|error| TokenFailure::Rejected(format!("FCM private_key: {error}")))?;
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
            .map_err(|error| {
                TokenFailure::Rejected(format!("signing the FCM assertion: {error}"))
            })?;
        let requested = Instant::now();
        let response = client
            .http
            .post(&token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|error| TokenFailure::Retry(transport_failure(&error)))?;
        let status = response.status();
        let headers = response.headers().clone();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let reason = format!(
                "OAuth token endpoint {}: {}",
                status.as_u16(),
                truncate(&body)
            );
            return Err(match retryable_status(status, &headers, reason.clone()) {
                Some(retry) => TokenFailure::Retry(retry),
                None => TokenFailure::Rejected(reason),
            });
        }
        let parsed: TokenResponse = response.json().await.map_err(|error| {
            TokenFailure::Retry(DeliveryOutcome::Retry {
                after: None,
                reason: format!("OAuth token response: {}", error_chain(&error)),
            })
        })?;
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        let token: Arc<str> = parsed.access_token.into();
        *cached = Some(AccessToken {
            token: token.clone(),
            valid_until: requested + lifetime.saturating_sub(EXPIRY_MARGIN),
        });
        Ok(token)
    }

    async fn invalidate(&self, credentials: &FcmCredentials) {
        *self.slot(credentials).lock().await = None;
    }
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(300) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

pub(crate) fn message_body(message: &PushMessage, registration_token: &str) -> Value {
    let mut fcm_message = match &message.fcm_message_override {
        Some(Value::Object(object)) => object.clone(),
        _ => {
            let mut object = serde_json::Map::new();
            let mut notification = serde_json::Map::new();
            if let Some(title) = &message.title {
                notification.insert("title".into(), json!(title));
            }
            if let Some(body) = &message.body {
                notification.insert("body".into(), json!(body));
            }
            if !notification.is_empty() {
                object.insert("notification".into(), Value::Object(notification));
            }
            if !message.data.is_empty() {
                // FCM data values must be strings.
                let data: serde_json::Map<String, Value> = message
                    .data
                    .iter()
                    .map(|(key, value)| {
                        let text = match value {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        };
                        (key.clone(), Value::String(text))
                    })
                    .collect();
                object.insert("data".into(), Value::Object(data));
            }
            let mut android = serde_json::Map::new();
            android.insert(
                "priority".into(),
                json!(if message.high_priority {
                    "HIGH"
                } else {
                    "NORMAL"
                }),
            );
            if let Some(ttl) = message.ttl {
                android.insert("ttl".into(), json!(format!("{}s", ttl.as_secs())));
            }
            if let Some(collapse_id) = &message.collapse_id {
                android.insert("collapse_key".into(), json!(collapse_id));
            }
            let mut android_notification = serde_json::Map::new();
            if let Some(sound) = &message.sound {
                android_notification.insert("sound".into(), json!(sound));
            }
            if let Some(badge) = message.badge {
                android_notification.insert("notification_count".into(), json!(badge));
            }
            if !android_notification.is_empty() && object.contains_key("notification") {
                android.insert("notification".into(), Value::Object(android_notification));
            }
            object.insert("android".into(), Value::Object(android));
            object
        }
    };
    fcm_message.insert("token".into(), json!(registration_token));
    json!({ "message": fcm_message })
}

pub(crate) async fn send(
    client: &PushClient,
    credentials: &FcmCredentials,
    registration_token: &str,
    message: &PushMessage,
) -> DeliveryOutcome {
    let account = match ServiceAccount::parse(credentials) {
        Ok(account) => account,
        Err(error) => {
            return DeliveryOutcome::Rejected {
                reason: error.to_string(),
            };
        }
    };
    if registration_token.trim().is_empty() {
        return DeliveryOutcome::TokenInvalid {
            reason: "registration token is empty".into(),
        };
    }
    let token = match client.fcm_tokens.token(client, &account, credentials).await {
        Ok(token) => token,
        Err(TokenFailure::Retry(outcome)) => return outcome,
        Err(TokenFailure::Rejected(reason)) => return DeliveryOutcome::Rejected { reason },
    };
    let url = match client
        .endpoints
        .fcm_base
        .join(&format!("v1/projects/{}/messages:send", account.project_id))
    {
        Ok(url) => url,
        Err(error) => {
            return DeliveryOutcome::Rejected {
                reason: format!("FCM URL: {error}"),
            };
        }
    };
    let response = match client
        .http
        .post(url)
        .bearer_auth(&*token)
        .json(&message_body(message, registration_token))
        .send()
        .await
    {
        Ok(response) => response,
        Err(error) => return transport_failure(&error),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        let provider_id = body.get("name").and_then(Value::as_str).map(str::to_string);
        return DeliveryOutcome::Delivered { provider_id };
    }
    let error = body.get("error");
    let error_status = error
        .and_then(|e| e.get("status"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let error_code = error
        .and_then(|e| e.get("details"))
        .and_then(Value::as_array)
        .and_then(|details| {
            details
                .iter()
                .find_map(|detail| detail.get("errorCode").and_then(Value::as_str))
        })
        .unwrap_or(error_status);
    let error_message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reason = format!("FCM {} {error_code}: {error_message}", status.as_u16());
    if status.as_u16() == 404 || error_code == "UNREGISTERED" {
        return DeliveryOutcome::TokenInvalid { reason };
    }
    if status.as_u16() == 400
        && error_code == "INVALID_ARGUMENT"
        && error_message
            .to_ascii_lowercase()
            .contains("registration token")
    {
        return DeliveryOutcome::TokenInvalid { reason };
    }
    if status.as_u16() == 401 {
        // The access token was refused (revoked or expired early): fetch a new one next time.
        client.fcm_tokens.invalidate(credentials).await;
        return DeliveryOutcome::Retry {
            after: None,
            reason,
        };
    }
    if let Some(outcome) = retryable_status(status, &headers, reason.clone()) {
        return outcome;
    }
    DeliveryOutcome::Rejected { reason }
}
