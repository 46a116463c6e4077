//! Push use cases: provider settings, device registration, accepting sends into the outbox, and the
//! steps the delivery workers take (expand, claim, settle).

use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use super::Berth;
use crate::error::StoreError;
use crate::error::{Error, Result};
use crate::push::{
    ApnsGateway, ApnsSettings, ClaimedDelivery, FcmSettings, NewNotification, Notification,
    NotificationQuery, NotificationTarget, PAYLOAD_MAX, PUSH_PROJECT_ID_MAX, PushCredentials,
    PushPlatform, PushProvider, PushRegistration, SettledDelivery, StoredPushConfig,
    TARGET_LIST_MAX, check_token,
};
use crate::timestamp::Timestamp;
use crate::validation::Problems;

/// A change to a backend's push settings: `None` keeps a provider as it is, `Some(None)` removes it.
#[derive(Debug, Clone, Default)]
pub struct PushConfigChange {
    pub push_project_id: Option<String>,
    pub apns: Option<Option<ApnsSettings>>,
    pub fcm: Option<Option<FcmSettings>>,
}

/// What may be shown of a backend's push settings: never a private key.
#[derive(Debug, Clone, PartialEq)]
pub struct PushConfigView {
    pub push_project_id: String,
    pub apns: Option<ApnsSettings>,
    pub fcm: Option<FcmSettings>,
}

/// A device registration as a Monaca native runtime or an Oracle SDK sends it.
#[derive(Debug, Clone)]
pub struct DeviceRegistration {
    pub provider: PushProvider,
    pub platform: PushPlatform,
    pub token: String,
    pub device_id: Option<String>,
    pub user_id: Option<String>,
    pub build_type: Option<String>,
    pub app_id: Option<String>,
    pub app_version: Option<String>,
}

impl Berth {
    fn sealing_key(&self) -> Result<&crate::sealed::SecretKey> {
        self.secret_key.as_ref().ok_or_else(|| {
            Error::Conflict(
                "Push settings need a secret key; the server has none configured.".into(),
            )
        })
    }

    /// The push settings with secrets, for the delivery workers.
    pub async fn push_credentials(&self, backend_id: Uuid) -> Result<Option<PushCredentials>> {
        let Some(stored) = self.store.push_config(backend_id).await? else {
            return Ok(None);
        };
        Ok(Some(self.open_credentials(&stored)?))
    }

    fn open_credentials(&self, stored: &StoredPushConfig) -> Result<PushCredentials> {
        let plaintext = self
            .sealing_key()?
            .open(&stored.sealed_credentials)
            .map_err(|error| Error::Store(StoreError::Internal(Box::new(error))))?;
        serde_json::from_slice(&plaintext)
            .map_err(|error| Error::Store(StoreError::Internal(Box::new(error))))
    }

    /// The settings as shown to the operator: ids and names, never the private keys.
    pub async fn push_config(&self, backend_id: Uuid) -> Result<Option<PushConfigView>> {
        self.backend(backend_id).await?;
        let Some(stored) = self.store.push_config(backend_id).await? else {
            return Ok(None);
        };
        let credentials = self.open_credentials(&stored)?;
        Ok(Some(PushConfigView {
            push_project_id: stored.push_project_id,
            apns: credentials.apns.map(|apns| ApnsSettings {
                signing_key: String::new(),
                ..apns
            }),
            fcm: credentials.fcm.map(|_| FcmSettings {
                service_account: String::new(),
            }),
        }))
    }

