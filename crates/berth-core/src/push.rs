//! Push notifications: where devices are reachable (registrations), what a backend sends with
//! (provider settings), what it sent (notifications) and the per-device outbox rows (deliveries) that
//! workers claim, send and settle. Provider protocols live in `berth-push`; this module only knows the
//! rules: who is targeted, when a notification is due, how often a delivery is retried.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::timestamp::Timestamp;
use crate::validation::Problems;

/// The push service a device token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushProvider {
    Apns,
    Fcm,
}

impl PushProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            PushProvider::Apns => "apns",
            PushProvider::Fcm => "fcm",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "apns" => Some(PushProvider::Apns),
            // GCM tokens are FCM tokens since 2019; Oracle kept GCM as a deprecated provider name.
            "fcm" | "gcm" => Some(PushProvider::Fcm),
            _ => None,
        }
    }
}

/// The device platform, as both APIs name it for targeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushPlatform {
    Ios,
    Android,
    Web,
}

impl PushPlatform {
    pub fn as_str(self) -> &'static str {
        match self {
            PushPlatform::Ios => "ios",
            PushPlatform::Android => "android",
            PushPlatform::Web => "web",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "ios" => Some(PushPlatform::Ios),
            "android" => Some(PushPlatform::Android),
            "web" => Some(PushPlatform::Web),
            _ => None,
        }
    }

    /// The provider a native runtime of this platform registers with.
    pub fn default_provider(self) -> Option<PushProvider> {
        match self {
            PushPlatform::Ios => Some(PushProvider::Apns),
            PushPlatform::Android => Some(PushProvider::Fcm),
            PushPlatform::Web => None,
        }
    }
}

/// Which APNs gateway a device token belongs to; `None` on a registration means the backend's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApnsGateway {
    Sandbox,
    Production,
}

impl ApnsGateway {
    pub fn as_str(self) -> &'static str {
        match self {
            ApnsGateway::Sandbox => "sandbox",
            ApnsGateway::Production => "production",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sandbox" => Some(ApnsGateway::Sandbox),
            "production" => Some(ApnsGateway::Production),
            _ => None,
        }
    }
}

pub const PUSH_TOKEN_MAX: usize = 4096;
pub const PUSH_PROJECT_ID_MAX: usize = 100;
/// Most tokens, users or devices one send may name (Oracle allows 1000 tokens).
pub const TARGET_LIST_MAX: usize = 1000;
/// Largest custom payload accepted, in bytes of JSON (providers allow 4 KB in all).
pub const PAYLOAD_MAX: usize = 4096;

/// Where a device can be reached: one token at one provider, linked to a Monaca device id and/or an
/// Oracle user. A token is registered once per backend; registering it again moves it.
#[derive(Debug, Clone, PartialEq)]
pub struct PushRegistration {
    pub backend_id: Uuid,
    pub id: Uuid,
    pub provider: PushProvider,
    pub platform: PushPlatform,
    pub token: String,
    /// The Monaca device id (`__device` / `deviceId`).
    pub device_id: Option<String>,
    /// The user the device belongs to (Oracle registrations by a signed-in user).
    pub user_id: Option<String>,
    /// Monaca build type (`debug`, `release`, `adhoc`).
    pub build_type: Option<String>,
    pub gateway: Option<ApnsGateway>,
    /// Oracle `mobileClient`: app id and version.
    pub app_id: Option<String>,
    pub app_version: Option<String>,
    /// Set when the provider said the token is dead; cleared by registering it again.
    pub invalid: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Checks a device token as received from a runtime or SDK.
pub fn check_token(problems: &mut Problems, field: &str, token: &str) {
    if token.is_empty() {
        problems.add(field, "The token must not be empty.");
    } else if token.len() > PUSH_TOKEN_MAX {
        problems.add(
            field,
            format!("The token must be at most {PUSH_TOKEN_MAX} characters."),
        );
    } else if token.chars().any(|c| c.is_control() || c.is_whitespace()) {
        problems.add(
            field,
            "The token must not contain spaces or control characters.",
        );
    }
}

/// Per-backend provider credentials, kept sealed (encrypted) by the store's caller. Only the push
/// project id and which providers are set are ever shown back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushCredentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apns: Option<ApnsSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fcm: Option<FcmSettings>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApnsSettings {
    pub key_id: String,
    pub team_id: String,
    /// The `.p8` key (PKCS#8 PEM).
    pub signing_key: String,
    /// The app's bundle id.
    pub topic: String,
    /// Gateway for tokens registered without a build type (`production` unless set).
    #[serde(default = "production")]
    pub environment: ApnsGateway,
}

