use crate::{DeliveryOutcome, Endpoints, Error, ProviderCredentials, PushMessage, PushTarget};

/// Sends notifications; cheap to share (`Arc`) across tasks. Caches provider auth tokens.
pub struct PushClient {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoints: Endpoints,
    pub(crate) apns_tokens: crate::apns::JwtCache,
    pub(crate) fcm_tokens: crate::fcm::AccessTokenCache,
}

impl PushClient {
    pub fn new(endpoints: Endpoints) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
            .pool_idle_timeout(std::time::Duration::from_secs(300));
        for pem in &endpoints.extra_root_certificates_pem {
            let certificate = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|error| {
                Error::InvalidEndpoints(format!("extra root certificate: {error}"))
            })?;
            builder = builder.add_root_certificate(certificate);
        }
        let http = builder
            .build()
            .map_err(|error| Error::InvalidEndpoints(crate::outcome::error_chain(&error)))?;
        Ok(Self {
            http,
            endpoints,
            apns_tokens: Default::default(),
            fcm_tokens: Default::default(),
        })
    }

    /// Sends one notification. Never panics or errors: every failure is classified into an outcome.
    pub async fn send(
        &self,
        credentials: &ProviderCredentials,
        target: &PushTarget,
        message: &PushMessage,
    ) -> DeliveryOutcome {
        match (credentials, target) {
            (ProviderCredentials::Apns(credentials), PushTarget::Apns { device_token }) => {
                crate::apns::send(self, credentials, device_token, message).await
            }
            (ProviderCredentials::Fcm(credentials), PushTarget::Fcm { registration_token }) => {
                crate::fcm::send(self, credentials, registration_token, message).await
            }
            (
                ProviderCredentials::WebPush(credentials),
                PushTarget::WebPush {
                    endpoint,
                    p256dh,
                    auth,
                },
            ) => crate::webpush::send(self, credentials, endpoint, p256dh, auth, message).await,
            _ => DeliveryOutcome::Rejected {
                reason: "the target does not belong to the credentials' provider".into(),
            },
        }
    }
}