    /// Changes the push settings; a push project id is generated the first time unless given.
    /// Credentials are checked by the caller (`berth-push` knows the key formats) and sealed here.
    pub async fn update_push_config(
        &self,
        backend_id: Uuid,
        change: PushConfigChange,
    ) -> Result<PushConfigView> {
        let key = self.sealing_key()?.clone();
        self.backend(backend_id).await?;
        let existing = self.store.push_config(backend_id).await?;
        let mut credentials = match &existing {
            Some(stored) => self.open_credentials(stored)?,
            None => PushCredentials::default(),
        };
        let mut problems = Problems::new();
        if let Some(id) = &change.push_project_id {
            problems.check_length("pushProjectId", id, PUSH_PROJECT_ID_MAX);
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                problems.add(
                    "pushProjectId",
                    "The push project id must be letters, digits, '-', '_' or '.'.",
                );
            }
        }
        if let Some(Some(apns)) = &change.apns {
            for (field, value) in [
                ("apns.keyId", &apns.key_id),
                ("apns.teamId", &apns.team_id),
                ("apns.topic", &apns.topic),
                ("apns.signingKey", &apns.signing_key),
            ] {
                if value.trim().is_empty() {
                    problems.add(field, "The value is required.");
                }
            }
        }
        problems.into_result()?;
        if let Some(apns) = change.apns {
            credentials.apns = apns;
        }
        if let Some(fcm) = change.fcm {
            credentials.fcm = fcm;
        }
        let push_project_id = change
            .push_project_id
            .or_else(|| existing.as_ref().map(|e| e.push_project_id.clone()))
            .unwrap_or_else(|| crate::ids::new_opaque_id().simple().to_string());
        let plaintext = serde_json::to_vec(&credentials)
            .map_err(|error| Error::Store(StoreError::Internal(Box::new(error))))?;
        let stored = StoredPushConfig {
            backend_id,
            push_project_id,
            sealed_credentials: key.seal(&plaintext),
            updated_at: Timestamp::now(),
        };
        match self.store.put_push_config(&stored).await {
            Err(StoreError::AlreadyExists(_)) => {
                return Err(Error::already_exists(
                    "pushProjectId",
                    "Another backend uses this push project id.",
                ));
            }
            Err(StoreError::NotFound) => return Err(backend_gone()),
            other => other?,
        }
        self.push_config(backend_id).await?.ok_or_else(backend_gone)
    }

    /// The backend an `Oracle-Mobile-Backend-ID` header names: its id or its Basic-auth backend id.
    pub async fn backend_by_header_id(&self, id: Uuid) -> Result<Option<crate::backend::Backend>> {
        if let Some(backend) = self.store.backend(id).await? {
            return Ok(Some(backend));
        }
        Ok(self.store.backend_by_basic_auth_id(id).await?)
    }

    /// The backend a Monaca push project id belongs to.
    pub async fn backend_for_push_project(&self, push_project_id: &str) -> Result<Option<Uuid>> {
        Ok(self
            .store
            .push_config_by_project(push_project_id)
            .await?
            .map(|config| config.backend_id))
    }

    /// Registers (or moves) a device token. Monaca registrations (with a device id) replace the
    /// device's earlier token at the provider.
    pub async fn register_push_device(
        &self,
        backend_id: Uuid,
        registration: DeviceRegistration,
    ) -> Result<PushRegistration> {
        let mut problems = Problems::new();
        check_token(&mut problems, "notificationToken", &registration.token);
        for (field, value) in [
            ("deviceId", &registration.device_id),
            ("user", &registration.user_id),
            ("buildType", &registration.build_type),
            ("mobileClient.id", &registration.app_id),
            ("mobileClient.version", &registration.app_version),
        ] {
            if let Some(value) = value {
                problems.check_length(field, value, crate::appauth::DEVICE_ID_MAX);
                if value.chars().any(char::is_control) {
                    problems.add(field, "The value must not contain control characters.");
                }
            }
        }
        if let Some(build_type) = &registration.build_type {
            crate::push::check_build_type(&mut problems, "buildType", build_type);
        }
        problems.into_result()?;
        let gateway = match (registration.provider, registration.build_type.as_deref()) {
            (PushProvider::Apns, Some("debug")) => Some(ApnsGateway::Sandbox),
            (PushProvider::Apns, Some(_)) => Some(ApnsGateway::Production),
            _ => None,
        };
        let now = Timestamp::now();
        let replace = registration.device_id.is_some();
        let stored = PushRegistration {
            backend_id,
            id: crate::ids::new_row_id(),
            provider: registration.provider,
            platform: registration.platform,
            token: registration.token,
            device_id: registration.device_id,
            user_id: registration.user_id,
            build_type: registration.build_type,
            gateway,
            app_id: registration.app_id,
            app_version: registration.app_version,
            invalid: false,
            created_at: now,
            updated_at: now,
        };
        match self.store.register_push_token(&stored, replace).await {
            Err(StoreError::NotFound) => Err(backend_gone()),
            other => Ok(other?),
        }
    }

    /// Removes a device token; removing an unknown one is not an error (idempotent).
    pub async fn deregister_push_device(
        &self,
        backend_id: Uuid,
        provider: PushProvider,
        token: &str,
    ) -> Result<bool> {
        let mut problems = Problems::new();
        check_token(&mut problems, "notificationToken", token);
        problems.into_result()?;
        Ok(self
            .store
            .deregister_push_token(backend_id, provider, token)
            .await?)
    }

    /// Removes every token of a Monaca device (unregistering without a token).
    pub async fn deregister_push_device_id(
        &self,
        backend_id: Uuid,
        device_id: &str,
    ) -> Result<u64> {
        if device_id.is_empty() || device_id.len() > crate::appauth::DEVICE_ID_MAX {
            return Err(Error::invalid("deviceId", "The device id is not valid."));
        }
        Ok(self
            .store
            .deregister_push_device(backend_id, device_id)
            .await?)
    }

    pub async fn push_registration(
        &self,
        backend_id: Uuid,
        provider: PushProvider,
        token: &str,
    ) -> Result<Option<PushRegistration>> {
        Ok(self
            .store
            .push_registration(backend_id, provider, token)
            .await?)
    }

    /// One page of the backend's device registrations, the latest first (the console's device list).
    pub async fn push_registrations(
        &self,
        backend_id: Uuid,
        search: Option<&str>,
        page: &crate::page::PageRequest,
    ) -> Result<crate::page::Page<PushRegistration>> {
        self.backend(backend_id).await?;
        Ok(self
            .store
            .list_push_registrations(backend_id, search, page)
            .await?)
    }

    /// Accepts a send: checked, then stored as one row (the outbox entry) that workers expand.
    pub async fn send_push(&self, notification: NewNotification) -> Result<Notification> {
        let mut problems = Problems::new();
        let list = |problems: &mut Problems, field: &str, values: &[String]| {
            if values.is_empty() {
                problems.add(field, "The list must not be empty.");
            }
            if values.len() > TARGET_LIST_MAX {
                problems.add(
                    field,
                    format!("The list may hold at most {TARGET_LIST_MAX} entries."),
                );
            }
            if values
                .iter()
                .any(|v| v.is_empty() || v.len() > 4096 || v.chars().any(char::is_control))
            {
                problems.add(
                    field,
                    "Every entry must be a non-empty string without control characters.",
                );
            }
        };
        match &notification.target {
            NotificationTarget::All => {}
            NotificationTarget::Devices { ids } => list(&mut problems, "deviceIdList", ids),
            NotificationTarget::Users { ids } => list(&mut problems, "userOidList", ids),
            NotificationTarget::UserNames { names } => list(&mut problems, "users", names),
            NotificationTarget::Tokens { tokens } => {
                list(&mut problems, "notificationTokens", tokens);
                let mut unique = tokens.clone();
                unique.sort();
                unique.dedup();
                if unique.len() != tokens.len() {
                    problems.add("notificationTokens", "The tokens must be unique.");
                }
            }
            NotificationTarget::UserQuery { query, binds } => {
                if let Err(error) = crate::monaql::parse(query, binds, crate::monaql::Scope::User) {
                    let field = match error.source {
                        crate::monaql::ErrorSource::Criteria => "userQuery",
                        crate::monaql::ErrorSource::BindParams => "userQueryBindParams",
                    };
                    problems.add(field, error.message);
                }
            }
        }
        if let Some(build_type) = &notification.build_type {
            crate::push::check_build_type(&mut problems, "buildType", build_type);
        }
        if let Some(tag) = &notification.tag {
            problems.check_length("tag", tag, 255);
        }
        let message_size = serde_json::to_vec(&notification.message)
            .map(|bytes| bytes.len())
            .unwrap_or(usize::MAX);
        // Each provider gets part of the message; twice a provider's limit bounds the whole.
        if message_size > PAYLOAD_MAX * 2 {
            problems.add(
                "payload",
                format!("The notification is too large (providers accept {PAYLOAD_MAX} bytes)."),
            );
        }
        if contains_nul(&notification.request) {
            problems.add("payload", "Text must not contain the character U+0000.");
        }
        problems.into_result()?;
        match self.store.insert_notification(&notification).await {
            Err(StoreError::NotFound) => Err(backend_gone()),
            other => Ok(other?),
        }
    }

    pub async fn notification(&self, backend_id: Uuid, id: i64) -> Result<Notification> {
        self.store
            .notification(backend_id, id)
            .await?
            .ok_or_else(|| Error::not_found("id", "There is no notification with this id."))
    }

    pub async fn notifications(
        &self,
        backend_id: Uuid,
        query: &NotificationQuery,
    ) -> Result<(Vec<Notification>, bool)> {
        Ok(self.store.list_notifications(backend_id, query).await?)
    }

    /// Cancels a scheduled notification; one already sending or sent cannot be.
    pub async fn cancel_notification(&self, backend_id: Uuid, id: i64) -> Result<Notification> {
        match self
            .store
            .cancel_notification(backend_id, id, Timestamp::now())
            .await
        {
            Err(StoreError::NotFound) => Err(Error::not_found(
                "id",
                "There is no notification with this id.",
            )),
            Err(StoreError::VersionConflict) => Err(Error::Conflict(
                "Only a scheduled notification can be cancelled; this one is already being sent or done."
                    .into(),
            )),
            other => Ok(other?),
        }
    }

    /// Worker step: queue the next batch of one due notification's targets.
    pub async fn expand_due_push(&self, batch: u32) -> Result<Option<(Uuid, i64, u64)>> {
        Ok(self
            .store
            .expand_due_notification(Timestamp::now(), batch)
            .await?)
    }

    /// Worker step: lease due deliveries to `owner`.
    pub async fn claim_push_deliveries(
        &self,
        owner: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>> {
        let now = Timestamp::now();
        let until = Timestamp::from_millis(
            now.as_millis()
                .saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)),
        );
        Ok(self
            .store
            .claim_deliveries(owner, now, until, limit)
            .await?)
    }

    /// Worker step: record what happened to leased deliveries.
    pub async fn settle_push_deliveries(
        &self,
        owner: &str,
        settled: &[SettledDelivery],
    ) -> Result<u64> {
        Ok(self
            .store
            .settle_deliveries(owner, settled, Timestamp::now())
            .await?)
    }
}

fn backend_gone() -> Error {
    Error::not_found("backend", "The backend does not exist.")
}

fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(values) => values.iter().any(contains_nul),
        Value::Object(object) => object
            .iter()
            .any(|(key, value)| key.contains('\0') || contains_nul(value)),
        _ => false,
    }
}