fn production() -> ApnsGateway {
    ApnsGateway::Production
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FcmSettings {
    /// The Google service account key file, as JSON text.
    pub service_account: String,
}

/// A backend's push configuration as stored: the credentials are sealed bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPushConfig {
    pub backend_id: Uuid,
    /// Monaca `pushProjectId`, unique in the installation: device registration names only it.
    pub push_project_id: String,
    pub sealed_credentials: Vec<u8>,
    pub updated_at: Timestamp,
}

/// Who a notification goes to (before the platform/provider filters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum NotificationTarget {
    /// Every valid registration of the backend.
    All,
    /// Registrations of these Monaca device ids.
    Devices { ids: Vec<String> },
    /// Registrations of devices whose last user is one of these user ids (Monaca) or registered by
    /// these users (Oracle).
    Users { ids: Vec<String> },
    /// Like `Users`, the users picked by a MonaQL criteria over user properties.
    UserQuery { query: String, binds: Vec<Value> },
    /// Oracle: users by name.
    UserNames { names: Vec<String> },
    /// Oracle: these device tokens.
    Tokens { tokens: Vec<String> },
}

/// What every targeted device receives. The Monaca and Oracle surfaces fill it differently; the
/// worker turns it into each provider's payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    /// APNs: top-level keys beside `aps`; FCM: `data` (values turned into strings).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub apns_extra: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub fcm_data: Map<String, Value>,
    /// Oracle unified payload: the complete APNs body / FCM `message` for that provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apns_payload: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fcm_message: Option<Value>,
}

/// Where a notification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationState {
    /// Waiting for its `sendOn` time.
    Scheduled,
    /// Accepted, targets not yet expanded.
    Queued,
    /// Targets expanded (or expanding) and deliveries under way.
    Sending,
    /// Every delivery settled, none failed (also when no device was targeted).
    Sent,
    /// Every delivery settled, some sent and some failed.
    Warning,
    /// Every delivery settled, none sent.
    Error,
    /// Cancelled before it was sent.
    Cancelled,
}

impl NotificationState {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationState::Scheduled => "scheduled",
            NotificationState::Queued => "queued",
            NotificationState::Sending => "sending",
            NotificationState::Sent => "sent",
            NotificationState::Warning => "warning",
            NotificationState::Error => "error",
            NotificationState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "scheduled" => Some(NotificationState::Scheduled),
            "queued" => Some(NotificationState::Queued),
            "sending" => Some(NotificationState::Sending),
            "sent" => Some(NotificationState::Sent),
            "warning" => Some(NotificationState::Warning),
            "error" => Some(NotificationState::Error),
            "cancelled" => Some(NotificationState::Cancelled),
            _ => None,
        }
    }
}

/// A send as the caller asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub backend_id: Uuid,
    pub target: NotificationTarget,
    pub platform: Option<PushPlatform>,
    pub provider: Option<PushProvider>,
    /// Monaca `buildType`: only registrations of this build type.
    pub build_type: Option<String>,
    pub message: NotificationMessage,
    /// The request as received, for the Oracle representation.
    pub request: Value,
    pub tag: Option<String>,
    pub send_on: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A stored notification with its progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub spec: NewNotification,
    pub state: NotificationState,
    /// When expansion started (the first device was queued).
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Whether every target is in the outbox (then `total` is final).
    pub expanded: bool,
    pub total: u64,
    pub sent: u64,
    pub failed: u64,
    pub invalid: u64,
    /// The first problem met.
    pub error: Option<String>,
}

impl Notification {
    pub fn is_finished(&self) -> bool {
        matches!(
            self.state,
            NotificationState::Sent | NotificationState::Warning | NotificationState::Error
        )
    }

