//! Push delivery to Apple Push Notification service (HTTP/2, token auth), Firebase Cloud Messaging
//! HTTP v1 (service account -> OAuth access token) and Web Push (RFC 8291 payload encryption, RFC 8292
//! VAPID). Depends on no other Berth crate: callers store credentials and targets, this crate sends.
//!
//! Every provider base URL is configurable through [`Endpoints`] so tests (see the `testing` feature)
//! or a proxy can stand in for the real services.

use std::time::Duration;

use serde_json::Value;
pub use url::Url;

mod apns;
mod client;
mod fcm;
mod outcome;
mod webpush;

#[cfg(feature = "testing")]
pub mod testing;

pub use client::PushClient;

/// Which APNs gateway a key and its device tokens belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApnsEnvironment {
    Sandbox,
    Production,
}

/// Token-based (.p8 key) APNs credentials; no certificates are needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApnsCredentials {
    /// 10-character key id shown next to the key in the Apple developer account.
    pub key_id: String,
    /// 10-character team id of the developer account.
    pub team_id: String,
    /// Contents of the `.p8` file: a PKCS#8 PEM P-256 private key.
    pub signing_key_pem: String,
    /// The app's bundle id (sent as `apns-topic`).
    pub topic: String,
    pub environment: ApnsEnvironment,
}

/// FCM HTTP v1 credentials: the JSON key file of a Google service account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcmCredentials {
    /// The downloaded key file (`project_id`, `client_email`, `private_key`, `token_uri`).
    pub service_account_json: String,
}

/// Web Push application server (VAPID) credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebPushCredentials {
    /// base64url (no padding) encoding of the raw 32-byte P-256 private scalar.
    pub vapid_private_key: String,
    /// Contact for the push service operator: `mailto:` or `https:` URL.
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderCredentials {
    Apns(ApnsCredentials),
    Fcm(FcmCredentials),
    WebPush(WebPushCredentials),
}

/// Provider base URLs. `Default` gives the real services.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub apns_production: Url,
    pub apns_sandbox: Url,
    /// Base of the FCM HTTP v1 API; `v1/projects/{id}/messages:send` is joined to it.
    pub fcm_base: Url,
    /// When set, used instead of the `token_uri` in the service account file.
    pub fcm_token_uri_override: Option<Url>,
    /// Extra trusted roots (PEM), e.g. the CA of a local test server.
    pub extra_root_certificates_pem: Vec<String>,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            apns_production: parse_static_url("https://api.push.apple.com"),
            apns_sandbox: parse_static_url("https://api.sandbox.push.apple.com"),
            fcm_base: parse_static_url("https://fcm.googleapis.com"),
            fcm_token_uri_override: None,
            extra_root_certificates_pem: Vec::new(),
        }
    }
}

#[allow(clippy::expect_used)]
fn parse_static_url(url: &str) -> Url {
    Url::parse(url).expect("static provider URL is valid")
}

/// Where one notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushTarget {
    Apns {
        device_token: String,
    },
    Fcm {
        registration_token: String,
    },
    /// A browser `PushSubscription`: endpoint URL and its `keys.p256dh` / `keys.auth` (base64url).
    WebPush {
        endpoint: String,
        p256dh: String,
        auth: String,
    },
}

/// One notification, provider-neutral; the per-provider overrides win when present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushMessage {
    pub title: Option<String>,
    pub body: Option<String>,
    pub badge: Option<u32>,
    pub sound: Option<String>,
    /// Custom payload: APNs top-level keys beside `aps`; FCM `data` (values as strings); Web Push JSON body.
    pub data: serde_json::Map<String, Value>,
    /// Complete APNs payload (the JSON body) to send instead of the one built from the fields above.
    pub apns_payload_override: Option<Value>,
    /// Complete FCM `message` object; `token` is set from the target.
    pub fcm_message_override: Option<Value>,
    pub collapse_id: Option<String>,
    /// Sent as `apns-id` (and logged elsewhere) so a retried delivery is recognisable as the same one.
    pub delivery_id: Option<uuid::Uuid>,
    pub ttl: Option<Duration>,
    pub high_priority: bool,
}

/// What happened to one send; the caller decides what to store and when to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted by the provider (`provider_id`: apns-id, FCM message name, Web Push Location).
    Delivered { provider_id: Option<String> },
    /// Temporary failure (429, 5xx, connection, timeout); `after` from `Retry-After` when given.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// The provider says this token/subscription is dead: stop sending to it.
    TokenInvalid { reason: String },
    /// Permanent failure for this message (bad payload, bad credentials, too large...).
    Rejected { reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid APNs credentials: {0}")]
    InvalidApnsCredentials(String),
    #[error("invalid FCM service account: {0}")]
    InvalidFcmCredentials(String),
    #[error("invalid Web Push VAPID credentials: {0}")]
    InvalidWebPushCredentials(String),
    #[error("invalid push endpoint configuration: {0}")]
    InvalidEndpoints(String),
}

/// Checks credentials at configuration time so a bad key is reported when it is saved, not at send time.
pub fn validate(credentials: &ProviderCredentials) -> Result<(), Error> {
    match credentials {
        ProviderCredentials::Apns(apns) => apns::ParsedApnsKey::parse(apns).map(|_| ()),
        ProviderCredentials::Fcm(fcm) => fcm::ServiceAccount::parse(fcm).map(|_| ()),
        ProviderCredentials::WebPush(web) => webpush::VapidKey::parse(web).map(|_| ()),
    }
}

/// The VAPID public key (base64url, uncompressed point) browsers need as `applicationServerKey`.
pub fn vapid_public_key(credentials: &WebPushCredentials) -> Result<String, Error> {
    webpush::VapidKey::parse(credentials).map(|key| key.public_key_base64url())
}
