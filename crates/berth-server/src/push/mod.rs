//! Push delivery in the server: the worker that drains the outbox through `berth-push`, its settings,
//! and the secret key that seals provider credentials.

mod payload;
mod worker;

use std::path::Path;
use std::time::Duration;

use berth_core::push::{ApnsGateway, ApnsSettings, FcmSettings};
use berth_core::sealed::SecretKey;
use berth_push::{ApnsCredentials, ApnsEnvironment, Endpoints, FcmCredentials, Url};

pub use worker::PushWorker;

/// File in the data directory holding the key that seals push credentials (mode 0600).
pub const SECRET_KEY_FILE: &str = "secret-key";

/// Delivery settings (`berth serve` flags / environment).
#[derive(Debug, Clone, clap::Args)]
pub struct PushArgs {
    /// Key (64 hex characters) sealing stored push credentials; every node sharing a database needs
    /// the same. Without it, one is generated into the data folder (file `secret-key`).
    #[arg(long, env = "BERTH_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// APNs base URL instead of Apple's (both gateways), e.g. a proxy or a test server.
    #[arg(long, env = "BERTH_APNS_URL")]
    pub apns_url: Option<Url>,

    /// FCM base URL instead of https://fcm.googleapis.com.
    #[arg(long, env = "BERTH_FCM_URL")]
    pub fcm_url: Option<Url>,

    /// OAuth token URL for FCM service accounts instead of the one in the key file.
    #[arg(long, env = "BERTH_FCM_TOKEN_URL")]
    pub fcm_token_url: Option<Url>,

    /// Extra trusted root certificate(s) (PEM file) for the push providers.
    #[arg(long, env = "BERTH_PUSH_CA_FILE")]
    pub push_ca_file: Option<std::path::PathBuf>,

    /// How often an idle worker looks for due notifications and deliveries, in milliseconds.
    #[arg(long, env = "BERTH_PUSH_POLL_MS", default_value_t = 1000)]
    pub push_poll_ms: u64,

    /// Deliveries claimed (and targets expanded) per batch.
    #[arg(long, env = "BERTH_PUSH_BATCH", default_value_t = 500)]
    pub push_batch: u32,

    /// Requests in flight at once per provider.
    #[arg(long, env = "BERTH_PUSH_CONCURRENCY", default_value_t = 32)]
    pub push_concurrency: usize,

    /// How long a claimed batch stays with this node before another may take it over, in seconds.
    #[arg(long, env = "BERTH_PUSH_LEASE_SECONDS", default_value_t = 120)]
    pub push_lease_seconds: u64,

    /// First retry delay in milliseconds (doubling each attempt, with jitter).
    #[arg(long, env = "BERTH_PUSH_RETRY_BASE_MS", default_value_t = 2000)]
    pub push_retry_base_ms: u64,

    /// Attempts per device before a delivery counts as failed.
    #[arg(long, env = "BERTH_PUSH_MAX_ATTEMPTS", default_value_t = 8)]
    pub push_max_attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PushSetupError {
    #[error("BERTH_SECRET_KEY / --secret-key: {0}")]
    Key(berth_core::sealed::SealError),
    #[error("the secret key file {path}: {source}")]
    KeyFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the secret key file {0} does not hold a valid key")]
    KeyFileContent(std::path::PathBuf),
    #[error("the push CA file {path}: {source}")]
    CaFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("push client: {0}")]
    Client(#[from] berth_push::Error),
}

impl PushArgs {
    /// The configured key, or the one in the data folder (generated there on first start).
    pub fn secret_key(&self, data_dir: &Path) -> Result<SecretKey, PushSetupError> {
        if let Some(hex) = self.secret_key.as_deref().filter(|k| !k.is_empty()) {
            tracing::info!("secret key: from BERTH_SECRET_KEY");
            return SecretKey::from_hex(hex).map_err(PushSetupError::Key);
        }
        let path = std::path::absolute(data_dir.join(SECRET_KEY_FILE))
            .unwrap_or_else(|_| data_dir.join(SECRET_KEY_FILE));
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                tracing::info!(file = %path.display(), "secret key: from the data folder");
                SecretKey::from_hex(&text).map_err(|_| PushSetupError::KeyFileContent(path))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretKey::generate();
                crate::startup::write_secret_file(&path, &key.to_hex()).map_err(|source| {
                    PushSetupError::KeyFile {
                        path: path.clone(),
                        source,
                    }
                })?;
                tracing::info!(file = %path.display(), "secret key generated (seals push credentials; keep it with backups, give every node the same via BERTH_SECRET_KEY)");
                Ok(key)
            }
            Err(source) => Err(PushSetupError::KeyFile { path, source }),
        }
    }

    pub fn endpoints(&self) -> Result<Endpoints, PushSetupError> {
        let mut endpoints = Endpoints::default();
        if let Some(url) = &self.apns_url {
            endpoints.apns_production = url.clone();
            endpoints.apns_sandbox = url.clone();
        }
        if let Some(url) = &self.fcm_url {
            endpoints.fcm_base = url.clone();
        }
        endpoints.fcm_token_uri_override = self.fcm_token_url.clone();
        if let Some(path) = &self.push_ca_file {
            let pem = std::fs::read_to_string(path).map_err(|source| PushSetupError::CaFile {
                path: path.clone(),
                source,
            })?;
            endpoints.extra_root_certificates_pem.push(pem);
        }
        Ok(endpoints)
    }

    pub fn worker_settings(&self) -> worker::WorkerSettings {
        worker::WorkerSettings {
            poll: Duration::from_millis(self.push_poll_ms.max(10)),
            batch: self.push_batch.clamp(1, 10_000),
            concurrency: self.push_concurrency.clamp(1, 1000),
            lease: Duration::from_secs(self.push_lease_seconds.max(1)),
            retry: berth_core::push::RetryPolicy {
                base: Duration::from_millis(self.push_retry_base_ms.max(1)),
                max_delay: Duration::from_secs(600),
                max_attempts: self.push_max_attempts.max(1),
            },
        }
    }
}