    /// Deliveries still waiting to be sent or retried.
    pub fn queued(&self) -> u64 {
        self.total
            .saturating_sub(self.sent + self.failed + self.invalid)
    }
}

/// Filters and order of a notification listing (Oracle `GET …/notifications/`).
#[derive(Debug, Clone, Default)]
pub struct NotificationQuery {
    pub tag_contains: Option<String>,
    pub tag: Option<String>,
    pub states: Option<Vec<NotificationState>>,
    pub platform: Option<PushPlatform>,
    pub send_on: (Option<Timestamp>, Option<Timestamp>),
    pub created_on: (Option<Timestamp>, Option<Timestamp>),
    pub processed_on: (Option<Timestamp>, Option<Timestamp>),
    pub order: Vec<(NotificationOrder, crate::page::SortDirection)>,
    pub offset: u64,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationOrder {
    Id,
    Status,
    Tag,
    Platform,
    SendOn,
    CreatedOn,
    ProcessedOn,
}

/// One outbox row a worker holds under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    pub backend_id: Uuid,
    pub notification_id: i64,
    pub registration_seq: i64,
    pub provider: PushProvider,
    pub token: String,
    pub gateway: Option<ApnsGateway>,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

impl ClaimedDelivery {
    /// Stable across retries, restarts and nodes (derived, not stored): sent as `apns-id`, so a
    /// resend after a crash is recognisable as the same delivery.
    pub fn delivery_id(&self) -> Uuid {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!(
            "{}/{}/{}",
            self.backend_id, self.notification_id, self.registration_seq
        ));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }

    /// Sent as `apns-collapse-id` / FCM `collapse_key`: a notification delivered twice to a device
    /// (after a crash between sending and recording) shows once.
    pub fn collapse_id(&self) -> String {
        format!("berth-{}", self.notification_id)
    }
}

/// What became of a claimed delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryResult {
    Sent,
    /// Try again at `at` (temporary failure).
    Retry {
        at: Timestamp,
        reason: String,
    },
    /// Permanent failure for this message.
    Failed {
        reason: String,
    },
    /// The token is dead; the registration is marked invalid too.
    TokenInvalid {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SettledDelivery {
    pub delivery: ClaimedDelivery,
    pub result: DeliveryResult,
}

/// How often and how patiently failed deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max_delay: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            max_delay: Duration::from_secs(600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`: exponential from `base`, capped, with up to ±25 %
    /// jitter so deliveries failed together do not return together; never less than the provider's
    /// `Retry-After`. `None` when the attempts are used up.
    pub fn next_delay(&self, attempts: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exponent = attempts.saturating_sub(1).min(20);
        let exponential = self
            .base
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jitter = 0.75 + rand::random::<f64>() * 0.5;
        let delay = exponential.mul_f64(jitter);
        Some(match retry_after {
            Some(after) => delay.max(after.min(Duration::from_secs(3600))),
            None => delay,
        })
    }
}

/// The Monaca build types (`Push.send` `buildType`, registration `buildType`).
pub fn check_build_type(problems: &mut Problems, field: &str, build_type: &str) {
    if !matches!(build_type, "debug" | "release" | "adhoc") {
        problems.add(
            field,
            "The build type must be \"debug\", \"release\" or \"adhoc\".",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_respect_retry_after_and_the_attempt_limit() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_attempts: 5,
        };
        let first = policy.next_delay(1, None).unwrap_or_default();
        assert!(first >= Duration::from_millis(750) && first <= Duration::from_millis(1250));
        let fourth = policy.next_delay(4, None).unwrap_or_default();
        assert!(fourth >= Duration::from_secs(6) && fourth <= Duration::from_secs(10));
        let honoured = policy
            .next_delay(1, Some(Duration::from_secs(30)))
            .unwrap_or_default();
        assert!(honoured >= Duration::from_secs(30));
        assert_eq!(policy.next_delay(5, None), None);
    }

    #[test]
    fn provider_names_accept_the_oracle_spellings() {
        assert_eq!(PushProvider::parse("APNS"), Some(PushProvider::Apns));
        assert_eq!(PushProvider::parse("GCM"), Some(PushProvider::Fcm));
        assert_eq!(PushProvider::parse("WNS"), None);
    }
}