/// A settings change from its JSON form (`Push.setConfig` params, the tools API body): `apns` /
/// `fcm` absent = keep, `null` = remove; credentials are checked with `berth-push`.
pub fn config_change(
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<berth_core::service::PushConfigChange, berth_core::Error> {
    use serde_json::Value;
    let apns = match body.get("apns") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => Some(Some(
            serde_json::from_value::<ApnsSettings>(value.clone())
                .map_err(|error| berth_core::Error::invalid("apns", error.to_string()))?,
        )),
    };
    let fcm = match body.get("fcm") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Object(object)) => {
            // The key file may be given as its JSON object or as the text of the file.
            let service_account = match object.get("serviceAccount") {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Object(file)) => Value::Object(file.clone()).to_string(),
                _ => {
                    return Err(berth_core::Error::invalid(
                        "fcm",
                        "fcm.serviceAccount must be the service account key file (object or text).",
                    ));
                }
            };
            Some(Some(FcmSettings { service_account }))
        }
        Some(_) => {
            return Err(berth_core::Error::invalid(
                "fcm",
                "fcm must be an object or null.",
            ));
        }
    };
    let push_project_id = match body.get("pushProjectId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => {
            return Err(berth_core::Error::invalid(
                "pushProjectId",
                "pushProjectId must be a string.",
            ));
        }
    };
    check_credentials(
        apns.as_ref().and_then(Option::as_ref),
        fcm.as_ref().and_then(Option::as_ref),
    )?;
    Ok(berth_core::service::PushConfigChange {
        push_project_id,
        apns,
        fcm,
    })
}

/// The settings as shown back: ids and names, never a key.
pub fn config_json(config: &berth_core::service::PushConfigView) -> serde_json::Value {
    serde_json::json!({
        "pushProjectId": config.push_project_id,
        "apns": config.apns.as_ref().map(|apns| serde_json::json!({
            "keyId": apns.key_id,
            "teamId": apns.team_id,
            "topic": apns.topic,
            "environment": apns.environment.as_str(),
        })),
        "fcm": config.fcm.as_ref().map(|_| serde_json::json!({ "configured": true })),
    })
}

/// Checks credentials as `berth-push` will use them, so a bad key is refused when it is saved.
pub fn check_credentials(
    apns: Option<&ApnsSettings>,
    fcm: Option<&FcmSettings>,
) -> Result<(), berth_core::Error> {
    let mut problems = berth_core::validation::Problems::new();
    if let Some(apns) = apns
        && let Err(error) = berth_push::validate(&berth_push::ProviderCredentials::Apns(
            apns_credentials(apns, ApnsGateway::Production),
        ))
    {
        problems.add("apns", error.to_string());
    }
    if let Some(fcm) = fcm
        && let Err(error) =
            berth_push::validate(&berth_push::ProviderCredentials::Fcm(fcm_credentials(fcm)))
    {
        problems.add("fcm", error.to_string());
    }
    problems.into_result()
}

pub(crate) fn apns_credentials(settings: &ApnsSettings, gateway: ApnsGateway) -> ApnsCredentials {
    ApnsCredentials {
        key_id: settings.key_id.clone(),
        team_id: settings.team_id.clone(),
        signing_key_pem: settings.signing_key.clone(),
        topic: settings.topic.clone(),
        environment: match gateway {
            ApnsGateway::Sandbox => ApnsEnvironment::Sandbox,
            ApnsGateway::Production => ApnsEnvironment::Production,
        },
    }
}

pub(crate) fn fcm_credentials(settings: &FcmSettings) -> FcmCredentials {
    FcmCredentials {
        service_account_json: settings.service_account.clone(),
    }
}
